#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
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

}  // namespace

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
