// The two products of an SGD step, computed straight from uint8 images.
//
// The reference's step is two small products per minibatch of n images (P pixels, K classes):
//   forward   Z = W^T X + b 1^T      (K x n)
//   backward  dW = X G^T             (P x K)
// with X = x / 255 as float. Eigen computes them as general GEMMs: it converts the batch to a
// float copy first and repacks both operands on every call, which costs more than the arithmetic
// at these sizes (n = 64, P = 784, K = 10). These kernels read the images' bytes where they lie
// (the mapped IDX file), widen each 16-byte run to floats in registers and keep every partial sum
// in a register:
//   forward:  two images at a time against up to 10 classes (20 accumulators, one vector of
//             pixels each), reduced across lanes at the end;
//   backward: two vectors of pixels at a time for up to 10 classes (20 accumulators), summed over
//             the n images in order.
// Classes beyond 10 are done in further groups; pixels past the last whole vector are done one by
// one. The vector width is the build's (16 floats with AVX-512, 8 otherwise; GCC vector
// extensions, so any target compiles). The factor 1/255 is applied to each sum, not each pixel.
// Summation order is fixed: same inputs, same bits, whatever the thread count elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mnistlr {

// Z[j * K + k] = scale * sum_p W[k * P + p] * x_j[p] + b[k], for j < n, x_j = images[j] (P bytes).
// W is P x K column-major (class k's weights contiguous), Z is K x n column-major.
void logits_u8(const float* W, const float* b, std::size_t P, std::size_t K, const std::uint8_t* const* images,
               std::size_t n, float scale, float* Z);

// dW[k * P + p] = scale * sum_j G[j * K + k] * x_j[p], for p < P, k < K (sums over j in order).
// G is K x n column-major; dW is P x K column-major and is overwritten.
void outer_u8(const std::uint8_t* const* images, std::size_t n, const float* G, std::size_t P, std::size_t K,
              float scale, float* dW);

// Vector width in floats of this build's kernels (for tests and the benchmark's report).
std::size_t kernel_lanes() noexcept;

}  // namespace mnistlr
