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
    // confusion[t * classes + p]: samples of true class t predicted as p.
    std::vector<std::uint64_t> confusion;
};

// Evaluates in chunks (a chunk of images is converted to float at a time; the split stays uint8).
// Labels must be below the model's class count (checked).
Metrics evaluate(const SoftmaxModel& model, const Split& split);

}  // namespace mnistlr
