// TrainConfig -> train() -> TrainResult: minibatch SGD on softmax regression.
//
// The default configuration is the reference recipe: W, b zeros; lr 0.5; batch 64; 1000 steps from
// shuffled epochs (EpochBatcher); pixels scaled to [0, 1]; float32. Same seed, same data, same
// build: bit-identical weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "mnistlr/dataset.hpp"
#include "mnistlr/model.hpp"

namespace mnistlr {

struct TrainConfig {
    float lr = 0.5f;
    std::size_t batch = 64;
    std::size_t steps = 1000;
    std::uint32_t seed = 0;
    float l2 = 0.0f;
};

struct StepInfo {
    std::size_t step = 0;  // 1-based, steps done so far
    std::size_t steps = 0;
    float batch_loss = 0.0f;  // minibatch mean loss before this step's update
};

// Called after every step; returning false stops training after that step.
using StepCallback = std::function<bool(const StepInfo&)>;

struct TrainResult {
    SoftmaxModel model;
    std::size_t steps_done = 0;
    float last_batch_loss = 0.0f;
    double seconds = 0.0;  // wall time of the step loop
};

// Steps needed for `epochs` passes over n samples in batches of `batch` (rounded up).
std::size_t steps_for_epochs(double epochs, std::size_t n, std::size_t batch);

// Trains on `data` (whose labels must be below `classes`). Throws Error for an unusable config.
TrainResult train(const Split& data, std::uint32_t classes, const TrainConfig& config,
                  const StepCallback& on_step = {});

}  // namespace mnistlr
