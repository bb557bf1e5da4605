#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "mnistlr/data/page_memory.hpp"

using namespace mnistlr;

namespace {

// The VmFlags line of the mapping of this process that holds address p ("" if none).
std::string vm_flags_of(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        std::uintptr_t lo = 0, hi = 0;
        char dash = 0;
        std::istringstream head(line);
        if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
            inside = lo <= a && a < hi;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) return line;
    }
    return "";
}

bool kernel_has_thp() { return std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled").good(); }

}  // namespace

TEST(PageMemory, large_buffers_are_whole_aligned_huge_pages_small_ones_plain) {
    void* big = allocate_pages(kHugeFrom);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big) % kHugePage, 0u);
    std::memset(big, 0xab, kHugePage);  // rounded up to a whole 2 MiB page: all of it is ours
    EXPECT_EQ(static_cast<unsigned char*>(big)[kHugePage - 1], 0xab);
    if (kernel_has_thp()) {
        EXPECT_NE(vm_flags_of(big).find(" hg"), std::string::npos) << vm_flags_of(big);
    }
    release_pages(big);

    void* small = allocate_pages(kHugeFrom - 1);
    std::memset(small, 1, kHugeFrom - 1);
    if (kernel_has_thp()) {
        EXPECT_EQ(vm_flags_of(small).find(" hg"), std::string::npos) << vm_flags_of(small);
    }
    release_pages(small);
    release_pages(allocate_pages(0));  // a valid pointer to free, as malloc(0) may not give one
}

TEST(PageMemory, vectors_of_page_bytes_copy_grow_and_refuse_impossible_sizes) {
    PageBytes v(3 * kHugeFrom, 7);
    PageBytes copy = v;
    copy.resize(copy.size() + 10, 9);
    EXPECT_EQ(copy.size(), 3 * kHugeFrom + 10);
    EXPECT_EQ(copy[3 * kHugeFrom - 1], 7);
    EXPECT_EQ(copy.back(), 9);
    EXPECT_TRUE(PageBytes(v) == v);
    PageBytes moved = std::move(v);
    EXPECT_EQ(moved.size(), 3 * kHugeFrom);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(moved.data()) % kHugePage, 0u);
    PageAllocator<std::uint64_t> words;
    EXPECT_THROW(static_cast<void>(words.allocate(SIZE_MAX / 4)), std::bad_alloc);
    EXPECT_THROW(static_cast<void>(allocate_pages(SIZE_MAX - 1)), std::bad_alloc);
}
