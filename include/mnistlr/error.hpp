// mnistlr::Error: the one exception type of the library.
//
// The library never prints and never exits: it throws Error, and main() catches it once and prints
//   mnistlr: error: <message>
// on stderr, exiting with the code the error carries. Codes are documented in the README and stable.
// The message is always one line of printable text: both constructors pass what they are given
// through printable(), so a path or a name holding a newline or an escape sequence cannot break the
// line or drive the terminal.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mnistlr {

// Length (1 to 4) of the strict UTF-8 sequence (RFC 3629: no overlong forms, no UTF-16 surrogates,
// nothing above U+10FFFF) that starts at s[i], or 0 when the bytes there do not form one.
// Precondition: i < s.size().
std::size_t utf8_length_at(std::string_view s, std::size_t i) noexcept;

// `s` made safe to print on one terminal line: control characters are escaped (\n, \r and \t as
// "\n", "\r", "\t"; the other C0 controls, DEL and the C1 controls U+0080..U+009F as "\xNN", one per
// byte), and so is every byte that is not part of valid UTF-8; valid UTF-8 (e.g. "ü") is kept.
// A backslash is kept as it is: the result is for people to read, not for a program to unescape.
// printable(printable(s)) == printable(s).
std::string printable(std::string_view s);

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
        : std::runtime_error(printable(message)), code_(code) {}
    // "<path>: <what>" — the form every file-related error takes.
    Error(const std::string& path, const std::string& what, ExitCode code = ExitCode::bad_input)
        : std::runtime_error(printable(path) + ": " + printable(what)), code_(code) {}

    ExitCode code() const noexcept { return code_; }
    int exit_code() const noexcept { return static_cast<int>(code_); }

private:
    ExitCode code_;
};

}  // namespace mnistlr
