// The explain figure: geometry, one symmetric scale, white where x = 0, the gray input tile, and
// which class lands in which panel.
#include <random>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/colormap.hpp"
#include "mnistlr/pictures/explain_figure.hpp"
#include "mnistlr/pictures/render.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

const Font& font() {
    static const Font f = Font::load_default();
    return f;
}

constexpr Rgb kWhite = {255, 255, 255};
constexpr Rgb kBlack = {0, 0, 0};

SoftmaxModel random_model(std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.3f);
    SoftmaxModel m = SoftmaxModel::zeros(rows, cols, K);
    for (Eigen::Index i = 0; i < m.W.size(); ++i) m.W.data()[i] = d(rng);
    for (Eigen::Index k = 0; k < m.b.size(); ++k) m.b[k] = d(rng);
    return m;
}

// n inputs, pixel p of input j is 0 unless (p + j) % 3 == 0, then a value in (0, 1].
ModelInputs sparse_inputs(std::size_t P, std::size_t n) {
    ModelInputs in;
    in.X = Matrix::Zero(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(n));
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t p = 0; p < P; ++p)
            if ((p + j) % 3 == 0)
                in.X(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(j)) = static_cast<float>((p * 7 + j) % 10 + 1) / 10.0f;
        in.items.push_back({"img" + std::to_string(j), "f", -1, -1});
    }
    return in;
}

// The colour every S x S block of panel q, row i shows, checked block by block against want(p).
template <class F>
::testing::AssertionResult panel_is(const RgbImage& img, const ExplainLayout& g, int q, int i, std::uint32_t rows,
                                    std::uint32_t cols, int S, F want) {
    for (std::uint32_t r = 0; r < rows; ++r)
        for (std::uint32_t c = 0; c < cols; ++c)
            for (int dy = 0; dy < S; ++dy)
                for (int dx = 0; dx < S; ++dx) {
                    const int x = g.tile_x(q) + static_cast<int>(c) * S + dx, y = g.tile_y(i) + static_cast<int>(r) * S + dy;
                    const Rgb got = img.at(x, y), w = want(std::size_t{r} * cols + c);
                    if (got != w)
                        return ::testing::AssertionFailure() << "panel " << q << " row " << i << " pixel (" << r << ", " << c
                                                             << ") is " << int(got.r) << "," << int(got.g) << "," << int(got.b)
                                                             << ", expected " << int(w.r) << "," << int(w.g) << "," << int(w.b);
                }
    return ::testing::AssertionSuccess();
}

}  // namespace

TEST(ExplainFigure, geometry_follows_the_documented_formula) {
    for (const auto& [rows, cols, K, n, k, vs, S] :
         {std::tuple{28u, 28u, 10u, std::size_t{3}, std::size_t{3}, true, 8}, std::tuple{32u, 32u, 26u, std::size_t{2}, std::size_t{5}, false, 4},
          std::tuple{5u, 7u, 3u, std::size_t{1}, std::size_t{9}, true, 2}}) {
        const SoftmaxModel m = random_model(rows, cols, K, K);
        const ModelInputs in = sparse_inputs(m.pixels(), n);
        ExplainFigureOptions opt;
        opt.top_k = k;
        opt.scale = S;
        if (vs) opt.versus.kind = VersusChoice::Kind::runner_up;
        const RgbImage img = render_explanation(m, ModelInfo{}, in, evidence_of(m, in.X), opt, font());
        const int tile_w = static_cast<int>(cols) * S, tile_h = static_cast<int>(rows) * S;
        const int panel_w = std::max(tile_w, kExplainMinPanel);
        const int Q = 1 + static_cast<int>(std::min<std::size_t>(k, K)) + (vs ? 1 : 0);
        EXPECT_EQ(img.width, Q * panel_w + (Q + 1) * kGutter) << rows << "x" << cols;
        EXPECT_EQ(img.height, kGutter + static_cast<int>(n) * (kExplainTitleBand + tile_h + kGutter) + kExplainColorbarBand);
        const ExplainLayout g = explain_layout(rows, cols, n, K, opt);
        EXPECT_EQ(g.width, img.width);
        EXPECT_EQ(g.height, img.height);
        EXPECT_EQ(g.panels, Q);
        EXPECT_EQ(g.tile_x(1), kGutter + panel_w + kGutter + (panel_w - tile_w) / 2);
        EXPECT_EQ(g.tile_y(1), kGutter + kExplainTitleBand + kExplainTitleBand + tile_h + kGutter);
    }
}

TEST(ExplainFigure, maps_use_one_symmetric_scale_and_zero_pixels_are_white) {
    const std::uint32_t rows = 6, cols = 5, K = 4;  // non-square: catches a transpose
    const SoftmaxModel m = random_model(rows, cols, K, 11);
    const ModelInputs in = sparse_inputs(m.pixels(), 2);
    ExplainFigureOptions opt;
    opt.top_k = 3;
    opt.scale = 3;
    opt.versus.kind = VersusChoice::Kind::cls;
    opt.versus.cls = 2;
    const auto ev = evidence_of(m, in.X);
    const RgbImage img = render_explanation(m, ModelInfo{}, in, ev, opt, font());
    const ExplainLayout g = explain_layout(rows, cols, 2, K, opt);
    // The scale is the largest |value| of all drawn maps (versus included).
    const float s = explain_scale(m, in, ev, opt);
    float want_s = 0;
    std::vector<float> v(m.pixels());
    for (std::size_t j = 0; j < 2; ++j) {
        const float* x = in.X.col(static_cast<Eigen::Index>(j)).data();
        for (const auto& p : explain_panels(ev[j], opt)) {
            if (p.kind == ExplainPanel::Kind::input) continue;
            if (p.kind == ExplainPanel::Kind::cls) evidence_map(m, x, p.cls, v.data());
            else evidence_difference(m, x, p.cls, p.other, v.data());
            for (float e : v) want_s = std::max(want_s, std::fabs(e));
        }
    }
    EXPECT_EQ(s, want_s);
    EXPECT_GT(s, 0.0f);
    for (std::size_t j = 0; j < 2; ++j) {
        const float* x = in.X.col(static_cast<Eigen::Index>(j)).data();
        const auto panels = explain_panels(ev[j], opt);
        ASSERT_EQ(panels.size(), 5u);
        EXPECT_EQ(panels[1].cls, ev[j].order[0]);
        EXPECT_EQ(panels[3].cls, ev[j].order[2]);
        for (std::size_t q = 0; q < panels.size(); ++q) {
            const auto& p = panels[q];
            if (p.kind == ExplainPanel::Kind::input) {
                // Gray, ink dark: x = 0 white, otherwise darker.
                EXPECT_TRUE(panel_is(img, g, 0, static_cast<int>(j), rows, cols, opt.scale, [&](std::size_t px) {
                    return x[px] == 0.0f ? kWhite : colormap_color(Colormap::gray, (0.5f - x[px]) / 0.5f);
                }));
                continue;
            }
            if (p.kind == ExplainPanel::Kind::cls) evidence_map(m, x, p.cls, v.data());
            else evidence_difference(m, x, p.cls, p.other, v.data());
            EXPECT_TRUE(panel_is(img, g, static_cast<int>(q), static_cast<int>(j), rows, cols, opt.scale, [&](std::size_t px) {
                return x[px] == 0.0f ? kWhite : colormap_color(Colormap::rdbu, v[px] / s);
            }));
        }
    }
}

TEST(ExplainFigure, one_hot_model_lights_one_pixel_per_map) {
    // Class k has weight +1 at pixel k: its map is x at pixel k and white elsewhere.
    const std::uint32_t rows = 4, cols = 4, K = 3;
    SoftmaxModel m = SoftmaxModel::zeros(rows, cols, K);
    for (std::uint32_t k = 0; k < K; ++k) m.W(k, k) = 1.0f;
    ModelInputs in;
    in.X = Matrix::Constant(16, 1, 0.5f);
    in.X(0, 0) = 1.0f;  // class 0 wins and sets the scale: s = 1
    in.items.push_back({"one", "one", -1, -1});
    ExplainFigureOptions opt;
    opt.top_k = 3;
    opt.scale = 2;
    const auto ev = evidence_of(m, in.X);
    EXPECT_EQ(ev[0].top(), 0u);
    const RgbImage img = render_explanation(m, ModelInfo{}, in, ev, opt, font());
    const ExplainLayout g = explain_layout(rows, cols, 1, K, opt);
    for (int q = 1; q <= 3; ++q) {
        const std::uint32_t k = ev[0].order[static_cast<std::size_t>(q - 1)];
        EXPECT_TRUE(panel_is(img, g, q, 0, rows, cols, 2, [&](std::size_t px) {
            return px == k ? colormap_color(Colormap::rdbu, in.X(k, 0)) : kWhite;
        }));
    }
    EXPECT_TRUE(panel_is(img, g, 0, 0, rows, cols, 2, [&](std::size_t px) {
        return px == 0 ? kBlack : colormap_color(Colormap::gray, 0.0f);
    }));
}

TEST(ExplainFigure, refuses_what_cannot_be_drawn) {
    const SoftmaxModel m = random_model(28, 28, 10, 1);
    ExplainFigureOptions opt;
    EXPECT_NE(testutil::error_of([&] { explain_layout(28, 28, 0, 10, opt); }), "");
    opt.scale = 0;
    EXPECT_NE(testutil::error_of([&] { explain_layout(28, 28, 1, 10, opt); }).find("scale"), std::string::npos);
    opt.scale = 64;
    const std::string msg = testutil::error_of([&] { explain_layout(28, 28, 200, 10, opt); });
    EXPECT_NE(msg.find("more than the limit"), std::string::npos) << msg;
}

TEST(ExplainFigure, numbers_as_the_titles_print_them) {
    EXPECT_EQ(format_probability(0.99812), "0.998");
    EXPECT_EQ(format_probability(0.0043), "0.0043");
    EXPECT_EQ(format_probability(1.2e-5), "1.2e-05");
    EXPECT_EQ(format_logit(9.714), "9.71");
    EXPECT_EQ(format_logit(-3.051), "\u22123.05");
    EXPECT_EQ(format_logit(-0.001), "0.00");
}

// Drawn band by band (one row of inputs per band, the CLI's way for tall figures) the figure has
// exactly the pixels of the figure drawn as one band: no title or tile is cut at a band's edge.
TEST(ExplainFigure, bands_of_one_row_give_the_pixels_of_one_band) {
    const SoftmaxModel m = random_model(28, 28, 10, 5);
    const ModelInputs in = sparse_inputs(m.pixels(), 5);
    const std::vector<Evidence> ev = evidence_of(m, in.X);
    ExplainFigureOptions opt;
    opt.versus.kind = VersusChoice::Kind::runner_up;
    opt.band_bytes = std::size_t{1} << 40;  // one band
    const RgbImage whole = render_explanation(m, ModelInfo{}, in, ev, opt, font());
    opt.band_bytes = 1;  // one row of inputs per band
    RgbImage joined;
    joined.width = whole.width;
    int bands = 0;
    render_explanation_bands(m, ModelInfo{}, in, ev, opt, font(), [&](RgbImage& band) {
        EXPECT_EQ(band.top, joined.height);  // contiguous, top to bottom
        EXPECT_EQ(band.width, whole.width);
        joined.rgb.insert(joined.rgb.end(), band.rgb.begin(), band.rgb.end());
        joined.height += band.height;
        ++bands;
    });
    EXPECT_EQ(bands, 5);
    EXPECT_EQ(joined.height, whole.height);
    EXPECT_TRUE(joined.rgb == whole.rgb);

    // A sink that takes the pixels and leaves a used buffer of another size and content (as
    // PngStream::take does): the bands are the same.
    RgbImage taken;
    taken.width = whole.width;
    PageBytes used(12345, 0x55);
    render_explanation_bands(m, ModelInfo{}, in, ev, opt, font(), [&](RgbImage& band) {
        taken.rgb.insert(taken.rgb.end(), band.rgb.begin(), band.rgb.end());
        taken.height += band.height;
        std::swap(band.rgb, used);
    });
    EXPECT_TRUE(taken.rgb == whole.rgb);
}
