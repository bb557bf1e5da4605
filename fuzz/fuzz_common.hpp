// Shared by the fuzz targets: the contract every parser keeps on hostile input.
//  - It returns a well-formed value or throws mnistlr::Error "<name>: <problem>"; any other
//    exception escapes the target and libFuzzer reports it (uncaught exception = finding).
//  - Sanitizers (ASan, UBSan, LSan) and libFuzzer's -timeout / -rss_limit_mb catch the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mnistlr/error.hpp"

namespace fuzz {

inline const std::string kName = "fuzz-input";

// Aborts (a libFuzzer finding) with a message when an invariant does not hold.
inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
        std::abort();
    }
}

// Every error names the input first, as main() prints it: "<name>: <problem>".
inline void check_error(const mnistlr::Error& e) {
    const std::string msg = e.what();
    require(msg.compare(0, kName.size() + 2, kName + ": ") == 0, "error message does not start with \"<name>: \"");
    require(msg.size() > kName.size() + 2, "error message is empty after the name");
    require(e.exit_code() == static_cast<int>(mnistlr::ExitCode::bad_input), "parser error is not bad_input (2)");
}

// Runs f (a parse) and checks the error contract when it throws.
template <class F>
bool parses(F&& f) {
    try {
        f();
        return true;
    } catch (const mnistlr::Error& e) {
        check_error(e);
        return false;
    }
}

inline std::vector<std::uint8_t> copy(const std::uint8_t* data, std::size_t size) {
    return std::vector<std::uint8_t>(data, data + size);
}

}  // namespace fuzz
