// Pixels to pixels: turning an arbitrary (decoded) picture of a digit into a model input, the way MNIST itself was made.
//
// The pipeline (preprocess_image), each step a pure function:
//  1. decode_image (image_decode.hpp): PNG/JPEG/BMP/GIF/TGA/PNM... to 8-bit grey plus alpha.
//  2. extract_ink: how much ink each pixel holds, in [0, 1].
//     - Opaque image: the background level is the median of the border ring (width max(1, min(w, h)
//       / 32) pixels). A light background (median >= 128) means a dark digit on paper: the image is
//       inverted. Ink = (contrast to the background) / (the largest contrast in the image); contrast
//       at or below the border's noise (3 x its median absolute deviation) counts as no ink.
//     - Image with transparency: ink = alpha (strokes drawn on a transparent canvas, whatever their
//       colour); the same noise floor applies.
//     - Largest contrast below 24 grey levels (of 255): the image is blank, Error "<name>: image has
//       no ink (blank)". Nothing downstream ever divides by zero, so no NaN can reach the model.
//  3. mnist_frame: crop to the ink's bounding box; scale it so that its longer side is B pixels,
//     keeping the aspect ratio (B = 20 for a 28 x 28 model, round(20/28 * min(rows, cols)) in
//     general); place it in a rows x cols frame translated by a whole number of pixels so that its
//     centre of mass lands on (cols / 2, rows / 2) in pixel-index coordinates (where MNIST's centres
//     of mass lie: 14.0 on average for 28 x 28). Ink shifted past the frame's edge is dropped.
//     Resampling is separable: area averaging (each output pixel the mean of the source area it
//     covers) when shrinking, bilinear interpolation between pixel centres when enlarging, the
//     identity at equal size. Area averaging is what keeps thin strokes of a large photo visible.
// The frame is rows x cols values in [0, 1], row-major, 1 = ink: the model's input layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mnistlr/pictures/image_decode.hpp"

namespace mnistlr {

// A float picture, row-major; used for ink maps and model inputs (1 = full ink).
struct InkImage {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::vector<float> v;  // width * height

    float at(std::uint32_t x, std::uint32_t y) const { return v[std::size_t{y} * width + x]; }
};

struct Point {
    double x = 0.0;
    double y = 0.0;
};

// Step 2 (see above). Throws Error "<name>: image has no ink (blank)".
InkImage extract_ink(const GrayImage& image, const std::string& name);

// Step 3 (see above). Throws Error "<name>: image has no ink (blank)" for an all-zero ink map.
InkImage mnist_frame(const InkImage& ink, std::uint32_t rows, std::uint32_t cols, const std::string& name);

// Steps 2 and 3.
InkImage preprocess_image(const GrayImage& image, std::uint32_t rows, std::uint32_t cols, const std::string& name);

// Separable resampling to width x height (>= 1 each): area average when shrinking an axis, bilinear
// between pixel centres when enlarging it.
InkImage resample(const InkImage& src, std::uint32_t width, std::uint32_t height);

// Ink-weighted mean pixel position (pixel (x, y) at coordinates (x, y)). Precondition: some ink.
Point centre_of_mass(const InkImage& ink);

}  // namespace mnistlr
