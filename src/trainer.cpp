#include "mnistlr/trainer.hpp"

#include <chrono>
#include <vector>

#include "mnistlr/batcher.hpp"
#include "mnistlr/error.hpp"

namespace mnistlr {

std::size_t steps_for_epochs(double epochs, std::size_t n, std::size_t batch) {
    return static_cast<std::size_t>(std::ceil(epochs * static_cast<double>(n) / static_cast<double>(batch)));
}

TrainResult train(const Split& data, std::uint32_t classes, const TrainConfig& config, const StepCallback& on_step) {
    if (config.batch == 0) throw Error("--batch must be at least 1");
    if (config.batch > data.count)
        throw Error(data.images_path, "batch " + std::to_string(config.batch) + " is larger than the " +
                                          std::to_string(data.count) + " training images");
    if (!(config.lr > 0.0f) || !std::isfinite(config.lr)) throw Error("--lr must be a positive number");
    if (!(config.l2 >= 0.0f) || !std::isfinite(config.l2)) throw Error("--l2 must be zero or positive");
    if (data.count > std::size_t{0xFFFFFFFFu}) throw Error(data.images_path, "more than 2^32 images");
    check_labels(data, classes);

    TrainResult r;
    r.model = SoftmaxModel::zeros(data.rows, data.cols, classes);
    SoftmaxModel& m = r.model;
    const std::size_t P = m.pixels();
    const std::size_t B = config.batch;

    // Every buffer the loop touches is allocated here, once.
    EpochBatcher batcher(data.count, config.seed);
    std::vector<std::uint32_t> idx(B);
    std::vector<std::uint8_t> y(B);
    Matrix X(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(B));  // P x B
    Matrix Z(classes, static_cast<Eigen::Index>(B));                       // K x B
    Matrix dW(static_cast<Eigen::Index>(P), classes);                      // P x K
    Vector db(classes);                                                    // K
    const std::size_t window = std::max<std::size_t>(config.divergence_window, 1);
    std::vector<double> recent(window, 0.0);  // ring buffer of the last `window` losses
    double recent_sum = 0.0;
    const double limit = config.divergence_factor * std::log(static_cast<double>(classes));

    const auto t0 = std::chrono::steady_clock::now();
    StepInfo info;
    info.steps = config.steps;
    info.model = &m;
    for (std::size_t step = 0; step < config.steps; ++step) {
        batcher.next(B, idx.data());
        for (std::size_t j = 0; j < B; ++j) y[j] = data.label(idx[j]);
        load_columns(data.pixels.data(), P, idx.data(), B, X);
        compute_logits(m, X, B, Z);
        const double loss = softmax_cross_entropy(Z, y.data(), B) / static_cast<double>(B);
        gradient(m, X, Z, y.data(), B, config.l2, dW, db);
        m.W.noalias() -= config.lr * dW;  // plain gradient descent
        m.b.noalias() -= config.lr * db;

        r.steps_done = step + 1;
        r.last_batch_loss = static_cast<float>(loss);
        info.step = step + 1;
        info.batch_loss = r.last_batch_loss;
        info.recorded = config.record_every != 0 && info.step % config.record_every == 0;
        if (info.recorded) {
            std::size_t correct = 0;
            compute_logits(m, X, B, Z);
            info.batch_loss_after =
                static_cast<float>(softmax_cross_entropy(Z, y.data(), B, &correct) / static_cast<double>(B));
            info.batch_accuracy_after = static_cast<float>(static_cast<double>(correct) / static_cast<double>(B));
        }

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
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace mnistlr
