// File input and output with the guarantees the whole tool relies on:
//  - reading: only regular, non-empty files are read (a directory, FIFO or device is refused before a
//    byte is read, so nothing can hang); large files are memory-mapped, not copied. A mapped file
//    that shrinks under the process would raise SIGBUS: every mapping is listed in a registry that a
//    SIGBUS handler (src/cli/signals.cpp) reads to say "<path>: file changed while being read";
//  - writing: every output goes to a temp file in the destination's directory, is fsync'ed, then
//    renamed over the destination, so an existing file is either the old or the complete new one.
//    Outputs that belong together are an OutputSet: every member's temp file is complete before the
//    first rename. Every live temp file is listed in a registry that a signal handler can empty
//    (remove_temp_files, async-signal-safe), so a signal never leaves a temp file behind.
//  - an existing destination that is not a regular file (a character device such as /dev/null, a
//    FIFO, /dev/stdout) is written straight to, as cp does: no temp file, no rename, and nothing is
//    written before commit. It is never replaced by a regular file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mnistlr {

// Path pieces, as dirname(1) and basename(1) give them for paths without a trailing slash:
// dir_of("a/b") == "a", dir_of("b") == ".", dir_of("/b") == "/"; base_name("a/b") == "b".
std::string dir_of(const std::string& path);
std::string base_name(const std::string& path);
// True when `path` names a directory (following symlinks).
bool is_directory(const std::string& path);

// Immutable bytes with shared ownership: either a read-only mmap of a file or an owned buffer.
class Bytes {
public:
    Bytes() = default;
    explicit Bytes(std::vector<std::uint8_t> owned);
    // A buffer whose owner frees it (e.g. one allocated without zero-filling, see deskew_split).
    Bytes(std::shared_ptr<const std::uint8_t> owned, std::size_t size);

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

// The registries read by signal handlers. Both are fixed-size tables of plain memory, read with no
// allocation or locking, so a handler may call these.
// Removes every temp file that an AtomicFile still owns. Async-signal-safe.
void remove_temp_files() noexcept;
// The message "mnistlr: error: <path>: file changed while being read ...\n" of the mapped file that
// holds `addr`, or nullptr when no mapping does. Async-signal-safe.
const char* mapped_file_message(const void* addr) noexcept;

// An output file written atomically. The temp file is created in the constructor, so a destination
// whose directory is missing or not writable, or that cannot be renamed over (immutable, or owned by
// another user in a sticky directory), fails before any work is done.
class AtomicFile {
public:
    explicit AtomicFile(std::string path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();  // removes the temp file unless commit() succeeded

    void write(const void* data, std::size_t size);
    // prepare(): fsync and close the temp file (or, for a non-regular destination, write the buffered
    // bytes to it). publish(): rename over the destination (+ fsync of the directory). commit() does
    // both. Each throws Error "<path>: ..." on failure.
    void prepare();
    void publish();
    void commit();

    const std::string& path() const noexcept { return path_; }
    // True when the destination is an existing non-regular file written in place.
    bool direct() const noexcept { return direct_; }

private:
    std::string path_;
    std::string temp_path_;
    int fd_ = -1;
    int slot_ = -1;  // index in the temp-file registry
    bool direct_ = false;
    bool prepared_ = false;
    bool committed_ = false;
    std::vector<std::uint8_t> pending_;  // direct_: bytes written at prepare()
};

// Convenience: AtomicFile + write + commit.
void write_file_atomic(const std::string& path, const void* data, std::size_t size);

// Identity of a file: device and inode.
struct FileId {
    std::uint64_t dev = 0, ino = 0;
    bool operator==(const FileId& o) const noexcept { return dev == o.dev && ino == o.ino; }
};
// The identity of the file `path` names (symlinks followed), or nothing when it does not exist.
std::optional<FileId> file_id(const std::string& path);

// The outputs of one command, written as a unit. Every output is claimed (its temp file created) when
// added; inputs are declared as they become known. Before any work is done on them, check() refuses
// an output that is one of the inputs (same device and inode) or names the same file as another
// output. commit() makes every temp file complete first, then renames them in the order added, so a
// failure before the first rename leaves every destination as it was.
class OutputSet {
public:
    AtomicFile& add(const std::string& path);
    void add_input(const std::string& path);
    // Throws Error "<output>: is also the input <input>; ..." or "<a>: given twice as an output ...".
    void check() const;
    void commit();
    std::size_t size() const noexcept { return outputs_.size(); }

private:
    struct Output {
        std::unique_ptr<AtomicFile> file;
        std::optional<FileId> id;      // of the existing destination
        std::optional<FileId> dir_id;  // of its directory, with the base name below
        std::string base;
    };
    std::vector<Output> outputs_;
    std::vector<std::pair<std::string, FileId>> inputs_;
};

}  // namespace mnistlr
