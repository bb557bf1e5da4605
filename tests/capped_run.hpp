// Running the real binary under an address-space cap (prlimit --as, util-linux), for the tests that
// prove a hostile file costs what it holds: with the cap, allocating what a header promises ends in
// "out of memory" instead of the message the file deserves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace testutil {

constexpr std::uint64_t kOneGiB = std::uint64_t{1} << 30;

// run_mnistlr under `prlimit --as=<bytes>`.
inline RunResult run_mnistlr_capped(std::uint64_t as_bytes, const std::vector<std::string>& args) {
    TempDir io;
    std::string cmd = "prlimit --as=" + std::to_string(as_bytes) + " -- " + shell_quote(MNISTLR_BIN);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    cmd += " >" + shell_quote(io / "out") + " 2>" + shell_quote(io / "err") + " </dev/null";
    RunResult r;
    const int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const auto o = read_file(io / "out"), e = read_file(io / "err");
    r.out.assign(o.begin(), o.end());
    r.err.assign(e.begin(), e.end());
    return r;
}

}  // namespace testutil
