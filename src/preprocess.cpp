#include "mnistlr/preprocess.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>

#include <stb_image.h>

#include "mnistlr/error.hpp"
#include "mnistlr/file_io.hpp"

namespace mnistlr {
namespace {

constexpr int kMinContrast = 24;    // grey levels: less than this between ink and background is blank
constexpr int kNoiseFactor = 3;     // contrast <= 3 x the border's median absolute deviation is noise
constexpr double kMnistBox = 20.0;  // MNIST: digits scaled into a 20 x 20 box ...
constexpr double kMnistFrame = 28.0;  // ... centred in a 28 x 28 frame

[[noreturn]] void blank(const std::string& name) { throw Error(name, "image has no ink (blank)"); }

// Median of the values a 256-bin histogram counts (the lower one for an even count).
int histogram_median(const std::uint64_t (&hist)[256], std::uint64_t total) {
    std::uint64_t seen = 0;
    for (int v = 0; v < 256; ++v) {
        seen += hist[v];
        if (2 * seen >= total) return v;
    }
    return 255;
}

struct Tap {
    std::uint32_t index;
    double weight;
};

// For each of the m output positions, the source positions (of n) it draws from and their weights
// (summing to 1). Shrinking: the exact overlap of output pixel j, [j, j+1) * n/m in source units,
// with each source pixel [i, i+1), divided by n/m. Enlarging: linear interpolation at the source
// coordinate of output pixel j's centre, (j + 0.5) * n/m - 0.5, clamped to the outermost centres.
std::vector<std::vector<Tap>> axis_taps(std::uint32_t n, std::uint32_t m) {
    std::vector<std::vector<Tap>> taps(m);
    const double scale = static_cast<double>(n) / m;
    for (std::uint32_t j = 0; j < m; ++j) {
        if (m == n) {
            taps[j] = {{j, 1.0}};
        } else if (m < n) {
            const double a = j * scale, b = (j + 1) * scale;
            const auto first = static_cast<std::uint32_t>(a);
            const auto last = std::min(n - 1, static_cast<std::uint32_t>(std::ceil(b)) - 1);
            for (std::uint32_t i = first; i <= last; ++i) {
                const double overlap = std::min(b, i + 1.0) - std::max(a, static_cast<double>(i));
                if (overlap > 0) taps[j].push_back({i, overlap / scale});
            }
        } else {
            const double x = std::clamp((j + 0.5) * scale - 0.5, 0.0, static_cast<double>(n - 1));
            const auto i0 = static_cast<std::uint32_t>(x);
            const std::uint32_t i1 = std::min(i0 + 1, n - 1);
            const double t = x - i0;
            taps[j] = {{i0, 1.0 - t}};
            if (t > 0) taps[j].push_back({i1, t});
        }
    }
    return taps;
}

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
    if (w <= 0 || h <= 0 || static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > kMaxImagePixels)
        throw Error(name, "image of " + std::to_string(w) + " x " + std::to_string(h) +
                              " pixels is out of range (at most " + std::to_string(kMaxImagePixels) + " pixels)");
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

InkImage extract_ink(const GrayImage& image, const std::string& name) {
    const std::uint32_t w = image.width, h = image.height;
    const std::size_t n = std::size_t{w} * h;
    if (n == 0 || image.value.size() != n || (!image.alpha.empty() && image.alpha.size() != n)) blank(name);
    // The signal: opacity for a translucent image (strokes on a transparent canvas), else grey level.
    const std::vector<std::uint8_t>& s = image.alpha.empty() ? image.value : image.alpha;

    // Background = median of the border ring; noise = median absolute deviation there.
    const std::uint32_t ring = std::max<std::uint32_t>(1, std::min(w, h) / 32);
    std::uint64_t hist[256] = {};
    std::uint64_t border = 0;
    auto on_border = [&](std::uint32_t x, std::uint32_t y) {
        return x < ring || y < ring || x >= w - std::min(w, ring) || y >= h - std::min(h, ring);
    };
    for (std::uint32_t y = 0; y < h; ++y)
        for (std::uint32_t x = 0; x < w; ++x)
            if (on_border(x, y)) {
                ++hist[s[std::size_t{y} * w + x]];
                ++border;
            }
    const int bg = histogram_median(hist, border);
    std::uint64_t dev[256] = {};
    for (std::uint32_t y = 0; y < h; ++y)
        for (std::uint32_t x = 0; x < w; ++x)
            if (on_border(x, y)) ++dev[std::abs(int{s[std::size_t{y} * w + x]} - bg)];
    const int noise = kNoiseFactor * histogram_median(dev, border);

    // A light background means dark ink on paper: contrast counts downwards from it.
    const bool light = bg >= 128;
    auto contrast = [&](std::uint8_t v) { return std::max(0, light ? bg - int{v} : int{v} - bg); };
    int peak = 0;
    for (std::uint8_t v : s) peak = std::max(peak, contrast(v));
    if (peak < kMinContrast || peak <= noise) blank(name);

    InkImage ink;
    ink.width = w;
    ink.height = h;
    ink.v.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const int c = contrast(s[i]);
        ink.v[i] = c > noise ? static_cast<float>(c) / static_cast<float>(peak) : 0.0f;
    }
    return ink;
}

InkImage resample(const InkImage& src, std::uint32_t width, std::uint32_t height) {
    const auto tx = axis_taps(src.width, width);
    const auto ty = axis_taps(src.height, height);
    // Rows first (src.height x width), then columns.
    std::vector<double> tmp(std::size_t{src.height} * width, 0.0);
    for (std::uint32_t y = 0; y < src.height; ++y)
        for (std::uint32_t x = 0; x < width; ++x) {
            double acc = 0.0;
            for (const Tap& t : tx[x]) acc += t.weight * src.at(t.index, y);
            tmp[std::size_t{y} * width + x] = acc;
        }
    InkImage out;
    out.width = width;
    out.height = height;
    out.v.assign(std::size_t{width} * height, 0.0f);
    for (std::uint32_t y = 0; y < height; ++y)
        for (std::uint32_t x = 0; x < width; ++x) {
            double acc = 0.0;
            for (const Tap& t : ty[y]) acc += t.weight * tmp[std::size_t{t.index} * width + x];
            out.v[std::size_t{y} * width + x] = static_cast<float>(std::clamp(acc, 0.0, 1.0));
        }
    return out;
}

Point centre_of_mass(const InkImage& ink) {
    double total = 0.0, sx = 0.0, sy = 0.0;
    for (std::uint32_t y = 0; y < ink.height; ++y)
        for (std::uint32_t x = 0; x < ink.width; ++x) {
            const double v = ink.at(x, y);
            total += v;
            sx += v * x;
            sy += v * y;
        }
    if (total <= 0.0) return {};
    return {sx / total, sy / total};
}

InkImage mnist_frame(const InkImage& ink, std::uint32_t rows, std::uint32_t cols, const std::string& name) {
    if (rows == 0 || cols == 0) throw Error(name, "the model's image size is empty");
    // Bounding box of the ink.
    std::uint32_t x0 = ink.width, x1 = 0, y0 = ink.height, y1 = 0;
    for (std::uint32_t y = 0; y < ink.height; ++y)
        for (std::uint32_t x = 0; x < ink.width; ++x)
            if (ink.at(x, y) > 0.0f) {
                x0 = std::min(x0, x);
                x1 = std::max(x1, x);
                y0 = std::min(y0, y);
                y1 = std::max(y1, y);
            }
    if (x0 > x1 || y0 > y1) blank(name);
    InkImage crop;
    crop.width = x1 - x0 + 1;
    crop.height = y1 - y0 + 1;
    crop.v.resize(std::size_t{crop.width} * crop.height);
    for (std::uint32_t y = 0; y < crop.height; ++y)
        for (std::uint32_t x = 0; x < crop.width; ++x)
            crop.v[std::size_t{y} * crop.width + x] = ink.at(x0 + x, y0 + y);

    // Longer side -> the box side, aspect ratio kept.
    const auto box = static_cast<std::uint32_t>(
        std::max(1.0, std::round(kMnistBox / kMnistFrame * std::min(rows, cols))));
    const std::uint32_t longer = std::max(crop.width, crop.height);
    auto scaled = [&](std::uint32_t side) {
        if (side == longer) return box;
        return static_cast<std::uint32_t>(std::max(1.0, std::round(static_cast<double>(side) * box / longer)));
    };
    const InkImage digit = resample(crop, scaled(crop.width), scaled(crop.height));

    // Whole-pixel shift putting the centre of mass at (cols / 2, rows / 2).
    const Point c = centre_of_mass(digit);
    const long ox = std::lround(cols / 2.0 - c.x), oy = std::lround(rows / 2.0 - c.y);
    InkImage frame;
    frame.width = cols;
    frame.height = rows;
    frame.v.assign(std::size_t{rows} * cols, 0.0f);
    for (std::uint32_t y = 0; y < digit.height; ++y)
        for (std::uint32_t x = 0; x < digit.width; ++x) {
            const long fx = long{x} + ox, fy = long{y} + oy;
            if (fx < 0 || fy < 0 || fx >= long{cols} || fy >= long{rows}) continue;
            frame.v[static_cast<std::size_t>(fy) * cols + static_cast<std::size_t>(fx)] = digit.at(x, y);
        }
    if (std::all_of(frame.v.begin(), frame.v.end(), [](float v) { return v <= 0.0f; })) blank(name);
    return frame;
}

InkImage preprocess_image(const GrayImage& image, std::uint32_t rows, std::uint32_t cols, const std::string& name) {
    return mnist_frame(extract_ink(image, name), rows, cols, name);
}

}  // namespace mnistlr
