#include "mnistlr/pictures/error_gallery.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/explain_figure.hpp"
#include "mnistlr/pictures/render.hpp"

namespace mnistlr {
namespace {

// Text that fits max_w: px, or smaller down to 75 % of it, then elided.
void draw_fitted(RgbImage& img, const Font& font, const std::string& text, float cx, int baseline, float px,
                 float max_w) {
    const float w = font.text_width(text, px);
    if (w > max_w) px = std::max(0.75f * px, px * max_w / w);
    font.draw(img, font.elide(text, px, max_w), cx, baseline, px, kTextColour, Align::center);
}

std::string count_of(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string mistake_title(const ModelInfo& info, const Mistake& m) {
    return class_name(info, m.truth) + " \u2192 " + class_name(info, m.predicted);
}

std::string mistake_subtitle(const Mistake& m, const std::string& split_name) {
    return "p = " + format_probability(m.probability) + "   " + split_name + "[" + std::to_string(m.index) + "]";
}

int GalleryLayout::tile_x(std::size_t i) const noexcept {
    return left + kGutter + static_cast<int>(i % std::size_t(grid_cols)) * (panel_w + kGutter) + (panel_w - tile_w) / 2;
}

int GalleryLayout::tile_y(std::size_t i) const noexcept {
    return kGutter + kGalleryTitleBand + static_cast<int>(i / std::size_t(grid_cols)) * (kGalleryTitleBand + tile_h + kGutter);
}

GalleryLayout error_gallery_layout(std::uint32_t rows, std::uint32_t cols, std::size_t n, const ErrorGalleryOptions& opt) {
    if (opt.scale < 1) throw Error("scale must be at least 1, got " + std::to_string(opt.scale));
    if (rows == 0 || cols == 0) throw Error("nothing to draw: empty images");
    const std::int64_t S = opt.scale;
    const std::int64_t tile_w = std::int64_t{cols} * S, tile_h = std::int64_t{rows} * S;
    const std::int64_t panel_w = std::max<std::int64_t>(tile_w, kGalleryMinPanel);
    // More tiles than any image can hold are refused below; the cap keeps the arithmetic in range.
    const auto N = static_cast<std::uint32_t>(std::min<std::size_t>(n, std::size_t{1} << 30));
    const std::int64_t C = grid_columns(N);
    const std::int64_t R = C ? (std::int64_t{N} + C - 1) / C : 0;
    const std::int64_t grid_w = C * panel_w + (C + 1) * kGutter;
    const std::int64_t width = std::max<std::int64_t>(grid_w, kGalleryMinWidth);
    const std::int64_t height = kGutter + R * (kGalleryTitleBand + tile_h + kGutter) + kGalleryCaptionBand;
    if (width > kMaxRenderedSide || height > kMaxRenderedSide || width * height > kMaxRenderedPixels)
        throw Error("the image of " + std::to_string(n) + " mistakes would be " + std::to_string(width) + " x " +
                    std::to_string(height) + " pixels, more than the limit (" + std::to_string(kMaxRenderedSide) +
                    " per side, " + std::to_string(kMaxRenderedPixels) + " in all); ask for fewer (--errors-count)");
    GalleryLayout g;
    g.tile_w = static_cast<int>(tile_w);
    g.tile_h = static_cast<int>(tile_h);
    g.panel_w = static_cast<int>(panel_w);
    g.grid_cols = static_cast<int>(C);
    g.grid_rows = static_cast<int>(R);
    g.left = static_cast<int>((width - grid_w) / 2);
    g.width = static_cast<int>(width);
    g.height = static_cast<int>(height);
    return g;
}

void render_error_gallery_bands(const Split& split, const ModelInfo& info, const std::vector<Mistake>& mistakes,
                                const ErrorGalleryOptions& opt, const Font& font,
                                const std::function<void(RgbImage&)>& sink) {
    for (const Mistake& m : mistakes)
        if (m.index >= split.count)
            throw Error(split.images_path, "mistake at index " + std::to_string(m.index) + " is not an image of the split (" +
                                               std::to_string(split.count) + " images)");
    const GalleryLayout g = error_gallery_layout(split.rows, split.cols, mistakes.size(), opt);

    // Titles: one name size for all tiles, the largest that fits the widest (down to 70 %).
    const float title_w = static_cast<float>(g.panel_w + kGutter - 6);
    std::vector<std::string> titles;
    float name_px = kGalleryNamePx;
    for (const Mistake& m : mistakes) {
        titles.push_back(mistake_title(info, m));
        const float w = font.text_width(titles.back(), kGalleryNamePx);
        if (w > title_w) name_px = std::min(name_px, std::max(0.7f * kGalleryNamePx, kGalleryNamePx * title_w / w));
    }

    // Band i holds grid row i: its title band, tiles and the gutter below; the first band starts at
    // the top gutter, the last one ends with the caption (with no mistakes, one band: the caption).
    const int row_h = kGalleryTitleBand + g.tile_h + kGutter;
    const int R = g.grid_rows;
    const auto row_top = [&](int i) { return i == 0 ? 0 : i == R ? g.height : kGutter + i * row_h; };
    const std::size_t C = std::size_t(std::max(g.grid_cols, 1));
    const std::size_t P = split.pixels_per_image();
    std::vector<float> x(P);
    RgbImage band;
    for (int i = 0; i < std::max(R, 1); ++i) {
        band.width = g.width;
        band.top = row_top(i);
        band.height = (R == 0 ? g.height : row_top(i + 1)) - band.top;
        band.reset(kGutterColour);
        const std::size_t first = std::size_t(i) * C, last = std::min(mistakes.size(), first + C);
        for (std::size_t t = first; t < last; ++t) {  // tiles: the stored bytes as the model sees them, x = byte / 255
            const std::uint8_t* px = split.image(mistakes[t].index);
            for (std::size_t p = 0; p < P; ++p) x[p] = static_cast<float>(px[p]) / 255.0f;
            draw_input_tile(band, x.data(), split.rows, split.cols, opt.scale, g.tile_x(t), g.tile_y(t));
        }
        for (std::size_t t = first; t < last; ++t) {  // then their titles, drawn over what is there
            const float cx = static_cast<float>(g.tile_x(t)) + static_cast<float>(g.tile_w) / 2.0f;
            const int top = g.tile_y(t) - kGalleryTitleBand;
            const int name_base = top + static_cast<int>(std::lround(6 + font.ascent(kGalleryNamePx)));
            const int num_base = name_base + static_cast<int>(std::lround(font.descent(kGalleryNamePx) + 4 +
                                                                          font.ascent(kGalleryNumbersPx)));
            font.draw(band, font.elide(titles[t], name_px, title_w), cx, name_base, name_px, kTextColour, Align::center);
            font.draw(band, font.elide(mistake_subtitle(mistakes[t], opt.split_name), kGalleryNumbersPx, title_w), cx,
                      num_base, kGalleryNumbersPx, kTextColour, Align::center);
        }
        if (i == std::max(R, 1) - 1) {
            // The caption: what these are, and how to read a title.
            std::string line1, line2;
            const std::string of_images = count_of(opt.images, "image", "images");
            if (mistakes.empty()) {
                line1 = "No mistakes: all " + of_images + " of the " + opt.split_name + " split are classified correctly";
            } else {
                line1 = (mistakes.size() == opt.total_mistakes
                             ? "All " + count_of(opt.total_mistakes, "mistake", "mistakes")
                             : "The " + std::to_string(mistakes.size()) + " most confident of " +
                                   count_of(opt.total_mistakes, "mistake", "mistakes")) +
                        " on the " + opt.split_name + " split (" + of_images + "), most confident first";
                line2 = "true \u2192 predicted;  p: the probability given to the predicted class;  " + opt.split_name +
                        "[i]: explain --index i";
            }
            const int band_top = g.height - kGalleryCaptionBand;
            const float max_w = static_cast<float>(g.width - 2 * kGutter);
            const float ccx = static_cast<float>(g.width) / 2.0f;
            const int base1 = band_top + static_cast<int>(std::lround(4 + font.ascent(kGalleryCaptionPx)));
            draw_fitted(band, font, line1, ccx, base1, kGalleryCaptionPx, max_w);
            if (!line2.empty())
                draw_fitted(band, font, line2, ccx,
                            base1 + static_cast<int>(std::lround(font.line_height(kGalleryCaptionPx))) + 2,
                            kGalleryCaptionPx, max_w);
        }
        sink(band);
    }
}

RgbImage render_error_gallery(const Split& split, const ModelInfo& info, const std::vector<Mistake>& mistakes,
                              const ErrorGalleryOptions& opt, const Font& font) {
    RgbImage img;
    render_error_gallery_bands(split, info, mistakes, opt, font, [&](RgbImage& band) {
        img.width = band.width;
        img.rgb.insert(img.rgb.end(), band.rgb.begin(), band.rgb.end());
        img.height += band.height;
    });
    return img;
}

}  // namespace mnistlr
