// The errors gallery: geometry, one tile per mistake in order of the wrong class's probability, each
// tile the image as explain draws its input, titles, the empty case. Pixels are checked on the
// decoded PNG.
#include <algorithm>
#include <numeric>
#include <random>
#include <utility>

#include <gtest/gtest.h>

#include "decoded_png.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/learning/evaluate.hpp"
#include "mnistlr/pictures/colormap.hpp"
#include "mnistlr/pictures/error_gallery.hpp"
#include "mnistlr/pictures/png.hpp"
#include "mnistlr/pictures/render.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

const Font& font() {
    static const Font f = Font::load_default();
    return f;
}

// Image i: a distinct pattern (pixel p is (37 i + 11 p) mod 256, every third pixel 0), so a tile
// showing the wrong image is caught.
Split patterned_split(std::size_t n, std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    std::mt19937 rng(seed);
    const std::size_t P = std::size_t{rows} * cols;
    std::vector<std::uint8_t> px(n * P), ys(n);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t p = 0; p < P; ++p) px[i * P + p] = p % 3 == 0 ? 0 : static_cast<std::uint8_t>((37 * i + 11 * p + rng() % 5) % 256);
        ys[i] = static_cast<std::uint8_t>(rng() % K);
    }
    return testutil::split_of(rows, cols, std::move(px), std::move(ys), "t10k-images", "t10k-labels");
}

SoftmaxModel random_model(std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    auto m = SoftmaxModel::zeros(rows, cols, K);
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.3f);
    for (Eigen::Index i = 0; i < m.W.size(); ++i) m.W.data()[i] = d(rng);
    for (Eigen::Index k = 0; k < m.b.size(); ++k) m.b(k) = d(rng);
    return m;
}

testutil::DecodedPng round_trip(const RgbImage& img) {
    testutil::TempDir dir;
    write_png(dir / "g.png", img);
    return testutil::decode_png_file(dir / "g.png");
}

// The gray of a stored byte as explain's input column draws it: t = (0.5 - x) / 0.5, x = byte / 255.
Rgb gray_of(std::uint8_t byte) {
    const float x = static_cast<float>(byte) / 255.0f;
    return colormap_color(Colormap::gray, (0.5f - x) / 0.5f);
}

// Every S x S block of the tile at (x0, y0) shows image `index` of the split.
::testing::AssertionResult tile_shows(const testutil::DecodedPng& png, const Split& s, std::size_t index, int x0, int y0,
                                      int S) {
    for (std::uint32_t r = 0; r < s.rows; ++r)
        for (std::uint32_t c = 0; c < s.cols; ++c)
            for (int dy = 0; dy < S; ++dy)
                for (int dx = 0; dx < S; ++dx) {
                    const Rgb want = gray_of(s.image(index)[std::size_t{r} * s.cols + c]);
                    const Rgb got = png.at(x0 + static_cast<int>(c) * S + dx, y0 + static_cast<int>(r) * S + dy);
                    if (got != want)
                        return ::testing::AssertionFailure() << "image " << index << " pixel (" << r << ", " << c << ") is "
                                                             << int(got.r) << " instead of " << int(want.r);
                }
    return ::testing::AssertionSuccess();
}

bool all_gutter(const testutil::DecodedPng& png, int x0, int y0, int w, int h) {
    for (int y = y0; y < y0 + h; ++y)
        for (int x = x0; x < x0 + w; ++x)
            if (png.at(x, y) != kGutterColour) return false;
    return true;
}

}  // namespace

TEST(ErrorGallery, geometry_follows_the_documented_formula) {
    struct Case {
        std::uint32_t rows, cols;
        std::size_t n;
        int S, C, R;
    };
    for (const Case& c : {Case{28, 28, 36, 4, 6, 6}, Case{32, 32, 26, 4, 6, 5}, Case{28, 28, 47, 4, 7, 7},
                          Case{28, 28, 10, 4, 5, 2}, Case{5, 7, 1, 2, 1, 1}, Case{28, 28, 100, 3, 10, 10},
                          Case{40, 60, 3, 5, 2, 2}, Case{28, 28, 0, 4, 0, 0}}) {
        ErrorGalleryOptions opt;
        opt.scale = c.S;
        const GalleryLayout g = error_gallery_layout(c.rows, c.cols, c.n, opt);
        const int tile_w = static_cast<int>(c.cols) * c.S, tile_h = static_cast<int>(c.rows) * c.S;
        const int panel_w = std::max(tile_w, kGalleryMinPanel);
        const int grid_w = c.C * panel_w + (c.C + 1) * kGutter;
        const int width = std::max(grid_w, kGalleryMinWidth);
        EXPECT_EQ(g.grid_cols, c.C) << c.n;
        EXPECT_EQ(g.grid_rows, c.R) << c.n;
        EXPECT_EQ(g.width, width) << c.n;
        EXPECT_EQ(g.height, kGutter + c.R * (kGalleryTitleBand + tile_h + kGutter) + kGalleryCaptionBand) << c.n;
        if (c.n > 1) {
            const int left = (width - grid_w) / 2;
            EXPECT_EQ(g.tile_x(1), left + kGutter + panel_w + kGutter + (panel_w - tile_w) / 2) << c.n;
            EXPECT_EQ(g.tile_y(static_cast<std::size_t>(c.C)), kGutter + kGalleryTitleBand + kGalleryTitleBand + tile_h + kGutter);
        }
    }
    // The default: 36 MNIST mistakes at scale 4.
    const GalleryLayout d = error_gallery_layout(28, 28, 36, ErrorGalleryOptions{});
    EXPECT_EQ(d.width, 1092);
    EXPECT_EQ(d.height, 1144);
    // The rendered image has the layout's size.
    const Split s = patterned_split(5, 6, 4, 3, 1);
    const std::vector<Mistake> some = {{0, 1, 2, 0.9f}, {3, 0, 1, 0.5f}};
    const RgbImage img = render_error_gallery(s, ModelInfo{}, some, ErrorGalleryOptions{}, font());
    const GalleryLayout g = error_gallery_layout(6, 4, 2, ErrorGalleryOptions{});
    EXPECT_EQ(img.width, g.width);
    EXPECT_EQ(img.height, g.height);
}

TEST(ErrorGallery, one_tile_per_mistake_in_order_of_the_wrong_class_probability) {
    // 10 and 26 classes, square and non-square images, a count that leaves the last row short.
    struct Case {
        std::uint32_t rows, cols, K;
        std::size_t n;
        int S;
    };
    for (const Case& c : {Case{8, 8, 10, 36, 3}, Case{7, 5, 26, 23, 4}, Case{32, 32, 47, 12, 2}}) {
        const Split s = patterned_split(600, c.rows, c.cols, c.K, c.K);
        const SoftmaxModel m = random_model(c.rows, c.cols, c.K, c.K + 7);
        const Metrics ev = evaluate(m, s);
        const auto mistakes = confident_mistakes(m, s, ev.predicted, c.n);
        ASSERT_EQ(mistakes.size(), c.n);

        // The ranking written out: every wrong image's probability of its predicted class, computed
        // one image at a time, sorted highest first (lower index on ties).
        std::vector<std::pair<float, std::size_t>> want;
        for (std::size_t i = 0; i < s.count; ++i) {
            if (ev.predicted[i] == s.label(i)) continue;
            Matrix x(static_cast<Eigen::Index>(m.pixels()), 1);
            load_columns_range(s.image(i), m.pixels(), 0, 1, x);
            want.emplace_back(probabilities(m, x)(ev.predicted[i], 0), i);
        }
        std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
            return std::abs(a.first - b.first) > 1e-6f ? a.first > b.first : a.second < b.second;
        });

        ErrorGalleryOptions opt;
        opt.scale = c.S;
        opt.total_mistakes = want.size();
        opt.images = s.count;
        const auto png = round_trip(render_error_gallery(s, ModelInfo{}, mistakes, opt, font()));
        const GalleryLayout g = error_gallery_layout(c.rows, c.cols, c.n, opt);
        ASSERT_EQ(png.w, g.width);
        ASSERT_EQ(png.h, g.height);
        for (std::size_t i = 0; i < c.n; ++i) {
            EXPECT_NE(mistakes[i].truth, mistakes[i].predicted);
            EXPECT_EQ(mistakes[i].index, want[i].second) << "tile " << i;
            EXPECT_TRUE(tile_shows(png, s, want[i].second, g.tile_x(i), g.tile_y(i), c.S)) << "tile " << i;
            // Its title is drawn in the band above it.
            EXPECT_FALSE(all_gutter(png, g.tile_x(i), g.tile_y(i) - kGalleryTitleBand + 4, g.tile_w, kGalleryTitleBand - 8))
                << "tile " << i;
        }
        // The grid's slots past the last mistake are empty: exactly n tiles.
        for (std::size_t i = c.n; i < std::size_t(g.grid_cols) * std::size_t(g.grid_rows); ++i)
            EXPECT_TRUE(all_gutter(png, g.tile_x(i), g.tile_y(i) - kGalleryTitleBand, g.tile_w, kGalleryTitleBand + g.tile_h))
                << "slot " << i;
    }
}

TEST(ErrorGallery, titles_name_true_and_predicted_class_the_probability_and_the_index) {
    ModelInfo info;
    info.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                        "Ankle boot"};
    const Mistake m{1234, 6, 0, 0.98731f};
    EXPECT_EQ(mistake_title(info, m), "Shirt \u2192 T-shirt/top");
    EXPECT_EQ(mistake_subtitle(m, "test"), "p = 0.987   test[1234]");
    EXPECT_EQ(mistake_title(ModelInfo{}, m), "6 \u2192 0");
    EXPECT_EQ(mistake_subtitle({7, 1, 2, 0.0043f}, "train"), "p = 0.0043   train[7]");
    // Long names still leave the tile and the band beside it alone (no title spills over a tile).
    const Split s = patterned_split(40, 28, 28, 10, 3);
    std::vector<Mistake> list;
    for (std::size_t i = 0; i < 12; ++i) list.push_back({i, 9, 0, 0.9f - 0.01f * static_cast<float>(i)});
    ErrorGalleryOptions opt;
    const auto png = round_trip(render_error_gallery(s, info, list, opt, font()));
    const GalleryLayout g = error_gallery_layout(28, 28, 12, opt);
    for (std::size_t i = 0; i < list.size(); ++i) EXPECT_TRUE(tile_shows(png, s, i, g.tile_x(i), g.tile_y(i), opt.scale));
    // The gutter column between two panels' title bands stays clear.
    for (std::size_t i = 0; i + 1 < std::size_t(g.grid_cols); ++i) {
        const int between = g.left + kGutter + static_cast<int>(i + 1) * (g.panel_w + kGutter) - kGutter / 2;
        EXPECT_TRUE(all_gutter(png, between, g.tile_y(i) - kGalleryTitleBand, 1, kGalleryTitleBand)) << i;
    }
}

TEST(ErrorGallery, no_mistakes_give_the_caption_alone) {
    const Split s = patterned_split(4, 28, 28, 10, 5);
    ErrorGalleryOptions opt;
    opt.images = 4;
    const RgbImage img = render_error_gallery(s, ModelInfo{}, {}, opt, font());
    EXPECT_EQ(img.width, kGalleryMinWidth);
    EXPECT_EQ(img.height, kGutter + kGalleryCaptionBand);
    int text = 0;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) text += img.at(x, y) != kGutterColour;
    EXPECT_GT(text, 100);  // the caption says so
}

TEST(ErrorGallery, refuses_what_it_cannot_draw) {
    const Split s = patterned_split(4, 28, 28, 10, 5);
    EXPECT_EQ(testutil::error_of([&] {
                  render_error_gallery(s, ModelInfo{}, {{4, 0, 1, 0.5f}}, ErrorGalleryOptions{}, font());
              }),
              "t10k-images: mistake at index 4 is not an image of the split (4 images)");
    ErrorGalleryOptions opt;
    opt.scale = 0;
    EXPECT_EQ(testutil::error_of([&] { error_gallery_layout(28, 28, 3, opt); }), "scale must be at least 1, got 0");
    const std::string big = testutil::error_of([&] { error_gallery_layout(28, 28, 10000, ErrorGalleryOptions{}); });
    EXPECT_NE(big.find("the image of 10000 mistakes would be"), std::string::npos) << big;
    EXPECT_NE(big.find("ask for fewer (--errors-count)"), std::string::npos) << big;
}

TEST(ErrorGallery, bands_are_the_grid_rows_and_need_no_clean_raster) {
    // 13 mistakes: a grid of several rows; each band one row, top to bottom, the last with the
    // caption. A sink that takes the pixels and leaves a dirty buffer (as PngStream::take does)
    // gets the same picture as render_error_gallery.
    const Split s = patterned_split(20, 28, 28, 10, 5);
    std::vector<Mistake> list;
    for (std::size_t i = 0; i < 13; ++i) list.push_back({i, 0, 1, 0.9f - 0.01f * static_cast<float>(i)});
    ErrorGalleryOptions opt;
    opt.images = 20;
    opt.total_mistakes = 13;
    const RgbImage whole = render_error_gallery(s, ModelInfo{}, list, opt, font());
    const GalleryLayout g = error_gallery_layout(28, 28, list.size(), opt);
    ASSERT_GT(g.grid_rows, 1);
    PageBytes joined, dirty(777, 0x5a);
    int bands = 0, next_top = 0;
    render_error_gallery_bands(s, ModelInfo{}, list, opt, font(), [&](RgbImage& band) {
        EXPECT_EQ(band.top, next_top);
        EXPECT_EQ(band.width, whole.width);
        next_top += band.height;
        joined.insert(joined.end(), band.rgb.begin(), band.rgb.end());
        std::swap(band.rgb, dirty);
        ++bands;
    });
    EXPECT_EQ(bands, g.grid_rows);
    EXPECT_EQ(next_top, whole.height);
    EXPECT_TRUE(joined == whole.rgb);
}
