// Running the real binary under an address-space cap (prlimit --as, util-linux), for the tests that
// prove a hostile file costs what it holds: with the cap, allocating what a header promises ends in
// "out of memory" instead of the message the file deserves.
//
// AddressSanitizer reserves terabytes of address space for its shadow memory, so an ASan build
// cannot start under prlimit --as. There the cap is ASan's own: no single allocation above the
// cap (max_allocation_size_mb, with allocator_may_return_null so that it is std::bad_alloc, as
// the kernel's refusal would be) and no resident set above it (hard_rss_limit_mb). A buffer that
// grows by doubling past the cap is one allocation above it, so the tests mean the same in both.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace testutil {

constexpr std::uint64_t kOneGiB = std::uint64_t{1} << 30;

// run_mnistlr under `prlimit --as=<bytes>` (under ASan: its allocation and RSS limits, see above).
inline RunResult run_mnistlr_capped(std::uint64_t as_bytes, const std::vector<std::string>& args) {
#if defined(__SANITIZE_ADDRESS__)
    const char* inherited = std::getenv("ASAN_OPTIONS");
    const std::string mb = std::to_string(as_bytes >> 20);
    return run_mnistlr_after("ASAN_OPTIONS=" +
                                 shell_quote(std::string(inherited ? inherited : "") + ":max_allocation_size_mb=" + mb +
                                             ":allocator_may_return_null=1:hard_rss_limit_mb=" + mb) +
                                 " ",
                             args);
#else
    return run_mnistlr_after("prlimit --as=" + std::to_string(as_bytes) + " -- ", args);
#endif
}

}  // namespace testutil
