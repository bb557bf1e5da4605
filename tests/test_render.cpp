// The weight-grid renderer: which colour lands where, and the documented image geometry.
#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/render.hpp"

using namespace mnistlr;

namespace {

const Font& font() {
    static const Font f = Font::load_default();
    return f;
}

constexpr Rgb kWhite = {255, 255, 255};
constexpr Rgb kFullBlue = {0x05, 0x30, 0x61};
constexpr Rgb kFullRed = {0x67, 0x00, 0x1f};

// A rows x cols x K model, all zeros except W(r * cols + c, k) = v.
SoftmaxModel one_pixel_model(std::uint32_t rows, std::uint32_t cols, std::uint32_t K, std::uint32_t k,
                             std::uint32_t r, std::uint32_t c, float v) {
    SoftmaxModel m = SoftmaxModel::zeros(rows, cols, K);
    m.W(static_cast<Eigen::Index>(r * cols + c), static_cast<Eigen::Index>(k)) = v;
    return m;
}

// Every pixel of the block that weight (r, c) of tile i becomes.
::testing::AssertionResult block_is(const RgbImage& img, const GridLayout& g, std::size_t i, std::uint32_t r,
                                    std::uint32_t c, int S, Rgb want) {
    for (int dy = 0; dy < S; ++dy)
        for (int dx = 0; dx < S; ++dx) {
            const int x = g.tile_x(i) + static_cast<int>(c) * S + dx, y = g.tile_y(i) + static_cast<int>(r) * S + dy;
            const Rgb got = img.at(x, y);
            if (got != want)
                return ::testing::AssertionFailure()
                       << "tile " << i << " weight (" << r << ", " << c << ") pixel (" << x << ", " << y << ") is "
                       << int(got.r) << "," << int(got.g) << "," << int(got.b);
        }
    return ::testing::AssertionSuccess();
}

void check_single_pixel(float v, Rgb want) {
    const std::uint32_t rows = 5, cols = 7, K = 10, k = 3, r = 2, c = 5;  // non-square: catches a transpose
    const SoftmaxModel m = one_pixel_model(rows, cols, K, k, r, c, v);
    RenderOptions opt;
    opt.scale = 4;
    const RgbImage img = render_weight_grid(m, ModelInfo{}, opt, font());
    const GridLayout g = weight_grid_layout(rows, cols, K, opt);
    ASSERT_EQ(img.width, g.width);
    ASSERT_EQ(img.height, g.height);
    for (std::uint32_t kk = 0; kk < K; ++kk)
        for (std::uint32_t rr = 0; rr < rows; ++rr)
            for (std::uint32_t cc = 0; cc < cols; ++cc) {
                const bool hot = kk == k && rr == r && cc == c;
                EXPECT_TRUE(block_is(img, g, kk, rr, cc, opt.scale, hot ? want : kWhite));
            }
}

}  // namespace

TEST(Render, single_positive_weight_is_a_full_blue_block_everything_else_white) {
    check_single_pixel(0.37f, kFullBlue);
}

TEST(Render, single_negative_weight_is_a_full_red_block) { check_single_pixel(-2.5f, kFullRed); }

TEST(Render, image_size_follows_the_documented_formula) {
    // width = C*tile_w + (C+1)*g, height = g + R*(T + tile_h + g) + B, with g = 12, T = 32, B = 60.
    struct Case {
        std::uint32_t K;
        int C, R;
    };
    for (const Case& cs : {Case{10, 5, 2}, Case{26, 6, 5}, Case{47, 7, 7}}) {
        for (int S : {1, 3, 8}) {
            RenderOptions opt;
            opt.scale = S;
            const GridLayout g = weight_grid_layout(28, 28, cs.K, opt);
            EXPECT_EQ(g.grid_cols, cs.C) << cs.K;
            EXPECT_EQ(g.grid_rows, cs.R) << cs.K;
            EXPECT_EQ(g.width, cs.C * 28 * S + (cs.C + 1) * 12) << cs.K << " x" << S;
            EXPECT_EQ(g.height, 12 + cs.R * (32 + 28 * S + 12) + 60) << cs.K << " x" << S;
            opt.colorbar = false;
            EXPECT_EQ(weight_grid_layout(28, 28, cs.K, opt).height, 12 + cs.R * (32 + 28 * S + 12));
        }
        RenderOptions opt;
        opt.scale = 2;
        const RgbImage img = render_weight_grid(SoftmaxModel::zeros(28, 28, cs.K), ModelInfo{}, opt, font());
        EXPECT_EQ(img.width, cs.C * 56 + (cs.C + 1) * 12);
        EXPECT_EQ(img.height, 12 + cs.R * (32 + 56 + 12) + 60);
        EXPECT_EQ(img.rgb.size(), 3u * std::size_t(img.width) * std::size_t(img.height));
    }
    // MNIST at the default scale, as the header says.
    const GridLayout mnist = weight_grid_layout(28, 28, 10, RenderOptions{});
    EXPECT_EQ(mnist.width, 1192);
    EXPECT_EQ(mnist.height, 608);
}

TEST(Render, geometry_comes_from_the_model_and_options) {
    RenderOptions opt;
    opt.scale = 3;
    GridLayout g = weight_grid_layout(10, 20, 10, opt);  // 10 rows x 20 cols
    EXPECT_EQ(g.tile_w, 60);
    EXPECT_EQ(g.tile_h, 30);
    opt.grid_cols = 3;
    g = weight_grid_layout(10, 20, 10, opt);
    EXPECT_EQ(g.grid_cols, 3);
    EXPECT_EQ(g.grid_rows, 4);
    opt.grid_cols = 50;  // more columns than tiles: one row
    g = weight_grid_layout(10, 20, 10, opt);
    EXPECT_EQ(g.grid_cols, 10);
    EXPECT_EQ(g.grid_rows, 1);
    EXPECT_EQ(weight_grid_layout(28, 28, 1, RenderOptions{}).width, 224 + 24);
    EXPECT_EQ(g.tile_x(0), 12);
    EXPECT_EQ(g.tile_y(0), 12 + 32);
    EXPECT_EQ(g.tile_x(1), 12 + 60 + 12);
}

TEST(Render, absurd_sizes_are_refused) {
    RenderOptions opt;
    opt.scale = 64;
    EXPECT_THROW(weight_grid_layout(4096, 4096, 10, opt), Error);
    opt.scale = 0;
    EXPECT_THROW(weight_grid_layout(28, 28, 10, opt), Error);
}

TEST(Render, gutter_is_gray_and_titles_are_drawn_above_tiles) {
    RenderOptions opt;
    const RgbImage img = render_weight_grid(SoftmaxModel::zeros(28, 28, 10), ModelInfo{}, opt, font());
    const GridLayout g = weight_grid_layout(28, 28, 10, opt);
    EXPECT_EQ(img.at(0, 0), kGutterColour);
    EXPECT_EQ(img.at(g.tile_x(1) - 1, g.tile_y(1)), kGutterColour);  // between tiles 0 and 1
    // The title band of each tile holds dark (text) pixels, centred over the tile.
    for (std::size_t i = 0; i < 10; ++i) {
        int dark = 0, sum_x = 0;
        for (int y = g.tile_y(i) - kTitleBand; y < g.tile_y(i); ++y)
            for (int x = g.tile_x(i); x < g.tile_x(i) + g.tile_w; ++x)
                if (img.at(x, y).r < 100) ++dark, sum_x += x;
        ASSERT_GT(dark, 10) << i;
        EXPECT_NEAR(double(sum_x) / dark, g.tile_x(i) + g.tile_w / 2.0, 4.0) << i;
    }
}

TEST(Render, colorbar_runs_from_full_red_through_white_to_full_blue) {
    SoftmaxModel m = one_pixel_model(28, 28, 10, 0, 0, 0, 1.0f);
    RenderOptions opt;
    const RgbImage img = render_weight_grid(m, ModelInfo{}, opt, font());
    const GridLayout g = weight_grid_layout(28, 28, 10, opt);
    // Find the bar: the row after the grid where the middle is white.
    const int grid_bottom = kGutter + g.grid_rows * (kTitleBand + g.tile_h + kGutter);
    const int y = grid_bottom + 4 + 8;
    const int bar_w = colorbar_width(g.width);
    EXPECT_EQ(bar_w, 715);  // round(0.6 * 1192) = 715
    const int x0 = (g.width - bar_w) / 2;
    EXPECT_EQ(img.at(x0, y), kFullRed);
    EXPECT_EQ(img.at(x0 + bar_w / 2, y), kWhite);
    EXPECT_EQ(img.at(x0 + bar_w - 1, y), kFullBlue);
    EXPECT_EQ(img.at(x0 - 1, y), (Rgb{0x40, 0x40, 0x40}));  // outline
}

TEST(Render, colorbar_width_rule) {
    EXPECT_EQ(colorbar_width(1192), 715);
    EXPECT_EQ(colorbar_width(1000), 599);        // 600, made odd
    EXPECT_EQ(colorbar_width(248), 223);         // one 224-px tile: at least 240, at most width - 24
    EXPECT_EQ(colorbar_width(300), 239);
}

TEST(Render, per_class_range_gives_each_tile_its_full_scale) {
    SoftmaxModel m = SoftmaxModel::zeros(2, 2, 2);
    m.W(0, 0) = 1.0f;
    m.W(0, 1) = 0.01f;
    RenderOptions opt;
    opt.scale = 1;
    opt.colorbar = false;
    RgbImage img = render_weight_grid(m, ModelInfo{}, opt, font());
    GridLayout g = weight_grid_layout(2, 2, 2, opt);
    EXPECT_EQ(img.at(g.tile_x(0), g.tile_y(0)), kFullBlue);
    EXPECT_NE(img.at(g.tile_x(1), g.tile_y(1) - 0), kFullBlue);  // shared: 0.01 is nearly white
    opt.range = ScaleRange::per_class;
    img = render_weight_grid(m, ModelInfo{}, opt, font());
    EXPECT_EQ(img.at(g.tile_x(1), g.tile_y(1)), kFullBlue);
}

TEST(Render, only_class_draws_one_tile_with_the_shared_scale) {
    SoftmaxModel m = SoftmaxModel::zeros(3, 3, 4);
    m.W(4, 0) = 2.0f;  // sets the shared scale
    m.W(4, 2) = 2.0f;
    m.W(0, 2) = -1.0f;
    RenderOptions opt;
    opt.scale = 2;
    opt.only_class = 2;
    const RgbImage img = render_weight_grid(m, ModelInfo{}, opt, font());
    const GridLayout g = weight_grid_layout(3, 3, 1, opt);
    EXPECT_EQ(img.width, g.width);
    EXPECT_EQ(img.at(g.tile_x(0) + 2, g.tile_y(0) + 2), kFullBlue);  // weight (1, 1)
    EXPECT_EQ(img.at(g.tile_x(0), g.tile_y(0)), colormap_color(Colormap::rdbu, -0.5f));
    opt.only_class = 4;
    EXPECT_THROW(render_weight_grid(m, ModelInfo{}, opt, font()), Error);
}

TEST(Render, symmetric_scale_is_max_or_numpy_percentile_of_abs) {
    std::vector<float> w;
    for (int i = 1; i <= 100; ++i) w.push_back(i % 2 ? float(i) : -float(i));
    EXPECT_FLOAT_EQ(symmetric_scale(w.data(), w.size(), 100.0), 100.0f);
    EXPECT_FLOAT_EQ(symmetric_scale(w.data(), w.size(), 50.0), 50.5f);   // numpy.percentile(1..100, 50)
    EXPECT_FLOAT_EQ(symmetric_scale(w.data(), w.size(), 99.5), 99.505f);  // h = 98.505
    EXPECT_FLOAT_EQ(symmetric_scale(w.data(), 0, 99.0), 0.0f);
}

TEST(Render, clip_saturates_the_extreme_and_spreads_the_rest) {
    SoftmaxModel m = SoftmaxModel::zeros(10, 10, 2);
    for (Eigen::Index p = 0; p < 100; ++p) m.W(p, 0) = 0.01f * static_cast<float>(p % 10);
    m.W(0, 1) = 50.0f;  // one extreme weight
    RenderOptions opt;
    opt.scale = 1;
    opt.colorbar = false;
    const GridLayout g = weight_grid_layout(10, 10, 2, opt);
    RgbImage img = render_weight_grid(m, ModelInfo{}, opt, font());
    // Without clipping, 0.09 / 50 is indistinguishable from white.
    EXPECT_EQ(img.at(g.tile_x(0) + 9, g.tile_y(0)), colormap_color(Colormap::rdbu, 0.09f / 50.0f));
    opt.clip_percentile = 99.0;
    img = render_weight_grid(m, ModelInfo{}, opt, font());
    EXPECT_EQ(img.at(g.tile_x(1), g.tile_y(1)), kFullBlue);  // the extreme saturates
    const float s = symmetric_scale(m.W.data(), 200, 99.0);
    EXPECT_LT(s, 1.0f);
    EXPECT_EQ(img.at(g.tile_x(0) + 9, g.tile_y(0)), colormap_color(Colormap::rdbu, 0.09f / s));
    opt.clip_percentile = 0.0;
    EXPECT_THROW(render_weight_grid(m, ModelInfo{}, opt, font()), Error);
}

TEST(Render, class_names_are_the_titles_and_long_ones_are_shrunk_to_fit) {
    ModelInfo info;
    info.class_names = {"T-shirt/top", "A very long class name that cannot possibly fit"};
    RenderOptions opt;
    opt.scale = 2;
    opt.colorbar = false;
    const SoftmaxModel m = SoftmaxModel::zeros(28, 28, 2);
    const RgbImage img = render_weight_grid(m, info, opt, font());
    const GridLayout g = weight_grid_layout(28, 28, 2, opt);
    // The long title stays inside its own cell: the gutter column between the tiles is clean.
    const int mid = g.tile_x(1) - kGutter / 2;
    for (int y = 0; y < g.tile_y(1); ++y) EXPECT_EQ(img.at(mid, y), kGutterColour) << y;
}
