#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "mnistlr/learning/deskew.hpp"
#include "test_util.hpp"

namespace {

using Image = std::vector<std::uint8_t>;

// A rows x cols image with a 3-pixel-wide bar through (rbar, c0) of slope dc/dr = slope, rows
// [r0, r1): each row's bar starts at the nearest column to c0 + slope (r - rbar) - 1.
Image slanted_bar(std::uint32_t rows, std::uint32_t cols, double slope, std::uint32_t r0, std::uint32_t r1) {
    Image im(std::size_t{rows} * cols, 0);
    const double rbar = 0.5 * (r0 + r1 - 1.0), c0 = 0.5 * (cols - 1.0);
    for (std::uint32_t r = r0; r < r1; ++r) {
        const long c = std::lround(c0 + slope * (r - rbar)) - 1;
        for (long j = c; j < c + 3; ++j)
            if (j >= 0 && j < static_cast<long>(cols)) im[std::size_t{r} * cols + static_cast<std::size_t>(j)] = 255;
    }
    return im;
}

// The intensity-weighted spread of the column, sqrt(var(c)): an upright bar's is its half width.
double column_spread(const Image& im, std::uint32_t rows, std::uint32_t cols) {
    double S = 0, Sc = 0, Scc = 0;
    for (std::uint32_t r = 0; r < rows; ++r)
        for (std::uint32_t c = 0; c < cols; ++c) {
            const double v = im[std::size_t{r} * cols + c];
            S += v;
            Sc += c * v;
            Scc += static_cast<double>(c) * c * v;
        }
    return std::sqrt(Scc / S - (Sc / S) * (Sc / S));
}

Image deskewed(const Image& im, std::uint32_t rows, std::uint32_t cols) {
    Image out(im.size(), 7);  // not zero: every pixel must be written
    mnistlr::deskew_image(im.data(), rows, cols, out.data());
    return out;
}

TEST(Deskew, slanted_bar_becomes_upright) {
    for (double slope : {-0.5, -0.25, 0.3, 0.6}) {
        const Image bar = slanted_bar(28, 28, slope, 4, 24);
        const mnistlr::Shear s = mnistlr::deskew_shear(bar.data(), 28, 28);
        EXPECT_NEAR(s.alpha, slope, 0.05) << slope;
        const Image up = deskewed(bar, 28, 28);
        EXPECT_LT(column_spread(up, 28, 28), column_spread(bar, 28, 28) - 0.5) << slope;
        EXPECT_LT(column_spread(up, 28, 28), 1.2) << slope;  // about the bar's own half width
        EXPECT_NEAR(mnistlr::deskew_shear(up.data(), 28, 28).alpha, 0.0, 0.03) << slope;
    }
}

TEST(Deskew, diagonal_line_has_shear_exactly_one) {
    Image im(16 * 16, 0);
    for (std::uint32_t i = 0; i < 16; ++i) im[i * 16 + i] = 200;
    const mnistlr::Shear s = mnistlr::deskew_shear(im.data(), 16, 16);
    EXPECT_EQ(s.alpha, 1.0);  // exact integer moments: cov = var
    EXPECT_EQ(s.row_centroid, 7.5);
    // After the shear the line is the column through the centroid, 7.5: columns 7 and 8 at half ink.
    const Image up = deskewed(im, 16, 16);
    for (std::uint32_t r = 0; r < 16; ++r)
        for (std::uint32_t c = 0; c < 16; ++c) {
            const int want = (c == 7 || c == 8) ? 100 : 0;
            EXPECT_NEAR(up[r * 16 + c], want, 1) << r << "," << c;
        }
}

TEST(Deskew, upright_image_is_unchanged) {
    // A vertical bar and a ring, both mirror-symmetric about the frame's centre: cov(r, c) is exactly
    // 0 and the centroid is the centre, so the image is copied bit for bit.
    Image bar(28 * 28, 0), ring(28 * 28, 0);
    for (std::uint32_t r = 5; r < 23; ++r)
        for (std::uint32_t c = 12; c < 16; ++c) bar[r * 28 + c] = 200;
    for (std::uint32_t r = 0; r < 28; ++r)
        for (std::uint32_t c = 0; c < 28; ++c) {
            const double d = std::hypot(r - 13.5, c - 13.5);
            if (d > 6 && d < 9) ring[r * 28 + c] = 255;
        }
    for (const Image* im : {&bar, &ring}) {
        EXPECT_EQ(mnistlr::deskew_shear(im->data(), 28, 28).alpha, 0.0);
        EXPECT_EQ(deskewed(*im, 28, 28), *im);
    }
}

TEST(Deskew, nearly_upright_image_changes_within_rounding) {
    // A bar with a one-pixel kink: a tiny shear, each pixel moves by well under a pixel.
    Image im(28 * 28, 0);
    for (std::uint32_t r = 4; r < 24; ++r)
        for (std::uint32_t c = 12; c < 16; ++c) im[r * 28 + c + (r == 4 ? 1 : 0)] = 255;
    const mnistlr::Shear s = mnistlr::deskew_shear(im.data(), 28, 28);
    ASSERT_NE(s.alpha, 0.0);
    ASSERT_LT(std::fabs(s.alpha) * 10.0, 0.2);  // the largest shift, 10 rows from the centroid
    const Image up = deskewed(im, 28, 28);
    int worst = 0;
    for (std::size_t p = 0; p < im.size(); ++p) worst = std::max(worst, std::abs(int{up[p]} - int{im[p]}));
    EXPECT_LE(worst, 51);  // 255 x (largest shift < 0.2)
}

TEST(Deskew, blank_and_one_row_images_stay_as_they_are) {
    const Image blank(28 * 28, 0);
    EXPECT_EQ(mnistlr::deskew_shear(blank.data(), 28, 28).alpha, 0.0);
    EXPECT_EQ(deskewed(blank, 28, 28), blank);
    std::vector<float> fblank(28 * 28, 0.0f), fout(28 * 28, 1.0f);
    mnistlr::deskew_image(fblank.data(), 28, 28, fout.data());
    EXPECT_EQ(fout, fblank);
    Image row(11 * 12, 0);  // ink in the middle row only, symmetric about the centre: var(r) = 0
    const std::uint8_t ink[8] = {30, 60, 90, 120, 120, 90, 60, 30};
    for (std::uint32_t c = 2; c < 10; ++c) row[5 * 12 + c] = ink[c - 2];
    EXPECT_EQ(mnistlr::deskew_shear(row.data(), 11, 12).alpha, 0.0);
    EXPECT_EQ(deskewed(row, 11, 12), row);
}

TEST(Deskew, the_centroid_moves_to_the_frames_centre) {
    // One pixel at (2, 2) of a 9 x 9 frame: no shear, a whole-pixel move to the centre (4, 4).
    Image dot(9 * 9, 0), want(9 * 9, 0);
    dot[2 * 9 + 2] = 180;
    want[4 * 9 + 4] = 180;
    EXPECT_EQ(deskewed(dot, 9, 9), want);
    // A slanted bar drawn off-centre (rows 2-15 of 28, column centre 13.5 + 5): after deskewing its
    // centroid is the centre, within the rounding of the samples.
    Image bar(28 * 28, 0);
    for (std::uint32_t r = 2; r < 16; ++r)
        for (std::uint32_t c = 0; c < 3; ++c) bar[r * 28 + 17 + c + (r / 4)] = 255;
    const mnistlr::Shear before = mnistlr::deskew_shear(bar.data(), 28, 28);
    ASSERT_GT(std::fabs(before.row_centroid - 13.5), 4.0);
    ASSERT_GT(std::fabs(before.col_centroid - 13.5), 4.0);
    const Image up = deskewed(bar, 28, 28);
    const mnistlr::Shear after = mnistlr::deskew_shear(up.data(), 28, 28);
    EXPECT_NEAR(after.row_centroid, 13.5, 0.05);
    EXPECT_NEAR(after.col_centroid, 13.5, 0.05);
    EXPECT_NEAR(after.alpha, 0.0, 0.03);
}

TEST(Deskew, other_sizes_work) {
    // Not square, not 28 x 28: 40 rows x 24 columns, 32 x 32, 20 x 60; 1 x N and N x 1 frames.
    for (auto [rows, cols] : {std::pair<std::uint32_t, std::uint32_t>{40, 24}, {32, 32}, {20, 60}}) {
        const Image bar = slanted_bar(rows, cols, 0.4, 3, rows - 3);
        const Image up = deskewed(bar, rows, cols);
        EXPECT_LT(column_spread(up, rows, cols), column_spread(bar, rows, cols) - 0.5) << rows << "x" << cols;
        EXPECT_LT(column_spread(up, rows, cols), 1.2) << rows << "x" << cols;
    }
    const Image wide = {0, 30, 200, 30, 0}, tall = {0, 30, 200, 30, 0};  // centred: unchanged
    EXPECT_EQ(deskewed(wide, 1, 5), wide);
    EXPECT_EQ(deskewed(tall, 5, 1), tall);  // one column: every shift moves ink out or keeps it
    const Image one = {77};
    EXPECT_EQ(deskewed(one, 1, 1), one);
}

TEST(Deskew, a_large_shear_is_sampled_within_the_frame) {
    // Two pixels in opposite corners of a 2 x 28 frame: alpha = cov / var = 6.75 / 0.25 = 27, so
    // row 0 moves by -13.5 columns and row 1 by +13.5: each pixel lands between columns 13 and 14
    // (half of 255 each, rounded up: 128); nothing is read outside the rows.
    Image im(2 * 28, 0);
    im[0] = 255;
    im[28 + 27] = 255;
    const mnistlr::Shear s = mnistlr::deskew_shear(im.data(), 2, 28);
    EXPECT_EQ(s.alpha, 27.0);
    Image want(2 * 28, 0);
    want[13] = want[14] = want[28 + 13] = want[28 + 14] = 128;
    EXPECT_EQ(deskewed(im, 2, 28), want);

    // Ink at the edge that the shear moves outwards is dropped: a diagonal (alpha about 1) with a
    // stray pixel at the top right, which row 0's shift of about +7 columns pushes out of the frame.
    Image diag(16 * 16, 0);
    for (std::uint32_t i = 0; i < 16; ++i) diag[i * 16 + i] = 200;
    diag[15] = 255;
    const Image out = deskewed(diag, 16, 16);
    for (std::uint32_t r = 0; r < 3; ++r)
        for (std::uint32_t c = 11; c < 16; ++c) EXPECT_EQ(out[r * 16 + c], 0) << r << "," << c;  // no trace of it
    int total = 0;
    for (const std::uint8_t v : out) total += v;
    EXPECT_LE(total, 16 * 200 + 16);  // the diagonal's ink at most (rounding aside): the stray is gone
}

TEST(Deskew, unrounded_and_float_forms_agree_with_the_bytes) {
    const Image bar = slanted_bar(28, 28, 0.45, 3, 25);
    const Image up = deskewed(bar, 28, 28);
    std::vector<float> unrounded(bar.size()), fin(bar.size()), fout(bar.size());
    mnistlr::deskew_image_unrounded(bar.data(), 28, 28, unrounded.data());
    for (std::size_t p = 0; p < bar.size(); ++p) fin[p] = bar[p] / 255.0f;
    mnistlr::deskew_image(fin.data(), 28, 28, fout.data());
    for (std::size_t p = 0; p < bar.size(); ++p) {
        EXPECT_LE(std::fabs(up[p] / 255.0f - unrounded[p]), 0.5f / 255.0f + 1e-6f) << p;
        EXPECT_NEAR(fout[p], unrounded[p], 1e-5f) << p;  // same shear from float moments
    }
}

// The documented sampling, out(r, c) = in(r + rbar - r0, c + cbar - c0 + alpha (r - r0)), bilinear
// with zeros outside, in double precision from deskew_shear's moments (exact per-row sums).
Image sampled_as_documented(const Image& im, std::uint32_t rows, std::uint32_t cols) {
    const mnistlr::Shear s = mnistlr::deskew_shear(im.data(), rows, cols);
    if (s.mass_is_zero) return im;
    const double r0 = 0.5 * (rows - 1.0), c0 = 0.5 * (cols - 1.0);
    const auto at = [&](long r, long c) {
        return r >= 0 && r < static_cast<long>(rows) && c >= 0 && c < static_cast<long>(cols)
                   ? static_cast<double>(im[static_cast<std::size_t>(r) * cols + static_cast<std::size_t>(c)])
                   : 0.0;
    };
    Image out(im.size());
    for (std::uint32_t r = 0; r < rows; ++r)
        for (std::uint32_t c = 0; c < cols; ++c) {
            const double y = r + s.row_centroid - r0, x = c + s.col_centroid - c0 + s.alpha * (r - r0);
            const double fy = std::floor(y), fx = std::floor(x), ty = y - fy, tx = x - fx;
            const auto Y = static_cast<long>(fy), X = static_cast<long>(fx);
            const double v = (1 - ty) * ((1 - tx) * at(Y, X) + tx * at(Y, X + 1)) +
                             ty * ((1 - tx) * at(Y + 1, X) + tx * at(Y + 1, X + 1));
            out[std::size_t{r} * cols + c] = static_cast<std::uint8_t>(std::lround(v));
        }
    return out;
}

TEST(Deskew, every_frame_size_samples_where_documented) {
    // Random ink in an off-centre, off-axis patch, so that the shear and both centroid shifts are
    // far from 0 and a wrong moment would move whole columns. 28 x 28 and 13 x 41 take the
    // per-pixel weight tables of the batch form; 90 x 90 is past their 32-bit bound and takes the
    // 64-bit row sums. Float rounding against this double reference can move a value by one level.
    std::mt19937 rng(5);
    for (auto [rows, cols] : {std::pair<std::uint32_t, std::uint32_t>{28, 28}, {13, 41}, {90, 90}, {100, 3}}) {
        const std::size_t n = 6, P = std::size_t{rows} * cols;
        Image batch(n * P, 0);
        for (std::size_t i = 0; i < n; ++i)
            for (std::uint32_t r = rows / 5; r < rows - rows / 3; ++r)
                for (std::uint32_t c = 0; c < cols / 2 + r % 3; ++c)
                    if (rng() % 3 == 0) batch[i * P + std::size_t{r} * cols + c] = static_cast<std::uint8_t>(rng() % 256);
        Image out(n * P, 7);
        mnistlr::deskew_images(batch.data(), n, rows, cols, out.data());
        for (std::size_t i = 0; i < n; ++i) {
            const Image one(batch.begin() + static_cast<std::ptrdiff_t>(i * P), batch.begin() + static_cast<std::ptrdiff_t>((i + 1) * P));
            const Image want = sampled_as_documented(one, rows, cols);
            int worst = 0, moved = 0;
            for (std::size_t p = 0; p < P; ++p) {
                worst = std::max(worst, std::abs(int{out[i * P + p]} - int{want[p]}));
                moved += out[i * P + p] != one[p];
            }
            EXPECT_LE(worst, 1) << rows << "x" << cols << " image " << i;
            EXPECT_GT(moved, static_cast<int>(P / 10)) << rows << "x" << cols << " image " << i;  // not a copy
        }
    }
}

TEST(Deskew, split_is_deskewed_image_by_image_for_any_thread_count) {
    // 1500 images (enough for the threaded path), each a bar of its own slope.
    const std::size_t n = 1500, P = 28 * 28;
    std::vector<std::uint8_t> px, ys;
    for (std::size_t i = 0; i < n; ++i) {
        const Image bar = slanted_bar(28, 28, -0.6 + 1.2 * static_cast<double>(i % 97) / 96.0, 4, 24);
        px.insert(px.end(), bar.begin(), bar.end());
        ys.push_back(static_cast<std::uint8_t>(i % 10));
    }
    const mnistlr::Split original = testutil::split_of(28, 28, px, ys, "imgs", "labs");
    mnistlr::Split one = original, two = original;
    mnistlr::deskew_split(one, 1);
    mnistlr::deskew_split(two, 2);
    ASSERT_EQ(one.pixels.size(), n * P);
    EXPECT_TRUE(std::equal(one.pixels.data(), one.pixels.data() + n * P, two.pixels.data()));
    EXPECT_TRUE(std::equal(original.pixels.data(), original.pixels.data() + n * P, px.data()));  // untouched
    EXPECT_EQ(one.labels.data(), original.labels.data());
    EXPECT_EQ(one.images_path, "imgs");
    for (std::size_t i : {std::size_t{0}, std::size_t{777}, n - 1}) {
        const Image want = deskewed(Image(px.begin() + static_cast<std::ptrdiff_t>(i * P),
                                          px.begin() + static_cast<std::ptrdiff_t>((i + 1) * P)),
                                    28, 28);
        EXPECT_TRUE(std::equal(want.begin(), want.end(), one.image(i))) << i;
    }
}

}  // namespace
