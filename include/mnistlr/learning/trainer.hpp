// TrainConfig -> train() -> TrainResult: minibatch SGD (plain, momentum, Nesterov) or Adam on
// softmax regression.
//
// The default configuration is the reference recipe: W, b zeros; lr 0.5; batch 64; 1000 steps from
// shuffled epochs (EpochBatcher, NumPy's permutations); pixels scaled to [0, 1]; float32. Same seed,
// same data, same build: bit-identical weights.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <vector>

#include "mnistlr/learning/batcher.hpp"
#include "mnistlr/data/dataset.hpp"
#include "mnistlr/learning/model.hpp"

namespace mnistlr {

enum class Schedule { constant, linear, cosine };
enum class Optimizer { sgd, adam };

struct TrainConfig {
    float lr = 0.5f;
    std::size_t batch = 64;
    std::size_t steps = 1000;
    std::uint32_t seed = 0;
    float l2 = 0.0f;
    // Learning rate at step t of T (0-based): constant lr; linear lr (1 - t/T); cosine
    // lr (1 + cos(pi t/T)) / 2.
    Schedule schedule = Schedule::constant;
    // Heavy-ball momentum (PyTorch's form): v = momentum v + g; W -= lr v. With nesterov:
    // W -= lr (g + momentum v). 0: plain SGD (the reference).
    float momentum = 0.0f;
    bool nesterov = false;
    // adam: Adam (Kingma & Ba) with bias correction, beta1 0.9, beta2 0.999, eps 1e-8; the L2
    // penalty is coupled (added to the gradient, so --l2 keeps its meaning as a term of the loss).
    // Momentum must be 0 with adam. sgd: the (momentum) SGD above, the reference.
    Optimizer optimizer = Optimizer::sgd;
    // Smoothness penalty on the weight pictures: loss += smooth/2 * sum over classes and pairs of
    // 4-neighbour pixels (p, q) of (W[p] - W[q])^2. 0: off (the reference).
    float smooth = 0.0f;
    // Pixels that no training image inks (0 in every image) have a data gradient of exactly 0; the
    // L2 and smoothness terms alone would move their weights (Adam scales even a tiny gradient to a
    // step of about lr), painting the picture where there is no data. With zero_blank their
    // gradient is set to 0, so their weights stay exactly 0 (W starts at 0): the loss is minimised
    // over the other weights, these fixed at 0. false: the plain penalties (the reference).
    bool zero_blank = false;
    // Tail (Polyak) averaging: the returned model is the mean of the iterates of the last
    // average_tail * steps steps (0: the last iterate, as the reference).
    double average_tail = 0.0;
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
    const SoftmaxModel* model = nullptr;  // the model after this step's update (the current iterate)
    bool recorded = false;                // true on steps that are multiples of record_every:
    float batch_loss_after = 0.0f;        //   the same minibatch's loss after the update
    float batch_accuracy_after = 0.0f;    //   and its accuracy after the update
};

// Called after every step; returning false stops training after that step. With record_every,
// it is also called once before the first step with step = 0 and recorded = true (the untrained
// model, scored on the first minibatch).
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

// The pixels (indices into rows x cols) that are 0 in every image of the split, in increasing order.
std::vector<std::uint32_t> blank_pixels(const Split& data);

// One training step at a time over a split, with the optimizer TrainConfig names (SGD, momentum or
// Nesterov SGD, Adam), its schedule and tail averaging: owns the model, the batcher, the optimizer's
// state and every buffer (allocated in the constructor; step() does not allocate). train() drives
// it; benchmarks time step() alone.
class Stepper {
public:
    // Validates the shape (as train() does) and the configuration (throws Error), then allocates
    // (and, with zero_blank, finds the blank pixels: one pass over the split).
    Stepper(const Split& data, std::uint32_t classes, const TrainConfig& config);

    // Draws the next minibatch, computes its gradient with batch_gradient (model.hpp: the
    // cross-entropy plus the l2 and smooth terms), updates the model with the optimizer at the
    // scheduled learning rate, and returns the minibatch's mean cross-entropy before the update.
    double step();
    // Loss and accuracy of the last minibatch under the current model (after the update).
    void score_last_batch(float& loss, float& accuracy);
    // Loss and accuracy of the minibatch the next step() will use, under the current model (for a
    // step-0 record of the untrained model). Does not change what step() does.
    void score_next_batch(float& loss, float& accuracy);

    std::size_t steps_done() const noexcept { return t_; }
    const SoftmaxModel& model() const noexcept { return m_; }
    // The result: the tail average when averaging is on and reached, else the current iterate.
    SoftmaxModel result() const;

private:
    const Split& data_;
    TrainConfig cfg_;
    SoftmaxModel m_;
    EpochBatcher batcher_;
    std::vector<std::uint32_t> idx_, next_idx_;  // this step's batch and the next one (prefetched)
    std::vector<std::uint8_t> y_;
    std::vector<const std::uint8_t*> rows_;  // the batch's images, where they lie in the split
    Matrix Z_, dW_, vW_, sW_;                // sW_, sb_: Adam's second moments (vW_, vb_: first)
    Vector db_, vb_, sb_;
    SoftmaxModel avg_;
    std::size_t avg_start_ = 0, averaged_ = 0, t_ = 0;
    std::vector<std::uint32_t> blank_;  // zero_blank: the pixels no training image inks
};

// The learning rate of step t (0-based) of T under a schedule.
float scheduled_lr(const TrainConfig& config, std::size_t t);

// Steps needed for `epochs` passes over n samples in batches of `batch` (rounded up).
std::size_t steps_for_epochs(double epochs, std::size_t n, std::size_t batch);

// Trains on `data` (whose labels must be below `classes`). Throws Error for an unusable config,
// and, before anything else, for a shape that a weights file cannot hold (weights_io.hpp: 1 to
// kMaxSide pixels per side, 2 to kMaxClasses classes), so nothing is trained that could not be loaded.
// Allocates everything before the first step; the step loop itself does not allocate.
TrainResult train(const Split& data, std::uint32_t classes, const TrainConfig& config,
                  const StepCallback& on_step = {});

}  // namespace mnistlr
