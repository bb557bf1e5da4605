// Large buffers on transparent huge pages.
//
// The first write to a fresh 4 KiB page costs a page fault, and on virtual machines a fault is slow:
// on the development VM, writing 4 MiB of fresh memory takes ~10.7 ms with 4 KiB pages and ~0.4 ms
// with 2 MiB pages (medians of 12 runs, /tmp probe in the note of issue 14). The figures and the
// deskewed data are written once into fresh buffers of 0.5-55 MB, so the faults cost as much as the
// drawing. A buffer of at least kHugeFrom bytes is therefore aligned to 2 MiB, rounded up to whole
// 2 MiB pages, and advised MADV_HUGEPAGE (the kernel may refuse: then it gets 4 KiB pages, as before);
// smaller ones come from malloc as usual.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <vector>

namespace mnistlr {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;
// From this size on, 2 MiB pages cost less than the 4 KiB faults they save (one 2 MiB page is zeroed
// whole on its first touch: ~0.1-0.2 ms, the time of ~60 small faults).
inline constexpr std::size_t kHugeFrom = std::size_t{512} << 10;

// At least `bytes` writable bytes (uninitialised), freed with release_pages. Throws std::bad_alloc.
void* allocate_pages(std::size_t bytes);
void release_pages(void* p) noexcept;

// An allocator for std::vector and friends that takes its memory from allocate_pages.
template <typename T>
struct PageAllocator {
    using value_type = T;
    PageAllocator() noexcept = default;
    template <typename U>
    PageAllocator(const PageAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_alloc();
        return static_cast<T*>(allocate_pages(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t) noexcept { release_pages(p); }
    template <typename U>
    friend bool operator==(const PageAllocator&, const PageAllocator<U>&) noexcept { return true; }
    template <typename U>
    friend bool operator!=(const PageAllocator&, const PageAllocator<U>&) noexcept { return false; }
};

// Bytes of a picture or a data set: a std::vector whose large buffers lie on huge pages.
using PageBytes = std::vector<std::uint8_t, PageAllocator<std::uint8_t>>;

}  // namespace mnistlr
