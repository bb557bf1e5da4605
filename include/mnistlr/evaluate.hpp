// Loss, accuracy and confusion matrix of a model on a split.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mnistlr/dataset.hpp"
#include "mnistlr/model.hpp"

namespace mnistlr {

struct Metrics {
    std::size_t count = 0;
    std::size_t correct = 0;
    double loss = 0.0;      // mean cross-entropy
    double accuracy = 0.0;  // correct / count
    std::uint32_t classes = 0;
    // confusion[t * classes + p]: samples of true class t predicted as p (empty when not asked for).
    std::vector<std::uint64_t> confusion;
};

// Evaluates models on splits, fast enough to run after every training step.
//
// The kernel keeps the images as uint8 but interleaved in blocks of 16 images: block b holds, for
// each pixel p in turn, pixel p of images 16b .. 16b+15 (16 bytes), so a block is one contiguous
// stream. The copy is made once per split and reused while the same split is evaluated again.
// Sixteen images are scored at a time, one per vector lane:
//   z_k[lane] = b_k + sum_p (W_pk / 255) * x_p[lane]
// so each pixel row is loaded once and converted in registers, and the model is read once per 16
// images. Blocks of images are split across `threads` threads; per-block sums are added in block
// order, so results do not depend on the thread count. Up to kMaxKernelClasses classes; beyond
// that a plain Eigen path is used.
class Evaluator {
public:
    static constexpr std::uint32_t kMaxKernelClasses = 64;

    Evaluator(std::size_t pixels, std::uint32_t classes, unsigned threads = 0);  // 0: up to 2, per hardware
    // Labels must be below the model's class count (the caller checks, see check_labels).
    Metrics run(const SoftmaxModel& model, const Split& split, bool confusion = false);

private:
    void prepare(const SoftmaxModel& model, const Split& split);
    void run_blocks(std::size_t first, std::size_t last, const Split& split, std::uint32_t K, bool confusion);

    std::size_t pixels_;
    std::uint32_t classes_;
    unsigned threads_;
    // Transposed copy of the split last evaluated.
    const std::uint8_t* cached_pixels_ = nullptr;
    std::size_t cached_count_ = 0;
    std::size_t padded_ = 0;
    std::vector<std::uint8_t> transposed_;  // blocks x pixels x 16 (see above)
    std::vector<float> w_scaled_;           // pixels x K, row-major: W_pk / 255
    std::vector<float> bias_;               // K
    std::vector<double> block_loss_;
    std::vector<std::uint32_t> block_correct_;
    std::vector<std::uint32_t> predicted_;  // per image, for the confusion matrix
};

// One-off evaluation with the confusion matrix; checks shapes and labels (throws Error).
Metrics evaluate(const SoftmaxModel& model, const Split& split);

}  // namespace mnistlr
