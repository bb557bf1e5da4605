// Colormaps: exact anchors, white at zero, monotone lightness.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "mnistlr/pictures/colormap.hpp"
#include "mnistlr/error.hpp"

using mnistlr::Colormap;
using mnistlr::colormap_color;
using mnistlr::Rgb;

namespace {

// Relative luminance (sRGB decoded to linear light, Rec. 709 weights): a monotone proxy for lightness.
double luminance(Rgb c) {
    auto lin = [](std::uint8_t v) {
        const double x = v / 255.0;
        return x <= 0.04045 ? x / 12.92 : std::pow((x + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

void expect_rgb(Rgb c, int r, int g, int b) {
    EXPECT_EQ(c.r, r);
    EXPECT_EQ(c.g, g);
    EXPECT_EQ(c.b, b);
}

}  // namespace

TEST(Colormap, rdbu_anchors_exact_and_white_at_zero) {
    expect_rgb(colormap_color(Colormap::rdbu, -1.0f), 0x67, 0x00, 0x1f);
    expect_rgb(colormap_color(Colormap::rdbu, 0.0f), 0xff, 0xff, 0xff);
    expect_rgb(colormap_color(Colormap::rdbu, 1.0f), 0x05, 0x30, 0x61);
    // ColorBrewer's inner anchors, every 0.2.
    expect_rgb(colormap_color(Colormap::rdbu, -0.6f), 0xd6, 0x60, 0x4d);
    expect_rgb(colormap_color(Colormap::rdbu, -0.2f), 0xfd, 0xdb, 0xc7);
    expect_rgb(colormap_color(Colormap::rdbu, 0.2f), 0xd1, 0xe5, 0xf0);
    expect_rgb(colormap_color(Colormap::rdbu, 0.6f), 0x43, 0x93, 0xc3);
    // Beyond the range: clamped. NaN: like 0.
    EXPECT_EQ(colormap_color(Colormap::rdbu, -7.0f), colormap_color(Colormap::rdbu, -1.0f));
    EXPECT_EQ(colormap_color(Colormap::rdbu, 7.0f), colormap_color(Colormap::rdbu, 1.0f));
    EXPECT_EQ(colormap_color(Colormap::rdbu, std::nanf("")), (Rgb{255, 255, 255}));
}

TEST(Colormap, rdbu_negative_is_red_positive_is_blue) {
    for (float t : {-0.9f, -0.5f, -0.1f}) {
        const Rgb c = colormap_color(Colormap::rdbu, t);
        EXPECT_GT(c.r, c.b) << t;
    }
    for (float t : {0.1f, 0.5f, 0.9f}) {
        const Rgb c = colormap_color(Colormap::rdbu, t);
        EXPECT_GT(c.b, c.r) << t;
    }
}

TEST(Colormap, rdbu_lightness_rises_towards_zero_from_both_sides) {
    double prev = -1.0;
    for (int i = 0; i <= 1000; ++i) {  // -1 .. 0
        const double l = luminance(colormap_color(Colormap::rdbu, -1.0f + static_cast<float>(i) / 1000.0f));
        EXPECT_GE(l, prev) << "t = " << -1.0 + i / 1000.0;
        prev = l;
    }
    prev = -1.0;
    for (int i = 0; i <= 1000; ++i) {  // +1 .. 0
        const double l = luminance(colormap_color(Colormap::rdbu, 1.0f - static_cast<float>(i) / 1000.0f));
        EXPECT_GE(l, prev) << "t = " << 1.0 - i / 1000.0;
        prev = l;
    }
}

TEST(Colormap, gray_black_to_white) {
    expect_rgb(colormap_color(Colormap::gray, -1.0f), 0, 0, 0);
    expect_rgb(colormap_color(Colormap::gray, 0.0f), 128, 128, 128);
    expect_rgb(colormap_color(Colormap::gray, 1.0f), 255, 255, 255);
    int prev = -1;
    for (int i = 0; i <= 200; ++i) {
        const Rgb c = colormap_color(Colormap::gray, -1.0f + static_cast<float>(i) / 100.0f);
        EXPECT_EQ(c.r, c.g);
        EXPECT_EQ(c.g, c.b);
        EXPECT_GE(c.r, prev);
        prev = c.r;
    }
}

TEST(Colormap, viridis_anchors_and_monotone_lightness) {
    expect_rgb(colormap_color(Colormap::viridis, -1.0f), 0x44, 0x01, 0x54);
    expect_rgb(colormap_color(Colormap::viridis, 0.0f), 0x21, 0x91, 0x8c);
    expect_rgb(colormap_color(Colormap::viridis, 1.0f), 0xfd, 0xe7, 0x25);
    // Lightness rises through the anchors and midpoints; between them the 8-bit rounding of three
    // channels moving in different directions can wiggle it by a hair, never more.
    double prev = -1.0;
    for (int i = 0; i <= 40; ++i) {
        const double l = luminance(colormap_color(Colormap::viridis, -1.0f + static_cast<float>(i) / 20.0f));
        EXPECT_GT(l, prev) << i;
        prev = l;
    }
    prev = -1.0;
    for (int i = 0; i <= 1000; ++i) {
        const double l = luminance(colormap_color(Colormap::viridis, -1.0f + static_cast<float>(i) / 500.0f));
        EXPECT_GE(l, prev - 1e-3) << i;
        prev = std::max(prev, l);
    }
}

TEST(Colormap, names_round_trip_and_unknown_is_rejected) {
    for (Colormap c : {Colormap::rdbu, Colormap::gray, Colormap::viridis})
        EXPECT_EQ(mnistlr::colormap_from_name(mnistlr::colormap_name(c)), c);
    try {
        mnistlr::colormap_from_name("jet");
        FAIL() << "no throw";
    } catch (const mnistlr::Error& e) {
        EXPECT_NE(std::string(e.what()).find("jet"), std::string::npos);
        EXPECT_EQ(e.exit_code(), 2);
    }
}
