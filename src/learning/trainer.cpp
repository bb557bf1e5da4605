#include "mnistlr/learning/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "mnistlr/error.hpp"
#include "mnistlr/model_files/weights_io.hpp"  // kMaxSide, kMaxClasses: the shapes a weights file holds

namespace mnistlr {

std::size_t steps_for_epochs(double epochs, std::size_t n, std::size_t batch) {
    return static_cast<std::size_t>(std::ceil(epochs * static_cast<double>(n) / static_cast<double>(batch)));
}

float scheduled_lr(const TrainConfig& config, std::size_t t) {
    const double frac = config.steps ? static_cast<double>(t) / static_cast<double>(config.steps) : 0.0;
    switch (config.schedule) {
        case Schedule::linear: return static_cast<float>(config.lr * (1.0 - frac));
        case Schedule::cosine: return static_cast<float>(config.lr * 0.5 * (1.0 + std::cos(3.14159265358979323846 * frac)));
        case Schedule::constant: break;
    }
    return config.lr;
}

namespace {

// A model that the weights file cannot hold would be trained only to be refused by every command
// that loads it: refuse its shape first, with the loader's limits (weights_io.hpp).
void check_loadable_shape(const Split& data, std::uint32_t classes) {
    if (data.rows == 0 || data.cols == 0 || data.rows > kMaxSide || data.cols > kMaxSide)
        throw Error(data.images_path, "image size " + std::to_string(data.rows) + " x " + std::to_string(data.cols) +
                                          " is out of range for a model (1 to " + std::to_string(kMaxSide) +
                                          " per side): no command could load the weights file");
    if (classes < 2 || classes > kMaxClasses)
        throw Error(data.labels_path, "class count " + std::to_string(classes) + " is out of range for a model (2 to " +
                                          std::to_string(kMaxClasses) +
                                          "): no command could load the weights file");
}

const TrainConfig& validated(const Split& data, std::uint32_t classes, const TrainConfig& config) {
    check_loadable_shape(data, classes);
    if (config.batch == 0) throw Error("--batch must be at least 1");
    if (config.batch > data.count)
        throw Error(data.images_path, "batch " + std::to_string(config.batch) + " is larger than the " +
                                          std::to_string(data.count) + " training images");
    if (!(config.lr > 0.0f) || !std::isfinite(config.lr)) throw Error("--lr must be a positive number");
    if (!(config.l2 >= 0.0f) || !std::isfinite(config.l2)) throw Error("--l2 must be zero or positive");
    if (!(config.momentum >= 0.0f && config.momentum < 1.0f)) throw Error("--momentum must be in [0, 1)");
    if (config.optimizer == Optimizer::adam && (config.momentum != 0.0f || config.nesterov))
        throw Error("--momentum and --nesterov are for --optimizer sgd (Adam has its own moments)");
    if (!(config.smooth >= 0.0f) || !std::isfinite(config.smooth)) throw Error("--smooth must be zero or positive");
    if (!(config.average_tail >= 0.0 && config.average_tail <= 1.0)) throw Error("--average must be in [0, 1]");
    if (data.count > std::size_t{0xFFFFFFFFu}) throw Error(data.images_path, "more than 2^32 images");
    check_labels(data, classes);
    return config;
}

Eigen::Index ix(std::size_t v) { return static_cast<Eigen::Index>(v); }

constexpr float kAdamBeta1 = 0.9f, kAdamBeta2 = 0.999f, kAdamEps = 1e-8f;

}  // namespace

std::vector<std::uint32_t> blank_pixels(const Split& data) {
    const std::size_t P = data.pixels_per_image();
    std::vector<std::uint8_t> ink(P, 0);  // OR of every image: nonzero where some image inks
    for (std::size_t i = 0; i < data.count; ++i) {
        const std::uint8_t* img = data.image(i);
        for (std::size_t p = 0; p < P; ++p) ink[p] |= img[p];
    }
    std::vector<std::uint32_t> blank;
    for (std::size_t p = 0; p < P; ++p)
        if (ink[p] == 0) blank.push_back(static_cast<std::uint32_t>(p));
    return blank;
}

Stepper::Stepper(const Split& data, std::uint32_t classes, const TrainConfig& config)
    : data_(data),
      cfg_(validated(data, classes, config)),
      m_(SoftmaxModel::zeros(data.rows, data.cols, classes)),
      batcher_(data.count, config.seed),
      idx_(config.batch),
      next_idx_(config.batch),
      y_(config.batch),
      rows_(config.batch),
      Z_(classes, ix(config.batch)),           // K x B
      dW_(ix(m_.pixels()), classes),           // P x K
      db_(classes) {                           // K
    if (cfg_.momentum > 0.0f) {
        vW_ = Matrix::Zero(dW_.rows(), dW_.cols());  // velocity
        vb_ = Vector::Zero(classes);
    }
    if (cfg_.optimizer == Optimizer::adam) {  // first and second moments
        vW_ = Matrix::Zero(dW_.rows(), dW_.cols());
        sW_ = Matrix::Zero(dW_.rows(), dW_.cols());
        vb_ = Vector::Zero(classes);
        sb_ = Vector::Zero(classes);
    }
    if (cfg_.zero_blank && (cfg_.l2 != 0.0f || cfg_.smooth != 0.0f)) blank_ = blank_pixels(data);
    batcher_.next(cfg_.batch, next_idx_.data());
    const auto tail = static_cast<std::size_t>(std::llround(cfg_.average_tail * static_cast<double>(cfg_.steps)));
    if (tail > 0) {
        avg_ = SoftmaxModel::zeros(data.rows, data.cols, classes);
        avg_start_ = cfg_.steps - std::min(tail, cfg_.steps);
    }
}

double Stepper::step() {
    const std::size_t B = cfg_.batch, P = m_.pixels();
    // Batches are drawn one step ahead (the same sequence), so that the next batch's images can be
    // prefetched from the mapped file while this one is computed: the random reads, not the
    // arithmetic, would otherwise dominate the conversion.
    std::swap(idx_, next_idx_);
    batcher_.next(B, next_idx_.data());
    for (std::size_t j = 0; j < B; ++j) {
        const std::uint8_t* img = data_.image(next_idx_[j]);
        for (std::size_t off = 0; off < P; off += 64) __builtin_prefetch(img + off);
    }
    for (std::size_t j = 0; j < B; ++j) {
        y_[j] = data_.label(idx_[j]);
        rows_[j] = data_.image(idx_[j]);
    }
    // dW, db: the gradient of the minibatch's loss with the L2 and smoothness terms (model.hpp).
    const double loss = batch_gradient(m_, rows_.data(), y_.data(), B, cfg_.l2, cfg_.smooth, Z_, dW_, db_);
    for (Eigen::Index k = 0; k < dW_.cols(); ++k)  // zero_blank: only the penalties act there; keep W at 0
        for (std::uint32_t p : blank_) dW_(p, k) = 0.0f;
    const float lr = scheduled_lr(cfg_, t_);
    if (cfg_.optimizer == Optimizer::adam) {  // W -= lr m^ / (sqrt(v^) + eps), m^ v^ bias-corrected
        const double t = static_cast<double>(t_ + 1);
        const auto step = static_cast<float>(lr / (1.0 - std::pow(double{kAdamBeta1}, t)));
        const auto root_c2 = static_cast<float>(std::sqrt(1.0 - std::pow(double{kAdamBeta2}, t)));
        vW_ = kAdamBeta1 * vW_ + (1.0f - kAdamBeta1) * dW_;
        vb_ = kAdamBeta1 * vb_ + (1.0f - kAdamBeta1) * db_;
        sW_ = kAdamBeta2 * sW_.array() + (1.0f - kAdamBeta2) * dW_.array().square();
        sb_ = kAdamBeta2 * sb_.array() + (1.0f - kAdamBeta2) * db_.array().square();
        m_.W.array() -= step * vW_.array() / (sW_.array().sqrt() / root_c2 + kAdamEps);
        m_.b.array() -= step * vb_.array() / (sb_.array().sqrt() / root_c2 + kAdamEps);
    } else if (cfg_.momentum == 0.0f) {
        m_.W.noalias() -= lr * dW_;  // plain gradient descent (the reference)
        m_.b.noalias() -= lr * db_;
    } else {
        vW_ = cfg_.momentum * vW_ + dW_;
        vb_ = cfg_.momentum * vb_ + db_;
        if (cfg_.nesterov) {
            m_.W.noalias() -= lr * (dW_ + cfg_.momentum * vW_);
            m_.b.noalias() -= lr * (db_ + cfg_.momentum * vb_);
        } else {
            m_.W.noalias() -= lr * vW_;
            m_.b.noalias() -= lr * vb_;
        }
    }
    if (avg_.W.size() != 0 && t_ >= avg_start_) {  // running mean: avg += (w - avg) / count
        ++averaged_;
        const float f = 1.0f / static_cast<float>(averaged_);
        avg_.W += f * (m_.W - avg_.W);
        avg_.b += f * (m_.b - avg_.b);
    }
    ++t_;
    return loss;
}

void Stepper::score_last_batch(float& loss, float& accuracy) {
    const std::size_t B = cfg_.batch;
    std::size_t correct = 0;
    loss = static_cast<float>(batch_loss(m_, rows_.data(), y_.data(), B, Z_, &correct));
    accuracy = static_cast<float>(static_cast<double>(correct) / static_cast<double>(B));
}

void Stepper::score_next_batch(float& loss, float& accuracy) {
    const std::size_t B = cfg_.batch;
    std::vector<std::uint8_t>& y = y_;
    for (std::size_t j = 0; j < B; ++j) {
        y[j] = data_.label(next_idx_[j]);
        rows_[j] = data_.image(next_idx_[j]);
    }
    score_last_batch(loss, accuracy);
}

SoftmaxModel Stepper::result() const { return averaged_ > 0 ? avg_ : m_; }

TrainResult train(const Split& data, std::uint32_t classes, const TrainConfig& config, const StepCallback& on_step) {
    Stepper stepper(data, classes, config);
    TrainResult r;
    const std::size_t window = std::max<std::size_t>(config.divergence_window, 1);
    std::vector<double> recent(window, 0.0);  // ring buffer of the last `window` losses
    double recent_sum = 0.0;
    const double limit = config.divergence_factor * std::log(static_cast<double>(classes));

    const auto t0 = std::chrono::steady_clock::now();
    StepInfo info;
    info.steps = config.steps;
    info.model = &stepper.model();
    if (config.record_every != 0 && on_step) {  // step 0: the untrained model
        info.recorded = true;
        stepper.score_next_batch(info.batch_loss_after, info.batch_accuracy_after);
        info.batch_loss = info.batch_loss_after;
        if (!on_step(info)) {
            r.stopped_by_callback = true;
            r.model = stepper.model();
            return r;
        }
    }
    for (std::size_t step = 0; step < config.steps; ++step) {
        const double loss = stepper.step();
        r.steps_done = step + 1;
        r.last_batch_loss = static_cast<float>(loss);
        info.step = step + 1;
        info.batch_loss = r.last_batch_loss;
        info.recorded = config.record_every != 0 && info.step % config.record_every == 0;
        if (info.recorded) stepper.score_last_batch(info.batch_loss_after, info.batch_accuracy_after);

        if (config.divergence_factor > 0.0) {
            recent_sum += loss - recent[step % window];
            recent[step % window] = loss;
            const double mean = recent_sum / static_cast<double>(window);
            if (!std::isfinite(loss) || (step + 1 >= window && mean > limit)) {
                r.diverged = true;
                r.divergence_loss = std::isfinite(loss) ? mean : loss;
                break;
            }
        }
        if (on_step && !on_step(info)) {
            r.stopped_by_callback = true;
            break;
        }
    }
    r.model = r.diverged ? stepper.model() : stepper.result();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace mnistlr
