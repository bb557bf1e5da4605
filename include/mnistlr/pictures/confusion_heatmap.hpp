// The confusion matrix of eval --confusion as a heatmap (no I/O).
//
// Rows are the true class, columns the predicted one, class names on both axes; every cell shows its
// count. A cell's colour is its value v, per `normalize`:
//   true  (default) v = count / (images of the row's true class): the rate at which that class is
//         given each answer (a row sums to 1; the diagonal is the class's accuracy);
//   pred  v = count / (images predicted as the column's class);
//   none  v = count;
// v = 0 when the row (column) holds no images. The diagonal and the mistakes get a scale each, so
// that the diagonal (~0.9 on MNIST) does not wash out the mistakes (mostly below 0.05):
//   diagonal      t = v / s_d through the blue half of RdBu:  colormap_color(rdbu, +t)
//                 s_d = 1 for true and pred (a rate), the largest diagonal count for none;
//   off-diagonal  t = v / s_o through the red half:           colormap_color(rdbu, -t)
//                 s_o = the largest off-diagonal v, so the most common mistake is the darkest red;
// with t computed as float(v / s) (0 when s = 0). v = 0 is exactly white in both. Two colorbars
// under the matrix give both scales, and the legend names the most common mistake.
// A count is drawn in black or white, whichever has the higher contrast ratio (WCAG 2:
// (L1 + 0.05) / (L2 + 0.05) on relative luminance) with its cell; one of them always reaches 4.58:1.
//
// Geometry, in pixels (tests check it). K classes, g = kGutter, A = kHeatAxisBand:
//   base cell c0, count size, label size by K:  K <= 12: 56, 16, 16;  K <= 26: 44, 14, 15;  else 34, 12, 13
//   c      = max(c0, ceil(width of the widest count at the count size) + 10)      (cell pitch)
//   Lw     = ceil(min(widest name, kHeatMaxLabel)) + 8                            (row labels)
//   column labels are horizontal when every name is at most c - 4 wide, else turned 90 degrees
//   (reading upwards): H = ceil(ascent + descent) + 8, or ceil(min(widest name, kHeatMaxLabel)) + 8
//   content_w = A + Lw + K c + 1
//   width  = max(content_w + 2 g, kHeatMinWidth),  left = (width - content_w) / 2 (integer division)
//   x0     = left + A + Lw,  y0 = g + kHeatTitleBand + A + H                      (the matrix's corner)
//   height = y0 + K c + 1 + kHeatLegendBand
//   cell (t, p) fills [x0 + p c + 1, x0 + (p + 1) c) x [y0 + t c + 1, y0 + (t + 1) c); the 1-pixel
//   lines between and around the cells are kHeatGridLine.
// Under the matrix, the legend: two colorbars, i = 0 the diagonal's and i = 1 the mistakes', each
// under a line of text saying what it measures; bar i is bar_w = min(width - 2 g - 40, 520) pixels
// wide and kHeatBarH high, its left edge at (width - bar_w) / 2 and its top at
// y0 + K c + 1 + 34 + i * kHeatLegendRow; its column j is colormap_color(rdbu, ±j / (bar_w - 1))
// (+ for the diagonal), ticked at nice values from 0 to the scale.
// Names (all widths measured at the label size) longer than kHeatMaxLabel are elided with "…".
// Above the matrix: a title (split, images, accuracy) and "predicted class"; left of it, turned,
// "true class". Everything else is kGutterColour (render.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mnistlr/pictures/image.hpp"
#include "mnistlr/pictures/text.hpp"

namespace mnistlr {

constexpr int kHeatTitleBand = 36;
constexpr int kHeatAxisBand = 26;
constexpr int kHeatMaxLabel = 180;
constexpr int kHeatMinWidth = 640;
constexpr int kHeatLegendRow = 78;
constexpr int kHeatBarH = 14;
constexpr int kHeatLegendBand = 6 + 2 * kHeatLegendRow + 8;
constexpr Rgb kHeatGridLine = {0x9a, 0x9a, 0x9a};
constexpr Rgb kHeatBlack = {0, 0, 0};
constexpr Rgb kHeatWhite = {255, 255, 255};

enum class Normalize { true_class, predicted, none };

// "true", "pred", "none". Throws Error for any other name.
Normalize normalize_from_name(const std::string& name);
const char* normalize_name(Normalize n) noexcept;

// v[t * K + p] as above, from confusion[t * K + p].
std::vector<double> confusion_values(const std::vector<std::uint64_t>& confusion, std::uint32_t K, Normalize n);

struct ConfusionScales {
    double diagonal = 0.0;      // s_d
    double off_diagonal = 0.0;  // s_o
};
ConfusionScales confusion_scales(const std::vector<double>& v, std::uint32_t K, Normalize n);

// The colour of a cell of value v.
Rgb confusion_cell_colour(double v, bool diagonal, const ConfusionScales& s) noexcept;

// WCAG 2 relative luminance (sRGB linearised) and contrast ratio; the text colour for a cell.
double relative_luminance(Rgb c) noexcept;
double contrast_ratio(Rgb a, Rgb b) noexcept;
Rgb readable_text_colour(Rgb background) noexcept;

struct HeatmapLayout {
    std::uint32_t classes = 0;
    int cell = 0;              // c
    float count_px = 0, label_px = 0;
    int label_w = 0;           // Lw
    int column_band = 0;       // H
    bool turned_columns = false;
    int left = 0, x0 = 0, y0 = 0;
    int width = 0, height = 0;
    int cell_x(std::uint32_t p) const noexcept { return x0 + static_cast<int>(p) * cell + 1; }
    int cell_y(std::uint32_t t) const noexcept { return y0 + static_cast<int>(t) * cell + 1; }
};

// The formula above for these class names and the largest count. Throws Error for no classes or
// an image beyond render.hpp's size limits.
HeatmapLayout confusion_layout(const std::vector<std::string>& names, std::uint64_t max_count, const Font& font);

struct ConfusionOptions {
    Normalize normalize = Normalize::true_class;
    std::string split_name = "test";  // for the title
};

// The heatmap of confusion[t * K + p], K = names.size(). Throws Error when the matrix is not K x K,
// or as confusion_layout.
RgbImage render_confusion(const std::vector<std::uint64_t>& confusion, const std::vector<std::string>& names,
                          const ConfusionOptions& opt, const Font& font);

}  // namespace mnistlr
