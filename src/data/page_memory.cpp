#include "mnistlr/data/page_memory.hpp"

#include <cstdlib>

#include <sys/mman.h>

namespace mnistlr {

void* allocate_pages(std::size_t bytes) {
    if (bytes < kHugeFrom) {
        void* p = std::malloc(bytes ? bytes : 1);
        if (!p) throw std::bad_alloc();
        return p;
    }
    if (bytes > std::numeric_limits<std::size_t>::max() - kHugePage) throw std::bad_alloc();
    const std::size_t capacity = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, capacity);
    if (!p) throw std::bad_alloc();
    ::madvise(p, capacity, MADV_HUGEPAGE);  // advice only: if refused, the pages are small, nothing else changes
    return p;
}

void release_pages(void* p) noexcept { std::free(p); }

}  // namespace mnistlr
