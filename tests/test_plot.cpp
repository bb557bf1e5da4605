// The curves plot: nice ticks, anti-aliased lines, the documented image size, and series drawn
// where their values say (pure rendering, no files).
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/plot.hpp"
#include "chart_checks.hpp"

using namespace mnistlr;
using testutil::is_nice_step;

namespace {

const Font& font() {
    static const Font f = Font::load_default();
    return f;
}

// n rows at steps 0, step, 2 step, ...; every column constant unless changed afterwards.
Curves constant_curves(std::size_t n, double step, double loss, double acc, bool train = false) {
    Curves c;
    c.has_train = train;
    for (std::size_t i = 0; i < n; ++i) {
        c.step.push_back(static_cast<double>(i) * step);
        c.batch_loss.push_back(loss);
        c.batch_accuracy.push_back(acc);
        c.test_loss.push_back(loss);
        c.test_accuracy.push_back(acc);
        if (train) {
            c.train_loss.push_back(loss);
            c.train_accuracy.push_back(acc);
        }
    }
    return c;
}

// A typical run: loss falling from 2.3, accuracy rising to 0.9, minibatch noisy.
Curves learning_curves(std::size_t n, bool train) {
    Curves c;
    c.has_train = train;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / static_cast<double>(n);
        const double loss = 0.3 + 2.0 * std::exp(-8 * t), acc = 0.92 - 0.8 * std::exp(-8 * t);
        const double noise = 0.05 * std::sin(static_cast<double>(i) * 1.7);
        c.step.push_back(static_cast<double>(i) * 10);
        c.batch_loss.push_back(loss + 2 * noise + 0.1);
        c.batch_accuracy.push_back(std::min(1.0, acc + noise));
        c.test_loss.push_back(loss);
        c.test_accuracy.push_back(acc);
        if (train) {
            c.train_loss.push_back(loss - 0.01);
            c.train_accuracy.push_back(acc + 0.005);
        }
    }
    return c;
}

// True when v is a whole multiple of step (up to rounding).
bool on_grid(double v, double step) { return std::abs(v / step - std::round(v / step)) < 1e-6; }

int count_colour(const RgbImage& img, Rgb c, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) n += img.at(x, y) == c ? 1 : 0;
    return n;
}

}  // namespace

TEST(Plot, image_has_the_documented_size) {
    const Curves c = learning_curves(100, false);
    CurvesPlotOptions opt;
    RgbImage img = render_curves(c, opt, font());
    EXPECT_EQ(img.width, 1200);
    EXPECT_EQ(img.height, 520);
    EXPECT_EQ(img.rgb.size(), 3u * 1200 * 520);
    opt.width = 800;
    opt.height = 400;
    opt.scale = 2;
    opt.title = "a title";
    img = render_curves(c, opt, font());
    EXPECT_EQ(img.width, 1600);
    EXPECT_EQ(img.height, 800);
    const CurvesLayout L = curves_layout(c, opt, font());
    EXPECT_EQ(L.width, 1600);
    EXPECT_EQ(L.height, 800);
    // Side by side, inside the image, the loss panel on the left.
    EXPECT_LT(L.loss.right, L.accuracy.left);
    EXPECT_GT(L.loss.left, 0);
    EXPECT_LT(L.accuracy.right, L.width);
    EXPECT_EQ(L.loss.top, L.accuracy.top);
    EXPECT_EQ(L.loss.bottom, L.accuracy.bottom);
    EXPECT_LT(L.loss.bottom, L.height);
}

TEST(Plot, refuses_options_out_of_range) {
    const Curves c = learning_curves(10, false);
    auto with = [&](int w, int h, int s) {
        CurvesPlotOptions o;
        o.width = w;
        o.height = h;
        o.scale = s;
        return o;
    };
    EXPECT_THROW(render_curves(c, with(kMinPlotWidth - 1, 520, 1), font()), Error);
    EXPECT_THROW(render_curves(c, with(1200, kMinPlotHeight - 1, 1), font()), Error);
    EXPECT_THROW(render_curves(c, with(1200, 520, 0), font()), Error);
    EXPECT_THROW(render_curves(c, with(1200, 520, kMaxPlotScale + 1), font()), Error);
    EXPECT_THROW(render_curves(c, with(8192, 8192, 4), font()), Error);  // 2^30 pixels
    EXPECT_THROW(render_curves(Curves{}, CurvesPlotOptions{}, font()), Error);
    Curves ragged = c;
    ragged.test_loss.pop_back();
    EXPECT_THROW(render_curves(ragged, CurvesPlotOptions{}, font()), Error);
}

TEST(Plot, constant_series_is_a_horizontal_line_at_its_value) {
    // Minibatch and test set at the same constant value: the test set (drawn last, 2.5 px) covers the
    // pixel row that holds the value's centre, over the whole run.
    const Curves c = constant_curves(50, 20, 1.0, 0.5);
    const CurvesPlotOptions opt;
    const CurvesLayout L = curves_layout(c, opt, font());
    const RgbImage img = render_curves(c, opt, font());
    for (const PanelLayout* p : {&L.loss, &L.accuracy}) {
        const double v = p == &L.loss ? 1.0 : 0.5;
        ASSERT_LT(p->y.lo, v);
        ASSERT_GT(p->y.hi, v);
        const int row = static_cast<int>(std::floor(p->y_px(v)));
        ASSERT_GT(row, p->top);
        ASSERT_LT(row, p->bottom);
        const int x0 = static_cast<int>(std::ceil(p->x_px(0))) + 2, x1 = static_cast<int>(p->x_px(980)) - 2;
        ASSERT_GT(x1 - x0, 300);
        for (int x = x0; x <= x1; ++x) ASSERT_EQ(img.at(x, row), kTestColour) << "x " << x << " row " << row;
        // Nothing of the series 3 rows away (the half width is 1.25 px).
        for (int x = x0; x <= x1; ++x) {
            ASSERT_NE(img.at(x, row - 3), kTestColour) << x;
            ASSERT_NE(img.at(x, row + 3), kTestColour) << x;
        }
    }
    // The loss axis starts at 0 (just below, by the padding), the value is a tick.
    EXPECT_LT(L.loss.y.lo, 0.0);
    EXPECT_GT(L.loss.y.lo, -0.1);
    EXPECT_DOUBLE_EQ(L.loss.y.ticks.front(), 0.0);
    // The x axis spans the steps: the first step is near the frame's left line.
    EXPECT_NEAR(L.loss.x_px(0), static_cast<float>(L.loss.left) + 0.5f + 0.02f / 1.04f * static_cast<float>(L.loss.right - L.loss.left), 0.01f);
}

TEST(Plot, values_map_linearly_into_the_frame) {
    const Curves c = learning_curves(100, false);
    const CurvesLayout L = curves_layout(c, CurvesPlotOptions{}, font());
    for (const PanelLayout* p : {&L.loss, &L.accuracy}) {
        EXPECT_FLOAT_EQ(p->y_px(p->y.lo), static_cast<float>(p->bottom) + 0.5f);
        EXPECT_FLOAT_EQ(p->y_px(p->y.hi), static_cast<float>(p->top) + 0.5f);
        EXPECT_FLOAT_EQ(p->x_px(p->x.lo), static_cast<float>(p->left) + 0.5f);
        EXPECT_FLOAT_EQ(p->x_px(p->x.hi), static_cast<float>(p->right) + 0.5f);
        const double mid = (p->y.lo + p->y.hi) / 2;
        EXPECT_NEAR(p->y_px(mid), (static_cast<float>(p->top + p->bottom) + 1.0f) / 2.0f, 1e-3f);
    }
    // Every value drawn is inside its axis; the accuracy axis stays within [0, 1] plus its padding.
    EXPECT_LE(L.loss.y.lo, 0.0);
    EXPECT_GE(L.loss.y.hi, 2.3);
    EXPECT_GE(L.accuracy.y.lo, -0.04);
    EXPECT_LE(L.accuracy.y.hi, 1.04);
    EXPECT_LE(L.accuracy.y.lo, 0.12);
    EXPECT_GE(L.accuracy.y.hi, 0.97);
}

TEST(Plot, layout_ticks_are_nice_inside_the_axes_and_their_labels_do_not_overlap) {
    for (const std::size_t n : {2u, 7u, 101u, 1001u, 6001u}) {
        const Curves c = learning_curves(n, true);
        for (const int width : {kMinPlotWidth, 1200, 3000}) {
            CurvesPlotOptions opt;
            opt.width = width;
            const CurvesLayout L = curves_layout(c, opt, font());
            for (const PanelLayout* p : {&L.loss, &L.accuracy}) {
                for (const Axis* a : {&p->x, &p->y}) {
                    EXPECT_TRUE(is_nice_step(a->step)) << a->step;
                    ASSERT_GE(a->ticks.size(), 2u) << "rows " << n << " width " << width;
                    for (const double t : a->ticks) {
                        EXPECT_TRUE(on_grid(t, a->step)) << t << " step " << a->step;
                        EXPECT_GE(t, a->lo);
                        EXPECT_LE(t, a->hi);
                    }
                }
                EXPECT_GE(p->x.step, 1.0);  // steps are whole numbers
                // x labels (centred on their ticks) keep a gap; y labels are a line and more apart.
                for (std::size_t i = 1; i < p->x.ticks.size(); ++i) {
                    const float w0 = font().text_width(tick_label(p->x.ticks[i - 1], p->x.step), 13.0f);
                    const float w1 = font().text_width(tick_label(p->x.ticks[i], p->x.step), 13.0f);
                    EXPECT_GT(p->x_px(p->x.ticks[i]) - p->x_px(p->x.ticks[i - 1]), (w0 + w1) / 2 + 10.0f)
                        << "rows " << n << " width " << width;
                }
                for (std::size_t i = 1; i < p->y.ticks.size(); ++i)
                    EXPECT_GT(p->y_px(p->y.ticks[i - 1]) - p->y_px(p->y.ticks[i]), 2 * 13.0f);
            }
        }
    }
}

TEST(Plot, legend_names_the_train_series_only_when_present) {
    // The legend row lies between the top of the image and the frames.
    const CurvesPlotOptions opt;
    const Curves with = learning_curves(100, true), without = learning_curves(100, false);
    const CurvesLayout L = curves_layout(with, opt, font());
    const RgbImage a = render_curves(with, opt, font()), b = render_curves(without, opt, font());
    const int band = L.loss.top - 20;
    EXPECT_GT(count_colour(a, kTrainColour, 0, 0, a.width, band), 20);
    EXPECT_EQ(count_colour(b, kTrainColour, 0, 0, b.width, band), 0);
    for (const RgbImage* img : {&a, &b}) {
        EXPECT_GT(count_colour(*img, kTestColour, 0, 0, img->width, band), 20);
        EXPECT_GT(count_colour(*img, kMinibatchColour, 0, 0, img->width, band), 20);
    }
    // The train series itself is drawn in both panels.
    EXPECT_GT(count_colour(a, kTrainColour, L.loss.left, L.loss.top, L.loss.right, L.loss.bottom), 100);
    EXPECT_GT(count_colour(a, kTrainColour, L.accuracy.left, L.accuracy.top, L.accuracy.right, L.accuracy.bottom),
              100);
}

TEST(Plot, smoothing_draws_the_moving_average_over_the_pale_raw_series) {
    const Curves c = learning_curves(200, false);
    CurvesPlotOptions opt;
    const RgbImage plain = render_curves(c, opt, font());
    opt.smooth = 10;
    const RgbImage smooth = render_curves(c, opt, font());
    EXPECT_EQ(count_colour(plain, kMinibatchAverageColour, 0, 0, plain.width, plain.height), 0);
    EXPECT_GT(count_colour(smooth, kMinibatchAverageColour, 0, 0, smooth.width, smooth.height), 500);
    EXPECT_GT(count_colour(smooth, kMinibatchRawColour, 0, 0, smooth.width, smooth.height), 20);
    EXPECT_EQ(count_colour(smooth, kMinibatchColour, 0, 0, smooth.width, smooth.height), 0);
    // Same geometry either way.
    EXPECT_EQ(plain.width, smooth.width);
    EXPECT_EQ(plain.height, smooth.height);
}

TEST(Plot, a_single_row_draws_without_error) {
    const Curves c = constant_curves(1, 1, 0.7, 0.8);
    const CurvesLayout L = curves_layout(c, CurvesPlotOptions{}, font());
    EXPECT_EQ(L.loss.x.ticks, (std::vector<double>{0.0}));
    const RgbImage img = render_curves(c, CurvesPlotOptions{}, font());
    const int x = static_cast<int>(L.accuracy.x_px(0)), y = static_cast<int>(L.accuracy.y_px(0.8));
    EXPECT_EQ(img.at(x, y), kTestColour);
}

TEST(Plot, default_title_gives_the_final_test_accuracy) {
    Curves c = constant_curves(3, 500, 0.3, 0.9);
    c.test_accuracy.back() = 0.92031;
    EXPECT_EQ(default_curves_title(c), "Learning curves: test accuracy 0.9203 at step 1000");
}
