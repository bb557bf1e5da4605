#include "mnistlr/pictures/png.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <limits>
#include <memory>
#include <thread>
#include <utility>

#include <zlib.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr {
namespace {

void put_u32be(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// A chunk whose length, type and data are already in out[at ..]: fill in the length, append the CRC-32
// of type + data (PNG spec 5.3).
void close_chunk(std::vector<std::uint8_t>& out, std::size_t at) {
    const std::size_t data = out.size() - at - 8;
    if (data > 0x7fffffffu) throw Error("image too large for the PNG encoder");
    for (int i = 0; i < 4; ++i) out[at + std::size_t(i)] = static_cast<std::uint8_t>(data >> (24 - 8 * i));
    const auto crc = crc32(crc32(0L, Z_NULL, 0), out.data() + at + 4, static_cast<uInt>(data + 4));
    put_u32be(out, static_cast<std::uint32_t>(crc));
}

std::size_t open_chunk(std::vector<std::uint8_t>& out, const char type[4]) {
    const std::size_t at = out.size();
    out.insert(out.end(), {0, 0, 0, 0});
    out.insert(out.end(), type, type + 4);
    return at;
}

// One scanline with its PNG filter byte (spec 9.2): "Up" (type 2) for a row equal to the one above,
// which is then all zeros, else "Sub" (type 1, each byte minus the byte of the pixel to its left), which
// turns a flat run of any colour into zeros. Both are cheap, and runs of zeros are what deflate's
// fastest level matches best: the figures are flat colours upscaled by repeating pixels and rows.
// Returns true for an Up row.
bool filter_row(const std::uint8_t* row, const std::uint8_t* above, std::size_t stride, std::uint8_t* out) {
    if (above && std::memcmp(row, above, stride) == 0) {
        out[0] = 2;
        std::memset(out + 1, 0, stride);
        return true;
    }
    out[0] = 1;
    for (std::size_t i = 0; i < 3 && i < stride; ++i) out[1 + i] = row[i];
    for (std::size_t i = 3; i < stride; ++i) out[1 + i] = static_cast<std::uint8_t>(row[i] - row[i - 3]);
    return false;
}

// Adler-32 (RFC 1950) of an Up row, the byte 2 and `stride` zeros, without reading them: a = 1 + 2
// after every byte, so b = 3 (stride + 1), both mod 65521.
uLong adler_of_up_row(std::size_t stride) {
    const uLong n = static_cast<uLong>((stride + 1) % 65521u);
    return ((3u * n) % 65521u) << 16 | 3u;
}

// Adler-32 (RFC 1950) of n bytes on their own (start value 1), read a word at a time with the
// zero words skipped: after byte i (0-based) a gains d_i and b gains a, so over the whole run
// a = 1 + sum d_i and b = n + sum (n - i) d_i, and a zero byte only adds the a it finds. The
// filtered rows of a figure are mostly zeros, where zlib's adler32 reads every byte.
// Exact for n below 2^24 (the sums stay below 2^64; longer rows go to zlib); adler32_combine
// appends it.
uLong adler_of_sparse(const std::uint8_t* p, std::size_t n) {
    if (n >= (std::size_t{1} << 24)) return adler32(1L, p, static_cast<uInt>(n));  // rows of 5.5 M pixels
    std::uint64_t a = 0, b = 0;  // sum d_i and sum (n - i) d_i
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (w == 0) continue;
        for (std::size_t k = i; k < i + 8; ++k) {
            a += p[k];
            b += static_cast<std::uint64_t>(n - k) * p[k];
        }
    }
    for (; i < n; ++i) {
        a += p[i];
        b += static_cast<std::uint64_t>(n - i) * p[i];
    }
    const uLong A = static_cast<uLong>((1 + a) % 65521u), B = static_cast<uLong>((n + b) % 65521u);
    return B << 16 | A;
}

// One piece of the IDAT stream: consecutive rows of the picture, deflated on their own. The picture's
// rows are cut into pieces, each deflated independently (so pieces can be made on several threads,
// or while the next band is still being drawn) and the pieces joined into one zlib stream, as pigz
// does: every piece is raw deflate, every piece but the last ends with a sync flush (an empty stored
// block, so the next piece starts on a byte boundary), the last with the final block; the zlib header
// (0x78 0x01, what zlib writes at its fastest level) and the trailer, the Adler-32 of all the pieces
// combined, are ours. A piece never refers back into the one before, which costs a little size.
// Where the cuts fall depends on the picture alone (for a stream: on the bands its caller draws), so
// the bytes are the same on every machine.
// A piece's bytes are a span of its Deflater's output buffer (one per worker, on huge pages where
// large: page_memory.hpp), not a vector of their own, so they do not each grow in fresh pages.
struct Piece {
    const PageBytes* arena = nullptr;  // the deflated bytes are (*arena)[offset, offset + size)
    std::size_t offset = 0, size = 0;
    uLong adler = 1;          // of the filtered bytes of this piece alone
    std::size_t length = 0;   // filtered bytes
    int code = Z_OK;
    const std::uint8_t* data() const { return arena->data() + offset; }  // once the arena is complete
};

// Deflate (RFC 1951) written by hand for a run of Up rows, the byte 2 and `stride` zeros each: deflate's
// fastest level spends most of a tall figure's time matching those zeros, which carry no information.
// One dynamic-Huffman block: per row the literals 2 and 0, then copies at distance 1 of the row's
// other zeros (lengths of up to 258), about 4 bytes a row; the block refers to nothing before it.
class BitWriter {
public:
    explicit BitWriter(PageBytes& out) : out_(out) {}
    void put(std::uint32_t bits, unsigned n) {  // the n low bits of `bits`, least significant first
        acc_ |= std::uint64_t(bits) << count_;
        count_ += n;
        while (count_ >= 8) {
            out_.push_back(static_cast<std::uint8_t>(acc_));
            acc_ >>= 8;
            count_ -= 8;
        }
    }
    void align() {  // pad with zero bits to a byte boundary
        if (count_ > 0) put(0, 8 - count_);
    }

private:
    PageBytes& out_;
    std::uint64_t acc_ = 0;
    unsigned count_ = 0;
};

struct HuffmanCode {
    std::vector<std::uint8_t> length;   // per symbol, 0 = unused
    std::vector<std::uint32_t> code;    // bit-reversed, ready for BitWriter::put
};

// The canonical code of RFC 1951 3.2.2 for the given lengths.
HuffmanCode canonical_code(std::vector<std::uint8_t> length) {
    unsigned count[16] = {}, next[16] = {};
    for (const auto l : length) count[l]++;
    count[0] = 0;
    for (unsigned bits = 1, code = 0; bits < 16; ++bits) next[bits] = code = (code + count[bits - 1]) << 1;
    HuffmanCode h{std::move(length), {}};
    h.code.assign(h.length.size(), 0);
    for (std::size_t s = 0; s < h.length.size(); ++s) {
        const unsigned l = h.length[s];
        if (l == 0) continue;
        std::uint32_t c = next[l]++, reversed = 0;
        for (unsigned i = 0; i < l; ++i, c >>= 1) reversed = reversed << 1 | (c & 1u);
        h.code[s] = reversed;
    }
    return h;
}

constexpr unsigned kLengthBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr unsigned kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};

unsigned length_symbol(unsigned len) {  // 3 <= len <= 258 -> index into kLength*
    unsigned i = 28;
    while (kLengthBase[i] > len) --i;
    return i;
}

// The bits of a hand-made block for rows of one stride, worked out once per stride: the block
// header after BFINAL (codes and code lengths), one row, and the end-of-block code, each a list of
// (bits, count) for BitWriter::put.
struct UpRunCode {
    std::size_t stride = 0;  // 0: not made yet
    std::vector<std::pair<std::uint32_t, unsigned>> header, row;
    std::pair<std::uint32_t, unsigned> end_of_block{0, 0};
};

UpRunCode make_up_run_code(std::size_t stride) {
    // The copies that make one row's stride - 1 zeros after its literal 0 (each 3..258 long), and
    // zeros too few for a copy, as literals.
    std::vector<unsigned> copies;
    std::size_t zeros = stride - 1, literal_zeros = 1;
    while (zeros >= 3) {
        unsigned len = static_cast<unsigned>(std::min<std::size_t>(258, zeros));
        if (zeros - len == 1 || zeros - len == 2) len -= 3;  // leave 3 for a last copy, not 1 or 2 bytes
        copies.push_back(len);
        zeros -= len;
    }
    literal_zeros += zeros;
    // Literal/length symbols by frequency; code lengths 1, 2, ..., n - 1, n - 1 make a complete code.
    std::vector<std::pair<std::size_t, unsigned>> used;  // (uses per row, symbol)
    const auto use = [&](unsigned symbol, std::size_t times) {
        for (auto& u : used)
            if (u.second == symbol) return void(u.first += times);
        used.emplace_back(times, symbol);
    };
    use(2, 1);
    use(0, literal_zeros);
    use(256, 0);
    for (const unsigned len : copies) use(257 + length_symbol(len), 1);
    // Most used first, ties in the order above. An insertion sort, stable and without
    // std::stable_sort's temporary buffer, which libstdc++ 12 frees in a way ASan reports as an
    // alloc-dealloc mismatch (see evidence.cpp); at most a dozen entries.
    for (std::size_t i = 1; i < used.size(); ++i)
        for (std::size_t j = i; j > 0 && used[j - 1].first < used[j].first; --j) std::swap(used[j - 1], used[j]);
    std::vector<std::uint8_t> lit_lengths(286, 0);
    for (std::size_t i = 0; i < used.size(); ++i)
        lit_lengths[used[i].second] = static_cast<std::uint8_t>(std::min(i + 1, used.size() - 1));
    const HuffmanCode lit = canonical_code(lit_lengths);
    // Distances: codes 0 (distance 1, the only one used) and 1, one bit each: a complete code.
    // Code lengths of the code lengths: 13 of 4 bits and 6 of 5 bits, a complete code over all 19.
    constexpr unsigned kOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    std::vector<std::uint8_t> cl_lengths(19, 4);
    for (const unsigned s : {15u, 14u, 13u, 12u, 11u, 16u}) cl_lengths[s] = 5;
    const HuffmanCode cl = canonical_code(cl_lengths);

    UpRunCode code;
    code.stride = stride;
    auto& h = code.header;
    h.emplace_back(2, 2);        // dynamic Huffman
    h.emplace_back(286 - 257, 5);  // HLIT
    h.emplace_back(2 - 1, 5);      // HDIST
    h.emplace_back(19 - 4, 4);     // HCLEN
    for (const unsigned s : kOrder) h.emplace_back(cl_lengths[s], 3);
    std::vector<std::uint8_t> all(lit_lengths);
    all.push_back(1);
    all.push_back(1);
    for (std::size_t i = 0; i < all.size();) {
        std::size_t run = 1;
        while (all[i] == 0 && i + run < all.size() && all[i + run] == 0 && run < 138) ++run;
        if (all[i] == 0 && run >= 11) {
            h.emplace_back(cl.code[18], cl.length[18]);
            h.emplace_back(static_cast<std::uint32_t>(run - 11), 7);
        } else if (all[i] == 0 && run >= 3) {
            h.emplace_back(cl.code[17], cl.length[17]);
            h.emplace_back(static_cast<std::uint32_t>(run - 3), 3);
        } else {
            run = 1;
            h.emplace_back(cl.code[all[i]], cl.length[all[i]]);
        }
        i += run;
    }
    const auto literal = [&](unsigned sym) { return std::pair<std::uint32_t, unsigned>(lit.code[sym], lit.length[sym]); };
    code.row.push_back(literal(2));
    for (std::size_t z = 0; z < literal_zeros; ++z) code.row.push_back(literal(0));
    for (const unsigned len : copies) {
        const unsigned i = length_symbol(len);
        code.row.push_back(literal(257 + i));
        code.row.emplace_back(len - kLengthBase[i], kLengthExtra[i]);
        code.row.emplace_back(0, 1);  // distance code 0: distance 1
    }
    code.end_of_block = literal(256);
    return code;
}

void append_up_run(PageBytes& out, const UpRunCode& code, std::size_t rows, bool final_block) {
    BitWriter bits(out);
    bits.put(final_block ? 1 : 0, 1);
    for (const auto& [b, n] : code.header) bits.put(b, n);
    for (std::size_t r = 0; r < rows; ++r)
        for (const auto& [b, n] : code.row) bits.put(b, n);
    bits.put(code.end_of_block.first, code.end_of_block.second);
    if (!final_block) {  // an empty stored block, so what follows starts on a byte boundary
        bits.put(0, 3);
        bits.align();
        bits.put(0x0000, 16);
        bits.put(0xffff, 16);
    }
    bits.align();
}

// A zlib deflate state kept for many pieces (deflateReset, not a fresh allocation per piece), which
// appends the pieces it makes to `out`. For a large picture (`raw_bytes` unfiltered) the buffer
// starts at kHugeFrom, on huge pages: grown from small, each doubling would be fresh 4 KiB pages
// (explain's 100-image figure: 1036 -> 581 page faults).
class Deflater {
public:
    Deflater(PageBytes& out, std::size_t raw_bytes) : out_(out) {
        if (raw_bytes >= kHugePage) out_.reserve(kHugeFrom);
        // Speed over size: zlib's fastest level, raw deflate, 32 KiB window.
        if (deflateInit2(&z_, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) code_ = Z_MEM_ERROR;
    }
    ~Deflater() {
        if (code_ == Z_OK) deflateEnd(&z_);
    }
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;

    // `rows` points at n rows of `stride` bytes; `above` at the picture row just above them (nullptr
    // for the picture's first row).
    void run(const std::uint8_t* rows, std::size_t n, std::size_t stride, const std::uint8_t* above, bool last,
             Piece& piece) {
        piece = Piece{};
        piece.arena = &out_;
        piece.offset = out_.size();
        if (code_ != Z_OK || deflateReset(&z_) != Z_OK) {
            piece.code = Z_MEM_ERROR;
            return;
        }
        const std::size_t line_bytes = stride + 1;
        line_.resize(line_bytes);
        buffer_.resize(std::size_t{1} << 16);
        const auto step = [&](int flush) {  // appends what deflate writes; returns deflate's code
            z_.next_out = buffer_.data();
            z_.avail_out = static_cast<uInt>(buffer_.size());
            const int rc = deflate(&z_, flush);
            out_.insert(out_.end(), buffer_.data(), buffer_.data() + (buffer_.size() - z_.avail_out));
            return rc;
        };
        const uLong up_adler = adler_of_up_row(stride);
        uLong adler = adler32(0L, Z_NULL, 0);
        int rc = Z_OK;
        bool fed = false;         // zlib has input since its last reset
        std::size_t up_run = 0;   // Up rows not yet written
        const auto feed = [&](const std::uint8_t* bytes) {
            z_.next_in = const_cast<Bytef*>(bytes);
            z_.avail_in = static_cast<uInt>(line_bytes);
            while (z_.avail_in > 0 && rc != Z_STREAM_ERROR) rc = step(Z_NO_FLUSH);
            fed = true;
        };
        const auto sync_zlib = [&] {  // everything zlib holds out, ending on a byte boundary
            if (!fed) return;
            do rc = step(Z_SYNC_FLUSH);
            while (rc == Z_OK && z_.avail_out == 0);
            if (rc == Z_BUF_ERROR) rc = Z_OK;
        };
        const auto write_up_run = [&](bool final_block) {
            if (up_run < kMinUpRun && !final_block) {
                up_line_.assign(line_bytes, 0);
                up_line_[0] = 2;
                for (; up_run > 0; --up_run) feed(up_line_.data());
                return;
            }
            sync_zlib();
            if (up_code_.stride != stride) up_code_ = make_up_run_code(stride);
            append_up_run(out_, up_code_, up_run, final_block);
            up_run = 0;
            if (fed && rc == Z_OK && deflateReset(&z_) != Z_OK) rc = Z_STREAM_ERROR;
            fed = false;
        };
        for (std::size_t y = 0; y < n && rc != Z_STREAM_ERROR; ++y) {
            const std::uint8_t* row = rows + stride * y;
            if (filter_row(row, y ? row - stride : above, stride, line_.data())) {
                adler = adler32_combine(adler, up_adler, static_cast<z_off_t>(line_bytes));
                ++up_run;
                continue;
            }
            if (up_run > 0) write_up_run(false);
            adler = adler32_combine(adler, adler_of_sparse(line_.data(), line_bytes), static_cast<z_off_t>(line_bytes));
            feed(line_.data());
        }
        if (up_run > 0 && last) {
            write_up_run(true);
            piece.code = rc == Z_STREAM_ERROR ? rc : Z_OK;
        } else {
            if (up_run > 0) write_up_run(false);
            if (last) {
                while (rc == Z_OK || rc == Z_BUF_ERROR) rc = step(Z_FINISH);
                piece.code = rc == Z_STREAM_END ? Z_OK : rc;
            } else {
                if (rc == Z_OK) sync_zlib();
                piece.code = rc == Z_OK || rc == Z_BUF_ERROR ? Z_OK : rc;
            }
        }
        piece.size = out_.size() - piece.offset;
        piece.adler = adler;
        piece.length = n * line_bytes;
    }

private:
    PageBytes& out_;
    z_stream z_{};
    int code_ = Z_OK;
    // Runs of fewer Up rows go through zlib: a hand-made block costs ~40 bytes and zlib's history.
    static constexpr std::size_t kMinUpRun = 4;
    std::vector<std::uint8_t> line_, buffer_, up_line_;
    UpRunCode up_code_;  // of the last stride seen
};

void check_size(int width, int height) {
    if (width <= 0 || height <= 0) throw Error("cannot encode an empty image as PNG");
    if (3 * std::size_t(width) + 1 > std::numeric_limits<uInt>::max() / 2) throw Error("image too large for the PNG encoder");
}

// The signature and IHDR: 8 bits per sample, RGB, deflate, adaptive filters, no interlace.
std::vector<std::uint8_t> png_header(int width, int height) {
    std::vector<std::uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const std::size_t ihdr = open_chunk(out, "IHDR");
    put_u32be(out, static_cast<std::uint32_t>(width));
    put_u32be(out, static_cast<std::uint32_t>(height));
    out.insert(out.end(), {8, 2, 0, 0, 0});
    close_chunk(out, ihdr);
    return out;
}

// The IDAT of the pieces, in order, and IEND, handed to write(data, size) span by span, so the
// pieces go out without being joined in memory first: the chunk's length is known from the pieces'
// sizes, and its CRC-32 is computed as the spans pass.
template <typename Write>
void png_emit_idat(const std::vector<Piece>& pieces, Write write) {
    for (const Piece& p : pieces)
        if (p.code != Z_OK) throw Error("PNG encoding failed: zlib error " + std::to_string(p.code));
    std::size_t data = 2 + 4;  // zlib header and Adler-32 trailer
    for (const Piece& p : pieces) data += p.size;
    if (data > 0x7fffffffu) throw Error("image too large for the PNG encoder");
    std::vector<std::uint8_t> head;
    put_u32be(head, static_cast<std::uint32_t>(data));
    head.insert(head.end(), {'I', 'D', 'A', 'T', 0x78, 0x01});  // zlib header: deflate, 32 KiB window, fastest level (RFC 1950)
    uLong crc = crc32(crc32(0L, Z_NULL, 0), head.data() + 4, static_cast<uInt>(head.size() - 4));
    write(head.data(), head.size());
    uLong adler = adler32(0L, Z_NULL, 0);
    for (const Piece& p : pieces) {
        crc = crc32(crc, p.data(), static_cast<uInt>(p.size));
        write(p.data(), p.size);
        adler = adler32_combine(adler, p.adler, static_cast<z_off_t>(p.length));
    }
    std::vector<std::uint8_t> tail;
    put_u32be(tail, static_cast<std::uint32_t>(adler));
    crc = crc32(crc, tail.data(), 4);
    put_u32be(tail, static_cast<std::uint32_t>(crc));
    const std::size_t iend = open_chunk(tail, "IEND");
    close_chunk(tail, iend);
    write(tail.data(), tail.size());
}

void png_finish(std::vector<std::uint8_t>& out, const std::vector<Piece>& pieces) {
    std::size_t total = 0;
    for (const Piece& p : pieces) total += p.size;
    out.reserve(out.size() + total + 32);
    png_emit_idat(pieces, [&](const std::uint8_t* d, std::size_t n) { out.insert(out.end(), d, d + n); });
}

unsigned encoder_threads() { return std::max(1u, std::min(2u, std::thread::hardware_concurrency())); }

}  // namespace

std::vector<std::uint8_t> encode_png(const RgbImage& img) {
    check_size(img.width, img.height);
    if (img.rgb.size() != 3 * std::size_t(img.width) * std::size_t(img.height))
        throw Error("image buffer holds " + std::to_string(img.rgb.size()) + " bytes, expected 3 x " +
                    std::to_string(img.width) + " x " + std::to_string(img.height));
    const std::size_t stride = 3 * std::size_t(img.width), rows = std::size_t(img.height);
    std::vector<std::uint8_t> out = png_header(img.width, img.height);
    // Pieces of about 1 MiB, on up to two threads.
    const std::size_t bands = std::clamp<std::size_t>((stride + 1) * rows >> 20, 1, rows);
    std::vector<Piece> pieces(bands);
    const unsigned threads = static_cast<unsigned>(std::min<std::size_t>(bands, encoder_threads()));
    std::vector<PageBytes> arenas(threads);  // one output buffer per thread
    std::atomic<std::size_t> next{0};
    const auto work = [&](unsigned t) {
        Deflater d(arenas[t], stride * rows);
        for (std::size_t band; (band = next.fetch_add(1)) < bands;) {
            const std::size_t y0 = rows * band / bands, y1 = rows * (band + 1) / bands;
            const std::uint8_t* first_row = img.rgb.data() + stride * y0;
            d.run(first_row, y1 - y0, stride, y0 ? first_row - stride : nullptr, band + 1 == bands, pieces[band]);
        }
    };
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work, t);
    work(0);
    for (auto& t : helpers) t.join();
    png_finish(out, pieces);
    return out;
}

// PngStream: the caller's thread hands each band over (take: its buffer moves; add: a copy) and
// queues it; the workers, each with its own Deflater, take bands in order of arrival and deflate
// them into their piece.
struct PngStream::Impl {
    struct Job {
        PageBytes rows;                  // the band's rows (the caller's raster)
        std::vector<std::uint8_t> above;  // the picture row above them
        std::size_t n = 0, index = 0;
        bool last = false;
    };
    int width = 0, height = 0;
    std::size_t stride = 0;
    int next_row = 0;  // rows handed over so far
    std::vector<std::uint8_t> last_row;

    std::mutex m;
    std::condition_variable cv;
    std::deque<Job> queue;                          // bands waiting for a worker
    std::vector<PageBytes> spare;                   // buffers to reuse: no fresh pages per band
    std::deque<Piece> pieces;                       // one per band, in picture order (stable addresses)
    std::vector<PageBytes> arenas;                  // one per worker: the deflated bytes of its pieces
    std::size_t in_flight = 0;                      // queued or being deflated
    bool closing = false;
    std::vector<std::thread> workers;

    void work(PageBytes& arena) {
        Deflater d(arena, stride * std::size_t(height));
        std::unique_lock<std::mutex> lock(m);
        for (;;) {
            cv.wait(lock, [&] { return closing || !queue.empty(); });
            if (queue.empty()) return;  // closing, nothing left
            Job job = std::move(queue.front());
            queue.pop_front();
            Piece& piece = pieces[job.index];
            lock.unlock();
            d.run(job.rows.data(), job.n, stride, job.above.empty() ? nullptr : job.above.data(), job.last, piece);
            lock.lock();
            spare.push_back(std::move(job.rows));
            --in_flight;
            cv.notify_all();
        }
    }

    void stop() {
        {
            std::lock_guard<std::mutex> lock(m);
            closing = true;
        }
        cv.notify_all();
        for (auto& t : workers)
            if (t.joinable()) t.join();
        workers.clear();
    }
};

PngStream::PngStream(int width, int height) : impl_(std::make_unique<Impl>()) {
    check_size(width, height);
    impl_->width = width;
    impl_->height = height;
    impl_->stride = 3 * std::size_t(width);
    impl_->arenas.resize(encoder_threads());  // before the workers start: the vector never moves
    for (unsigned t = 0; t < encoder_threads(); ++t)
        impl_->workers.emplace_back([s = impl_.get(), t] { s->work(s->arenas[t]); });
}

PngStream::~PngStream() { impl_->stop(); }

void PngStream::add(const RgbImage& band) {
    RgbImage copy = band;
    take(copy);
}

void PngStream::take(RgbImage& band) {
    Impl& s = *impl_;
    if (band.width != s.width || band.top != s.next_row || band.height <= 0 || band.height > s.height - s.next_row ||
        band.rgb.size() != s.stride * std::size_t(band.height))
        throw Error("PNG stream: band of " + std::to_string(band.width) + " x " + std::to_string(band.height) +
                    " at row " + std::to_string(band.top) + " does not continue a " + std::to_string(s.width) + " x " +
                    std::to_string(s.height) + " picture at row " + std::to_string(s.next_row));
    Impl::Job job;
    job.n = std::size_t(band.height);
    job.above = s.last_row;
    s.next_row += band.height;
    job.last = s.next_row == s.height;
    s.last_row.assign(band.rgb.end() - static_cast<std::ptrdiff_t>(s.stride), band.rgb.end());
    std::unique_lock<std::mutex> lock(s.m);
    // At most one band per worker queued or being deflated, so three buffers go round (two being
    // deflated, one being drawn): a new buffer is fresh memory, and the first touch of fresh memory
    // is slow on virtual machines (1.6 ms per MiB measured on the development machine).
    s.cv.wait(lock, [&] { return s.in_flight < s.workers.size(); });
    job.rows = std::move(band.rgb);  // the pixels change hands, no copy
    band.rgb.clear();
    if (!s.spare.empty()) {  // a used buffer back to draw the next band in: no fresh pages per band
        band.rgb = std::move(s.spare.back());
        s.spare.pop_back();
    }
    job.index = s.pieces.size();
    s.pieces.emplace_back();
    s.queue.push_back(std::move(job));
    ++s.in_flight;
    lock.unlock();
    s.cv.notify_all();
}

std::vector<std::uint8_t> PngStream::finish() {
    std::vector<std::uint8_t> out;
    finish([&](const std::uint8_t* d, std::size_t n) { out.insert(out.end(), d, d + n); });
    return out;
}

void PngStream::finish(const std::function<void(const std::uint8_t*, std::size_t)>& write) {
    Impl& s = *impl_;
    if (s.next_row != s.height)
        throw Error("PNG stream: " + std::to_string(s.next_row) + " of " + std::to_string(s.height) + " rows given");
    s.stop();
    const std::vector<std::uint8_t> header = png_header(s.width, s.height);
    write(header.data(), header.size());
    png_emit_idat(std::vector<Piece>(std::make_move_iterator(s.pieces.begin()), std::make_move_iterator(s.pieces.end())),
                  write);
}

void write_png(const std::string& path, const RgbImage& img) {
    const auto bytes = encode_png(img);
    write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace mnistlr
