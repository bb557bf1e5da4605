// The confusion heatmap: cell values per normalization, the two colour scales, white zero cells,
// counts in a readable colour, geometry, turned column labels, the legend's bars. Pixels are checked
// on the decoded PNG.
#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "decoded_png.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/pictures/colormap.hpp"
#include "mnistlr/pictures/confusion_heatmap.hpp"
#include "mnistlr/pictures/png.hpp"
#include "mnistlr/pictures/render.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

const Font& font() {
    static const Font f = Font::load_default();
    return f;
}

constexpr Rgb kWhite = {255, 255, 255};

testutil::DecodedPng round_trip(const RgbImage& img) {
    testutil::TempDir dir;
    write_png(dir / "c.png", img);
    return testutil::decode_png_file(dir / "c.png");
}

std::vector<std::string> digit_names(std::uint32_t K) {
    std::vector<std::string> n;
    for (std::uint32_t k = 0; k < K; ++k) n.push_back(std::to_string(k));
    return n;
}

std::vector<std::string> letter_names(std::uint32_t K) {
    const std::string all = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt";  // EMNIST balanced's 47
    std::vector<std::string> n;
    for (std::uint32_t k = 0; k < K; ++k) n.push_back(all.substr(k % all.size(), 1));
    return n;
}

// A plausible matrix: mostly diagonal, a few common mistakes, many zeros.
std::vector<std::uint64_t> plausible(std::uint32_t K, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint64_t> c(std::size_t{K} * K, 0);
    for (std::size_t t = 0; t < K; ++t) {
        c[t * K + t] = 300 + rng() % 700;
        for (std::size_t p = 0; p < K; ++p)
            if (p != t && rng() % 3 == 0) c[t * K + p] = rng() % 4 == 0 ? 20 + rng() % 60 : rng() % 6;
    }
    return c;
}

// The colour a cell should have, written out from the counts (header's formula).
Rgb want_colour(const std::vector<std::uint64_t>& c, std::uint32_t K, std::size_t t, std::size_t p, const std::string& norm) {
    auto value = [&](std::size_t tt, std::size_t pp) {
        double sum = 0;
        for (std::size_t i = 0; i < K; ++i) sum += static_cast<double>(norm == "true" ? c[tt * K + i] : c[i * K + pp]);
        if (norm == "none") sum = 1;
        return sum > 0 ? static_cast<double>(c[tt * K + pp]) / sum : 0.0;
    };
    double scale = 0;
    for (std::size_t tt = 0; tt < K; ++tt)
        for (std::size_t pp = 0; pp < K; ++pp)
            if ((tt == pp) == (t == p)) scale = std::max(scale, value(tt, pp));
    if (t == p && norm != "none") scale = 1.0;
    const float x = scale > 0 ? static_cast<float>(value(t, p) / scale) : 0.0f;
    return colormap_color(Colormap::rdbu, t == p ? x : -x);
}

bool between(std::uint8_t v, std::uint8_t a, std::uint8_t b) { return v >= std::min(a, b) && v <= std::max(a, b); }

}  // namespace

TEST(ConfusionHeatmap, values_follow_the_normalization) {
    // rows: true 0 = {8, 2, 0}, true 1 = {1, 3, 0}, true 2 = {0, 0, 0} (no images)
    const std::vector<std::uint64_t> c = {8, 2, 0, 1, 3, 0, 0, 0, 0};
    const auto t = confusion_values(c, 3, Normalize::true_class);
    EXPECT_DOUBLE_EQ(t[0], 0.8);
    EXPECT_DOUBLE_EQ(t[1], 0.2);
    EXPECT_DOUBLE_EQ(t[3], 0.25);
    EXPECT_DOUBLE_EQ(t[4], 0.75);
    EXPECT_DOUBLE_EQ(t[8], 0.0);  // empty row
    const auto p = confusion_values(c, 3, Normalize::predicted);
    EXPECT_DOUBLE_EQ(p[0], 8.0 / 9.0);
    EXPECT_DOUBLE_EQ(p[3], 1.0 / 9.0);
    EXPECT_DOUBLE_EQ(p[1], 0.4);
    EXPECT_DOUBLE_EQ(p[2], 0.0);  // empty column
    const auto n = confusion_values(c, 3, Normalize::none);
    EXPECT_DOUBLE_EQ(n[0], 8.0);
    EXPECT_DOUBLE_EQ(n[1], 2.0);

    const ConfusionScales st = confusion_scales(t, 3, Normalize::true_class);
    EXPECT_DOUBLE_EQ(st.diagonal, 1.0);
    EXPECT_DOUBLE_EQ(st.off_diagonal, 0.25);  // the largest mistake rate, not the diagonal's 0.8
    const ConfusionScales sn = confusion_scales(n, 3, Normalize::none);
    EXPECT_DOUBLE_EQ(sn.diagonal, 8.0);
    EXPECT_DOUBLE_EQ(sn.off_diagonal, 2.0);

    EXPECT_EQ(normalize_from_name("true"), Normalize::true_class);
    EXPECT_EQ(normalize_from_name("pred"), Normalize::predicted);
    EXPECT_EQ(normalize_from_name("none"), Normalize::none);
    EXPECT_STREQ(normalize_name(Normalize::predicted), "pred");
    EXPECT_EQ(testutil::error_of([] { normalize_from_name("row"); }),
              "unknown normalization 'row' (expected true, pred or none)");
}

TEST(ConfusionHeatmap, the_most_common_mistake_is_the_darkest_red_and_zero_is_white) {
    const ConfusionScales s{1.0, 0.04};
    EXPECT_EQ(confusion_cell_colour(0.04, false, s), (Rgb{0x67, 0x00, 0x1f}));  // RdBu's darkest red
    EXPECT_EQ(confusion_cell_colour(1.0, true, s), (Rgb{0x05, 0x30, 0x61}));    // its darkest blue
    EXPECT_EQ(confusion_cell_colour(0.0, false, s), kWhite);
    EXPECT_EQ(confusion_cell_colour(0.0, true, s), kWhite);
    EXPECT_EQ(confusion_cell_colour(0.02, false, s), colormap_color(Colormap::rdbu, -0.5f));
    // A 2 % mistake on the shared 0..1 scale would be nearly white; on its own scale it is mid red.
    EXPECT_EQ(colormap_color(Colormap::rdbu, -0.02f).r, 255);
    EXPECT_LT(confusion_cell_colour(0.02, false, s).g, 0xc0);
    EXPECT_EQ(confusion_cell_colour(0.01, false, ConfusionScales{1.0, 0.0}), kWhite);  // no scale: nothing to show
}

TEST(ConfusionHeatmap, text_colour_is_the_one_of_black_and_white_with_more_contrast) {
    EXPECT_NEAR(contrast_ratio(kWhite, kHeatBlack), 21.0, 1e-9);
    EXPECT_NEAR(relative_luminance(Rgb{0x80, 0x80, 0x80}), 0.2158605, 1e-6);
    EXPECT_EQ(readable_text_colour(kWhite), kHeatBlack);
    EXPECT_EQ(readable_text_colour(Rgb{0x67, 0x00, 0x1f}), kHeatWhite);
    EXPECT_EQ(readable_text_colour(Rgb{0x05, 0x30, 0x61}), kHeatWhite);
    EXPECT_EQ(readable_text_colour(Rgb{0xfd, 0xdb, 0xc7}), kHeatBlack);
    // Along both halves of the colormap, the chosen colour always reaches WCAG AA (4.5:1).
    for (int i = 0; i <= 1000; ++i) {
        const Rgb bg = colormap_color(Colormap::rdbu, -1.0f + static_cast<float>(i) / 500.0f);
        EXPECT_GE(contrast_ratio(bg, readable_text_colour(bg)), 4.5) << i;
    }
}

TEST(ConfusionHeatmap, cells_show_the_documented_colours_and_readable_counts) {
    for (const std::uint32_t K : {3u, 10u, 26u, 47u})
        for (const char* norm : {"true", "pred", "none"}) {
            const auto c = plausible(K, K);
            const auto names = K > 10 ? letter_names(K) : digit_names(K);
            ConfusionOptions opt;
            opt.normalize = normalize_from_name(norm);
            const auto png = round_trip(render_confusion(c, names, opt, font()));
            std::uint64_t max_count = *std::max_element(c.begin(), c.end());
            const HeatmapLayout g = confusion_layout(names, max_count, font());
            ASSERT_EQ(png.w, g.width);
            ASSERT_EQ(png.h, g.height);
            int zeros = 0;
            for (std::uint32_t t = 0; t < K; ++t)
                for (std::uint32_t p = 0; p < K; ++p) {
                    const Rgb bg = want_colour(c, K, t, p, norm);
                    const int x = g.cell_x(p), y = g.cell_y(t), inner = g.cell - 1;
                    // The corners are the cell's colour (the count sits in the middle).
                    ASSERT_EQ(png.at(x, y), bg) << K << norm << " cell " << t << "," << p;
                    ASSERT_EQ(png.at(x + inner - 1, y + inner - 1), bg) << K << norm << " cell " << t << "," << p;
                    if (c[std::size_t{t} * K + p] == 0) {
                        EXPECT_EQ(bg, kWhite);
                        ++zeros;
                    }
                    // The grid line left of and above the cell.
                    EXPECT_EQ(png.at(x - 1, y), kHeatGridLine);
                    EXPECT_EQ(png.at(x, y - 1), kHeatGridLine);
                    // Every pixel is a blend of the cell colour and its text colour, which reaches
                    // 4.5:1 against it; some pixels are mostly text (the count is there).
                    const Rgb fg = readable_text_colour(bg);
                    EXPECT_GE(contrast_ratio(bg, fg), 4.5);
                    int inked = 0;
                    for (int yy = y; yy < y + inner; ++yy)
                        for (int xx = x; xx < x + inner; ++xx) {
                            const Rgb q = png.at(xx, yy);
                            ASSERT_TRUE(between(q.r, bg.r, fg.r) && between(q.g, bg.g, fg.g) && between(q.b, bg.b, fg.b))
                                << K << norm << " cell " << t << "," << p;
                            inked += std::abs(int(q.r) - int(bg.r)) + std::abs(int(q.g) - int(bg.g)) +
                                             std::abs(int(q.b) - int(bg.b)) >
                                     (std::abs(int(fg.r) - int(bg.r)) + std::abs(int(fg.g) - int(bg.g)) +
                                      std::abs(int(fg.b) - int(bg.b))) / 2;
                        }
                    EXPECT_GE(inked, 4) << K << norm << " cell " << t << "," << p;
                }
            EXPECT_GT(zeros, 0) << K;
            // The right and bottom border lines.
            EXPECT_EQ(png.at(g.x0 + static_cast<int>(K) * g.cell, g.y0 + 5), kHeatGridLine);
            EXPECT_EQ(png.at(g.x0 + 5, g.y0 + static_cast<int>(K) * g.cell), kHeatGridLine);
        }
}

TEST(ConfusionHeatmap, geometry_follows_the_documented_formula) {
    const std::vector<std::string> fashion = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    struct Case {
        std::vector<std::string> names;
        std::uint64_t max_count;
        int c0;
        float count_px, label_px;
    };
    for (const Case& c : {Case{digit_names(10), 1135, 56, 16, 16}, Case{fashion, 1000, 56, 16, 16},
                          Case{letter_names(26), 800, 44, 14, 15}, Case{letter_names(47), 400, 34, 12, 13},
                          Case{digit_names(2), 5, 56, 16, 16}, Case{digit_names(10), 123456789, 56, 16, 16}}) {
        const HeatmapLayout g = confusion_layout(c.names, c.max_count, font());
        const int K = static_cast<int>(c.names.size());
        const int cell = std::max(c.c0, static_cast<int>(std::ceil(font().text_width(std::to_string(c.max_count), c.count_px))) + 10);
        float widest = 0;
        for (const auto& n : c.names) widest = std::max(widest, font().text_width(n, c.label_px));
        const int label_len = static_cast<int>(std::ceil(std::min(widest, float(kHeatMaxLabel))));
        const bool turned = widest > static_cast<float>(cell - 4);
        const int H = turned ? label_len + 8
                             : static_cast<int>(std::ceil(font().ascent(c.label_px) + font().descent(c.label_px))) + 8;
        const int content_w = kHeatAxisBand + label_len + 8 + K * cell + 1;
        const int width = std::max(content_w + 2 * kGutter, kHeatMinWidth);
        const int y0 = kGutter + kHeatTitleBand + kHeatAxisBand + H;
        EXPECT_EQ(g.cell, cell) << K;
        EXPECT_EQ(g.turned_columns, turned) << K;
        EXPECT_EQ(g.width, width) << K;
        EXPECT_EQ(g.x0, (width - content_w) / 2 + kHeatAxisBand + label_len + 8) << K;
        EXPECT_EQ(g.y0, y0) << K;
        EXPECT_EQ(g.height, y0 + K * cell + 1 + kHeatLegendBand) << K;
        EXPECT_EQ(g.cell_x(static_cast<std::uint32_t>(3 % K)), g.x0 + (3 % K) * cell + 1);
    }
    // Digits fit across; Fashion-MNIST's names are turned.
    EXPECT_FALSE(confusion_layout(digit_names(10), 1135, font()).turned_columns);
    EXPECT_TRUE(confusion_layout(fashion, 1000, font()).turned_columns);
    EXPECT_EQ(testutil::error_of([] { confusion_layout({}, 0, font()); }), "nothing to draw: no classes");
    EXPECT_EQ(testutil::error_of([] { render_confusion({1, 2, 3}, digit_names(2), ConfusionOptions{}, font()); }),
              "confusion matrix holds 3 cells for 2 classes");
}

TEST(ConfusionHeatmap, legend_bars_show_both_scales_from_white) {
    const auto c = plausible(10, 3);
    const auto png = round_trip(render_confusion(c, digit_names(10), ConfusionOptions{}, font()));
    const HeatmapLayout g = confusion_layout(digit_names(10), *std::max_element(c.begin(), c.end()), font());
    const int bar_w = std::min(g.width - 2 * kGutter - 40, 520), bx = (g.width - bar_w) / 2;
    for (int i = 0; i < 2; ++i) {
        const int y = g.y0 + 10 * g.cell + 1 + 34 + i * kHeatLegendRow + kHeatBarH / 2;
        for (int j = 0; j < bar_w; ++j) {
            const float t = static_cast<float>(j) / static_cast<float>(bar_w - 1);
            ASSERT_EQ(png.at(bx + j, y), colormap_color(Colormap::rdbu, i == 0 ? t : -t)) << i << " " << j;
        }
    }
}

TEST(ConfusionHeatmap, turned_column_labels_stay_in_their_band) {
    const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    const auto c = plausible(10, 9);
    const auto png = round_trip(render_confusion(c, names, ConfusionOptions{}, font()));
    const HeatmapLayout g = confusion_layout(names, *std::max_element(c.begin(), c.end()), font());
    ASSERT_TRUE(g.turned_columns);
    // Each column's label is drawn above that column only: the gutter between two columns' label
    // strips (at the grid lines) stays clear, and the label band holds ink above every column.
    const int band_top = g.y0 - g.column_band;
    for (std::uint32_t p = 0; p < 10; ++p) {
        bool ink = false;
        for (int y = band_top; y < g.y0 - 1; ++y)
            for (int x = g.cell_x(p); x < g.cell_x(p) + g.cell - 1; ++x) ink |= png.at(x, y) != kGutterColour;
        EXPECT_TRUE(ink) << p;
        for (int y = band_top; y < g.y0; ++y) EXPECT_EQ(png.at(g.x0 + static_cast<int>(p) * g.cell, y), kGutterColour) << p;
    }
}
