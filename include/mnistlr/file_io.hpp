// File input and output with the two guarantees the whole tool relies on:
//  - reading: only regular, non-empty files are read (a directory, FIFO or device is refused before a
//    byte is read, so nothing can hang); large files are memory-mapped, not copied;
//  - writing: every output goes to a temp file in the destination's directory, is fsync'ed, then
//    renamed over the destination, so an existing file is either the old or the complete new one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mnistlr {

// Immutable bytes with shared ownership: either a read-only mmap of a file or an owned buffer.
class Bytes {
public:
    Bytes() = default;
    explicit Bytes(std::vector<std::uint8_t> owned);

    const std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    // A view of [offset, offset + length) sharing ownership. Precondition: in range.
    Bytes slice(std::size_t offset, std::size_t length) const;

    // Maps (or reads) a whole regular file. Throws Error "<path>: <why>" for a missing,
    // unreadable, empty or non-regular file.
    static Bytes map_file(const std::string& path);

private:
    std::shared_ptr<const void> owner_;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

// Throws Error "<path>: ..." unless path names an existing regular file.
void require_regular_file(const std::string& path);

// An output file written atomically. The temp file is created in the constructor, so a destination
// whose directory is missing or not writable fails before any work is done.
class AtomicFile {
public:
    explicit AtomicFile(std::string path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();  // removes the temp file unless commit() succeeded

    void write(const void* data, std::size_t size);
    // fsync + rename over the destination (+ fsync of the directory). Throws Error on failure.
    void commit();

    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    std::string temp_path_;
    int fd_ = -1;
    bool committed_ = false;
};

// Convenience: AtomicFile + write + commit.
void write_file_atomic(const std::string& path, const void* data, std::size_t size);

}  // namespace mnistlr
