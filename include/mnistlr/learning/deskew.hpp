// Deskewing: shear an image so that the principal axis of its ink is vertical (LeCun et al. 1998's
// "deskewing" preprocessing, from the image's second moments).
//
// With intensities I(r, c) (r: row, downwards; c: column), mass S = sum I, centroid
//   rbar = sum r I / S,  cbar = sum c I / S,
// and second moments var(r) = sum (r - rbar)^2 I / S, cov(r, c) = sum (r - rbar)(c - cbar) I / S,
// the shear is alpha = cov(r, c) / var(r): the slope dc/dr of the ink's principal direction (a digit
// leaning right, top to the right, has alpha < 0). With the frame's centre (r0, c0) = ((rows - 1) / 2,
// (cols - 1) / 2), the deskewed image is
//   out(r, c) = in(r + rbar - r0, c + cbar - c0 + alpha (r - r0))
// sampled bilinearly into the same rows x cols frame (zero outside it): the ink is sheared about its
// centroid so its principal axis is vertical, and the centroid lands on the frame's centre, as the
// moment-based deskew in common use does (scipy's affine_transform with this matrix and offset,
// order 1, gives the same samples). The centring is worth as much as the shear on MNIST: on
// validation (`--recipe best --validation 5000`, seeds 0-2) shear only scored 0.9512, shear and
// centring 0.9563 (README). Ink moved past an edge is dropped. A blank image (S = 0) is returned
// unchanged, and so is one already upright and centred (alpha 0, centroid at the centre); ink in a
// single row (var(r) = 0) gets alpha = 0, so nothing divides by zero.
//
// The uint8 form rounds each output to the nearest level (v + 0.5, truncated), so a deskewed split
// keeps the layout of dataset.hpp (uint8, pixel-major per image) and the kernels read it as any
// other. For uint8 images the moments are exact integer sums (no cancellation), so an upright,
// centred image whose cov is exactly 0 is copied bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mnistlr/data/dataset.hpp"

namespace mnistlr {

struct Shear {
    double alpha = 0.0;         // dc/dr of the principal axis; 0 for a blank or one-row image
    double row_centroid = 0.0;  // rbar, the row the shear is about
    double col_centroid = 0.0;  // cbar
    bool mass_is_zero = true;   // a blank image: nothing to move
};

// The shear of a rows x cols image (row-major).
Shear deskew_shear(const std::uint8_t* image, std::uint32_t rows, std::uint32_t cols);
Shear deskew_shear(const float* image, std::uint32_t rows, std::uint32_t cols);

// Deskews one rows x cols image into dst (rows * cols values, not overlapping src).
void deskew_image(const std::uint8_t* src, std::uint32_t rows, std::uint32_t cols, std::uint8_t* dst);
// n images of rows x cols, one after another, deskewed into dst (n * rows * cols bytes): the same
// bytes as n calls of deskew_image, with the per-size set-up done once.
void deskew_images(const std::uint8_t* src, std::size_t n, std::uint32_t rows, std::uint32_t cols, std::uint8_t* dst);
// The same shear and samples without the rounding: dst holds the bilinear values / 255, in [0, 1]
// (the model's input scale). For measuring what the uint8 rounding costs.
void deskew_image_unrounded(const std::uint8_t* src, std::uint32_t rows, std::uint32_t cols, float* dst);
// A float image (predict's prepared image files, values in [0, 1]) deskewed in the same way.
void deskew_image(const float* src, std::uint32_t rows, std::uint32_t cols, float* dst);

// Every image of a split deskewed into a new owned buffer that replaces split.pixels (labels and
// paths are kept). Images are independent, so they are split over `threads` threads (0: up to 2,
// per hardware) and the result does not depend on the count.
void deskew_split(Split& split, unsigned threads = 0);

}  // namespace mnistlr
