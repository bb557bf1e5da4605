#include "mnistlr/pictures/image_decode.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include <stb_image.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr {
namespace {

// stb_image 2.27 (Debian's libstb) trusts the symbol counts of a JPEG Huffman table: a DHT segment
// whose 16 counts add up to more than 256 makes it write past the table's arrays, corrupting the
// decoder and then reading out of bounds (fixed upstream in stb_image 2.28). Found by fuzz_image.
// This walks the JPEG's segments as stb does (fill bytes, stand-alone markers, entropy-coded data
// after each scan up to the next marker) and refuses such a table before stb sees it. Anything it
// cannot follow is left to stb, which rejects it or decodes it without reaching a table.
void check_jpeg_huffman_tables(const std::uint8_t* p, std::size_t n, const std::string& name) {
    std::size_t i = 0;
    if (n < 2 || p[0] != 0xFF) return;
    while (i < n && p[i] == 0xFF) ++i;
    if (i >= n || p[i] != 0xD8) return;  // not a JPEG (stb's test: FF [FF...] D8)
    ++i;
    while (i < n) {
        if (p[i] != 0xFF) {  // entropy-coded data (or junk): skip to the next marker
            ++i;
            continue;
        }
        while (i < n && p[i] == 0xFF) ++i;  // fill bytes
        if (i >= n) return;
        const std::uint8_t m = p[i++];
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // stuffing, TEM, RSTn, SOI
        if (m == 0xD9 || i + 2 > n) return;                                 // EOI or truncated
        const std::size_t len = std::size_t{p[i]} << 8 | p[i + 1];
        if (len < 2) return;
        const std::size_t end = std::min(n, i + len);
        if (m == 0xC4) {
            // Like stb, a table is read whole even when the segment's length ends inside it (the
            // counts then come from the bytes after the segment; past the file's end, zeros).
            for (std::size_t t = i + 2; t < end;) {
                std::size_t symbols = 0;
                for (std::size_t k = 1; k <= 16 && t + k < n; ++k) symbols += p[t + k];
                if (symbols > 256)
                    throw Error(name, "cannot decode image: corrupt JPEG Huffman table (expected at most 256 "
                                      "symbols, got " + std::to_string(symbols) + ")");
                t += 17 + symbols;
            }
        }
        i = end;
    }
}

// stb_image grows its buffer for a PNG's IDAT data to the chunk's declared length before reading
// the data, so an 89-byte file declaring a 1.3 GB chunk makes it allocate 2 GB (found by
// fuzz_image). Every chunk up to IEND must fit in the file; stb would fail on the missing bytes
// afterwards anyway, so this refuses nothing it could decode.
void check_png_chunks(const std::uint8_t* p, std::size_t n, const std::string& name) {
    static const std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (n < 8 || std::memcmp(p, kSignature, 8) != 0) return;
    for (std::size_t i = 8; i + 8 <= n;) {
        const std::uint64_t len = std::uint64_t{p[i]} << 24 | std::uint64_t{p[i + 1]} << 16 |
                                  std::uint64_t{p[i + 2]} << 8 | p[i + 3];
        const std::string type(reinterpret_cast<const char*>(p + i + 4), 4);
        if (len + 12 > n - i) {
            std::string printable;
            for (char c : type) printable += (c >= 0x20 && c < 0x7F) ? c : '?';
            throw Error(name, "truncated or corrupt PNG: chunk '" + printable + "' at byte " + std::to_string(i) +
                                  " declares " + std::to_string(len) + " bytes of data but only " +
                                  std::to_string(n - i < 12 ? 0 : n - i - 12) + " remain");
        }
        if (type == "IEND") return;
        i += static_cast<std::size_t>(len) + 12;
    }
}

// stb_image 2.27 reads a PGM/PPM header's numbers into an int without an overflow check (signed
// overflow: undefined behaviour; found by fuzz_image). This reads the header the way stb does
// (whitespace, # comments, digits) and refuses a number above 2^31 - 1 first.
void check_pnm_header(const std::uint8_t* p, std::size_t n, const std::string& name) {
    if (n < 2 || p[0] != 'P' || (p[1] != '5' && p[1] != '6')) return;
    std::size_t pos = 2;
    const auto next = [&]() -> char { return pos < n ? static_cast<char>(p[pos++]) : '\0'; };
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; };
    char c = next();
    const auto skip = [&] {
        for (;;) {
            while (pos < n && space(c)) c = next();
            if (pos >= n || c != '#') break;
            while (pos < n && c != '\n' && c != '\r') c = next();
        }
    };
    static const char* const kWhat[3] = {"width", "height", "maximum value"};
    for (const char* what : kWhat) {
        skip();
        std::uint64_t value = 0;
        while (c >= '0' && c <= '9') {
            value = value * 10 + static_cast<std::uint64_t>(c - '0');
            if (value > static_cast<std::uint64_t>(INT_MAX))
                throw Error(name, std::string("cannot decode image: PNM header's ") + what + " is too large");
            if (pos >= n) break;
            c = next();
        }
    }
}

}  // namespace

GrayImage decode_image(const std::uint8_t* data, std::size_t size, const std::string& name) {
    const char* const kKinds = " (expected a PNG, JPEG, BMP, GIF, TGA, PSD, HDR, PIC or PNM image)";
    if (size > static_cast<std::size_t>(INT_MAX)) throw Error(name, "image file is too large to decode");
    const int len = static_cast<int>(size);
    check_jpeg_huffman_tables(data, size, name);
    check_png_chunks(data, size, name);
    check_pnm_header(data, size, name);
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &comp))
        throw Error(name, std::string("cannot decode image: ") + stbi_failure_reason() + kKinds);
    if (w <= 0 || h <= 0 || static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > kMaxDecodedPixels)
        throw Error(name, "image of " + std::to_string(w) + " x " + std::to_string(h) +
                              " pixels is out of range (at most " + std::to_string(kMaxDecodedPixels) + " pixels)");
    const std::uint64_t declared = static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h);
    if (declared > std::max<std::uint64_t>(kFreeImagePixels, kMaxPixelsPerByte * std::uint64_t{size}))
        throw Error(name, "image header declares " + std::to_string(w) + " x " + std::to_string(h) +
                              " pixels but the file has only " + std::to_string(size) +
                              " bytes (truncated or corrupt image)");
    struct Free {
        void operator()(stbi_uc* p) const { stbi_image_free(p); }
    };
    std::unique_ptr<stbi_uc, Free> px(stbi_load_from_memory(data, len, &w, &h, &comp, 0));
    if (!px) throw Error(name, std::string("cannot decode image: ") + stbi_failure_reason() + kKinds);
    if (comp < 1 || comp > 4) throw Error(name, "cannot decode image: " + std::to_string(comp) + " channels");

    GrayImage img;
    img.width = static_cast<std::uint32_t>(w);
    img.height = static_cast<std::uint32_t>(h);
    const std::size_t n = std::size_t{img.width} * img.height;
    const auto channels = static_cast<std::size_t>(comp);
    img.value.resize(n);
    const bool has_alpha = comp == 2 || comp == 4;
    if (has_alpha) img.alpha.resize(n);
    const stbi_uc* p = px.get();
    for (std::size_t i = 0; i < n; ++i, p += channels) {
        if (comp >= 3) {
            img.value[i] = static_cast<std::uint8_t>((77u * p[0] + 150u * p[1] + 29u * p[2] + 128u) >> 8);
        } else {
            img.value[i] = p[0];
        }
        if (has_alpha) img.alpha[i] = p[channels - 1];
    }
    if (has_alpha && std::all_of(img.alpha.begin(), img.alpha.end(), [](std::uint8_t a) { return a == 255; }))
        img.alpha.clear();
    return img;
}

GrayImage load_image(const std::string& path) {
    const Bytes b = Bytes::map_file(path);
    return decode_image(b.data(), b.size(), path);
}

}  // namespace mnistlr
