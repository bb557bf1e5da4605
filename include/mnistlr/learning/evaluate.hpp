// Loss, accuracy and confusion matrix of a model on a split.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mnistlr/data/dataset.hpp"
#include "mnistlr/learning/kernels.hpp"
#include "mnistlr/learning/model.hpp"

namespace mnistlr {

struct Metrics {
    std::size_t count = 0;
    std::size_t correct = 0;
    double loss = 0.0;      // mean cross-entropy
    double accuracy = 0.0;  // correct / count
    std::uint32_t classes = 0;
    // confusion[t * classes + p]: samples of true class t predicted as p (empty when not asked for).
    std::vector<std::uint64_t> confusion;
    // predicted[i]: image i's arg-max (the first on ties), the column it counts in (with the
    // confusion matrix; empty otherwise).
    std::vector<std::uint32_t> predicted;
};

// Evaluates models on splits, fast enough to run after every training step.
//
// The kernel keeps the images as uint8 but interleaved in blocks of 16 images: block b holds, for
// each pixel p in turn, pixel p of images 16b .. 16b+15 (16 bytes), so a block is one contiguous
// stream. Sixteen images are scored at a time, one per vector lane:
//   z_k[lane] = b_k + sum_p (W_pk / 255) * x_p[lane]
// so each pixel row is loaded once and converted in registers, and the model is read once per 16
// images. A pixel that is zero in all sixteen images of a block adds nothing, so the copy keeps
// only a block's other pixel rows, with their pixel numbers: on MNIST half of them (the digits'
// 19% ink leaves the borders empty), on Fashion-MNIST 92%. The sums are the same, term for term.
// The loss is then computed for the sixteen lanes at once (max, exp, arg-max as vector
// operations; exp is a polynomial accurate to ~2 ulp). Blocks of images are split across `threads`
// threads; per-block sums are added in block order, so results do not depend on the thread
// count. Up to kMaxKernelClasses classes; beyond that a plain Eigen path is used.
//
// Each block is transposed and then scored at once, while it is in cache. The first evaluation
// of a split keeps nothing (a one-off evaluation, like train's final one, would spend more on
// the fresh pages of a stored copy than on its arithmetic); the second also stores the copy, and
// later ones only score it. One copy per split, for up to kMaxCachedSplits splits (the least
// recently used is dropped beyond that), so that alternating the test and the training set
// (train --eval-train) copies each once. A split is recognised by its bytes (address and count);
// the evaluator keeps a reference to them (Bytes share ownership), so they stay valid, and
// unchanged, while cached.
class Evaluator {
public:
    static constexpr std::uint32_t kMaxKernelClasses = kEvalMaxClasses;
    static constexpr std::size_t kMaxCachedSplits = 4;

    // Models of `pixels` pixels and `classes` classes. threads 0: up to 2, per hardware.
    Evaluator(std::size_t pixels, std::uint32_t classes, unsigned threads = 0);
    ~Evaluator();
    Evaluator(Evaluator&&) noexcept;
    Evaluator& operator=(Evaluator&&) noexcept;
    // Throws Error when the model's shape or the split's image size is not the evaluator's, or when
    // a label is not below the class count (check_labels' message); nothing is read out of bounds.
    // With `confusion`, also the confusion matrix and every image's predicted class.
    Metrics run(const SoftmaxModel& model, const Split& split, bool confusion = false);

    // How many blocked copies of splits have been stored so far (one per split evaluated more than
    // once, while it stays cached).
    std::size_t preparations() const noexcept { return preparations_; }

private:
    struct Layout;
    Layout& layout_for(const Split& split);
    void check_shapes(const SoftmaxModel& model, const Split& split) const;

    std::size_t pixels_;
    std::uint32_t classes_;
    unsigned threads_;
    std::vector<Layout> layouts_;  // at most kMaxCachedSplits
    std::size_t preparations_ = 0;
    std::size_t clock_ = 0;        // run counter, for least-recently-used eviction
    std::vector<float> w_scaled_;  // pixels x K, row-major: W_pk / 255
    std::vector<float> bias_;      // K
};

// One-off evaluation with the confusion matrix and the predicted classes; checks shapes and labels (throws Error). threads:
// as for Evaluator (0: up to 2, per hardware).
Metrics evaluate(const SoftmaxModel& model, const Split& split, unsigned threads = 0);

}  // namespace mnistlr
