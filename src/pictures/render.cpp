#include "mnistlr/pictures/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "mnistlr/error.hpp"

namespace mnistlr {
namespace {

constexpr Rgb kOutline = {0x40, 0x40, 0x40};

// Titles share one size: kTitlePx, or smaller (down to 70 %) until the widest fits max_width.
// A title that still does not fit keeps its suffix (the per-class scale) and loses the end of its
// name to "…"; when not even a letter of the name would be left, the suffix goes instead.
void draw_titles(RgbImage& img, const Font& font, const GridLayout& g, const std::vector<std::string>& names,
                 const std::vector<std::string>& suffixes, float max_width) {
    float px = kTitlePx;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const float w = font.text_width(names[i] + suffixes[i], kTitlePx);
        if (w > max_width) px = std::min(px, std::max(0.7f * kTitlePx, kTitlePx * max_width / w));
    }
    const int gap = static_cast<int>(std::ceil(font.descent(px))) + 5;  // baseline above the tile
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::string text = font.elide(names[i], px, max_width - font.text_width(suffixes[i], px));
        // Too narrow for both: the name matters more than the scale.
        text = text.empty() || text == "\u2026" ? font.elide(names[i], px, max_width) : text + suffixes[i];
        const float cx = static_cast<float>(g.tile_x(i)) + static_cast<float>(g.tile_w) / 2.0f;
        font.draw(img, text, cx, g.tile_y(i) - gap, px, kTextColour, Align::center);
    }
}

}  // namespace

int grid_columns(std::uint32_t n) noexcept {
    if (n == 10) return 5;
    std::uint32_t c = static_cast<std::uint32_t>(std::sqrt(static_cast<double>(n)));
    while (std::uint64_t{c} * c < n) ++c;
    while (c > 1 && std::uint64_t{c - 1} * (c - 1) >= n) --c;
    return static_cast<int>(c);
}

void draw_value_tile(RgbImage& img, const float* w, std::uint32_t rows, std::uint32_t cols, int S, int x0, int y0,
                     float s, Colormap cmap) {
    std::vector<std::uint8_t> line(3 * std::size_t(cols) * std::size_t(S));
    for (std::uint32_t r = 0; r < rows; ++r) {
        // One upscaled pixel row of the tile, then copied S times.
        for (std::uint32_t c = 0; c < cols; ++c) {
            // t = w / s (a division, not a multiplication by 1/s, so that w = s gives exactly 1).
            const float v = w[std::size_t(r) * cols + c];
            const Rgb colour = colormap_color(cmap, s > 0 ? v / s : 0.0f);
            for (int k = 0; k < S; ++k) {
                const std::size_t o = 3 * (std::size_t(c) * std::size_t(S) + std::size_t(k));
                line[o] = colour.r;
                line[o + 1] = colour.g;
                line[o + 2] = colour.b;
            }
        }
        for (int k = 0; k < S; ++k) {
            const int y = y0 + static_cast<int>(r) * S + k;
            std::copy(line.begin(), line.end(), img.rgb.begin() + static_cast<std::ptrdiff_t>(img.offset(x0, y)));
        }
    }
}

void draw_colorbar(RgbImage& img, const Font& font, int top, float s, const RenderOptions& opt) {
    const int bar_w = colorbar_width(img.width);
    const int bar_h = 16;
    const int x0 = (img.width - bar_w) / 2;
    const int y0 = top;
    for (int j = 0; j < bar_w; ++j) {
        const float t = bar_w > 1 ? -1.0f + 2.0f * static_cast<float>(j) / static_cast<float>(bar_w - 1) : 0.0f;
        img.fill_rect(x0 + j, y0, 1, bar_h, colormap_color(opt.cmap, t));
    }
    // 1-px outline around the bar, ticks below it at -s, 0, +s.
    img.fill_rect(x0 - 1, y0 - 1, bar_w + 2, 1, kOutline);
    img.fill_rect(x0 - 1, y0 + bar_h, bar_w + 2, 1, kOutline);
    img.fill_rect(x0 - 1, y0 - 1, 1, bar_h + 2, kOutline);
    img.fill_rect(x0 + bar_w, y0 - 1, 1, bar_h + 2, kOutline);
    const int tick_x[3] = {x0 - 1, x0 + bar_w / 2, x0 + bar_w};
    const int tick_len = 5;
    for (int x : tick_x) img.fill_rect(x, y0 + bar_h + 1, 1, tick_len, kOutline);

    const bool clipped = opt.clip_percentile < 100.0;
    const std::string minus = "\u2212";
    const std::string mag = opt.range == ScaleRange::shared ? format_scale(s) : "s";
    const std::string text[3] = {(clipped ? "\u2264" : "") + minus + mag, "0", (clipped ? "\u2265+" : "+") + mag};
    const int baseline = y0 + bar_h + 1 + tick_len + 3 + static_cast<int>(std::lround(font.ascent(kLabelPx)));
    // Labels are centred on their ticks, the end ones kept inside the image. In a very narrow image
    // a label that would touch another is left out ("0" first, then all).
    float left[3], width[3];
    for (int i = 0; i < 3; ++i) {
        width[i] = font.text_width(text[i], kLabelPx);
        left[i] = static_cast<float>(tick_x[i]) - width[i] / 2;
        left[i] = std::clamp(left[i], 2.0f, std::max(2.0f, static_cast<float>(img.width) - 2.0f - width[i]));
    }
    const float gap = 6.0f;
    const bool ends = left[0] + width[0] + gap <= left[2];
    const bool middle = ends && left[0] + width[0] + gap <= left[1] && left[1] + width[1] + gap <= left[2];
    for (int i = 0; i < 3; ++i)
        if (i == 1 ? middle : ends) font.draw(img, text[i], left[i], baseline, kLabelPx, kTextColour, Align::left);
}

std::string format_scale(float s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%#.3g", static_cast<double>(s));
    std::string out = buf;
    if (!out.empty() && out.back() == '.') out.pop_back();
    return out;
}

int colorbar_width(int image_width) noexcept {
    int w = std::min(image_width - 2 * kGutter, std::max(static_cast<int>(std::lround(0.6 * image_width)), 240));
    if (w % 2 == 0) --w;
    return std::max(w, 1);
}

ScaleRange scale_range_from_name(const std::string& name) {
    if (name == "shared") return ScaleRange::shared;
    if (name == "per-class") return ScaleRange::per_class;
    throw Error("unknown range '" + name + "' (expected shared or per-class)");
}

GridLayout weight_grid_layout(std::uint32_t rows, std::uint32_t cols, std::uint32_t tiles, const RenderOptions& opt) {
    if (opt.scale < 1) throw Error("scale must be at least 1, got " + std::to_string(opt.scale));
    if (tiles == 0 || rows == 0 || cols == 0) throw Error("nothing to draw: no classes or empty images");
    const std::int64_t S = opt.scale;
    const std::int64_t tile_w = std::int64_t{cols} * S, tile_h = std::int64_t{rows} * S;
    std::int64_t C = opt.grid_cols > 0 ? std::min<std::int64_t>(opt.grid_cols, tiles) : grid_columns(tiles);
    const std::int64_t R = (std::int64_t{tiles} + C - 1) / C;
    const std::int64_t width = C * tile_w + (C + 1) * kGutter;
    const std::int64_t height = kGutter + R * (kTitleBand + tile_h + kGutter) + (opt.colorbar ? kColorbarBand : 0) +
                                (opt.note.empty() ? 0 : kNoteBand);
    if (width > kMaxRenderedSide || height > kMaxRenderedSide || width * height > kMaxRenderedPixels)
        throw Error("the image would be " + std::to_string(width) + " x " + std::to_string(height) +
                    " pixels, more than the limit (" + std::to_string(kMaxRenderedSide) + " per side, " +
                    std::to_string(kMaxRenderedPixels) + " in all); use a smaller scale, fewer columns or one class");
    GridLayout g;
    g.tile_w = static_cast<int>(tile_w);
    g.tile_h = static_cast<int>(tile_h);
    g.grid_cols = static_cast<int>(C);
    g.grid_rows = static_cast<int>(R);
    g.width = static_cast<int>(width);
    g.height = static_cast<int>(height);
    return g;
}

float symmetric_scale(const float* w, std::size_t n, double percentile) {
    if (n == 0) return 0.0f;
    if (percentile >= 100.0) {
        float m = 0.0f;
        for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(w[i]));
        return m;
    }
    std::vector<float> a(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = std::fabs(w[i]);
    // numpy's linear method: position h = P/100 * (n - 1) between order statistics floor(h), floor(h)+1.
    const double h = std::max(0.0, percentile) / 100.0 * static_cast<double>(n - 1);
    const auto lo = static_cast<std::size_t>(h);
    std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(lo), a.end());
    const double v_lo = a[lo];
    if (lo + 1 >= n) return static_cast<float>(v_lo);
    const double v_hi = *std::min_element(a.begin() + static_cast<std::ptrdiff_t>(lo) + 1, a.end());
    return static_cast<float>(v_lo + (h - static_cast<double>(lo)) * (v_hi - v_lo));
}

RgbImage render_weight_grid(const SoftmaxModel& model, const ModelInfo& info, const RenderOptions& opt,
                            const Font& font) {
    const std::uint32_t K = model.classes();
    const std::size_t P = model.pixels();
    if (static_cast<std::size_t>(model.W.rows()) != P)
        throw Error("weights hold " + std::to_string(model.W.rows()) + " values per class, expected rows x cols = " +
                    std::to_string(P));
    if (!(opt.clip_percentile > 0.0 && opt.clip_percentile <= 100.0))
        throw Error("clip percentile must be in (0, 100], got " + format_scale(static_cast<float>(opt.clip_percentile)));
    if (opt.only_class && *opt.only_class >= K)
        throw Error("class " + std::to_string(*opt.only_class) + " is out of range (the model has classes 0.." +
                    std::to_string(K - 1) + ")");

    std::vector<std::uint32_t> classes;
    if (opt.only_class) {
        classes.push_back(*opt.only_class);
    } else {
        for (std::uint32_t k = 0; k < K; ++k) classes.push_back(k);
    }
    const GridLayout g = weight_grid_layout(model.rows, model.cols, static_cast<std::uint32_t>(classes.size()), opt);

    // The shared scale covers every class of the model, also when one class is drawn, so a single
    // tile looks exactly as it does in the full grid.
    const float shared = opt.range == ScaleRange::shared
                             ? symmetric_scale(model.W.data(), P * K, opt.clip_percentile)
                             : 0.0f;

    RgbImage img(g.width, g.height, kGutterColour);
    std::vector<std::string> names, suffixes;
    for (std::size_t i = 0; i < classes.size(); ++i) {
        const std::uint32_t k = classes[i];
        const float* w = model.W.data() + std::size_t(k) * P;  // column k: contiguous (column-major)
        const float s = opt.range == ScaleRange::shared ? shared : symmetric_scale(w, P, opt.clip_percentile);
        draw_value_tile(img, w, model.rows, model.cols, opt.scale, g.tile_x(i), g.tile_y(i), s, opt.cmap);
        names.push_back(class_name(info, k));
        suffixes.push_back(opt.range == ScaleRange::per_class ? "  \u00b1" + format_scale(s) : "");
    }
    draw_titles(img, font, g, names, suffixes, static_cast<float>(g.tile_w + kGutter - 4));
    if (opt.colorbar) {
        const int grid_bottom = kGutter + g.grid_rows * (kTitleBand + g.tile_h + kGutter);
        draw_colorbar(img, font, grid_bottom + 4, shared, opt);
    }
    if (!opt.note.empty()) {
        const int baseline = g.height - kNoteBand + 4 + static_cast<int>(std::lround(font.ascent(kLabelPx)));
        const std::string line = font.elide(opt.note, kLabelPx, static_cast<float>(g.width - 2 * kGutter));
        font.draw(img, line, static_cast<float>(kGutter), baseline, kLabelPx, kTextColour, Align::left);
    }
    return img;
}

}  // namespace mnistlr
