#include "mnistlr/model_files/npy.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr {
namespace {

constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kAlign = 64;               // numpy.lib.format.ARRAY_ALIGN
constexpr std::size_t kGrowthDigits = 21;        // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS
constexpr std::uint32_t kMaxHeader = 1u << 20;   // far above any float32 array's header
const char* const kHint = "; write it with numpy.save(path, a.astype('<f4'))";

std::uint32_t get_le(const std::uint8_t* p, int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) v |= std::uint32_t{p[i]} << (8 * i);
    return v;
}

// A strict reader of the header dict: a small subset of Python literal syntax.
class HeaderParser {
public:
    HeaderParser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

    struct Result {
        std::string descr;
        bool fortran_order = false;
        std::vector<std::uint64_t> shape;
    };

    Result parse() {
        Result r;
        bool have_descr = false, have_fortran = false, have_shape = false;
        skip_ws();
        expect('{', "'{' opening the header dict");
        skip_ws();
        while (peek() != '}') {
            const std::size_t key_at = i_;
            const std::string key = string_literal("a quoted key");
            skip_ws();
            expect(':', "':' after key '" + key + "'");
            skip_ws();
            if (key == "descr") {
                if (have_descr) duplicate(key);
                if (peek() == '[')
                    fail("descr is a structured dtype (a list of fields); only plain '<f4' arrays are supported");
                r.descr = string_literal("a dtype string such as '<f4' for descr");
                have_descr = true;
            } else if (key == "fortran_order") {
                if (have_fortran) duplicate(key);
                r.fortran_order = boolean();
                have_fortran = true;
            } else if (key == "shape") {
                if (have_shape) duplicate(key);
                r.shape = tuple();
                have_shape = true;
            } else {
                i_ = key_at;
                fail("unexpected key '" + key + "' in the header (expected only 'descr', 'fortran_order', 'shape')");
            }
            skip_ws();
            if (peek() == ',') {
                ++i_;
                skip_ws();
            } else if (peek() != '}') {
                expected("',' or '}' after the value of '" + key + "'");
            }
        }
        ++i_;  // '}'
        skip_ws();
        if (i_ != s_.size()) expected("only padding after the header dict");
        if (!have_descr) missing("descr");
        if (!have_fortran) missing("fortran_order");
        if (!have_shape) missing("shape");
        return r;
    }

private:
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void skip_ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    [[noreturn]] void fail(const std::string& what) const { throw Error(name_, "malformed .npy header: " + what); }
    [[noreturn]] void expected(const std::string& what) const {
        std::string got;
        if (i_ >= s_.size()) {
            got = "the end of the header";
        } else {
            const unsigned char c = static_cast<unsigned char>(s_[i_]);
            got = (c >= 0x20 && c < 0x7f) ? "'" + std::string(1, s_[i_]) + "'" : "byte " + std::to_string(c);
        }
        fail("expected " + what + " at offset " + std::to_string(i_) + ", got " + got);
    }
    [[noreturn]] void duplicate(const std::string& key) const { fail("key '" + key + "' appears twice"); }
    [[noreturn]] void missing(const std::string& key) const { fail("the header has no '" + key + "' key"); }
    void expect(char c, const std::string& what) {
        if (peek() != c) expected(what);
        ++i_;
    }

    std::string string_literal(const std::string& what) {
        const char q = peek();
        if (q != '\'' && q != '"') expected(what);
        const std::size_t start = ++i_;
        while (i_ < s_.size() && s_[i_] != q) {
            const unsigned char c = static_cast<unsigned char>(s_[i_]);
            if (c == '\\' || c < 0x20 || c >= 0x7f) expected("a plain ASCII string without escapes");
            ++i_;
        }
        if (i_ >= s_.size()) expected("the closing quote of a string");
        return s_.substr(start, i_++ - start);
    }

    bool boolean() {
        if (s_.compare(i_, 4, "True") == 0) {
            i_ += 4;
            return true;
        }
        if (s_.compare(i_, 5, "False") == 0) {
            i_ += 5;
            return false;
        }
        expected("True or False for fortran_order");
    }

    std::uint64_t integer() {
        if (peek() < '0' || peek() > '9') expected("a non-negative integer in the shape");
        if (peek() == '0' && i_ + 1 < s_.size() && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9')
            expected("an integer without leading zeros");
        std::uint64_t v = 0;
        constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
        while (peek() >= '0' && peek() <= '9') {
            const auto d = static_cast<std::uint64_t>(peek() - '0');
            if (v > (kMax - d) / 10) fail("a dimension in the shape is too large");
            v = v * 10 + d;
            ++i_;
        }
        return v;
    }

    // (), (n,), (a, b), (a, b,) ... A parenthesised single integer without a comma is not a tuple.
    std::vector<std::uint64_t> tuple() {
        expect('(', "a tuple such as (10, 784) for shape");
        std::vector<std::uint64_t> dims;
        skip_ws();
        bool trailing_comma = false;
        while (peek() != ')') {
            if (dims.size() >= 64) fail("the shape has more than 64 dimensions");
            dims.push_back(integer());
            skip_ws();
            trailing_comma = false;
            if (peek() == ',') {
                ++i_;
                skip_ws();
                trailing_comma = true;
            } else if (peek() != ')') {
                expected("',' or ')' in the shape");
            }
        }
        if (dims.size() == 1 && !trailing_comma) expected("',' after the single dimension, as in (10,)");
        ++i_;
        return dims;
    }

    const std::string& s_;
    const std::string& name_;
    std::size_t i_ = 0;
};

}  // namespace

std::string shape_repr(const std::vector<std::uint64_t>& shape) {
    // Python's repr of a tuple: (), (n,), (a, b, ...).
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

std::string npy_dtype_name(const std::string& descr) {
    std::size_t i = 0;
    std::string order;
    if (!descr.empty() && std::strchr("<>|=", descr[0])) {
        order = descr[0] == '<' ? "little-endian " : descr[0] == '>' ? "big-endian " : "";
        i = 1;
    }
    if (i >= descr.size()) return "an unknown dtype";
    const char kind = descr[i];
    const std::string size = descr.substr(i + 1);
    bool digits = !size.empty() && size.size() <= 4;
    for (char c : size) digits = digits && c >= '0' && c <= '9';
    const int n = digits ? std::stoi(size) : -1;
    switch (kind) {
    case 'f': return n > 0 ? order + "float" + std::to_string(8 * n) : "a float dtype";
    case 'i': return n > 0 ? order + "int" + std::to_string(8 * n) : "an integer dtype";
    case 'u': return n > 0 ? order + "uint" + std::to_string(8 * n) : "an unsigned integer dtype";
    case 'c': return n > 0 ? order + "complex" + std::to_string(8 * n) : "a complex dtype";
    case 'b': return "bool";
    case 'O': return "Python objects (pickled)";
    case 'U': return "unicode strings";
    case 'S':
    case 'a': return "byte strings";
    case 'V': return "raw bytes (void)";
    case 'M': return "datetime64";
    case 'm': return "timedelta64";
    default: return "an unknown dtype";
    }
}

std::vector<std::uint8_t> npy_header(const std::vector<std::uint64_t>& shape) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
    if (!shape.empty()) {
        const std::size_t digits = std::to_string(shape[0]).size();
        if (digits < kGrowthDigits) dict.append(kGrowthDigits - digits, ' ');
    }
    // magic (6) + version (2) + u16 length (2) + dict + padding + '\n' is a multiple of 64; NumPy always
    // pads with at least one space (a full 64 when the dict alone would already be aligned).
    const std::size_t hlen = dict.size() + 1;
    const std::size_t pad = kAlign - (10 + hlen) % kAlign;
    const std::size_t total = hlen + pad;
    if (total > 0xFFFF) throw Error(".npy header of " + std::to_string(total) + " bytes does not fit format 1.0");
    std::vector<std::uint8_t> out;
    out.reserve(10 + total);
    out.insert(out.end(), kMagic, kMagic + 6);
    out.push_back(1);
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(total & 0xFF));
    out.push_back(static_cast<std::uint8_t>(total >> 8));
    out.insert(out.end(), dict.begin(), dict.end());
    out.insert(out.end(), pad, ' ');
    out.push_back('\n');
    return out;
}

std::vector<std::uint8_t> encode_npy(const float* data, const std::vector<std::uint64_t>& shape) {
    std::uint64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<std::uint8_t> out = npy_header(shape);
    const std::size_t at = out.size();
    out.resize(at + 4 * n);
    std::uint8_t* p = out.data() + at;
    for (std::uint64_t i = 0; i < n; ++i, p += 4) {
        std::uint32_t v;
        std::memcpy(&v, &data[i], 4);
        for (int b = 0; b < 4; ++b) p[b] = static_cast<std::uint8_t>(v >> (8 * b));
    }
    return out;
}

NpyArray decode_npy(const std::uint8_t* data, std::size_t size, const std::string& name) {
    if (size < 10 || std::memcmp(data, kMagic, 6) != 0) {
        if (size >= 6 && std::memcmp(data, kMagic, 6) == 0)
            throw Error(name, "truncated .npy file (" + std::to_string(size) + " bytes, shorter than its preamble)");
        throw Error(name, "not a .npy file (bad magic; expected \"\\x93NUMPY\")");
    }
    const unsigned major = data[6], minor = data[7];
    if (major < 1 || major > 3 || minor != 0)
        throw Error(name, ".npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                              " is not supported (expected 1.0, 2.0 or 3.0)");
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    const std::size_t prefix = 8 + len_bytes;
    if (size < prefix)
        throw Error(name, "truncated .npy file (" + std::to_string(size) + " bytes, shorter than its preamble)");
    const std::uint32_t hlen = get_le(data + 8, static_cast<int>(len_bytes));
    if (hlen > kMaxHeader)
        throw Error(name, ".npy header length " + std::to_string(hlen) + " is out of range (at most " +
                              std::to_string(kMaxHeader) + ")");
    if (size - prefix < hlen)
        throw Error(name, "truncated .npy file (the header claims " + std::to_string(hlen) + " bytes, only " +
                              std::to_string(size - prefix) + " follow)");
    const std::string header(reinterpret_cast<const char*>(data + prefix), hlen);
    if (header.empty() || header.back() != '\n')
        throw Error(name, "malformed .npy header: it does not end with a newline");

    const auto h = HeaderParser(header, name).parse();
    if (h.descr != "<f4")
        throw Error(name, "dtype '" + h.descr + "' (" + npy_dtype_name(h.descr) +
                              ") is not supported (expected '<f4', little-endian float32)" + kHint);
    if (h.fortran_order)
        throw Error(name, "fortran_order True is not supported (expected False, C order)"
                          "; write it with numpy.save(path, numpy.ascontiguousarray(a))");
    if (h.shape.empty() || h.shape.size() > 2)
        throw Error(name, "shape " + shape_repr(h.shape) + " has " + std::to_string(h.shape.size()) +
                              " dimensions (expected 1 or 2)");

    // Exact payload length, computed without overflow and checked before anything is allocated.
    const std::uint64_t present = size - (prefix + hlen);
    const bool has_zero = std::find(h.shape.begin(), h.shape.end(), std::uint64_t{0}) != h.shape.end();
    constexpr std::uint64_t kMaxCount = std::numeric_limits<std::uint64_t>::max() / 4;
    std::uint64_t count = has_zero ? 0 : 1;
    for (std::size_t i = 0; i < h.shape.size() && !has_zero; ++i) {
        if (count > kMaxCount / h.shape[i])
            throw Error(name, "shape " + shape_repr(h.shape) + " is impossible: its payload would exceed 2^64 bytes");
        count *= h.shape[i];
    }
    if (count * 4 != present)
        throw Error(name, std::string(count * 4 > present ? "truncated" : "oversized") + " .npy payload (expected " +
                              std::to_string(count * 4) + " bytes for shape " + shape_repr(h.shape) + " '<f4', got " +
                              std::to_string(present) + ")");

    NpyArray a;
    a.shape = h.shape;
    a.data.resize(static_cast<std::size_t>(count));
    const std::uint8_t* p = data + prefix + hlen;
    for (std::size_t i = 0; i < a.data.size(); ++i, p += 4) {
        const std::uint32_t v = get_le(p, 4);
        std::memcpy(&a.data[i], &v, 4);
    }
    return a;
}

void save_npy(const std::string& path, const float* data, const std::vector<std::uint64_t>& shape) {
    const auto bytes = encode_npy(data, shape);
    write_file_atomic(path, bytes.data(), bytes.size());
}

NpyArray load_npy(const std::string& path) {
    const Bytes b = Bytes::map_file(path);
    return decode_npy(b.data(), b.size(), path);
}

}  // namespace mnistlr
