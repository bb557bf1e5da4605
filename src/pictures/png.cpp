#include "mnistlr/pictures/png.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <thread>

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
void filter_row(const std::uint8_t* row, const std::uint8_t* above, std::size_t stride, std::uint8_t* out) {
    if (above && std::memcmp(row, above, stride) == 0) {
        out[0] = 2;
        std::memset(out + 1, 0, stride);
        return;
    }
    out[0] = 1;
    for (std::size_t i = 0; i < 3 && i < stride; ++i) out[1 + i] = row[i];
    for (std::size_t i = 3; i < stride; ++i) out[1 + i] = static_cast<std::uint8_t>(row[i] - row[i - 3]);
}

}  // namespace

std::vector<std::uint8_t> encode_png(const RgbImage& img) {
    if (img.width <= 0 || img.height <= 0) throw Error("cannot encode an empty image as PNG");
    if (img.rgb.size() != 3 * std::size_t(img.width) * std::size_t(img.height))
        throw Error("image buffer holds " + std::to_string(img.rgb.size()) + " bytes, expected 3 x " +
                    std::to_string(img.width) + " x " + std::to_string(img.height));
    const std::size_t stride = 3 * std::size_t(img.width);
    if (stride + 1 > std::numeric_limits<uInt>::max() / 2) throw Error("image too large for the PNG encoder");
    std::vector<std::uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const std::size_t ihdr = open_chunk(out, "IHDR");
    put_u32be(out, static_cast<std::uint32_t>(img.width));
    put_u32be(out, static_cast<std::uint32_t>(img.height));
    out.insert(out.end(), {8, 2, 0, 0, 0});  // 8 bits per sample, RGB, deflate, adaptive filters, no interlace
    close_chunk(out, ihdr);

    // Speed over size: zlib's fastest level over rows filtered as above. The rows are cut into bands of
    // about 1 MiB, each deflated on its own (on up to two threads) and the pieces joined into one zlib
    // stream, as pigz does: band 0 carries the zlib header, every band but the last ends with a sync
    // flush (an empty stored block, so the next band starts on a byte boundary), the last with the final
    // block, and the trailer is the Adler-32 of all the bands, combined. A band never refers back into
    // the one before, which costs a little size. The band count depends on the image alone, so the
    // bytes are the same on every machine.
    const std::size_t line_bytes = stride + 1, rows = std::size_t(img.height);
    const std::size_t bands = std::clamp<std::size_t>(line_bytes * rows >> 20, 1, rows);
    std::vector<std::vector<std::uint8_t>> pieces(bands);
    std::vector<uLong> adlers(bands);
    std::vector<std::size_t> lengths(bands);
    std::vector<int> codes(bands, Z_OK);
    const auto deflate_band = [&](std::size_t band) {
        const std::size_t y0 = rows * band / bands, y1 = rows * (band + 1) / bands;
        const bool first = band == 0, last = band + 1 == bands;
        z_stream z{};
        if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, first ? 15 : -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            codes[band] = Z_MEM_ERROR;
            return;
        }
        std::vector<std::uint8_t>& out_band = pieces[band];
        std::vector<std::uint8_t> line(line_bytes), buffer(std::size_t{1} << 16);
        const auto step = [&](int flush) {  // appends what deflate writes; returns deflate's code
            z.next_out = buffer.data();
            z.avail_out = static_cast<uInt>(buffer.size());
            const int rc = deflate(&z, flush);
            out_band.insert(out_band.end(), buffer.data(), buffer.data() + (buffer.size() - z.avail_out));
            return rc;
        };
        uLong adler = adler32(0L, Z_NULL, 0);
        int rc = Z_OK;
        for (std::size_t y = y0; y < y1 && rc != Z_STREAM_ERROR; ++y) {
            const std::uint8_t* row = img.rgb.data() + stride * y;
            filter_row(row, y ? row - stride : nullptr, stride, line.data());
            if (!first) adler = adler32(adler, line.data(), static_cast<uInt>(line_bytes));  // zlib sums band 0
            z.next_in = line.data();
            z.avail_in = static_cast<uInt>(line_bytes);
            while (z.avail_in > 0 && rc != Z_STREAM_ERROR) rc = step(Z_NO_FLUSH);
        }
        if (last) {
            while (rc == Z_OK || rc == Z_BUF_ERROR) rc = step(Z_FINISH);
            codes[band] = rc == Z_STREAM_END ? Z_OK : rc;
        } else {
            do rc = step(Z_SYNC_FLUSH);  // until deflate has room to spare: everything is out
            while (rc == Z_OK && z.avail_out == 0);
            codes[band] = rc == Z_OK || rc == Z_BUF_ERROR ? Z_OK : rc;
        }
        adlers[band] = first ? z.adler : adler;
        deflateEnd(&z);
        lengths[band] = (y1 - y0) * line_bytes;
    };
    const unsigned threads =
        static_cast<unsigned>(std::min<std::size_t>(bands, std::max(1u, std::min(2u, std::thread::hardware_concurrency()))));
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t band; (band = next.fetch_add(1)) < bands;) deflate_band(band);
    };
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
    for (auto& t : helpers) t.join();
    for (int c : codes)
        if (c != Z_OK) throw Error("PNG encoding failed: zlib error " + std::to_string(c));

    std::size_t idat = open_chunk(out, "IDAT");
    for (const auto& piece : pieces) out.insert(out.end(), piece.begin(), piece.end());
    if (bands > 1) {  // band 0's stream was not finished, so the trailer is ours to write
        uLong adler = adlers[0];
        for (std::size_t i = 1; i < bands; ++i)
            adler = adler32_combine(adler, adlers[i], static_cast<z_off_t>(lengths[i]));
        put_u32be(out, static_cast<std::uint32_t>(adler));
    }
    close_chunk(out, idat);
    idat = open_chunk(out, "IEND");
    close_chunk(out, idat);
    return out;
}

void write_png(const std::string& path, const RgbImage& img) {
    const auto bytes = encode_png(img);
    write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace mnistlr
