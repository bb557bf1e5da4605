// Loss, accuracy and confusion matrix of a model on a split.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mnistlr/dataset.hpp"
#include "mnistlr/kernels.hpp"
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
// images. A pixel that is zero in all sixteen images of a block adds nothing, so the copy keeps
// only a block's other pixel rows, with their pixel numbers: on MNIST half of them (the digits'
// 19% ink leaves the borders empty), on Fashion-MNIST 92%. The sums are the same, term for term.
// The loss is then computed for the sixteen lanes at once (max, exp, arg-max as vector
// operations; exp is a polynomial accurate to ~2 ulp). Blocks of images are split across `threads`
// threads; per-block sums are added in block order, so results do not depend on the thread
// count. Up to kMaxKernelClasses classes; beyond that a plain Eigen path is used.
class Evaluator {
public:
    static constexpr std::uint32_t kMaxKernelClasses = kEvalMaxClasses;

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
    bool compact_ = false;  // rows indexed by row_pixel_ (P <= 65536), else all P rows stored
    std::vector<std::uint8_t> transposed_;  // per block, its non-empty pixel rows x 16 (see above)
    std::vector<std::uint16_t> row_pixel_;  // the pixel number of each stored row
    std::vector<std::size_t> block_row_;    // block b's rows are [block_row_[b], block_row_[b + 1])
    std::vector<float> w_scaled_;           // pixels x K, row-major: W_pk / 255
    std::vector<float> bias_;               // K
    std::vector<double> block_loss_;
    std::vector<std::uint32_t> block_correct_;
    std::vector<std::uint32_t> predicted_;  // per image, for the confusion matrix
};

// One-off evaluation with the confusion matrix; checks shapes and labels (throws Error). threads:
// as for Evaluator (0: up to 2, per hardware).
Metrics evaluate(const SoftmaxModel& model, const Split& split, unsigned threads = 0);

}  // namespace mnistlr
