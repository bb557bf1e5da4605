// The hot loops: the two products of a training step and the evaluation of blocks of 16 images, all
// computed straight from uint8 images.
//
// The reference's step is two small products per minibatch of n images (P pixels, K classes):
//   forward   Z = W^T X + b 1^T      (K x n)
//   backward  dW = X G^T             (P x K)
// with X = x / 255 as float. Eigen computes them as general GEMMs: it converts the batch to a
// float copy first and repacks both operands on every call, which costs more than the arithmetic
// at these sizes (n = 64, P = 784, K = 10). These kernels read the images' bytes where they lie
// (the mapped IDX file), widen each run of bytes to floats in registers (one vector: 16 bytes with
// AVX-512, 8 with AVX2, 4 with SSE2, 8 without x86 vectors) and keep every partial sum in a
// register, one vector of pixels per class:
//   forward:  up to 10 classes against one image at a time (10 accumulators), two with AVX-512
//             (20 accumulators: it has 32 vector registers, AVX2 and SSE2 have 16), reduced across
//             lanes at the end;
//   backward: one vector of pixels at a time for up to 10 classes (10 accumulators), two with
//             AVX-512 (20), summed over the n images in order.
// Classes beyond 10 are done in further groups; pixels past the last whole vector one by one. The
// factor 1/255 is applied to each sum, not each pixel. Summation order is fixed: same inputs, same
// bits. model.hpp's batch_loss and batch_gradient are the training step's calls.
//
// Instruction sets: with MNISTLR_NATIVE (the default) the kernels are compiled for this machine
// only. Without it (a portable build) they are compiled three times, for AVX-512, AVX2 + FMA and
// baseline x86-64, and the best one the CPU supports is chosen when first used
// (MNISTLR_KERNELS=avx512|avx2|base in the environment forces one). Variants may differ in the
// last bits of a sum (vector widths differ); each is deterministic.
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

// The evaluation of blocks of 16 images (see evaluate.hpp for the layout). Block b's stored pixel
// rows are [block_begin[b], block_end[b]); row r is 16 bytes at rows + 16 r (pixel r of the 16
// images, zero past the split's end) and holds pixel pixel[r] (pixel == nullptr: row
// block_begin[b] + i holds pixel i). w is P x K row-major, already divided by 255. For each block
// in [first, last): block_loss[b] = the sum of the images' cross-entropies, block_correct[b] = how
// many arg-maxes (the first on ties) equal the label, and predicted[i] = image i's arg-max unless
// null. eval_blocks throws Error, before reading any row, unless 1 <= K <= kEvalMaxClasses and
// every label of the blocks' images is below K (the per-variant functions of KernelSet assume it).
constexpr std::uint32_t kEvalMaxClasses = 64;
struct EvalBlocks {
    const std::uint8_t* rows = nullptr;
    const std::uint16_t* pixel = nullptr;
    const std::size_t* block_begin = nullptr;
    const std::size_t* block_end = nullptr;
    const float* w = nullptr;
    const float* bias = nullptr;
    std::uint32_t K = 0;
    const std::uint8_t* labels = nullptr;
    std::size_t count = 0;
    double* block_loss = nullptr;
    std::uint32_t* block_correct = nullptr;
    std::uint32_t* predicted = nullptr;
};
void eval_blocks(const EvalBlocks& e, std::size_t first, std::size_t last);

// The variant in use ("native", "avx512", "avx2" or "base") and its vector width in floats.
const char* kernel_variant() noexcept;
std::size_t kernel_lanes() noexcept;

// One compiled variant, for tests and benchmarks that compare them.
struct KernelSet {
    const char* name;
    void (*logits_u8)(const float*, const float*, std::size_t, std::size_t, const std::uint8_t* const*, std::size_t,
                      float, float*);
    void (*outer_u8)(const std::uint8_t* const*, std::size_t, const float*, std::size_t, std::size_t, float, float*);
    void (*eval_blocks)(const EvalBlocks&, std::size_t, std::size_t);
    std::size_t (*lanes)() noexcept;
};
// The variants this build has and this CPU can run, best first.
std::size_t kernel_sets(const KernelSet** out, std::size_t max);

}  // namespace mnistlr
