#include <cmath>
#include <cstring>
#include <limits>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/model_files/npy.hpp"
#include "test_util.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

// A .npy file with the given version and header text (padding and '\n' included by the caller) and
// `payload_floats` zero floats.
Bytes make_npy(const std::string& header, std::size_t payload_floats, int major = 1) {
    Bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
    const std::size_t n = header.size();
    b.push_back(static_cast<std::uint8_t>(n & 0xFF));
    b.push_back(static_cast<std::uint8_t>((n >> 8) & 0xFF));
    if (major != 1) {
        b.push_back(static_cast<std::uint8_t>((n >> 16) & 0xFF));
        b.push_back(static_cast<std::uint8_t>((n >> 24) & 0xFF));
    }
    b.insert(b.end(), header.begin(), header.end());
    b.resize(b.size() + 4 * payload_floats, 0);
    return b;
}

std::string dict(const std::string& body) { return body + "\n"; }

std::string error_of(const Bytes& bytes) {
    try {
        mnistlr::decode_npy(bytes.data(), bytes.size(), "a.npy");
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(e.exit_code(), 2);
        return e.what();
    }
    return "(no error)";
}

const std::string kF4 = "{'descr': '<f4', 'fortran_order': False, 'shape': ";

}  // namespace

// The exact bytes numpy.save (NumPy 1.24) writes for a float32 array of shape (10, 784): 10 bytes of
// preamble, the dict, 55 spaces of padding, '\n' — 128 bytes in all.
TEST(Npy, header_is_byte_identical_to_numpy_for_10x784) {
    std::string pinned("\x93NUMPY\x01\x00\x76\x00", 10);
    pinned += "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 784), }";
    pinned += std::string(55, ' ') + "\n";
    ASSERT_EQ(pinned.size(), 128u);
    const auto h = mnistlr::npy_header({10, 784});
    EXPECT_EQ(std::string(h.begin(), h.end()), pinned);
}

TEST(Npy, header_of_a_vector_and_numpy_growth_padding) {
    std::string pinned("\x93NUMPY\x01\x00\x76\x00", 10);
    pinned += "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }" + std::string(59, ' ') + "\n";
    const auto h = mnistlr::npy_header({10});
    EXPECT_EQ(std::string(h.begin(), h.end()), pinned);
    // NumPy leaves 21 - len(str(shape[0])) spaces of room for the first axis to grow, then aligns to 64:
    // this dict is 78 bytes, + 1 growth space + '\n' + 10 = 90 -> 128; with 21 digits it is 192.
    EXPECT_EQ(mnistlr::npy_header({12345678901234567890ull, 5}).size(), 128u);
    EXPECT_EQ(mnistlr::npy_header({1, 123456789012345678ull}).size(), 128u);
    for (const auto& shape : std::vector<std::vector<std::uint64_t>>{{0}, {1, 1}, {7, 0}, {65535, 16777216}}) {
        const auto hh = mnistlr::npy_header(shape);
        EXPECT_EQ(hh.size() % 64, 0u);
        EXPECT_EQ(hh.back(), '\n');
    }
}

TEST(Npy, round_trip_keeps_every_bit) {
    const std::vector<float> v = {0.0f, -0.0f, 1.5f, -3.25e-38f, std::numeric_limits<float>::denorm_min(),
                                  std::numeric_limits<float>::max(), 1e-7f, -2.0f};
    const auto bytes = mnistlr::encode_npy(v.data(), {2, 4});
    ASSERT_EQ(bytes.size(), 128u + 32u);
    const auto a = mnistlr::decode_npy(bytes.data(), bytes.size(), "a.npy");
    EXPECT_EQ(a.shape, (std::vector<std::uint64_t>{2, 4}));
    ASSERT_EQ(a.data.size(), v.size());
    EXPECT_EQ(std::memcmp(a.data.data(), v.data(), 4 * v.size()), 0);
    // Little-endian payload right after the header: 1.5f = 0x3FC00000.
    EXPECT_EQ(bytes[128 + 8], 0x00);
    EXPECT_EQ(bytes[128 + 11], 0x3F);
}

TEST(Npy, save_and_load_files) {
    testutil::TempDir dir;
    const std::vector<float> v = {1, 2, 3};
    mnistlr::save_npy(dir / "v.npy", v.data(), {3});
    const auto a = mnistlr::load_npy(dir / "v.npy");
    EXPECT_EQ(a.shape, (std::vector<std::uint64_t>{3}));
    EXPECT_EQ(a.data, v);
    EXPECT_EQ(testutil::list_dir(dir.path()), (std::vector<std::string>{"v.npy"}));
}

TEST(Npy, accepts_what_other_writers_produce) {
    // Double quotes, another key order, no trailing comma, other whitespace, versions 2.0 and 3.0.
    const auto other = make_npy(dict("{\"shape\": (2,3),\"fortran_order\":False,\n \"descr\": \"<f4\"}   "), 6);
    const auto a = mnistlr::decode_npy(other.data(), other.size(), "x");
    EXPECT_EQ(a.shape, (std::vector<std::uint64_t>{2, 3}));
    for (int major : {2, 3}) {
        const auto b = make_npy(dict(kF4 + "(4,), }"), 4, major);
        EXPECT_EQ(mnistlr::decode_npy(b.data(), b.size(), "x").data.size(), 4u);
    }
    const auto empty = make_npy(dict(kF4 + "(0, 784), }"), 0);
    EXPECT_TRUE(mnistlr::decode_npy(empty.data(), empty.size(), "x").data.empty());
}

TEST(Npy, rejects_bad_magic_and_short_files) {
    EXPECT_EQ(error_of({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0}),
              "a.npy: not a .npy file (bad magic; expected \"\\x93NUMPY\")");
    EXPECT_EQ(error_of({0x93, 'N', 'U', 'M', 'P', 'Y', 1}), "a.npy: truncated .npy file (7 bytes, shorter than its preamble)");
    EXPECT_EQ(error_of({0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 10, 0, 0}),
              "a.npy: truncated .npy file (11 bytes, shorter than its preamble)");
}

TEST(Npy, rejects_unknown_versions) {
    auto b = make_npy(dict(kF4 + "(1,), }"), 1);
    b[6] = 4;
    EXPECT_EQ(error_of(b), "a.npy: .npy format version 4.0 is not supported (expected 1.0, 2.0 or 3.0)");
    b[6] = 1;
    b[7] = 1;
    EXPECT_EQ(error_of(b), "a.npy: .npy format version 1.1 is not supported (expected 1.0, 2.0 or 3.0)");
}

TEST(Npy, rejects_header_length_beyond_the_file_or_out_of_range) {
    auto b = make_npy(dict(kF4 + "(1,), }"), 0);
    b[8] = 0xFF;
    b[9] = 0xFF;
    EXPECT_EQ(error_of(b), "a.npy: truncated .npy file (the header claims 65535 bytes, only " +
                               std::to_string(b.size() - 10) + " follow)");
    auto v2 = make_npy(dict(kF4 + "(1,), }"), 1, 2);
    v2[8] = v2[9] = v2[10] = 0;
    v2[11] = 0x7F;  // a 2 GiB header: refused before anything is read or allocated
    EXPECT_EQ(error_of(v2), "a.npy: .npy header length 2130706432 is out of range (at most 1048576)");
}

TEST(Npy, rejects_header_without_final_newline) {
    EXPECT_EQ(error_of(make_npy(kF4 + "(1,), }    ", 1)),
              "a.npy: malformed .npy header: it does not end with a newline");
}

TEST(Npy, rejects_other_dtypes_by_name) {
    EXPECT_EQ(error_of(make_npy(dict("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"), 4)),
              "a.npy: dtype '<f8' (little-endian float64) is not supported (expected '<f4', little-endian "
              "float32); write it with numpy.save(path, a.astype('<f4'))");
    EXPECT_NE(error_of(make_npy(dict("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), 2))
                  .find("dtype '>f4' (big-endian float32) is not supported"),
              std::string::npos);
    EXPECT_NE(error_of(make_npy(dict("{'descr': '|u1', 'fortran_order': False, 'shape': (8,), }"), 2))
                  .find("dtype '|u1' (uint8) is not supported"),
              std::string::npos);
    EXPECT_NE(error_of(make_npy(dict("{'descr': '|O', 'fortran_order': False, 'shape': (8,), }"), 2))
                  .find("dtype '|O' (Python objects (pickled)) is not supported"),
              std::string::npos);
    EXPECT_EQ(error_of(make_npy(dict("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }"), 2)),
              "a.npy: malformed .npy header: descr is a structured dtype (a list of fields); only plain '<f4' "
              "arrays are supported");
}

TEST(Npy, rejects_fortran_order) {
    EXPECT_EQ(error_of(make_npy(dict("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), 4)),
              "a.npy: fortran_order True is not supported (expected False, C order); write it with "
              "numpy.save(path, numpy.ascontiguousarray(a))");
}

TEST(Npy, rejects_shapes_other_than_1d_and_2d) {
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(2, 2, 2), }"), 8)),
              "a.npy: shape (2, 2, 2) has 3 dimensions (expected 1 or 2)");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(), }"), 1)), "a.npy: shape () has 0 dimensions (expected 1 or 2)");
}

TEST(Npy, rejects_malformed_dicts_each_with_its_own_message) {
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(10), }"), 10)),
              "a.npy: malformed .npy header: expected ',' after the single dimension, as in (10,) at offset 53, "
              "got ')'");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(-1,), }"), 1)),
              "a.npy: malformed .npy header: expected a non-negative integer in the shape at offset 51, got '-'");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(010,), }"), 10)),
              "a.npy: malformed .npy header: expected an integer without leading zeros at offset 51, got '0'");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(2,), 'extra': 1, }"), 2)),
              "a.npy: malformed .npy header: unexpected key 'extra' in the header (expected only 'descr', "
              "'fortran_order', 'shape')");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(2,), 'shape': (2,), }"), 2)),
              "a.npy: malformed .npy header: key 'shape' appears twice");
    EXPECT_EQ(error_of(make_npy(dict("{'descr': '<f4', 'shape': (2,), }"), 2)),
              "a.npy: malformed .npy header: the header has no 'fortran_order' key");
    EXPECT_EQ(error_of(make_npy(dict("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }"), 2)),
              "a.npy: malformed .npy header: expected True or False for fortran_order at offset 34, got '0'");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(2,), } x"), 2)),
              "a.npy: malformed .npy header: expected only padding after the header dict at offset 58, got 'x'");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(2,) }"), 2)), "(no error)");  // the trailing comma is optional
    EXPECT_EQ(error_of(make_npy(dict("{'descr': '<f4', 'fortran_order': False 'shape': (2,)}"), 2)),
              "a.npy: malformed .npy header: expected ',' or '}' after the value of 'fortran_order' at offset 40, "
              "got '''");
    EXPECT_EQ(error_of(make_npy(dict("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}"), 2)),
              "a.npy: malformed .npy header: expected a plain ASCII string without escapes at offset 13, got '\\'");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(99999999999999999999999,), }"), 2)),
              "a.npy: malformed .npy header: a dimension in the shape is too large");
    EXPECT_EQ(error_of(make_npy(dict("['descr']"), 2)),
              "a.npy: malformed .npy header: expected '{' opening the header dict at offset 0, got '['");
}

TEST(Npy, rejects_payload_of_the_wrong_length) {
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(3, 2), }"), 5)),
              "a.npy: truncated .npy payload (expected 24 bytes for shape (3, 2) '<f4', got 20)");
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(3, 2), }"), 7)),
              "a.npy: oversized .npy payload (expected 24 bytes for shape (3, 2) '<f4', got 28)");
    auto odd = make_npy(dict(kF4 + "(1,), }"), 1);
    odd.push_back(0);
    EXPECT_EQ(error_of(odd), "a.npy: oversized .npy payload (expected 4 bytes for shape (1,) '<f4', got 5)");
}

TEST(Npy, huge_shape_is_refused_before_allocating) {
    // 2^62 x 2^62 floats: the product overflows 64 bits; it must be caught, not wrapped or allocated.
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(4611686018427387904, 4611686018427387904), }"), 4)),
              "a.npy: shape (4611686018427387904, 4611686018427387904) is impossible: its payload would exceed "
              "2^64 bytes");
    // 2^62 x 4 floats = 2^66 bytes: would wrap to 0 in 64-bit arithmetic and match an empty payload.
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(4611686018427387904, 4), }"), 0)),
              "a.npy: shape (4611686018427387904, 4) is impossible: its payload would exceed 2^64 bytes");
    // Large but representable: compared with the bytes present, never allocated.
    EXPECT_EQ(error_of(make_npy(dict(kF4 + "(1000000000, 1000000000), }"), 1)),
              "a.npy: truncated .npy payload (expected 4000000000000000000 bytes for shape (1000000000, "
              "1000000000) '<f4', got 4)");
}

TEST(Npy, load_npy_names_the_file_and_refuses_directories) {
    testutil::TempDir dir;
    try {
        mnistlr::load_npy(dir.path());
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), dir.path() + ": is a directory, not a file");
    }
}

TEST(Npy, dtype_names) {
    EXPECT_EQ(mnistlr::npy_dtype_name("<f4"), "little-endian float32");
    EXPECT_EQ(mnistlr::npy_dtype_name("<i8"), "little-endian int64");
    EXPECT_EQ(mnistlr::npy_dtype_name("|b1"), "bool");
    EXPECT_EQ(mnistlr::npy_dtype_name("<U5"), "unicode strings");
    EXPECT_EQ(mnistlr::npy_dtype_name(""), "an unknown dtype");
    EXPECT_EQ(mnistlr::npy_dtype_name("<c16"), "little-endian complex128");
}
