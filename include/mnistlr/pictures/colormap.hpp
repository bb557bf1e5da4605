// Colormaps: a value t in [-1, 1] (a weight divided by the plot's scale s) to an sRGB colour.
//
// Each map is a list of evenly spaced sRGB anchors, interpolated linearly per channel and rounded to
// the nearest integer (what matplotlib's LinearSegmentedColormap does, minus its 256-entry quantisation):
//   rdbu    ColorBrewer's 11-class RdBu, -1 = #67001f (dark red) ... +1 = #053061 (dark blue), except
//           that the centre anchor is pure white #ffffff instead of ColorBrewer's #f7f7f7, so a zero
//           weight ("no vote") is exactly white. Lightness rises monotonically towards 0 from both sides.
//   gray    -1 = black, +1 = white (0 = #808080): the digit shapes stand out.
//   viridis matplotlib's viridis sampled at 11 points, -1 = #440154 ... +1 = #fde725; lightness rises
//           monotonically from -1 to +1.
// t outside [-1, 1] is clamped; NaN maps like 0.
#pragma once

#include <string>

#include "mnistlr/pictures/image.hpp"

namespace mnistlr {

enum class Colormap { rdbu, gray, viridis };

// "rdbu", "gray", "viridis". Throws Error for any other name.
Colormap colormap_from_name(const std::string& name);
const char* colormap_name(Colormap cmap) noexcept;

Rgb colormap_color(Colormap cmap, float t) noexcept;

}  // namespace mnistlr
