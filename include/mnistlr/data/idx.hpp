// IDX files (the MNIST container), raw or gzip-compressed.
//
// Layout: magic 00 00 TT DD, then DD big-endian uint32 dimension sizes, then the payload, whose size
// is exactly the product of the dimensions times the element size. Only TT = 0x08 (unsigned byte) is
// accepted; the other IDX types are rejected by name. Gzip is recognised by its magic bytes (1F 8B),
// never by the file name, and inflated with zlib without ever producing more bytes than the header
// promises: a corrupt stream, a short stream and a stream longer than promised are all errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mnistlr/data/file_io.hpp"

namespace mnistlr {

struct IdxArray {
    std::vector<std::uint32_t> dims;  // dims[0] is the item count
    Bytes payload;                    // exactly product(dims) bytes

    std::size_t count() const noexcept { return dims.empty() ? 0 : dims[0]; }
};

// Largest IDX payload accepted (bytes). Far above any real data set, far below what would hurt.
constexpr std::uint64_t kMaxIdxPayload = std::uint64_t{8} << 30;

// An IDX file whose header has been read and checked; the payload is read on request, once (by
// read_all or read_items). Opening checks the magic, the element type and the dimensions (at most
// kMaxIdxPayload bytes of payload); for a raw file also its exact length, for a gzip file that its
// compressed size could hold the payload at all. Nothing the size of the payload is allocated.
class IdxFile {
public:
    // `name` is used in error messages ("<name>: <problem>").
    IdxFile(Bytes bytes, std::string name);
    // Maps the file (Bytes::map_file): a raw file's payload is never copied.
    static IdxFile open(const std::string& path);
    IdxFile(IdxFile&&) noexcept;
    IdxFile& operator=(IdxFile&&) noexcept;
    ~IdxFile();

    const std::vector<std::uint32_t>& dims() const noexcept;
    std::size_t count() const noexcept;       // dims[0]
    std::size_t item_bytes() const noexcept;  // product of dims[1..]: the size of one item (image)
    bool gzip() const noexcept;

    // The whole payload. A gzip stream must end exactly with it. The buffer grows with the bytes
    // actually inflated (doubling, from 8 x the compressed size, capped at the declared size), so a
    // header that promises more than the stream holds costs about what the stream holds, never
    // what it promises.
    IdxArray read_all();
    // Items `indices` (each below count(), in any order, repeats allowed), concatenated in the order
    // given: indices.size() * item_bytes() bytes. A gzip stream is inflated only up to the end of the
    // largest index, and only the requested items are kept; what follows is neither read nor checked.
    std::vector<std::uint8_t> read_items(const std::vector<std::size_t>& indices);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Parses IDX bytes (raw or gzip): IdxFile(bytes, name).read_all().
IdxArray parse_idx(const Bytes& bytes, const std::string& name);

// Reads and parses a file: IdxFile::open(path).read_all().
IdxArray read_idx(const std::string& path);

// Human name of an IDX element-type byte, e.g. "float32 (0x0D)".
std::string idx_type_name(std::uint8_t type);

}  // namespace mnistlr
