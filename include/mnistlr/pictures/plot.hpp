// The learning-curves figure: curves (curves.hpp) -> RGB image (no I/O), drawn with the chart
// primitives of chart.hpp (nice ticks, tick labels, anti-aliased polylines, the legend row).
//
// The picture (render_curves): a white image of width x height pixels (the options times `scale`).
// From the top: the title (when not empty), a legend row naming every series, then two panels side
// by side, "Loss (cross-entropy)" on the left and "Accuracy" on the right, each a framed plot of its
// quantity against the training step, with nice round tick values (1, 2 or 5 x 10^k apart), light
// grid lines at the ticks, tick labels, and the axis label "step" under it.
//
// Series, drawn in this order (later ones on top), in both panels:
//   minibatch   batch_loss / batch_accuracy  kMinibatchColour, 1.5 px; noisy, so drawn light.
//               With smooth = N > 1: the raw series kMinibatchRawColour 1.5 px, and over it its
//               trailing moving average over N records (moving_average) kMinibatchAverageColour 2 px; the
//               legend says "minibatch, moving average of N".
//   training set train_loss / train_accuracy kTrainColour, 2 px (only when the CSV has them)
//   test set    test_loss / test_accuracy    kTestColour, 2.5 px
// All lengths above and below are at scale 1; every one is multiplied by `scale`.
//
// Axes: x spans the first to the last step (plus 2 % of the span on each side), ticks only at steps
// inside that range. y: the loss axis starts at 0, the accuracy axis at the largest nice value below
// the smallest accuracy drawn; both end at the smallest nice value above the largest value drawn
// (the accuracy axis never beyond 1), plus 3 % of the span on each side so no curve touches the frame.
// The number of ticks is the largest that keeps labels apart (no label overlaps another).
// A value v maps to the pixel whose centre is nearest to (PanelLayout::x_px, PanelLayout::y_px).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "mnistlr/pictures/chart.hpp"
#include "mnistlr/pictures/curves.hpp"
#include "mnistlr/pictures/image.hpp"
#include "mnistlr/pictures/text.hpp"

namespace mnistlr {

constexpr Rgb kPlotBackground = {0xff, 0xff, 0xff};
constexpr Rgb kPlotFrameColour = {0x44, 0x44, 0x44};
constexpr Rgb kPlotGridColour = {0xe6, 0xe6, 0xe6};
constexpr Rgb kMinibatchColour = {0x86, 0xb4, 0xdc};         // light blue: noisy, stays in the background
constexpr Rgb kMinibatchRawColour = {0xcf, 0xe1, 0xf2};      // pale blue: the unsmoothed series under its average
constexpr Rgb kMinibatchAverageColour = {0x2f, 0x74, 0xb5};  // blue: the moving average
constexpr Rgb kTrainColour = {0x2c, 0xa0, 0x4c};         // green
constexpr Rgb kTestColour = {0xe6, 0x55, 0x0d};          // orange

// Option limits (render_curves refuses anything outside them).
constexpr int kMinPlotWidth = 480, kMaxPlotWidth = 8192;
constexpr int kMinPlotHeight = 300, kMaxPlotHeight = 8192;
constexpr int kMaxPlotScale = 4;

// ---- the learning-curves picture --------------------------------------------

struct CurvesPlotOptions {
    int width = 1200;        // at scale 1, in [kMinPlotWidth, kMaxPlotWidth]
    int height = 520;        // at scale 1, in [kMinPlotHeight, kMaxPlotHeight]
    int scale = 1;           // 1 .. kMaxPlotScale: everything (image, text, lines) this many times larger
    std::string title;       // "" = no title row
    std::size_t smooth = 0;  // > 1: also draw the minibatch series' moving average over this many records
};

struct Axis {
    double lo = 0, hi = 1;      // the values at the two ends of the axis (frame lines)
    double step = 1;            // tick spacing
    std::vector<double> ticks;  // ticks_in(...): where the ticks and grid lines are
};

struct PanelLayout {
    // The frame lines are the pixel columns `left` and `right` and the rows `top` and `bottom` (each
    // `scale` pixels thick, growing outwards); curves are drawn strictly inside.
    int left = 0, top = 0, right = 0, bottom = 0;
    Axis x, y;
    // Pixel-centre coordinates of a value: lo maps to the centre of the frame line, hi to the other.
    float x_px(double v) const noexcept;
    float y_px(double v) const noexcept;
};

struct CurvesLayout {
    int width = 0, height = 0;  // options.width * scale, options.height * scale
    int scale = 1;
    PanelLayout loss, accuracy;
};

// Throws Error for options out of range or no rows.
CurvesLayout curves_layout(const Curves& curves, const CurvesPlotOptions& opt, const Font& font);

// The picture described at the top. Throws as curves_layout.
RgbImage render_curves(const Curves& curves, const CurvesPlotOptions& opt, const Font& font);

// "Learning curves: test accuracy 0.9203 at step 1000" (the last row's).
std::string default_curves_title(const Curves& curves);

}  // namespace mnistlr
