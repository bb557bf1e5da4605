#include "mnistlr/data/idx.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>

#include <zlib.h>

#include "mnistlr/error.hpp"

namespace mnistlr {
namespace {

constexpr std::uint8_t kTypeU8 = 0x08;
constexpr std::size_t kMaxDims = 8;
// Deflate cannot expand data by more than ~1032:1, so a gzip file of n bytes cannot hold more than
// this many times n: a header that promises more is refused before anything is allocated.
constexpr std::uint64_t kMaxDeflateRatio = 1100;

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::string hex2(std::uint8_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", v);
    return buf;
}

std::string dims_text(const std::vector<std::uint32_t>& dims) {
    std::string s;
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
    return s;
}

// Checks the 4 magic bytes; returns the dimension count.
std::size_t check_magic(const std::uint8_t* m, const std::string& name) {
    if (m[0] != 0 || m[1] != 0)
        throw Error(name, "not an IDX file (magic " + hex2(m[0]) + " " + hex2(m[1]) + " " + hex2(m[2]) +
                              " " + hex2(m[3]) + ", expected 00 00 08 DD)");
    if (m[2] != kTypeU8)
        throw Error(name, "IDX element type " + idx_type_name(m[2]) +
                              " is not supported (expected unsigned byte, 0x08)");
    if (m[3] == 0 || m[3] > kMaxDims)
        throw Error(name, "IDX header declares " + std::to_string(m[3]) + " dimensions (expected 1 to " +
                              std::to_string(kMaxDims) + ")");
    return m[3];
}

std::vector<std::uint32_t> read_dims(const std::uint8_t* p, std::size_t ndim) {
    std::vector<std::uint32_t> dims(ndim);
    for (std::size_t i = 0; i < ndim; ++i) dims[i] = be32(p + 4 * i);
    return dims;
}

// Product of the dims, refusing overflow and anything above kMaxIdxPayload.
std::uint64_t payload_size(const std::vector<std::uint32_t>& dims, const std::string& name) {
    std::uint64_t total = 1;
    for (const auto d : dims) {
        if (d != 0 && total > kMaxIdxPayload / d)
            throw Error(name, "IDX dimensions " + dims_text(dims) + " are too large (over " +
                                  std::to_string(kMaxIdxPayload >> 30) + " GiB of payload)");
        total *= d;
    }
    return total;
}

// Streaming gzip reader that hands out exactly the bytes asked for.
class GzipReader {
public:
    GzipReader(const Bytes& bytes, std::string name) : bytes_(bytes), name_(std::move(name)) {
        if (inflateInit2(&zs_, 15 + 16) != Z_OK) throw Error(name_, "zlib initialisation failed");
        zs_.next_in = const_cast<Bytef*>(bytes_.data());
        zs_.avail_in = 0;
        remaining_in_ = bytes_.size();
    }
    ~GzipReader() { inflateEnd(&zs_); }
    GzipReader(const GzipReader&) = delete;
    GzipReader& operator=(const GzipReader&) = delete;

    // Fills dst with up to n bytes; returns how many (fewer only at the end of the data).
    std::size_t read(std::uint8_t* dst, std::size_t n) {
        std::size_t got = 0;
        while (got < n && !finished_) {
            if (zs_.avail_in == 0) refill();
            const std::size_t want = std::min<std::size_t>(n - got, std::numeric_limits<uInt>::max());
            zs_.next_out = dst + got;
            zs_.avail_out = static_cast<uInt>(want);
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            got += want - zs_.avail_out;
            if (rc == Z_STREAM_END) {
                // Another gzip member may follow (as `cat a.gz b.gz` makes); anything else is junk.
                if (zs_.avail_in == 0) refill();
                if (zs_.avail_in == 0) {
                    finished_ = true;
                } else if (zs_.avail_in >= 2 && zs_.next_in[0] == 0x1F && zs_.next_in[1] == 0x8B) {
                    inflateReset(&zs_);
                } else {
                    throw Error(name_, "unexpected bytes after the end of the gzip stream");
                }
            } else if (rc == Z_BUF_ERROR && zs_.avail_in == 0 && remaining_in_ == 0) {
                throw Error(name_, "truncated gzip stream (it ends before the IDX data is complete)");
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                throw Error(name_, std::string("corrupt gzip stream (zlib: ") +
                                       (zs_.msg ? zs_.msg : zError(rc)) + ")");
            }
        }
        return got;
    }

private:
    void refill() {
        const std::size_t chunk = std::min<std::size_t>(remaining_in_, std::numeric_limits<uInt>::max());
        zs_.avail_in = static_cast<uInt>(chunk);
        remaining_in_ -= chunk;
    }

    const Bytes& bytes_;
    std::string name_;
    z_stream zs_{};
    std::size_t remaining_in_ = 0;
    bool finished_ = false;
};

// The bytes a truncated gzip payload message reports.
[[noreturn]] void throw_short_gzip(const std::string& name, std::uint64_t payload, const std::vector<std::uint32_t>& dims,
                                   std::uint64_t got) {
    throw Error(name, "truncated IDX payload inside gzip (expected " + std::to_string(payload) + " bytes for " +
                          dims_text(dims) + ", got " + std::to_string(got) + ")");
}

}  // namespace

std::string idx_type_name(std::uint8_t type) {
    const char* n = nullptr;
    switch (type) {
        case 0x08: n = "unsigned byte"; break;
        case 0x09: n = "signed byte"; break;
        case 0x0B: n = "int16"; break;
        case 0x0C: n = "int32"; break;
        case 0x0D: n = "float32"; break;
        case 0x0E: n = "float64"; break;
        default: n = "unknown"; break;
    }
    return std::string(n) + " (" + hex2(type) + ")";
}

struct IdxFile::Impl {
    Bytes bytes;
    std::string name;
    std::vector<std::uint32_t> dims;
    std::uint64_t payload = 0;      // product(dims) bytes
    std::size_t item_bytes = 0;     // product(dims[1..])
    std::size_t header = 0;         // raw: where the payload starts
    std::unique_ptr<GzipReader> gz; // gzip: positioned just after the header
    bool consumed = false;

    // Marks the payload as read; a second read is a programming error.
    void consume() {
        if (consumed) throw std::logic_error("IdxFile: the payload of " + name + " was already read");
        consumed = true;
    }
    void open_raw();
    void open_gzip();
};

void IdxFile::Impl::open_raw() {
    const std::size_t n = bytes.size();
    if (n < 4) throw Error(name, "truncated IDX header (" + std::to_string(n) + " bytes, expected at least 4)");
    const std::size_t ndim = check_magic(bytes.data(), name);
    header = 4 + 4 * ndim;
    if (n < header)
        throw Error(name, "truncated IDX header (" + std::to_string(n) + " bytes, expected " +
                              std::to_string(header) + " for " + std::to_string(ndim) + " dimensions)");
    dims = read_dims(bytes.data() + 4, ndim);
    payload = payload_size(dims, name);
    const std::uint64_t have = n - header;
    if (have < payload)
        throw Error(name, "truncated IDX payload (expected " + std::to_string(payload) + " bytes for " +
                              dims_text(dims) + ", got " + std::to_string(have) + ")");
    if (have > payload)
        throw Error(name, std::to_string(have - payload) + " unexpected bytes after the IDX payload (expected " +
                              std::to_string(payload) + " bytes for " + dims_text(dims) + ")");
}

void IdxFile::Impl::open_gzip() {
    gz = std::make_unique<GzipReader>(bytes, name);
    std::uint8_t magic[4];
    if (gz->read(magic, 4) != 4) throw Error(name, "truncated IDX header inside gzip (fewer than 4 bytes)");
    const std::size_t ndim = check_magic(magic, name);
    std::uint8_t raw_dims[4 * kMaxDims];
    if (gz->read(raw_dims, 4 * ndim) != 4 * ndim)
        throw Error(name, "truncated IDX header inside gzip (expected " + std::to_string(4 + 4 * ndim) + " bytes)");
    dims = read_dims(raw_dims, ndim);
    payload = payload_size(dims, name);
    if (payload > kMaxDeflateRatio * static_cast<std::uint64_t>(bytes.size()) + 4096)
        throw Error(name, "IDX header promises " + std::to_string(payload) + " bytes (" + dims_text(dims) +
                              "), more than a " + std::to_string(bytes.size()) +
                              "-byte gzip file can hold: truncated or corrupt");
}

IdxFile::IdxFile(Bytes bytes, std::string name) : impl_(std::make_unique<Impl>()) {
    impl_->bytes = std::move(bytes);
    impl_->name = std::move(name);
    const Bytes& b = impl_->bytes;
    if (b.size() >= 2 && b.data()[0] == 0x1F && b.data()[1] == 0x8B)
        impl_->open_gzip();
    else
        impl_->open_raw();
    // payload_size bounds the product by kMaxIdxPayload, so these fit a size_t on a 64-bit system.
    std::uint64_t item = 1;
    for (std::size_t i = 1; i < impl_->dims.size(); ++i) item *= impl_->dims[i];
    impl_->item_bytes = static_cast<std::size_t>(item);
}

IdxFile IdxFile::open(const std::string& path) { return IdxFile(Bytes::map_file(path), path); }

IdxFile::IdxFile(IdxFile&&) noexcept = default;
IdxFile& IdxFile::operator=(IdxFile&&) noexcept = default;
IdxFile::~IdxFile() = default;

const std::vector<std::uint32_t>& IdxFile::dims() const noexcept { return impl_->dims; }
std::size_t IdxFile::count() const noexcept { return impl_->dims[0]; }
std::size_t IdxFile::item_bytes() const noexcept { return impl_->item_bytes; }
bool IdxFile::gzip() const noexcept { return impl_->gz != nullptr; }

IdxArray IdxFile::read_all() {
    Impl& f = *impl_;
    f.consume();
    IdxArray out;
    out.dims = f.dims;
    if (!f.gz) {
        out.payload = f.bytes.slice(f.header, static_cast<std::size_t>(f.payload));
        return out;
    }
    // Grow as the data arrives: a header's promise is not a reason to allocate (a 7.9 MB file can
    // promise 8 GiB). Each buffer is reserved at exactly its size, so the last one is the payload's.
    const auto payload = static_cast<std::size_t>(f.payload);
    std::size_t cap = std::min<std::size_t>(payload, std::max<std::size_t>(std::size_t{64} << 10, 8 * f.bytes.size()));
    std::vector<std::uint8_t> data(cap);
    std::size_t got = f.gz->read(data.data(), cap);
    while (got == cap && cap < payload) {
        cap = cap > payload / 2 ? payload : 2 * cap;
        std::vector<std::uint8_t> bigger;
        bigger.reserve(cap);
        bigger.assign(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(got));
        bigger.resize(cap);
        data = std::move(bigger);
        got += f.gz->read(data.data() + got, cap - got);
    }
    if (got < payload) throw_short_gzip(f.name, f.payload, f.dims, got);
    std::uint8_t extra = 0;
    if (f.gz->read(&extra, 1) != 0)
        throw Error(f.name, "gzip data is longer than the IDX header promises (" + std::to_string(f.payload) +
                                " bytes for " + dims_text(f.dims) + ")");
    out.payload = Bytes(std::move(data));
    return out;
}

std::vector<std::uint8_t> IdxFile::read_items(const std::vector<std::size_t>& indices) {
    Impl& f = *impl_;
    f.consume();
    const std::size_t n = f.item_bytes;
    for (const std::size_t i : indices)
        if (i >= count())
            throw Error(f.name, "item " + std::to_string(i) + " is out of range (the file holds " +
                                    std::to_string(count()) + ")");
    std::vector<std::uint8_t> out(indices.size() * n);
    if (!f.gz) {
        for (std::size_t j = 0; j < indices.size(); ++j)
            std::copy_n(f.bytes.data() + f.header + indices[j] * n, n, out.data() + j * n);
        return out;
    }
    // Inflate in index order, keeping each wanted item once and discarding the bytes between them.
    std::vector<std::size_t> wanted(indices);
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::vector<std::uint8_t> items(wanted.size() * n);
    // Skipped bytes go through a scratch buffer of up to 1 MiB (small reads would cost a call each).
    const std::uint64_t last_start = wanted.empty() ? 0 : std::uint64_t{wanted.back()} * n;
    std::vector<std::uint8_t> scratch(static_cast<std::size_t>(std::min<std::uint64_t>(std::uint64_t{1} << 20, last_start)));
    std::uint64_t at = 0;  // payload bytes inflated so far
    for (std::size_t r = 0; r < wanted.size(); ++r) {
        const std::uint64_t start = std::uint64_t{wanted[r]} * n;
        while (at < start) {
            const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(scratch.size(), start - at));
            const std::size_t got = f.gz->read(scratch.data(), chunk);
            at += got;
            if (got < chunk) throw_short_gzip(f.name, f.payload, f.dims, at);
        }
        const std::size_t got = f.gz->read(items.data() + r * n, n);
        at += got;
        if (got < n) throw_short_gzip(f.name, f.payload, f.dims, at);
    }
    for (std::size_t j = 0; j < indices.size(); ++j) {
        const auto r = static_cast<std::size_t>(std::lower_bound(wanted.begin(), wanted.end(), indices[j]) - wanted.begin());
        std::copy_n(items.data() + r * n, n, out.data() + j * n);
    }
    return out;
}

IdxArray parse_idx(const Bytes& bytes, const std::string& name) { return IdxFile(bytes, name).read_all(); }

IdxArray read_idx(const std::string& path) { return IdxFile::open(path).read_all(); }

}  // namespace mnistlr
