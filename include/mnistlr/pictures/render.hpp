// The picture of what each class learned: weights -> RGB image (no I/O).
//
// Class k's weights W(:, k) are its rows x cols picture (row-major pixels, see model.hpp). Each is
// drawn as a tile, upscaled by nearest neighbour (every weight is a scale x scale block), coloured by
// t = w / s through a colormap (colormap.hpp), with s the plot's symmetric scale:
//   shared    (default) one s for all tiles, s = max |W| over every class of the model, so tiles
//             compare and 0 is the same colour (white in rdbu) everywhere;
//   per-class s_k = max |W(:, k)|, each tile uses its whole colour range (its title shows ±s_k).
// With clip percentile P < 100, max |.| becomes the P-th percentile of |.| (linear interpolation
// between order statistics, as numpy.percentile), and values beyond ±s saturate.
//
// Geometry, all in pixels (every number here is part of the documented output; tests check it):
//   S = scale, g = kGutter, T = kTitleBand, B = kColorbarBand
//   tile_w = cols * S, tile_h = rows * S          (rows x cols from the weights file)
//   n      = number of tiles (K, or 1 with only_class)
//   C      = grid columns: grid_cols if set (at most n), else 5 when n = 10, else ceil(sqrt(n))
//   R      = ceil(n / C)
//   width  = C * tile_w + (C + 1) * g
//   height = g + R * (T + tile_h + g) + (colorbar ? B : 0) + (note ? N : 0)     (N = kNoteBand)
//   tile i (row-major in the grid) has its top-left pixel at
//     x = g + (i mod C) * (tile_w + g),  y = g + T + (i div C) * (T + tile_h + g)
// e.g. MNIST (28 x 28, K = 10) at the default S = 8: 1192 x 608.
// A note (e.g. "inputs deskewed" for a model of deskewed images) is one line of kLabelPx text in a
// band of its own at the bottom, left-aligned at x = g.
// Everything that is not a tile, a title, the colorbar or the note is the gutter colour kGutterColour
// (gray, not white: white means "zero weight").
// Titles (class_name(), centred in the band above each tile) are kTitlePx high, all shrunk together
// (to at most 70 %) when the widest does not fit its cell, then elided with "…".
// The colorbar sits under the grid, centred: a bar colorbar_width(width) pixels wide (odd, so its
// middle column is exactly t = 0), with ticks and labels at -s, 0, +s ("≤" / "≥" mark clipped ends;
// with per-class scales the labels are symbolic: −s, 0, +s). In an image too narrow for the labels,
// "0" and then the end labels are left out rather than drawn over each other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mnistlr/pictures/colormap.hpp"
#include "mnistlr/pictures/image.hpp"
#include "mnistlr/learning/model.hpp"
#include "mnistlr/pictures/text.hpp"
#include "mnistlr/model_files/model_info.hpp"

namespace mnistlr {

constexpr int kGutter = 12;
constexpr int kTitleBand = 32;
constexpr int kColorbarBand = 60;
constexpr int kNoteBand = 28;
constexpr float kTitlePx = 20.0f;
constexpr float kLabelPx = 16.0f;
constexpr Rgb kGutterColour = {0xc8, 0xc8, 0xc8};
constexpr Rgb kTextColour = {0x1a, 0x1a, 0x1a};
// Side and area limits of the rendered image (refused beyond: use a smaller scale or one class).
constexpr int kMaxRenderedSide = 32768;
constexpr std::int64_t kMaxRenderedPixels = std::int64_t{1} << 27;

enum class ScaleRange { shared, per_class };

// "shared", "per-class". Throws Error for any other name.
ScaleRange scale_range_from_name(const std::string& name);

struct RenderOptions {
    Colormap cmap = Colormap::rdbu;
    ScaleRange range = ScaleRange::shared;
    double clip_percentile = 100.0;           // in (0, 100]; 100 = no clipping
    int scale = 8;                            // >= 1
    int grid_cols = 0;                        // 0 = automatic (see above)
    std::optional<std::uint32_t> only_class;  // draw this class's tile only
    bool colorbar = true;
    std::string note;                         // one line under everything; empty: no note band
};

struct GridLayout {
    int tile_w = 0, tile_h = 0;
    int grid_cols = 0, grid_rows = 0;
    int width = 0, height = 0;
    int tile_x(std::size_t i) const noexcept {
        return kGutter + static_cast<int>(i % std::size_t(grid_cols)) * (tile_w + kGutter);
    }
    int tile_y(std::size_t i) const noexcept {
        return kGutter + kTitleBand + static_cast<int>(i / std::size_t(grid_cols)) * (kTitleBand + tile_h + kGutter);
    }
};

// The automatic column count C above for n tiles: 5 when n = 10, else ceil(sqrt(n)) (0 for n = 0).
// The other grids of pictures (eval --errors) wrap the same way.
int grid_columns(std::uint32_t n) noexcept;

// The formula above. Throws Error for a scale < 1, no tiles, or an image beyond the size limits.
GridLayout weight_grid_layout(std::uint32_t rows, std::uint32_t cols, std::uint32_t tiles, const RenderOptions& opt);

// Width of the colorbar's bar: 60 % of the image width, at least 240 px, at most width - 2 g; odd.
int colorbar_width(int image_width) noexcept;

// The P-th percentile of |w[0..n)| (P in (0, 100]; 100 = max |w|); 0 for n = 0.
float symmetric_scale(const float* w, std::size_t n, double percentile);

// A colour scale as the colorbar and the titles write it: three significant digits, trailing zeros
// kept so that labels side by side line up ("0.512", "0.490", "1.23", "12.3", "123").
std::string format_scale(float s);

// One tile: value v[r * cols + c] drawn as the S x S block at (x0 + c S, y0 + r S), coloured
// colormap_color(cmap, v / s) (a division, so v = s gives exactly 1; 0 when s = 0). The weight grid's
// tiles, and the evidence maps of explain. Precondition: the tile lies inside the image.
void draw_value_tile(RgbImage& img, const float* v, std::uint32_t rows, std::uint32_t cols, int S, int x0, int y0,
                     float s, Colormap cmap);

// The colorbar described above, its bar's top edge at row `top`, labelled for scale s and opt's
// colormap, range and clip.
void draw_colorbar(RgbImage& img, const Font& font, int top, float s, const RenderOptions& opt);

// Titles are class_name(info, k). Throws Error when only_class is not a class of the model or the
// options are out of range.
RgbImage render_weight_grid(const SoftmaxModel& model, const ModelInfo& info, const RenderOptions& opt,
                            const Font& font);

}  // namespace mnistlr
