#include <algorithm>
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>
#include <stb_image_write.h>

#include "mnistlr/error.hpp"
#include "mnistlr/learning/preprocess.hpp"
#include "test_util.hpp"
#include "trained_model.hpp"

namespace {

using mnistlr::GrayImage;
using mnistlr::InkImage;

// A w x h opaque grey image filled with `bg`, with the rectangle [x0, x1) x [y0, y1) set to `fg`.
GrayImage rect_image(std::uint32_t w, std::uint32_t h, std::uint8_t bg, std::uint8_t fg, std::uint32_t x0,
                     std::uint32_t y0, std::uint32_t x1, std::uint32_t y1) {
    GrayImage g;
    g.width = w;
    g.height = h;
    g.value.assign(std::size_t{w} * h, bg);
    for (std::uint32_t y = y0; y < y1; ++y)
        for (std::uint32_t x = x0; x < x1; ++x) g.value[std::size_t{y} * w + x] = fg;
    return g;
}

struct Box {
    std::uint32_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // inclusive
    std::uint32_t width() const { return x1 - x0 + 1; }
    std::uint32_t height() const { return y1 - y0 + 1; }
};

Box ink_box(const InkImage& im) {
    Box b{im.width, im.height, 0, 0};
    for (std::uint32_t y = 0; y < im.height; ++y)
        for (std::uint32_t x = 0; x < im.width; ++x)
            if (im.at(x, y) > 0) {
                b.x0 = std::min(b.x0, x);
                b.y0 = std::min(b.y0, y);
                b.x1 = std::max(b.x1, x);
                b.y1 = std::max(b.y1, y);
            }
    return b;
}

std::string error_of(const GrayImage& g) {
    try {
        mnistlr::preprocess_image(g, 28, 28, "digit.png");
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(e.exit_code(), 2);
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(Preprocess, dark_ink_on_light_paper_is_inverted) {
    const auto ink = mnistlr::extract_ink(rect_image(40, 30, 230, 20, 10, 5, 20, 25), "x");
    EXPECT_FLOAT_EQ(ink.at(15, 10), 1.0f);  // the dark rectangle is full ink
    EXPECT_FLOAT_EQ(ink.at(2, 2), 0.0f);    // paper is none
}

TEST(Preprocess, light_ink_on_dark_background_is_kept) {
    const auto ink = mnistlr::extract_ink(rect_image(40, 30, 10, 200, 10, 5, 20, 25), "x");
    EXPECT_FLOAT_EQ(ink.at(15, 10), 1.0f);
    EXPECT_FLOAT_EQ(ink.at(2, 2), 0.0f);
}

TEST(Preprocess, ink_is_relative_to_the_background_and_its_noise) {
    // Grey paper (180) with +-2 noise, ink at 100 and a faint smudge at 170.
    auto g = rect_image(32, 32, 180, 100, 8, 8, 12, 24);
    for (std::size_t i = 0; i < g.value.size(); ++i)
        if (g.value[i] == 180) g.value[i] = static_cast<std::uint8_t>(178 + (i * 7) % 5);
    g.value[20 * 32 + 20] = 170;
    const auto ink = mnistlr::extract_ink(g, "x");
    EXPECT_FLOAT_EQ(ink.at(10, 10), 1.0f);
    EXPECT_GT(ink.at(20, 20), 0.0f);  // 10 levels of contrast: above the noise (3 x MAD = 3)
    EXPECT_LT(ink.at(20, 20), 0.2f);
    for (std::uint32_t x = 13; x < 32; ++x) EXPECT_EQ(ink.at(x, 2), 0.0f) << x;  // noise is not ink
}

TEST(Preprocess, transparent_canvas_uses_alpha_as_ink) {
    // Black strokes on a transparent (black, alpha 0) canvas: grey level alone would be blank.
    GrayImage g = rect_image(20, 20, 0, 0, 0, 0, 0, 0);
    g.alpha.assign(400, 0);
    for (std::uint32_t y = 4; y < 16; ++y) g.alpha[y * 20 + 9] = 255;
    const auto ink = mnistlr::extract_ink(g, "x");
    EXPECT_FLOAT_EQ(ink.at(9, 8), 1.0f);
    EXPECT_FLOAT_EQ(ink.at(3, 8), 0.0f);
}

TEST(Preprocess, blank_images_give_a_clear_error_never_nan) {
    const std::string msg = "digit.png: image has no ink (blank)";
    EXPECT_EQ(error_of(rect_image(50, 50, 255, 255, 0, 0, 0, 0)), msg);  // all white
    EXPECT_EQ(error_of(rect_image(50, 50, 0, 0, 0, 0, 0, 0)), msg);      // all black
    EXPECT_EQ(error_of(rect_image(50, 50, 128, 128, 0, 0, 0, 0)), msg);  // uniform grey
    EXPECT_EQ(error_of(rect_image(50, 50, 250, 240, 20, 20, 30, 30)), msg);  // 10 levels: too faint
    EXPECT_EQ(error_of(rect_image(1, 1, 255, 255, 0, 0, 0, 0)), msg);    // a single white pixel
    GrayImage clear = rect_image(8, 8, 0, 0, 0, 0, 0, 0);
    clear.alpha.assign(64, 0);  // fully transparent
    EXPECT_EQ(error_of(clear), msg);
    InkImage none;
    none.width = none.height = 5;
    none.v.assign(25, 0.0f);
    try {
        mnistlr::mnist_frame(none, 28, 28, "n.png");
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), "n.png: image has no ink (blank)");
    }
}

TEST(Preprocess, longer_side_becomes_20_pixels_keeping_the_aspect_ratio) {
    // A 10 x 40 bar (w x h) in a 200 x 100 photo: 20 tall, 5 wide in the 28 x 28 frame.
    const auto f = mnistlr::preprocess_image(rect_image(200, 100, 255, 0, 150, 30, 160, 70), 28, 28, "x");
    ASSERT_EQ(f.width, 28u);
    ASSERT_EQ(f.height, 28u);
    const Box b = ink_box(f);
    EXPECT_EQ(b.height(), 20u);
    EXPECT_EQ(b.width(), 5u);
    // A wide bar: 20 wide.
    const auto g = mnistlr::preprocess_image(rect_image(64, 64, 0, 255, 2, 30, 62, 36), 28, 28, "x");
    EXPECT_EQ(ink_box(g).width(), 20u);
    EXPECT_EQ(ink_box(g).height(), 2u);
}

TEST(Preprocess, centre_of_mass_lands_on_the_frame_centre) {
    // An L shape whose centre of mass is far from its box centre.
    auto im = rect_image(60, 60, 255, 0, 5, 5, 15, 55);
    for (std::uint32_t y = 45; y < 55; ++y)
        for (std::uint32_t x = 15; x < 55; ++x) im.value[y * 60 + x] = 0;
    const auto f = mnistlr::preprocess_image(im, 28, 28, "x");
    const auto c = mnistlr::centre_of_mass(f);
    EXPECT_NEAR(c.x, 14.0, 0.5);
    EXPECT_NEAR(c.y, 14.0, 0.5);
    for (float v : f.v) {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 1.0f);
    }
}

TEST(Preprocess, frame_follows_the_model_image_size) {
    const auto f = mnistlr::preprocess_image(rect_image(30, 30, 0, 255, 5, 5, 25, 25), 16, 12, "x");
    EXPECT_EQ(f.width, 12u);
    EXPECT_EQ(f.height, 16u);
    const Box b = ink_box(f);
    EXPECT_EQ(b.width(), 9u);  // round(20/28 * min(16, 12)) = round(8.57)
    EXPECT_EQ(b.height(), 9u);
}

TEST(Preprocess, resample_area_average_and_bilinear) {
    InkImage src;
    src.width = 6;
    src.height = 4;
    for (int i = 0; i < 24; ++i) src.v.push_back(float(i % 7) / 7.0f);
    // Identity at equal size.
    EXPECT_EQ(mnistlr::resample(src, 6, 4).v, src.v);
    // Halving: each output is the mean of a 2 x 2 block.
    const auto half = mnistlr::resample(src, 3, 2);
    EXPECT_NEAR(half.at(1, 1), (src.at(2, 2) + src.at(3, 2) + src.at(2, 3) + src.at(3, 3)) / 4.0f, 1e-6f);
    // Shrinking by a non-integer factor preserves the mean (area averaging conserves ink).
    const auto third = mnistlr::resample(src, 4, 3);
    const double mean_src = std::accumulate(src.v.begin(), src.v.end(), 0.0) / 24.0;
    const double mean_dst = std::accumulate(third.v.begin(), third.v.end(), 0.0) / 12.0;
    EXPECT_NEAR(mean_src, mean_dst, 1e-6);
    // Doubling a 2-pixel ramp 0, 1 gives the bilinear values 0, 0.25, 0.75, 1.
    InkImage ramp;
    ramp.width = 2;
    ramp.height = 1;
    ramp.v = {0.0f, 1.0f};
    const auto up = mnistlr::resample(ramp, 4, 1);
    EXPECT_NEAR(up.v[0], 0.0f, 1e-6f);
    EXPECT_NEAR(up.v[1], 0.25f, 1e-6f);
    EXPECT_NEAR(up.v[2], 0.75f, 1e-6f);
    EXPECT_NEAR(up.v[3], 1.0f, 1e-6f);
}

TEST(Preprocess, an_mnist_digit_comes_back_almost_unchanged) {
    // MNIST digits were made by this very procedure: redoing it must change little.
    ASSERT_TRUE(testutil::mnist_present());
    for (std::size_t i : {0u, 1u, 2u, 3u, 4u}) {
        const auto px = testutil::mnist_test_image(i);
        ASSERT_EQ(px.size(), 784u);
        GrayImage g;
        g.width = g.height = 28;
        g.value = px;
        const auto f = mnistlr::preprocess_image(g, 28, 28, "mnist");
        double diff = 0.0, mass = 0.0;
        for (std::size_t p = 0; p < 784; ++p) {
            diff += std::abs(f.v[p] - px[p] / 255.0);
            mass += px[p] / 255.0;
        }
        EXPECT_LT(diff / mass, 0.35) << "image " << i;
    }
}

TEST(Preprocess, the_handmade_seven_becomes_an_mnist_style_frame) {
    const auto f = mnistlr::preprocess_image(mnistlr::load_image(std::string(MNISTLR_TESTS_DIR) + "/data/seven.png"),
                                             28, 28, "seven.png");
    const Box b = ink_box(f);
    EXPECT_EQ(std::max(b.width(), b.height()), 20u);
    const auto c = mnistlr::centre_of_mass(f);
    EXPECT_NEAR(c.x, 14.0, 0.5);
    EXPECT_NEAR(c.y, 14.0, 0.5);
    EXPECT_FLOAT_EQ(*std::max_element(f.v.begin(), f.v.end()), 1.0f);
}
