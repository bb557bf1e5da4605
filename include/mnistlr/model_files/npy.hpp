// NumPy .npy files holding float32 arrays: written exactly as numpy.save writes them, read strictly.
//
// Layout (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//   offset  size  field
//   0       6     magic "\x93NUMPY"
//   6       1     major version (1, 2 or 3)
//   7       1     minor version (0)
//   8       2|4   header length H, little-endian: u16 in version 1.0, u32 in 2.0 and 3.0
//   10|12   H     header: a Python dict literal, padded with spaces and ending in '\n', e.g.
//                 {'descr': '<f4', 'fortran_order': False, 'shape': (10, 784), }
//   ..      4*N   payload: N = product(shape) little-endian float32, C (row-major) order
//
// Writing (version 1.0, as NumPy 1.24 does): keys sorted, each "'key': repr(value), ", then "}";
// then, so that the first axis can grow in place, 21 - len(repr(shape[0])) spaces (none for a 0-D
// shape); then spaces and a final '\n' so that magic + version + length + header is a multiple of
// 64 bytes. For shape (10, 784) that is 128 bytes.
//
// Reading treats the file as hostile: the magic, the version and the header length are checked
// against the file size; the header must be ASCII, end in '\n' and be exactly one dict with the
// keys 'descr', 'fortran_order' and 'shape' (each once, any order, single or double quotes, an
// optional trailing comma) and nothing else; descr must be '<f4' (other dtypes are rejected by name,
// e.g. "'<f8' (little-endian float64)"), fortran_order must be False, the shape 1-D or 2-D; the
// payload length must equal 4 * product(shape) exactly, checked (without overflow) before
// anything is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mnistlr {

struct NpyArray {
    std::vector<std::uint64_t> shape;  // 1 or 2 dimensions
    std::vector<float> data;           // product(shape) values, row-major

    std::uint64_t dim(std::size_t i) const noexcept { return i < shape.size() ? shape[i] : 0; }
};

// The complete header (magic through the final '\n') NumPy writes for a C-order '<f4' array of
// this shape. Throws Error if it would not fit version 1.0 (more than 65535 header bytes).
std::vector<std::uint8_t> npy_header(const std::vector<std::uint64_t>& shape);

// Header + payload. `data` holds product(shape) values in row-major order.
std::vector<std::uint8_t> encode_npy(const float* data, const std::vector<std::uint64_t>& shape);

// Parses .npy bytes. `name` is used in error messages ("<name>: <problem>").
NpyArray decode_npy(const std::uint8_t* data, std::size_t size, const std::string& name);

// Writes atomically (temp file + rename).
void save_npy(const std::string& path, const float* data, const std::vector<std::uint64_t>& shape);
NpyArray load_npy(const std::string& path);

// A shape as Python writes the tuple: (), (10,), (10, 784). Every message about a shape uses it.
std::string shape_repr(const std::vector<std::uint64_t>& shape);

// Human name of a NumPy dtype string, e.g. "<f8" -> "little-endian float64", "|u1" -> "uint8".
std::string npy_dtype_name(const std::string& descr);

}  // namespace mnistlr
