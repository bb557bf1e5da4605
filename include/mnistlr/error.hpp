// mnistlr::Error: the one exception type of the library.
//
// The library never prints and never exits: it throws Error, and main() catches it once and prints
//   mnistlr: error: <message>
// on stderr, exiting with the code the error carries. Codes are documented in the README and stable.
#pragma once

#include <stdexcept>
#include <string>

namespace mnistlr {

enum class ExitCode : int {
    ok = 0,
    bad_input = 2,     // unreadable, malformed or inconsistent input; bad usage
    below_gate = 3,    // --min-accuracy not reached
    diverged = 4,      // training loss exploded
    interrupted = 130  // SIGINT
};

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, ExitCode code = ExitCode::bad_input)
        : std::runtime_error(message), code_(code) {}
    // "<path>: <what>" — the form every file-related error takes.
    Error(const std::string& path, const std::string& what, ExitCode code = ExitCode::bad_input)
        : std::runtime_error(path + ": " + what), code_(code) {}

    ExitCode code() const noexcept { return code_; }
    int exit_code() const noexcept { return static_cast<int>(code_); }

private:
    ExitCode code_;
};

}  // namespace mnistlr
