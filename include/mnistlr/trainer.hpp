// TrainConfig -> train() -> TrainResult: minibatch SGD on softmax regression.
//
// The default configuration is the reference recipe: W, b zeros; lr 0.5; batch 64; 1000 steps from
// shuffled epochs (EpochBatcher, NumPy's permutations); pixels scaled to [0, 1]; float32. Same seed,
// same data, same build: bit-identical weights.
#pragma once

#include <cmath>
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
    // Every `record_every` steps (0: never) the step's minibatch is scored again after the update,
    // as the reference records it; see StepInfo::recorded.
    std::size_t record_every = 0;
    // Divergence guard: training stops when a minibatch loss is not finite, or when the mean
    // minibatch loss over the last `divergence_window` steps exceeds divergence_factor * ln(K)
    // (the zero model's loss is ln K). A factor of 0 turns the guard off.
    std::size_t divergence_window = 50;
    double divergence_factor = 10.0;
};

struct StepInfo {
    std::size_t step = 0;  // 1-based, steps done so far
    std::size_t steps = 0;
    float batch_loss = 0.0f;              // minibatch mean loss before this step's update
    const SoftmaxModel* model = nullptr;  // the model after this step's update
    bool recorded = false;                // true on steps that are multiples of record_every:
    float batch_loss_after = 0.0f;        //   the same minibatch's loss after the update
    float batch_accuracy_after = 0.0f;    //   and its accuracy after the update
};

// Called after every step; returning false stops training after that step.
using StepCallback = std::function<bool(const StepInfo&)>;

struct TrainResult {
    SoftmaxModel model;
    std::size_t steps_done = 0;
    float last_batch_loss = 0.0f;
    double seconds = 0.0;  // wall time of the step loop (callbacks included)
    bool stopped_by_callback = false;
    bool diverged = false;        // the divergence guard stopped training at step steps_done
    double divergence_loss = 0.0;  // the loss that tripped it (single or windowed mean)
};

// Steps needed for `epochs` passes over n samples in batches of `batch` (rounded up).
std::size_t steps_for_epochs(double epochs, std::size_t n, std::size_t batch);

// Trains on `data` (whose labels must be below `classes`). Throws Error for an unusable config.
// Allocates everything before the first step; the step loop itself does not allocate.
TrainResult train(const Split& data, std::uint32_t classes, const TrainConfig& config,
                  const StepCallback& on_step = {});

}  // namespace mnistlr
