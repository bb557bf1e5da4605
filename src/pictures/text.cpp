#include "mnistlr/pictures/text.hpp"

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>
#include <vector>

#include <stb_truetype.h>
#include <sys/stat.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"

#ifndef MNISTLR_FONT_PATH
#define MNISTLR_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#endif

namespace mnistlr {

struct Font::Impl {
    Bytes file;  // keeps the mapped font alive: stbtt_fontinfo points into it
    stbtt_fontinfo info{};
    int ascent = 0, descent = 0, line_gap = 0;  // font units; descent < 0

    // Rasterised glyphs, by (glyph, size, subpixel shift): a figure draws the same few dozen glyphs
    // thousands of times. Guarded, as one Font may draw on several threads.
    struct Glyph {
        int x0 = 0, y0 = 0, w = 0, h = 0;
        std::vector<unsigned char> coverage;
    };
    mutable std::mutex cache_mutex;
    mutable std::map<std::tuple<int, std::uint32_t, int>, std::shared_ptr<const Glyph>> cache;
};

namespace {

constexpr int kSubpixels = 4;  // horizontal glyph positions per pixel

int glyph_of(const stbtt_fontinfo& info, char32_t cp) {
    return stbtt_FindGlyphIndex(&info, static_cast<int>(cp));
}

}  // namespace

namespace {

// The code point at s[i] and the index just after it; an invalid or truncated sequence is one
// U+FFFD that covers its lead byte and the continuation bytes that were valid.
std::pair<char32_t, std::size_t> next_code_point(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0, min = 0;
    if (c < 0x80) return {c, i + 1};
    if ((c & 0xE0) == 0xC0) {
        extra = 1, cp = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        extra = 2, cp = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        extra = 3, cp = c & 0x07u, min = 0x10000;
    } else {
        return {U'\uFFFD', i + 1};
    }
    std::size_t j = 1;
    for (; j <= static_cast<std::size_t>(extra); ++j) {
        if (i + j >= s.size()) break;
        const auto cc = static_cast<unsigned char>(s[i + j]);
        if ((cc & 0xC0) != 0x80) break;
        cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (j <= static_cast<std::size_t>(extra) || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return {U'\uFFFD', i + j};
    return {cp, i + j};
}

}  // namespace

std::u32string decode_utf8(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto [cp, next] = next_code_point(s, i);
        out.push_back(cp);
        i = next;
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

std::string Font::default_path() {
    const char* env = std::getenv("MNISTLR_FONT");
    return env && *env ? std::string(env) : std::string(MNISTLR_FONT_PATH);
}

Font Font::load_default() {
    const std::string path = default_path();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        const bool from_env = std::getenv("MNISTLR_FONT") && *std::getenv("MNISTLR_FONT");
        throw Error(path, from_env ? "font not found (set by MNISTLR_FONT)"
                                   : "font not found (install fonts-dejavu-core, or set MNISTLR_FONT to a TrueType font)");
    }
    return load(path);
}

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
    long long units = 0;  // a long text can pass INT_MAX font units
    int prev = 0;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto [cp, next] = next_code_point(utf8, i);
        const int g = glyph_of(info, cp);
        if (prev) units += stbtt_GetGlyphKernAdvance(&info, prev, g);
        int advance = 0, lsb = 0;
        stbtt_GetGlyphHMetrics(&info, g, &advance, &lsb);
        units += advance;
        prev = g;
        i = next;
    }
    return scale * static_cast<float>(units);
}

std::string Font::elide(std::string_view utf8, float px, float max_width) const {
    // One pass over the text, in font units: `units` is the advance of the prefix before code point
    // i, and `kept_*` describe that prefix without its trailing spaces, the text that would stand
    // before the "…". The result is the longest prefix whose candidate fits, exactly as if every
    // prefix were measured on its own (kerning can make a longer candidate narrower, so the pass does
    // not stop at the first one that does not fit), in time linear in the length of the text.
    const stbtt_fontinfo& info = impl_->info;
    const float scale = stbtt_ScaleForPixelHeight(&info, px);
    const std::string ellipsis = "\u2026";
    const int g_ellipsis = glyph_of(info, U'\u2026');
    int advance = 0, lsb = 0;
    stbtt_GetGlyphHMetrics(&info, g_ellipsis, &advance, &lsb);
    const int ellipsis_units = advance;

    long long units = 0, kept_units = 0;  // long long: a long text can pass INT_MAX font units
    int prev = 0, kept_glyph = 0;
    std::size_t kept_bytes = 0, best = std::string_view::npos;  // best: bytes before the "…"
    for (std::size_t i = 0; i < utf8.size();) {
        // Cut points are the starts of code points (bytes that are not 10xxxxxx), as in the text.
        if (i > 0 && (static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80) {
            const long long candidate =
                kept_units + (kept_glyph ? stbtt_GetGlyphKernAdvance(&info, kept_glyph, g_ellipsis) : 0) + ellipsis_units;
            if (scale * static_cast<float>(candidate) <= max_width) best = kept_bytes;
        }
        const auto [cp, next] = next_code_point(utf8, i);
        const int g = glyph_of(info, cp);
        if (prev) units += stbtt_GetGlyphKernAdvance(&info, prev, g);
        stbtt_GetGlyphHMetrics(&info, g, &advance, &lsb);
        units += advance;
        prev = g;
        if (cp != U' ') kept_units = units, kept_glyph = g, kept_bytes = next;
        i = next;
    }
    if (scale * static_cast<float>(units) <= max_width) return std::string(utf8);
    if (best != std::string_view::npos) return std::string(utf8.substr(0, best)) + ellipsis;
    return scale * static_cast<float>(ellipsis_units) <= max_width ? ellipsis : std::string();
}

float Font::draw(RgbImage& img, std::string_view utf8, float x, int baseline, float px, Rgb colour,
                 Align align) const {
    const stbtt_fontinfo& info = impl_->info;
    const float scale = stbtt_ScaleForPixelHeight(&info, px);
    if (align == Align::center) x -= text_width(utf8, px) / 2;
    if (align == Align::right) x -= text_width(utf8, px);

    int prev = 0;
    for (const char32_t cp : decode_utf8(utf8)) {
        const int g = glyph_of(info, cp);
        if (prev) x += scale * static_cast<float>(stbtt_GetGlyphKernAdvance(&info, prev, g));
        prev = g;
        // Snap the origin to 1/kSubpixels of a pixel; the rest of the offset is the glyph's shift.
        const float snapped = std::round(x * kSubpixels) / kSubpixels;
        const float ix = std::floor(snapped);
        const float shift = snapped - ix;
        std::uint32_t px_bits = 0;
        std::memcpy(&px_bits, &px, sizeof px_bits);
        const auto key = std::make_tuple(g, px_bits, static_cast<int>(std::lround(shift * kSubpixels)));
        std::shared_ptr<const Impl::Glyph> glyph;
        {
            std::lock_guard<std::mutex> lock(impl_->cache_mutex);
            auto it = impl_->cache.find(key);
            if (it != impl_->cache.end()) glyph = it->second;
        }
        if (!glyph) {
            auto made = std::make_shared<Impl::Glyph>();
            int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
            stbtt_GetGlyphBitmapBoxSubpixel(&info, g, scale, scale, shift, 0.0f, &x0, &y0, &x1, &y1);
            made->x0 = x0, made->y0 = y0, made->w = x1 - x0, made->h = y1 - y0;
            if (made->w > 0 && made->h > 0) {
                made->coverage.assign(std::size_t(made->w) * std::size_t(made->h), 0);
                stbtt_MakeGlyphBitmapSubpixel(&info, made->coverage.data(), made->w, made->h, made->w, scale, scale,
                                              shift, 0.0f, g);
            }
            glyph = made;
            std::lock_guard<std::mutex> lock(impl_->cache_mutex);
            impl_->cache.emplace(key, glyph);
        }
        const int w = glyph->w, h = glyph->h;
        if (w > 0 && h > 0) {
            const std::vector<unsigned char>& coverage = glyph->coverage;
            const int left = static_cast<int>(ix) + glyph->x0, top = baseline + glyph->y0;
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
