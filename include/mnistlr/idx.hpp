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
#include <string>
#include <vector>

#include "mnistlr/file_io.hpp"

namespace mnistlr {

struct IdxArray {
    std::vector<std::uint32_t> dims;  // dims[0] is the item count
    Bytes payload;                    // exactly product(dims) bytes

    std::size_t count() const noexcept { return dims.empty() ? 0 : dims[0]; }
};

// Largest IDX payload accepted (bytes). Far above any real data set, far below what would hurt.
constexpr std::uint64_t kMaxIdxPayload = std::uint64_t{8} << 30;

// Parses IDX bytes (raw or gzip). `name` is used in error messages ("<name>: <problem>").
IdxArray parse_idx(const Bytes& bytes, const std::string& name);

// Reads and parses a file (raw files are memory-mapped, not copied).
IdxArray read_idx(const std::string& path);

// Human name of an IDX element-type byte, e.g. "float32 (0x0D)".
std::string idx_type_name(std::uint8_t type);

}  // namespace mnistlr
