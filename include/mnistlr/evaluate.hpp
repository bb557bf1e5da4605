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

// Evaluates models of one shape on splits, reusing its buffers: after the first call on a split
// of a given size, run() without a confusion matrix does not allocate (so it can sit in a loop).
// Images are converted to float a chunk at a time; the split stays uint8.
class Evaluator {
public:
    Evaluator(std::size_t pixels, std::uint32_t classes);
    // Labels must be below the model's class count (the caller checks, see check_labels).
    Metrics run(const SoftmaxModel& model, const Split& split, bool confusion = false);

private:
    Matrix X_;  // pixels x chunk
    Matrix Z_;  // classes x chunk
};

// One-off evaluation with the confusion matrix; checks shapes and labels (throws Error).
Metrics evaluate(const SoftmaxModel& model, const Split& split);

}  // namespace mnistlr
