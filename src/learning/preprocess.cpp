#include "mnistlr/learning/preprocess.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>

#include "mnistlr/error.hpp"

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

}  // namespace

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
