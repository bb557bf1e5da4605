// The errors gallery of eval --errors: the model's most confident mistakes (mistakes.hpp) as a grid
// of the images themselves, each titled with what it is and what the model called it (no I/O).
//
// Tile i (mistakes[i], most confident first, row-major in the grid) is the image as explain draws
// its input column (draw_input_tile: the stored bytes x / 255 in gray, ink dark on white), titled
// on two lines:
//   "<true class> → <predicted class>"              (class names from the weights file)
//   "p = <probability of the predicted class>   <split>[<index>]"
// so that `mnistlr explain MODEL --split <split> --index <index>` draws why. The names of all
// tiles share one size: kGalleryNamePx, or smaller (down to 70 %) until the widest fits its panel,
// then elided with "…". A caption under the grid says how many mistakes of how many images these
// are and how to read a title.
//
// Geometry, in pixels (tests check it):
//   S = scale, g = kGutter, T = kGalleryTitleBand, B = kGalleryCaptionBand, n = mistakes drawn
//   tile_w = cols * S, tile_h = rows * S,  panel_w = max(tile_w, kGalleryMinPanel)
//   C      = grid_columns(n) (render.hpp: 5 when n = 10, else ceil(sqrt(n)); 0 when n = 0)
//   R      = ceil(n / C) (0 when n = 0)
//   grid_w = C * panel_w + (C + 1) * g
//   width  = max(grid_w, kGalleryMinWidth),  left = (width - grid_w) / 2 (integer division)
//   height = g + R * (T + tile_h + g) + B
//   tile i has its top-left pixel at
//     x = left + g + (i mod C) * (panel_w + g) + (panel_w - tile_w) / 2,
//     y = g + T + (i div C) * (T + tile_h + g)
// e.g. 36 mistakes of 28 x 28 images at the default scale 4: 6 x 6 tiles, 1092 x 1300.
// Everything that is not a tile, a title or the caption is kGutterColour (render.hpp). With no
// mistakes the image is the caption alone, saying so.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mnistlr/data/dataset.hpp"
#include "mnistlr/learning/mistakes.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/pictures/image.hpp"
#include "mnistlr/pictures/text.hpp"

namespace mnistlr {

constexpr int kGalleryTitleBand = 54;
constexpr int kGalleryMinPanel = 168;
constexpr int kGalleryCaptionBand = 64;
constexpr int kGalleryMinWidth = 560;
constexpr float kGalleryNamePx = 19.0f;
constexpr float kGalleryNumbersPx = 16.0f;
constexpr float kGalleryCaptionPx = 16.0f;

struct ErrorGalleryOptions {
    int scale = 4;                    // >= 1: pixels per image pixel
    std::string split_name = "test";  // the titles' "test[i]"
    std::size_t total_mistakes = 0;   // of the whole split, for the caption
    std::size_t images = 0;           // in the split, for the caption
};

struct GalleryLayout {
    int tile_w = 0, tile_h = 0, panel_w = 0;
    int grid_cols = 0, grid_rows = 0;
    int left = 0;
    int width = 0, height = 0;
    int tile_x(std::size_t i) const noexcept;
    int tile_y(std::size_t i) const noexcept;
};

// The formula above for n tiles of rows x cols images. Throws Error for scale < 1, empty images, or
// an image beyond render.hpp's size limits (naming the tile count, to be reduced).
GalleryLayout error_gallery_layout(std::uint32_t rows, std::uint32_t cols, std::size_t n, const ErrorGalleryOptions& opt);

// The gallery of `mistakes` (images of `split`, in the order given). Throws as error_gallery_layout,
// and Error when a mistake's index is not an image of the split.
RgbImage render_error_gallery(const Split& split, const ModelInfo& info, const std::vector<Mistake>& mistakes,
                              const ErrorGalleryOptions& opt, const Font& font);
// The same picture band by band (one band per grid row, the last with the caption), each handed to
// `sink` once drawn; the sink may take the pixels (PngStream::take). Only a few rows of tiles are in
// memory at a time: eval streams the gallery into its PNG this way.
void render_error_gallery_bands(const Split& split, const ModelInfo& info, const std::vector<Mistake>& mistakes,
                                const ErrorGalleryOptions& opt, const Font& font,
                                const std::function<void(RgbImage&)>& sink);

// A tile's two title lines: "7 → 2" and "p = 0.987   test[1234]".
std::string mistake_title(const ModelInfo& info, const Mistake& m);
std::string mistake_subtitle(const Mistake& m, const std::string& split_name);

}  // namespace mnistlr
