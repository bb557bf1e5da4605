#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/learning/batcher.hpp"
#include "mnistlr/learning/evaluate.hpp"
#include "mnistlr/learning/trainer.hpp"
#include "mnistlr/model_files/weights_io.hpp"
#include "test_util.hpp"

// Counts every heap allocation in this test binary, so a test can prove the step loop makes none.
// (GCC cannot see that these replacements pair malloc with free.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<std::size_t> g_allocations{0};
}
void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

// K Gaussian blobs in P = rows*cols pixels: class k is bright (200) on its own block of pixels,
// plus noise, so the classes are linearly separable.
mnistlr::Split blobs(std::size_t n, std::uint32_t K, unsigned seed) {
    const std::uint32_t rows = 4, cols = 5;
    const std::size_t P = rows * cols;
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 25.0f);
    std::vector<std::uint8_t> px(n * P), ys(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint32_t>(i % K);
        ys[i] = static_cast<std::uint8_t>(k);
        for (std::size_t p = 0; p < P; ++p) {
            const float base = (p % K == k) ? 200.0f : 40.0f;
            px[i * P + p] = static_cast<std::uint8_t>(std::clamp(base + noise(rng), 0.0f, 255.0f));
        }
    }
    return testutil::split_of(rows, cols, std::move(px), std::move(ys), "blobs-images", "blobs-labels");
}

// ---- The reference: training written out as plain loops in double -------------------------------
// Fed the same minibatches as the trainer (EpochBatcher with the config's seed: the trainer draws
// one batch ahead, but the same sequence), it applies the formulas of trainer.hpp and model.hpp
// directly: x = byte / 255; G = (softmax(W^T x + b) - onehot(y)) / B; dW = X G^T + l2 W +
// smooth (Laplacian of the 4-neighbour grid) W; db = G 1; lr_t of the schedule; then the optimizer.
struct NaiveModel {
    std::vector<double> W, b;  // W[k * P + p] (class k's picture), b[k]
};

void naive_gradient(const NaiveModel& m, const mnistlr::Split& data, std::size_t K, const std::uint32_t* idx,
                    std::size_t B, double l2, double smooth, NaiveModel& g) {
    const std::size_t rows = data.rows, cols = data.cols, P = rows * cols;
    g.W.assign(P * K, 0.0);
    g.b.assign(K, 0.0);
    for (std::size_t j = 0; j < B; ++j) {
        const std::uint8_t* img = data.image(idx[j]);
        std::vector<double> z(K);
        for (std::size_t k = 0; k < K; ++k) {
            z[k] = m.b[k];
            for (std::size_t p = 0; p < P; ++p) z[k] += m.W[k * P + p] * (img[p] / 255.0);
        }
        const double mx = *std::max_element(z.begin(), z.end());
        double se = 0;
        for (double v : z) se += std::exp(v - mx);
        for (std::size_t k = 0; k < K; ++k) {
            const double gk = (std::exp(z[k] - mx) / se - (k == data.label(idx[j]) ? 1.0 : 0.0)) / double(B);
            g.b[k] += gk;
            for (std::size_t p = 0; p < P; ++p) g.W[k * P + p] += gk * (img[p] / 255.0);
        }
    }
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) {
                const std::size_t p = r * cols + c;
                const double w = m.W[k * P + p];
                double lap = 0;  // sum over the 4-neighbours q of (w_p - w_q)
                if (r > 0) lap += w - m.W[k * P + p - cols];
                if (r + 1 < rows) lap += w - m.W[k * P + p + cols];
                if (c > 0) lap += w - m.W[k * P + p - 1];
                if (c + 1 < cols) lap += w - m.W[k * P + p + 1];
                g.W[k * P + p] += l2 * w + smooth * lap;
            }
}

double naive_lr(const mnistlr::TrainConfig& cfg, std::size_t t) {
    const double pi = 3.14159265358979323846, frac = double(t) / double(cfg.steps), lr = cfg.lr;
    switch (cfg.schedule) {
        case mnistlr::Schedule::linear: return lr * (1.0 - frac);
        case mnistlr::Schedule::cosine: return lr * (1.0 + std::cos(pi * frac)) / 2.0;
        case mnistlr::Schedule::constant: break;
    }
    return lr;
}

NaiveModel naive_train(const mnistlr::Split& data, std::size_t K, const mnistlr::TrainConfig& cfg) {
    const std::size_t P = std::size_t{data.rows} * data.cols, n = P * K + K;
    NaiveModel m{std::vector<double>(P * K, 0.0), std::vector<double>(K, 0.0)}, g;
    // The parameters as one vector: W's entries, then b's.
    const auto at = [&](NaiveModel& x, std::size_t i) -> double& { return i < P * K ? x.W[i] : x.b[i - P * K]; };
    NaiveModel v = m, s = m, sum = m;  // velocity or Adam's first moment; Adam's second; the tail's sum
    const auto tail = static_cast<std::size_t>(std::llround(cfg.average_tail * double(cfg.steps)));
    const std::size_t first_averaged = cfg.steps - std::min(tail, cfg.steps);
    std::size_t averaged = 0;
    mnistlr::EpochBatcher batcher(data.count, cfg.seed);
    std::vector<std::uint32_t> idx(cfg.batch);
    for (std::size_t t = 0; t < cfg.steps; ++t) {
        batcher.next(cfg.batch, idx.data());
        naive_gradient(m, data, K, idx.data(), cfg.batch, cfg.l2, cfg.smooth, g);
        const double lr = naive_lr(cfg, t), mu = cfg.momentum;
        for (std::size_t i = 0; i < n; ++i) {
            const double gi = at(g, i);
            double& w = at(m, i);
            if (cfg.optimizer == mnistlr::Optimizer::adam) {
                const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
                at(v, i) = b1 * at(v, i) + (1 - b1) * gi;
                at(s, i) = b2 * at(s, i) + (1 - b2) * gi * gi;
                const double m_hat = at(v, i) / (1 - std::pow(b1, double(t + 1)));
                const double s_hat = at(s, i) / (1 - std::pow(b2, double(t + 1)));
                w -= lr * m_hat / (std::sqrt(s_hat) + eps);
            } else if (mu == 0.0) {
                w -= lr * gi;
            } else {
                at(v, i) = mu * at(v, i) + gi;
                w -= lr * (cfg.nesterov ? gi + mu * at(v, i) : at(v, i));
            }
        }
        if (tail > 0 && t >= first_averaged) {
            ++averaged;
            for (std::size_t i = 0; i < n; ++i) at(sum, i) += at(m, i);
        }
    }
    if (averaged == 0) return m;
    for (std::size_t i = 0; i < n; ++i) at(sum, i) /= double(averaged);
    return sum;
}

// The largest |difference| between a trained model and a reference one.
double max_difference(const mnistlr::SoftmaxModel& a, const NaiveModel& b) {
    double d = 0;
    for (std::size_t i = 0; i < b.W.size(); ++i) d = std::max(d, std::abs(double(a.W.data()[i]) - b.W[i]));
    for (std::size_t k = 0; k < b.b.size(); ++k) d = std::max(d, std::abs(double(a.b.data()[k]) - b.b[k]));
    return d;
}
double max_difference(const NaiveModel& a, const NaiveModel& b) {
    double d = 0;
    for (std::size_t i = 0; i < b.W.size(); ++i) d = std::max(d, std::abs(a.W[i] - b.W[i]));
    for (std::size_t k = 0; k < b.b.size(); ++k) d = std::max(d, std::abs(a.b[k] - b.b[k]));
    return d;
}

// A few steps (40 images of 4 x 5 pixels, 3 classes, batches of 8: the seventh step starts the
// second epoch) of `cfg` by the trainer and by the reference: their weights agree to float
// rounding (within `tolerance`; about 1e-7 is seen here), and differ from plain SGD's (the same config without momentum,
// schedule, averaging or Adam) by more than 100 times that, so the option was really applied.
void expect_matches_naive_loop(mnistlr::TrainConfig cfg, double tolerance = 2e-6) {
    const auto data = blobs(40, 3, 11);
    cfg.batch = 8;
    cfg.steps = 7;
    cfg.seed = 5;
    const auto trained = mnistlr::train(data, 3, cfg);
    ASSERT_EQ(trained.steps_done, 7u);
    const NaiveModel want = naive_train(data, 3, cfg);
    EXPECT_LT(max_difference(trained.model, want), tolerance);
    mnistlr::TrainConfig plain;
    plain.lr = cfg.lr;
    plain.batch = cfg.batch;
    plain.steps = cfg.steps;
    plain.seed = cfg.seed;
    plain.l2 = cfg.l2;
    plain.smooth = cfg.smooth;
    EXPECT_GT(max_difference(naive_train(data, 3, plain), want), 100 * tolerance) << "the option changes nothing";
}

}  // namespace

TEST(Trainer, plain_sgd_with_l2_and_smoothness_matches_a_naive_double_loop) {
    const auto data = blobs(40, 3, 11);
    mnistlr::TrainConfig cfg;
    cfg.batch = 8;
    cfg.steps = 7;
    cfg.seed = 5;
    for (const float l2 : {0.0f, 0.05f})
        for (const float smooth : {0.0f, 0.1f}) {
            cfg.l2 = l2;
            cfg.smooth = smooth;
            SCOPED_TRACE(testing::Message() << "l2 " << l2 << " smooth " << smooth);
            EXPECT_LT(max_difference(mnistlr::train(data, 3, cfg).model, naive_train(data, 3, cfg)), 2e-6);
        }
    // The penalties do change the result: the comparison is not blind to them.
    mnistlr::TrainConfig none = cfg;
    none.l2 = 0.0f;
    none.smooth = 0.0f;
    EXPECT_GT(max_difference(naive_train(data, 3, none), naive_train(data, 3, cfg)), 2e-3);
}

TEST(Trainer, momentum_matches_a_naive_double_loop) {
    mnistlr::TrainConfig cfg;
    cfg.momentum = 0.9f;
    expect_matches_naive_loop(cfg);
}

TEST(Trainer, nesterov_matches_a_naive_double_loop) {
    mnistlr::TrainConfig cfg;
    cfg.momentum = 0.9f;
    cfg.nesterov = true;
    expect_matches_naive_loop(cfg);
    // And it is not heavy-ball momentum.
    const auto data = blobs(40, 3, 11);
    cfg.batch = 8;
    cfg.steps = 7;
    cfg.seed = 5;
    mnistlr::TrainConfig heavy = cfg;
    heavy.nesterov = false;
    EXPECT_GT(max_difference(mnistlr::train(data, 3, heavy).model, naive_train(data, 3, cfg)), 2e-3);
}

TEST(Trainer, tail_averaging_matches_the_mean_of_the_last_iterates_of_a_naive_loop) {
    mnistlr::TrainConfig cfg;
    cfg.average_tail = 0.5;  // round(0.5 * 7) = 4: the iterates after steps 4 to 7
    expect_matches_naive_loop(cfg);
    cfg.momentum = 0.5f;  // averaging the momentum iterates
    expect_matches_naive_loop(cfg);
    cfg.average_tail = 1.0;  // every iterate
    expect_matches_naive_loop(cfg);
}

TEST(Trainer, linear_schedule_matches_a_naive_double_loop) {
    mnistlr::TrainConfig cfg;
    cfg.schedule = mnistlr::Schedule::linear;
    expect_matches_naive_loop(cfg);
}

TEST(Trainer, cosine_schedule_matches_a_naive_double_loop) {
    mnistlr::TrainConfig cfg;
    cfg.schedule = mnistlr::Schedule::cosine;
    expect_matches_naive_loop(cfg);
    cfg.momentum = 0.9f;  // with momentum, as a tuned recipe would combine them
    cfg.nesterov = true;
    expect_matches_naive_loop(cfg);
}

TEST(Trainer, adam_with_penalties_matches_a_naive_double_loop) {
    mnistlr::TrainConfig cfg;
    cfg.optimizer = mnistlr::Optimizer::adam;
    cfg.lr = 0.05f;
    cfg.schedule = mnistlr::Schedule::cosine;
    cfg.l2 = 1e-3f;
    cfg.smooth = 1e-2f;
    expect_matches_naive_loop(cfg);
}

TEST(Trainer, scheduled_lr_follows_the_formulas) {
    mnistlr::TrainConfig cfg;
    cfg.lr = 0.4f;
    cfg.steps = 8;
    for (const auto schedule : {mnistlr::Schedule::constant, mnistlr::Schedule::linear, mnistlr::Schedule::cosine}) {
        cfg.schedule = schedule;
        for (std::size_t t = 0; t < cfg.steps; ++t)
            EXPECT_FLOAT_EQ(mnistlr::scheduled_lr(cfg, t), static_cast<float>(naive_lr(cfg, t))) << "step " << t;
    }
    cfg.schedule = mnistlr::Schedule::linear;
    EXPECT_FLOAT_EQ(mnistlr::scheduled_lr(cfg, 4), 0.2f);  // half way: half the rate
    cfg.schedule = mnistlr::Schedule::cosine;
    EXPECT_FLOAT_EQ(mnistlr::scheduled_lr(cfg, 0), 0.4f);
    EXPECT_FLOAT_EQ(mnistlr::scheduled_lr(cfg, 4), 0.2f);
}

TEST(Trainer, separable_blobs_reach_99_percent) {
    const auto data = blobs(2000, 4, 1);
    mnistlr::TrainConfig cfg;
    cfg.steps = 300;
    const auto r = mnistlr::train(data, 4, cfg);
    EXPECT_EQ(r.steps_done, 300u);
    const auto m = mnistlr::evaluate(r.model, data);
    EXPECT_GE(m.accuracy, 0.99);
    EXPECT_LT(m.loss, 0.1);
}

TEST(Trainer, same_seed_identical_bytes_other_seed_differs) {
    const auto data = blobs(500, 3, 2);
    mnistlr::TrainConfig cfg;
    cfg.steps = 50;
    cfg.batch = 16;
    const auto a = mnistlr::encode_weights(mnistlr::train(data, 3, cfg).model, {});
    const auto b = mnistlr::encode_weights(mnistlr::train(data, 3, cfg).model, {});
    cfg.seed = 1;
    const auto c = mnistlr::encode_weights(mnistlr::train(data, 3, cfg).model, {});
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
}

TEST(Trainer, step_loop_does_not_allocate) {
    const auto data = blobs(300, 3, 3);
    mnistlr::TrainConfig cfg;
    cfg.steps = 40;  // 40 x 16 = 640 samples: crosses two epoch boundaries
    cfg.batch = 16;
    cfg.l2 = 0.01f;
    std::size_t at_first = 0, at_last = 0;
    mnistlr::train(data, 3, cfg, [&](const mnistlr::StepInfo& s) {
        if (s.step == 1) at_first = g_allocations.load();
        if (s.step == s.steps) at_last = g_allocations.load();
        return true;
    });
    EXPECT_GT(at_first, 0u);
    EXPECT_EQ(at_last, at_first) << "heap allocations inside the step loop";
}

TEST(Trainer, adam_with_smoothness_learns_is_deterministic_and_does_not_allocate) {
    const auto data = blobs(2000, 4, 6);
    mnistlr::TrainConfig cfg;
    cfg.optimizer = mnistlr::Optimizer::adam;
    cfg.lr = 0.01f;
    cfg.smooth = 1e-3f;
    cfg.l2 = 1e-4f;
    cfg.steps = 300;
    cfg.schedule = mnistlr::Schedule::cosine;
    std::size_t at_first = 0, at_last = 0;
    const auto r = mnistlr::train(data, 4, cfg, [&](const mnistlr::StepInfo& s) {
        if (s.step == 1) at_first = g_allocations.load();
        if (s.step == s.steps) at_last = g_allocations.load();
        return true;
    });
    EXPECT_EQ(at_last, at_first) << "heap allocations inside the step loop";
    EXPECT_GE(mnistlr::evaluate(r.model, data).accuracy, 0.99);
    EXPECT_EQ(mnistlr::encode_weights(r.model, {}), mnistlr::encode_weights(mnistlr::train(data, 4, cfg).model, {}));
    cfg.momentum = 0.9f;  // Adam has its own moments
    EXPECT_THROW(mnistlr::train(data, 4, cfg), mnistlr::Error);
}

TEST(Trainer, callback_can_stop_early) {
    const auto data = blobs(100, 2, 4);
    mnistlr::TrainConfig cfg;
    const auto r = mnistlr::train(data, 2, cfg, [](const mnistlr::StepInfo& s) { return s.step < 7; });
    EXPECT_EQ(r.steps_done, 7u);
}

TEST(Trainer, rejects_unusable_config) {
    const auto data = blobs(10, 2, 5);
    mnistlr::TrainConfig cfg;
    cfg.batch = 11;
    EXPECT_THROW(mnistlr::train(data, 2, cfg), mnistlr::Error);
    cfg.batch = 4;
    cfg.lr = -1.0f;
    EXPECT_THROW(mnistlr::train(data, 2, cfg), mnistlr::Error);
    cfg.lr = 0.5f;
    EXPECT_THROW(mnistlr::train(data, 1, cfg), mnistlr::Error);  // label 1 >= 1 class
}

TEST(Trainer, steps_for_epochs_rounds_up) {
    EXPECT_EQ(mnistlr::steps_for_epochs(1.0, 60000, 64), 938u);
    EXPECT_EQ(mnistlr::steps_for_epochs(2.0, 100, 50), 4u);
}

TEST(Trainer, refuses_shapes_that_no_weights_file_can_hold_before_training) {
    // 4097 x 1 pixels: the loader (weights_io.hpp, kMaxSide) would refuse the model it writes.
    std::vector<std::uint8_t> ys = {0, 1, 0, 1};
    const auto wide = testutil::split_of(mnistlr::kMaxSide + 1, 1, std::vector<std::uint8_t>(4 * 4097, 7), ys,
                                         "wide-images", "wide-labels");
    mnistlr::TrainConfig cfg;
    cfg.batch = 2;
    cfg.steps = 1;
    bool stepped = false;
    const auto on_step = [&](const mnistlr::StepInfo&) { return stepped = true; };
    EXPECT_EQ(testutil::error_of([&] { mnistlr::train(wide, 2, cfg, on_step); }),
              "wide-images: image size 4097 x 1 is out of range for a model (1 to 4096 per side): no command could "
              "load the weights file");
    const auto tall = testutil::split_of(1, mnistlr::kMaxSide + 1, std::vector<std::uint8_t>(4 * 4097, 7), ys,
                                         "tall-images", "tall-labels");
    EXPECT_EQ(testutil::error_of([&] { mnistlr::train(tall, 2, cfg, on_step); }),
              "tall-images: image size 1 x 4097 is out of range for a model (1 to 4096 per side): no command could "
              "load the weights file");
    const auto data = blobs(10, 2, 5);
    EXPECT_EQ(testutil::error_of([&] { mnistlr::train(data, 1, cfg, on_step); }),
              "blobs-labels: class count 1 is out of range for a model (2 to 65535): no command could load the "
              "weights file");
    EXPECT_EQ(testutil::error_of([&] { mnistlr::train(data, mnistlr::kMaxClasses + 1, cfg, on_step); }),
              "blobs-labels: class count 65536 is out of range for a model (2 to 65535): no command could load the "
              "weights file");
    EXPECT_FALSE(stepped);
    // The largest side the loader takes trains.
    const auto edge = testutil::split_of(mnistlr::kMaxSide, 1, std::vector<std::uint8_t>(4 * 4096, 7), ys);
    EXPECT_EQ(mnistlr::train(edge, 2, cfg).steps_done, 1u);
}
