// Chart primitives shared by the figures (learning curves today; heatmaps and animations reuse
// them): nice tick spacings and labels, anti-aliased polylines, coverage blending, a legend row.
// Pure functions on an RgbImage (image.hpp); no I/O.
#pragma once

#include <string>
#include <vector>

#include "mnistlr/pictures/image.hpp"
#include "mnistlr/pictures/text.hpp"

namespace mnistlr {

// floor(v / step) and ceil(v / step), with a relative tolerance so that 0.30000000000000004 / 0.1
// counts as 3 (every place that counts or places ticks uses these two).
double whole_down(double v, double step);
double whole_up(double v, double step);

// v with exactly `decimals` decimals ("%.*f").
std::string format_fixed(double v, int decimals);

// A tick spacing: the smallest of 1, 2, 5 x 10^k (k any integer; k >= 0 when integer_only) that
// gives at most max_ticks multiples of it in [lo, hi] (with `expand`, in [floor(lo / step) * step,
// ceil(hi / step) * step], the range widened to whole steps). Precondition: lo < hi, both finite.
double nice_step(double lo, double hi, int max_ticks, bool expand, bool integer_only = false);

// The multiples of step in [lo, hi], ascending (each computed as k * step, not by accumulation).
std::vector<double> ticks_in(double lo, double hi, double step);

// A tick's label: as many decimals as step needs ("0.2" for step 0.2 or 0.1 x 2, "200" for 200, "0.05"),
// "0" rather than "-0". Very large or small steps use %g.
std::string tick_label(double v, double step);

struct PointF {
    float x = 0, y = 0;
};

struct RectI {
    int x = 0, y = 0, w = 0, h = 0;  // pixels [x, x + w) x [y, y + h)
};

// A polyline `width` pixels wide with round joins and caps, anti-aliased: a pixel is covered by
// clamp(width / 2 + 0.5 - d, 0, 1), d the distance from its centre (x + 0.5, y + 0.5) to the nearest
// segment, and blended over the image by that coverage. Overlapping segments do not darken each other
// (coverage is the maximum over segments). Only pixels inside clip (and the image) change. One point
// draws a dot.
void draw_polyline(RgbImage& img, const std::vector<PointF>& points, float width, Rgb colour, RectI clip);

// Blends colour c over pixel (x, y) by coverage in [0, 1] (0: unchanged, 1: c), per channel,
// rounded. Precondition: img.contains(x, y).
void blend_pixel(RgbImage& img, int x, int y, Rgb c, float coverage);

// One legend item: a line sample `width` px thick (at scale 1) in `colour`, then `name`. An empty
// name is not shown.
struct LegendEntry {
    std::string name;
    Rgb colour;
    float width = 2.0f;
};

// One row of legend entries (a line sample, then the name) centred on the image at `baseline`, all
// lengths times `scale`: text of text_px, at least side_pad px from each side. When the row does not
// fit, the text shrinks (to 75 % at most), then the longest names are elided first.
void draw_legend(RgbImage& img, const Font& font, const std::vector<LegendEntry>& entries, int baseline, int scale,
                 float text_px, float side_pad, Rgb text_colour);

}  // namespace mnistlr
