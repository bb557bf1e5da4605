// An 8-bit RGB raster: what the renderers return and png.hpp writes.
//
// Layout: row-major, top row first, 3 bytes (R, G, B) per pixel, no padding between rows; pixel
// (x, y) starts at rgb[3 * ((y - top) * width + x)].
//
// A raster may hold a band of a taller picture: rows [top, top + height) of it. Drawing code uses the
// picture's coordinates either way, so a figure can be drawn band by band into one small raster and
// streamed to the PNG encoder (png.hpp's PngStream) without ever holding the whole picture.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "mnistlr/data/page_memory.hpp"

namespace mnistlr {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(Rgb a, Rgb c) { return a.r == c.r && a.g == c.g && a.b == c.b; }
    friend bool operator!=(Rgb a, Rgb c) { return !(a == c); }
};

struct RgbImage {
    int width = 0;
    int height = 0;
    int top = 0;                    // the picture row held in the raster's first row
    PageBytes rgb;  // 3 * width * height bytes; a large raster lies on huge pages (page_memory.hpp)

    RgbImage() = default;
    RgbImage(int w, int h, Rgb fill, int first_row = 0) : width(w), height(h), top(first_row) { reset(fill); }

    // Every pixel set to `fill` (the size stays; the buffer is reused).
    void reset(Rgb fill) {
        const std::size_t n = 3 * std::size_t(width) * std::size_t(height);
        if (fill.r == fill.g && fill.g == fill.b) {
            rgb.assign(n, fill.r);  // one pass
            return;
        }
        rgb.resize(n);
        for (std::size_t i = 0; i < rgb.size(); i += 3) {
            rgb[i] = fill.r;
            rgb[i + 1] = fill.g;
            rgb[i + 2] = fill.b;
        }
    }

    bool contains(int x, int y) const noexcept { return x >= 0 && y >= top && x < width && y - top < height; }
    // Byte offset of pixel (x, y). Precondition: contains(x, y).
    std::size_t offset(int x, int y) const noexcept {
        return 3 * (std::size_t(y - top) * std::size_t(width) + std::size_t(x));
    }
    Rgb at(int x, int y) const noexcept {
        const std::size_t o = offset(x, y);
        return {rgb[o], rgb[o + 1], rgb[o + 2]};
    }
    void set(int x, int y, Rgb c) noexcept {
        const std::size_t o = offset(x, y);
        rgb[o] = c.r;
        rgb[o + 1] = c.g;
        rgb[o + 2] = c.b;
    }
    // Fills the rectangle [x, x + w) x [y, y + h), clipped to the image.
    // (One row is filled pixel by pixel, or by memset for a gray, and copied to the others.)
    void fill_rect(int x, int y, int w, int h, Rgb c) noexcept {
        const int x0 = x < 0 ? 0 : x, y0 = y < top ? top : y;
        const int x1 = x + w > width ? width : x + w, y1 = y + h > top + height ? top + height : y + h;
        if (x0 >= x1 || y0 >= y1) return;
        const auto first = rgb.begin() + static_cast<std::ptrdiff_t>(offset(x0, y0));
        const auto span = static_cast<std::ptrdiff_t>(3 * (x1 - x0));
        if (c.r == c.g && c.g == c.b) {
            std::fill(first, first + span, c.r);
        } else {
            for (int xx = x0; xx < x1; ++xx) set(xx, y0, c);
        }
        for (int yy = y0 + 1; yy < y1; ++yy)
            std::copy(first, first + span, rgb.begin() + static_cast<std::ptrdiff_t>(offset(x0, yy)));
    }
};

}  // namespace mnistlr
