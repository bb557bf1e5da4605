// The explain figure: for each input, what the model saw and the evidence maps (evidence.hpp) of
// its top classes, in one picture with one colour scale (no I/O).
//
// One row per input, left to right:
//   input    the model's input in gray, ink dark on white (x = 0 white, x = 1 black), titled with
//            the input's name and its label when known;
//   top-k    for each of the k most probable classes, its evidence map e_k = W(:, k) .* x in RdBu
//            (blue: the pixel votes for the class, red: against; white exactly 0, so every pixel
//            with x = 0 is white), titled with the class name and "z = <logit>  p = <probability>";
//   versus   (optional) d = e_top - e_other, titled "<top> vs <other>" and "Δz = z_top − z_other":
//            blue pixels favour the top class, red ones the other.
// Every map uses one symmetric scale s = max |value| over all maps in the figure, so colours
// compare across maps and rows; the colorbar under the rows shows −s, 0, +s and says what blue
// and red mean.
//
// Geometry, in pixels (tests check it):
//   S = scale, g = kGutter, T = kExplainTitleBand, B = kExplainColorbarBand
//   tile_w = cols * S, tile_h = rows * S,  panel_w = max(tile_w, kExplainMinPanel)
//   Q      = 1 + k + (versus ? 1 : 0) panels per row, n rows (inputs)
//   width  = Q * panel_w + (Q + 1) * g
//   height = g + n * (T + tile_h + g) + B
//   panel q of row i: tile top-left at x = g + q * (panel_w + g) + (panel_w - tile_w) / 2,
//                                       y = g + T + i * (T + tile_h + g)
// Everything that is not a tile, a title or the colorbar is kGutterColour (render.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mnistlr/learning/model.hpp"
#include "mnistlr/learning/model_input.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/pictures/evidence.hpp"
#include "mnistlr/pictures/image.hpp"
#include "mnistlr/pictures/text.hpp"

namespace mnistlr {

constexpr int kExplainTitleBand = 54;
constexpr int kExplainMinPanel = 168;
constexpr int kExplainColorbarBand = 96;
constexpr float kExplainNamePx = 19.0f;
constexpr float kExplainNumbersPx = 16.0f;

struct ExplainFigureOptions {
    std::size_t top_k = 3;  // >= 1; at most the class count is drawn
    VersusChoice versus;    // kind none: no versus panel
    int scale = 8;          // >= 1
    // render_explanation_bands: bands of whole rows of about this many bytes (at least one row).
    std::size_t band_bytes = std::size_t{1} << 20;
};

// One panel of a row: the input, a class's map, or a versus map.
struct ExplainPanel {
    enum class Kind { input, cls, versus } kind = Kind::input;
    std::uint32_t cls = 0;    // cls: the class; versus: the top class
    std::uint32_t other = 0;  // versus: the class compared with
};

// The panels of the row of an input with evidence ev.
std::vector<ExplainPanel> explain_panels(const Evidence& ev, const ExplainFigureOptions& opt);

struct ExplainLayout {
    int tile_w = 0, tile_h = 0, panel_w = 0;
    int panels = 0, rows = 0;
    int width = 0, height = 0;
    int tile_x(int q) const noexcept;
    int tile_y(int i) const noexcept;
};

// The formula above for n inputs of rows x cols pixels and `classes` classes. Throws Error for
// scale < 1, no inputs, or an image beyond render.hpp's size limits.
ExplainLayout explain_layout(std::uint32_t rows, std::uint32_t cols, std::size_t n, std::uint32_t classes,
                             const ExplainFigureOptions& opt);

// The colour scale s of the figure: max |value| over every map it draws.
float explain_scale(const SoftmaxModel& model, const ModelInputs& inputs, const std::vector<Evidence>& ev,
                    const ExplainFigureOptions& opt);

// The figure, drawn band by band: each band (whole rows of inputs, about 1 MiB of pixels, top to
// bottom; the last one ends with the colorbar) is handed to `sink` once drawn. The sink may take the
// band's pixels (PngStream::take) and leave it another buffer; the band is reset before the next
// one is drawn, so a tall figure never sits in memory whole. ev[j] is the evidence of inputs.X's column j (evidence_of). Throws as explain_layout.
void render_explanation_bands(const SoftmaxModel& model, const ModelInfo& info, const ModelInputs& inputs,
                              const std::vector<Evidence>& ev, const ExplainFigureOptions& opt, const Font& font,
                              const std::function<void(RgbImage&)>& sink);

// The same figure as one raster.
RgbImage render_explanation(const SoftmaxModel& model, const ModelInfo& info, const ModelInputs& inputs,
                            const std::vector<Evidence>& ev, const ExplainFigureOptions& opt, const Font& font);

// The input panel's tile: x[p] (rows x cols, clamped to [0, 1]) as gray, x = 0 white, x = 1 black
// (draw_value_tile of 0.5 - x at scale 0.5 through the gray map). eval --errors draws its tiles so.
void draw_input_tile(RgbImage& img, const float* x, std::uint32_t rows, std::uint32_t cols, int S, int x0, int y0);

// "0.998", "0.0043", "1.2e-05": a probability as the titles print it.
std::string format_probability(double p);
// "9.71", "-3.05": a logit or a logit difference as the titles print it (two decimals).
std::string format_logit(double z);

}  // namespace mnistlr
