// chart: nice ticks, tick labels, anti-aliased polylines.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "chart_checks.hpp"
#include "mnistlr/pictures/chart.hpp"
#include "mnistlr/error.hpp"

using namespace mnistlr;
using testutil::is_nice_step;

TEST(Chart, nice_step_is_1_2_or_5_times_a_power_of_ten) {
    struct Case {
        double lo, hi;
        int max_ticks;
        bool expand, integer;
        double want;
    };
    const Case cases[] = {
        {0, 1, 6, true, false, 0.2},      {0, 1, 11, true, false, 0.1},  {0, 2.3, 6, true, false, 0.5},
        {0, 1000, 6, false, true, 200},   {10, 1000, 11, false, true, 100}, {0.76, 0.92, 8, true, false, 0.05},
        {0, 3, 10, false, true, 1},       {0, 60000, 7, false, true, 10000}, {-3, 7, 3, true, false, 10},
    };
    for (const Case& c : cases) {
        const double s = nice_step(c.lo, c.hi, c.max_ticks, c.expand, c.integer);
        EXPECT_NEAR(s, c.want, c.want * 1e-12) << c.lo << ".." << c.hi << " max " << c.max_ticks;
    }
    // Over many ranges: always nice, never more ticks than asked, never a smaller nice step that fits.
    for (double lo : {-7.3, 0.0, 0.013, 12.0, 1e5})
        for (double span : {0.001, 0.37, 1.0, 2.3, 99.0, 12345.0})
            for (int max_ticks : {2, 3, 5, 8, 13}) {
                const double s = nice_step(lo, lo + span, max_ticks, false);
                EXPECT_TRUE(is_nice_step(s)) << s;
                EXPECT_LE(ticks_in(lo, lo + span, s).size(), std::size_t(max_ticks)) << lo << " " << span;
                EXPECT_GE(ticks_in(lo, lo + span, s).size(), 1u) << lo << " " << span;
            }
    EXPECT_THROW(nice_step(1, 1, 5, true), Error);
    EXPECT_THROW(nice_step(0, NAN, 5, true), Error);
}

TEST(Chart, ticks_are_exact_multiples_within_the_range) {
    EXPECT_EQ(ticks_in(0, 1000, 200), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
    EXPECT_EQ(ticks_in(10, 1000, 200), (std::vector<double>{200, 400, 600, 800, 1000}));
    const auto t = ticks_in(0.0, 0.3, 0.1);  // 3 * 0.1 is 0.30000000000000004: still counted
    ASSERT_EQ(t.size(), 4u);
    EXPECT_DOUBLE_EQ(t[3], 0.30000000000000004);
    EXPECT_EQ(ticks_in(-1, 1, 0.5), (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
}

TEST(Chart, tick_labels_have_the_decimals_the_step_needs) {
    EXPECT_EQ(tick_label(0.2, 0.2), "0.2");
    EXPECT_EQ(tick_label(1.0, 0.2), "1.0");
    EXPECT_EQ(tick_label(3 * 0.1, 0.1), "0.3");
    EXPECT_EQ(tick_label(0.05, 0.05), "0.05");
    EXPECT_EQ(tick_label(0.9, 0.05), "0.90");
    EXPECT_EQ(tick_label(1000, 200), "1000");
    EXPECT_EQ(tick_label(-1e-17, 0.1), "0.0");  // not "-0.0"
    EXPECT_EQ(tick_label(2e8, 1e8), "2e+08");
}

TEST(Chart, polyline_is_anti_aliased_and_clipped) {
    RgbImage img(40, 20, Rgb{255, 255, 255});
    const Rgb red{200, 0, 0};
    // A horizontal line 2 px wide along y = 10.0 (a pixel boundary): rows 9 and 10 fully covered,
    // rows 8 and 11 not at all (distance 1.5 from the centre line: 1 + 0.5 - 1.5 = 0).
    draw_polyline(img, {{5.0f, 10.0f}, {35.0f, 10.0f}}, 2.0f, red, {0, 0, 40, 20});
    for (int x = 6; x < 34; ++x) {
        EXPECT_EQ(img.at(x, 9), red) << x;
        EXPECT_EQ(img.at(x, 10), red) << x;
        EXPECT_EQ(img.at(x, 8), (Rgb{255, 255, 255})) << x;
        EXPECT_EQ(img.at(x, 11), (Rgb{255, 255, 255})) << x;
    }
    // Centred on a pixel row (y = 15.5), 1 px wide: that row full, its neighbours half covered.
    RgbImage half(40, 20, Rgb{255, 255, 255});
    draw_polyline(half, {{5.0f, 15.5f}, {35.0f, 15.5f}}, 1.0f, Rgb{0, 0, 0}, {0, 0, 40, 20});
    EXPECT_EQ(half.at(20, 15), (Rgb{0, 0, 0}));
    EXPECT_EQ(half.at(20, 14), (Rgb{255, 255, 255}));  // distance 1: 0.5 + 0.5 - 1 = 0
    // Anti-aliasing: a diagonal line has partly covered pixels (neither background nor full colour).
    RgbImage diag(40, 40, Rgb{255, 255, 255});
    draw_polyline(diag, {{2.0f, 3.0f}, {37.0f, 30.0f}}, 2.0f, Rgb{0, 0, 0}, {0, 0, 40, 40});
    int partial = 0;
    for (int y = 0; y < 40; ++y)
        for (int x = 0; x < 40; ++x) {
            const Rgb p = diag.at(x, y);
            partial += p.r > 0 && p.r < 255 ? 1 : 0;
        }
    EXPECT_GT(partial, 30);
    // Clip: nothing outside the rectangle changes.
    RgbImage clipped(40, 20, Rgb{255, 255, 255});
    draw_polyline(clipped, {{0.0f, 10.0f}, {40.0f, 10.0f}}, 4.0f, red, {10, 0, 10, 20});
    EXPECT_EQ(clipped.at(9, 10), (Rgb{255, 255, 255}));
    EXPECT_EQ(clipped.at(10, 10), red);
    EXPECT_EQ(clipped.at(19, 10), red);
    EXPECT_EQ(clipped.at(20, 10), (Rgb{255, 255, 255}));
    // Going back over itself does not darken: coverage is the maximum, not a sum.
    RgbImage once(40, 20, Rgb{255, 255, 255}), twice(40, 20, Rgb{255, 255, 255});
    draw_polyline(once, {{5.0f, 5.0f}, {30.0f, 12.0f}}, 2.0f, red, {0, 0, 40, 20});
    draw_polyline(twice, {{5.0f, 5.0f}, {30.0f, 12.0f}, {5.0f, 5.0f}}, 2.0f, red, {0, 0, 40, 20});
    EXPECT_EQ(once.rgb, twice.rgb);
    // One point: a dot.
    RgbImage dot(10, 10, Rgb{255, 255, 255});
    draw_polyline(dot, {{5.0f, 5.0f}}, 3.0f, red, {0, 0, 10, 10});
    EXPECT_EQ(dot.at(5, 5), red);
    EXPECT_EQ(dot.at(4, 4), red);
    EXPECT_EQ(dot.at(0, 0), (Rgb{255, 255, 255}));
}

