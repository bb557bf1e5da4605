#include "mnistlr/pictures/confusion_heatmap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/chart.hpp"
#include "mnistlr/pictures/colormap.hpp"
#include "mnistlr/pictures/render.hpp"

namespace mnistlr {
namespace {

constexpr float kHeatTitlePx = 20.0f;
constexpr float kHeatAxisPx = 16.0f;
constexpr float kLegendPx = 15.0f;
constexpr float kTickPx = 14.0f;

struct SizeByClasses {
    int cell;
    float count_px, label_px;
};

SizeByClasses sizes_for(std::size_t K) {
    if (K <= 12) return {56, 16.0f, 16.0f};
    if (K <= 26) return {44, 14.0f, 15.0f};
    return {34, 12.0f, 13.0f};
}

int ceil_px(float w) { return static_cast<int>(std::ceil(w)); }

// Text turned 90 degrees counter-clockwise (reading upwards), its start at the bottom: drawn upright
// into a scratch image of the background colour, then copied turned, with (x_left, y_bottom) the
// bottom-left pixel of the turned box. The box must lie on plain background (the bands around the
// matrix are), so the result is what drawing it turned would give.
void draw_turned(RgbImage& img, const Font& font, const std::string& text, int x_left, int y_bottom, float px,
                 Rgb colour, Rgb background) {
    const int tw = ceil_px(font.text_width(text, px)) + 2;
    const int th = ceil_px(font.ascent(px) + font.descent(px)) + 2;
    RgbImage scratch(tw, th, background);
    font.draw(scratch, text, 1.0f, 1 + static_cast<int>(std::lround(font.ascent(px))), px, colour, Align::left);
    for (int sy = 0; sy < th; ++sy)
        for (int sx = 0; sx < tw; ++sx) {
            const int x = x_left + sy, y = y_bottom - sx;
            if (img.contains(x, y)) img.set(x, y, scratch.at(sx, sy));
        }
}

// Text of at most max_w: px, or smaller down to 75 % of it, then elided.
void draw_fitted(RgbImage& img, const Font& font, const std::string& text, float cx, int baseline, float px,
                 float max_w) {
    const float w = font.text_width(text, px);
    if (w > max_w) px = std::max(0.75f * px, px * max_w / w);
    font.draw(img, font.elide(text, px, max_w), cx, baseline, px, kTextColour, Align::center);
}

std::string format_value(double v, Normalize n) {
    if (n == Normalize::none) return std::to_string(static_cast<std::uint64_t>(std::llround(v)));
    return format_scale(static_cast<float>(v));
}

// One colorbar row of the legend: its text, then a bar from 0 (white) to s, ticked at nice values.
void draw_scale_bar(RgbImage& img, const Font& font, int top, const std::string& text, double s, bool diagonal,
                    Normalize n) {
    const float cx = static_cast<float>(img.width) / 2.0f;
    const int text_base = top + static_cast<int>(std::lround(4 + font.ascent(kLegendPx)));
    draw_fitted(img, font, text, cx, text_base, kLegendPx, static_cast<float>(img.width - 2 * kGutter));
    const int bar_w = std::min(img.width - 2 * kGutter - 40, 520);
    const int bx = (img.width - bar_w) / 2, by = top + 28;
    for (int j = 0; j < bar_w; ++j) {
        const float t = bar_w > 1 ? static_cast<float>(j) / static_cast<float>(bar_w - 1) : 0.0f;
        img.fill_rect(bx + j, by, 1, kHeatBarH, colormap_color(Colormap::rdbu, diagonal ? t : -t));
    }
    const Rgb outline = {0x40, 0x40, 0x40};
    img.fill_rect(bx - 1, by - 1, bar_w + 2, 1, outline);
    img.fill_rect(bx - 1, by + kHeatBarH, bar_w + 2, 1, outline);
    img.fill_rect(bx - 1, by - 1, 1, kHeatBarH + 2, outline);
    img.fill_rect(bx + bar_w, by - 1, 1, kHeatBarH + 2, outline);
    const int label_base = by + kHeatBarH + 1 + 5 + 3 + static_cast<int>(std::lround(font.ascent(kTickPx)));
    if (!(s > 0)) {
        img.fill_rect(bx - 1, by + kHeatBarH + 1, 1, 5, outline);
        font.draw(img, "0", static_cast<float>(bx), label_base, kTickPx, kTextColour, Align::center);
        return;
    }
    const double step = nice_step(0.0, s, 6, false, n == Normalize::none);
    float last_right = -1e9f;
    for (double v : ticks_in(0.0, s, step)) {
        const int x = bx + static_cast<int>(std::lround(v / s * static_cast<double>(bar_w - 1)));
        img.fill_rect(x, by + kHeatBarH + 1, 1, 5, outline);
        const std::string label = tick_label(v, step);
        const float w = font.text_width(label, kTickPx);
        const float l = static_cast<float>(x) - w / 2.0f;
        if (l < last_right + 6.0f) continue;  // never drawn over the previous label
        font.draw(img, label, l, label_base, kTickPx, kTextColour, Align::left);
        last_right = l + w;
    }
}

}  // namespace

Normalize normalize_from_name(const std::string& name) {
    if (name == "true") return Normalize::true_class;
    if (name == "pred") return Normalize::predicted;
    if (name == "none") return Normalize::none;
    throw Error("unknown normalization '" + name + "' (expected true, pred or none)");
}

const char* normalize_name(Normalize n) noexcept {
    switch (n) {
        case Normalize::true_class: return "true";
        case Normalize::predicted: return "pred";
        case Normalize::none: return "none";
    }
    return "true";
}

std::vector<double> confusion_values(const std::vector<std::uint64_t>& confusion, std::uint32_t K, Normalize n) {
    const std::size_t k = K;
    std::vector<double> v(k * k, 0.0);
    std::vector<std::uint64_t> row(k, 0), col(k, 0);
    for (std::size_t t = 0; t < k; ++t)
        for (std::size_t p = 0; p < k; ++p) {
            row[t] += confusion[t * k + p];
            col[p] += confusion[t * k + p];
        }
    for (std::size_t t = 0; t < k; ++t)
        for (std::size_t p = 0; p < k; ++p) {
            const auto c = static_cast<double>(confusion[t * k + p]);
            const std::uint64_t sum = n == Normalize::true_class ? row[t] : n == Normalize::predicted ? col[p] : 1;
            v[t * k + p] = sum ? c / static_cast<double>(sum) : 0.0;
        }
    return v;
}

ConfusionScales confusion_scales(const std::vector<double>& v, std::uint32_t K, Normalize n) {
    ConfusionScales s;
    s.diagonal = n == Normalize::none ? 0.0 : 1.0;
    for (std::size_t t = 0; t < K; ++t)
        for (std::size_t p = 0; p < K; ++p) {
            const double x = v[t * K + p];
            if (t == p) {
                if (n == Normalize::none) s.diagonal = std::max(s.diagonal, x);
            } else {
                s.off_diagonal = std::max(s.off_diagonal, x);
            }
        }
    return s;
}

Rgb confusion_cell_colour(double v, bool diagonal, const ConfusionScales& s) noexcept {
    const double scale = diagonal ? s.diagonal : s.off_diagonal;
    const float t = scale > 0 ? static_cast<float>(v / scale) : 0.0f;
    return colormap_color(Colormap::rdbu, diagonal ? t : -t);
}

double relative_luminance(Rgb c) noexcept {
    const auto lin = [](std::uint8_t u) {
        const double x = u / 255.0;
        return x <= 0.04045 ? x / 12.92 : std::pow((x + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

double contrast_ratio(Rgb a, Rgb b) noexcept {
    const double la = relative_luminance(a), lb = relative_luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

Rgb readable_text_colour(Rgb background) noexcept {
    return contrast_ratio(background, kHeatBlack) >= contrast_ratio(background, kHeatWhite) ? kHeatBlack : kHeatWhite;
}

HeatmapLayout confusion_layout(const std::vector<std::string>& names, std::uint64_t max_count, const Font& font) {
    if (names.empty()) throw Error("nothing to draw: no classes");
    const std::int64_t K = static_cast<std::int64_t>(std::min<std::size_t>(names.size(), std::size_t{1} << 20));
    const SizeByClasses sz = sizes_for(names.size());
    HeatmapLayout g;
    g.classes = static_cast<std::uint32_t>(K);
    g.count_px = sz.count_px;
    g.label_px = sz.label_px;
    g.cell = std::max(sz.cell, ceil_px(font.text_width(std::to_string(max_count), sz.count_px)) + 10);
    float widest = 0.0f;
    for (const auto& name : names) widest = std::max(widest, font.text_width(name, sz.label_px));
    const int label_len = ceil_px(std::min(widest, static_cast<float>(kHeatMaxLabel)));
    g.label_w = label_len + 8;
    g.turned_columns = widest > static_cast<float>(g.cell - 4);
    g.column_band = g.turned_columns ? label_len + 8 : ceil_px(font.ascent(sz.label_px) + font.descent(sz.label_px)) + 8;
    const std::int64_t content_w = kHeatAxisBand + g.label_w + K * g.cell + 1;
    const std::int64_t width = std::max<std::int64_t>(content_w + 2 * kGutter, kHeatMinWidth);
    const std::int64_t y0 = kGutter + kHeatTitleBand + kHeatAxisBand + g.column_band;
    const std::int64_t height = y0 + K * g.cell + 1 + kHeatLegendBand;
    if (width > kMaxRenderedSide || height > kMaxRenderedSide || width * height > kMaxRenderedPixels)
        throw Error("the confusion matrix of " + std::to_string(names.size()) + " classes would be " +
                    std::to_string(width) + " x " + std::to_string(height) + " pixels, more than the limit (" +
                    std::to_string(kMaxRenderedSide) + " per side, " + std::to_string(kMaxRenderedPixels) + " in all)");
    g.left = static_cast<int>((width - content_w) / 2);
    g.x0 = g.left + kHeatAxisBand + g.label_w;
    g.y0 = static_cast<int>(y0);
    g.width = static_cast<int>(width);
    g.height = static_cast<int>(height);
    return g;
}

RgbImage render_confusion(const std::vector<std::uint64_t>& confusion, const std::vector<std::string>& names,
                          const ConfusionOptions& opt, const Font& font) {
    const std::size_t Kz = names.size();
    if (confusion.size() != Kz * Kz)
        throw Error("confusion matrix holds " + std::to_string(confusion.size()) + " cells for " + std::to_string(Kz) +
                    " classes");
    std::uint64_t max_count = 0, total = 0, correct = 0;
    for (std::size_t i = 0; i < confusion.size(); ++i) {
        max_count = std::max(max_count, confusion[i]);
        total += confusion[i];
        if (i / Kz == i % Kz) correct += confusion[i];
    }
    const HeatmapLayout g = confusion_layout(names, max_count, font);
    const auto K = static_cast<std::uint32_t>(Kz);
    const std::vector<double> v = confusion_values(confusion, K, opt.normalize);
    const ConfusionScales s = confusion_scales(v, K, opt.normalize);
    RgbImage img(g.width, g.height, kGutterColour);

    // Cells: the grid lines first, each cell inside them, its count centred in it.
    img.fill_rect(g.x0, g.y0, static_cast<int>(K) * g.cell + 1, static_cast<int>(K) * g.cell + 1, kHeatGridLine);
    const float digit_h = font.ascent(g.count_px) * 0.72f;  // digits stand about 0.72 ascent tall
    for (std::uint32_t t = 0; t < K; ++t)
        for (std::uint32_t p = 0; p < K; ++p) {
            const Rgb bg = confusion_cell_colour(v[std::size_t{t} * K + p], t == p, s);
            const int x = g.cell_x(p), y = g.cell_y(t), inner = g.cell - 1;
            img.fill_rect(x, y, inner, inner, bg);
            const int baseline = y + static_cast<int>(std::lround((static_cast<float>(inner) + digit_h) / 2.0f));
            font.draw(img, std::to_string(confusion[std::size_t{t} * K + p]),
                      static_cast<float>(x) + static_cast<float>(inner) / 2.0f, baseline, g.count_px,
                      readable_text_colour(bg), Align::center);
        }

    // Class names: rows right-aligned beside the matrix, columns above it (turned when too wide).
    const float max_label = static_cast<float>(kHeatMaxLabel);
    const float label_mid = (font.ascent(g.label_px) - font.descent(g.label_px)) / 2.0f;
    for (std::uint32_t k = 0; k < K; ++k) {
        const std::string name = font.elide(names[k], g.label_px, max_label);
        const int row_base = g.cell_y(k) + static_cast<int>(std::lround(static_cast<float>(g.cell - 1) / 2.0f + label_mid));
        font.draw(img, name, static_cast<float>(g.x0 - 6), row_base, g.label_px, kTextColour, Align::right);
        const float cx = static_cast<float>(g.cell_x(k)) + static_cast<float>(g.cell - 1) / 2.0f;
        if (g.turned_columns) {
            const int th = ceil_px(font.ascent(g.label_px) + font.descent(g.label_px)) + 2;
            draw_turned(img, font, name, static_cast<int>(std::lround(cx)) - th / 2, g.y0 - 5, g.label_px, kTextColour,
                        kGutterColour);
        } else {
            font.draw(img, name, cx, g.y0 - 4 - static_cast<int>(std::ceil(font.descent(g.label_px))), g.label_px,
                      kTextColour, Align::center);
        }
    }

    // Titles: the figure's, the axes'.
    const float matrix_cx = static_cast<float>(g.x0) + static_cast<float>(static_cast<int>(K) * g.cell + 1) / 2.0f;
    char acc[32];
    std::snprintf(acc, sizeof acc, "%.4f", total ? static_cast<double>(correct) / static_cast<double>(total) : 0.0);
    const std::string title = "Confusion matrix, " + opt.split_name + " split: " + std::to_string(total) + " images, " +
                              std::to_string(correct) + " correct (" + acc + ")";
    draw_fitted(img, font, title, static_cast<float>(g.width) / 2.0f,
                kGutter + static_cast<int>(std::lround(4 + font.ascent(kHeatTitlePx))), kHeatTitlePx,
                static_cast<float>(g.width - 2 * kGutter));
    const int axis_top = kGutter + kHeatTitleBand;
    font.draw(img, "predicted class", matrix_cx, axis_top + static_cast<int>(std::lround(2 + font.ascent(kHeatAxisPx))),
              kHeatAxisPx, kTextColour, Align::center);
    const std::string true_label = "true class";
    const int true_w = ceil_px(font.text_width(true_label, kHeatAxisPx)) + 2;
    draw_turned(img, font, true_label, g.left + 2,
                g.y0 + (static_cast<int>(K) * g.cell + 1) / 2 + true_w / 2, kHeatAxisPx, kTextColour, kGutterColour);

    // The legend: what each colour scale means.
    std::string of;
    switch (opt.normalize) {
        case Normalize::true_class: of = "share of the row's true class"; break;
        case Normalize::predicted: of = "share of the column's predicted class"; break;
        case Normalize::none: of = "number of images"; break;
    }
    const int legend_top = g.y0 + static_cast<int>(K) * g.cell + 1 + 6;
    draw_scale_bar(img, font, legend_top,
                   "correct (diagonal, blue): " + of + ", 0 to " + format_value(s.diagonal, opt.normalize), s.diagonal,
                   true, opt.normalize);
    std::string mistakes = "mistakes (off-diagonal, red, own scale): " + of + ", 0 to " +
                           format_value(s.off_diagonal, opt.normalize);
    if (s.off_diagonal > 0) {
        // The most common mistake (the first in reading order on ties).
        std::size_t at = 0;
        while (at / K == at % K || v[at] != s.off_diagonal) ++at;
        mistakes += " (" + names[at / K] + " \u2192 " + names[at % K] + ")";
    } else {
        mistakes = "mistakes (off-diagonal, red): none";
    }
    draw_scale_bar(img, font, legend_top + kHeatLegendRow, mistakes, s.off_diagonal, false, opt.normalize);
    return img;
}

}  // namespace mnistlr
