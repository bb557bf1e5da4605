#include "mnistlr/text.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include <stb_truetype.h>

#include "mnistlr/error.hpp"
#include "mnistlr/file_io.hpp"

#ifndef MNISTLR_FONT_PATH
#define MNISTLR_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#endif

namespace mnistlr {

struct Font::Impl {
    Bytes file;  // keeps the mapped font alive: stbtt_fontinfo points into it
    stbtt_fontinfo info{};
    int ascent = 0, descent = 0, line_gap = 0;  // font units; descent < 0
};

namespace {

constexpr int kSubpixels = 4;  // horizontal glyph positions per pixel

int glyph_of(const stbtt_fontinfo& info, char32_t cp) {
    return stbtt_FindGlyphIndex(&info, static_cast<int>(cp));
}

}  // namespace

std::u32string decode_utf8(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        int extra = 0;
        char32_t cp = 0, min = 0;
        if (c < 0x80) {
            cp = c;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            out.push_back(U'\uFFFD');
            ++i;
            continue;
        }
        std::size_t j = 1;
        for (; j <= static_cast<std::size_t>(extra); ++j) {
            if (i + j >= s.size()) break;
            const auto cc = static_cast<unsigned char>(s[i + j]);
            if ((cc & 0xC0) != 0x80) break;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (j <= static_cast<std::size_t>(extra) || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            out.push_back(U'\uFFFD');
            i += j;  // skip the lead byte and the continuation bytes that were valid
            continue;
        }
        out.push_back(cp);
        i += j;
    }
    return out;
}

Font Font::load(const std::string& path) {
    auto impl = std::make_shared<Impl>();
    impl->file = Bytes::map_file(path);
    const int offset = stbtt_GetFontOffsetForIndex(impl->file.data(), 0);
    if (offset < 0 || !stbtt_InitFont(&impl->info, impl->file.data(), offset))
        throw Error(path, "not a TrueType font");
    stbtt_GetFontVMetrics(&impl->info, &impl->ascent, &impl->descent, &impl->line_gap);
    if (impl->ascent <= 0 || impl->ascent - impl->descent <= 0) throw Error(path, "font has no usable vertical metrics");
    return Font(std::move(impl));
}

std::string Font::default_path() { return MNISTLR_FONT_PATH; }

Font Font::load_default() { return load(default_path()); }

float Font::ascent(float px) const {
    return stbtt_ScaleForPixelHeight(&impl_->info, px) * static_cast<float>(impl_->ascent);
}
float Font::descent(float px) const {
    return -stbtt_ScaleForPixelHeight(&impl_->info, px) * static_cast<float>(impl_->descent);
}
float Font::line_height(float px) const {
    return stbtt_ScaleForPixelHeight(&impl_->info, px) *
           static_cast<float>(impl_->ascent - impl_->descent + impl_->line_gap);
}

float Font::text_width(std::string_view utf8, float px) const {
    const stbtt_fontinfo& info = impl_->info;
    const float scale = stbtt_ScaleForPixelHeight(&info, px);
    int units = 0, prev = 0;
    for (const char32_t cp : decode_utf8(utf8)) {
        const int g = glyph_of(info, cp);
        if (prev) units += stbtt_GetGlyphKernAdvance(&info, prev, g);
        int advance = 0, lsb = 0;
        stbtt_GetGlyphHMetrics(&info, g, &advance, &lsb);
        units += advance;
        prev = g;
    }
    return scale * static_cast<float>(units);
}

std::string Font::elide(std::string_view utf8, float px, float max_width) const {
    if (text_width(utf8, px) <= max_width) return std::string(utf8);
    const std::string ellipsis = "\u2026";
    // Cut at code point boundaries (bytes that are not 10xxxxxx), longest prefix first.
    for (std::size_t n = utf8.empty() ? 0 : utf8.size() - 1; n > 0; --n) {
        if ((static_cast<unsigned char>(utf8[n]) & 0xC0) == 0x80) continue;
        std::string candidate(utf8.substr(0, n));
        while (!candidate.empty() && candidate.back() == ' ') candidate.pop_back();
        candidate += ellipsis;
        if (text_width(candidate, px) <= max_width) return candidate;
    }
    return text_width(ellipsis, px) <= max_width ? ellipsis : std::string();
}

float Font::draw(RgbImage& img, std::string_view utf8, float x, int baseline, float px, Rgb colour,
                 Align align) const {
    const stbtt_fontinfo& info = impl_->info;
    const float scale = stbtt_ScaleForPixelHeight(&info, px);
    if (align == Align::center) x -= text_width(utf8, px) / 2;
    if (align == Align::right) x -= text_width(utf8, px);

    std::vector<unsigned char> coverage;
    int prev = 0;
    for (const char32_t cp : decode_utf8(utf8)) {
        const int g = glyph_of(info, cp);
        if (prev) x += scale * static_cast<float>(stbtt_GetGlyphKernAdvance(&info, prev, g));
        prev = g;
        // Snap the origin to 1/kSubpixels of a pixel; the rest of the offset is the glyph's shift.
        const float snapped = std::round(x * kSubpixels) / kSubpixels;
        const float ix = std::floor(snapped);
        const float shift = snapped - ix;
        int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        stbtt_GetGlyphBitmapBoxSubpixel(&info, g, scale, scale, shift, 0.0f, &x0, &y0, &x1, &y1);
        const int w = x1 - x0, h = y1 - y0;
        if (w > 0 && h > 0) {
            coverage.assign(std::size_t(w) * std::size_t(h), 0);
            stbtt_MakeGlyphBitmapSubpixel(&info, coverage.data(), w, h, w, scale, scale, shift, 0.0f, g);
            const int left = static_cast<int>(ix) + x0, top = baseline + y0;
            for (int yy = 0; yy < h; ++yy) {
                for (int xx = 0; xx < w; ++xx) {
                    const int a = coverage[std::size_t(yy) * std::size_t(w) + std::size_t(xx)];
                    if (a == 0 || !img.contains(left + xx, top + yy)) continue;
                    // Blend in sRGB: out = bg + (fg - bg) * a / 255, rounded.
                    const std::size_t o = img.offset(left + xx, top + yy);
                    const std::uint8_t fg[3] = {colour.r, colour.g, colour.b};
                    for (int ch = 0; ch < 3; ++ch) {
                        const int bg = img.rgb[o + std::size_t(ch)];
                        img.rgb[o + std::size_t(ch)] = static_cast<std::uint8_t>(bg + ((fg[ch] - bg) * a + (fg[ch] > bg ? 127 : -127)) / 255);
                    }
                }
            }
        }
        int advance = 0, lsb = 0;
        stbtt_GetGlyphHMetrics(&info, g, &advance, &lsb);
        x += scale * static_cast<float>(advance);
    }
    return x;
}

}  // namespace mnistlr
