#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/learning/evaluate.hpp"
#include "test_util.hpp"

namespace {

mnistlr::Split random_split(std::size_t n, std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> px(n * rows * cols), ys(n);
    for (auto& v : px) v = static_cast<std::uint8_t>(rng() % 256);
    for (auto& v : ys) v = static_cast<std::uint8_t>(rng() % K);
    return testutil::split_of(rows, cols, std::move(px), std::move(ys));
}

mnistlr::SoftmaxModel random_model(std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    auto m = mnistlr::SoftmaxModel::zeros(rows, cols, K);
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.05f);
    for (Eigen::Index i = 0; i < m.W.size(); ++i) m.W.data()[i] = d(rng);
    for (Eigen::Index k = 0; k < m.b.size(); ++k) m.b(k) = d(rng);
    return m;
}

// Reference: per-sample loop in double.
mnistlr::Metrics naive(const mnistlr::SoftmaxModel& m, const mnistlr::Split& s) {
    mnistlr::Metrics r;
    r.count = s.count;
    r.classes = m.classes();
    r.confusion.assign(std::size_t{r.classes} * r.classes, 0);
    double total = 0;
    for (std::size_t i = 0; i < s.count; ++i) {
        std::vector<double> z(r.classes);
        for (std::uint32_t k = 0; k < r.classes; ++k) {
            double v = m.b(k);
            for (std::size_t p = 0; p < m.pixels(); ++p)
                v += double(m.W(Eigen::Index(p), k)) * (double(s.image(i)[p]) / 255.0);
            z[k] = v;
        }
        const auto best = std::size_t(std::max_element(z.begin(), z.end()) - z.begin());
        double se = 0;
        for (double v : z) se += std::exp(v - z[best]);
        total += std::log(se) - (z[s.label(i)] - z[best]);
        r.correct += best == s.label(i);
        r.predicted.push_back(static_cast<std::uint32_t>(best));
        ++r.confusion[std::size_t{s.label(i)} * r.classes + best];
    }
    r.loss = total / double(s.count);
    r.accuracy = double(r.correct) / double(s.count);
    return r;
}

}  // namespace

TEST(Evaluate, kernel_matches_naive_loop_including_padding_lanes) {
    for (const std::size_t n : {1u, 15u, 17u, 1000u, 1337u}) {  // 1337 uses two threads
        const auto s = random_split(n, 5, 7, 10, unsigned(n));
        const auto m = random_model(5, 7, 10, 3);
        const auto got = mnistlr::evaluate(m, s);
        const auto want = naive(m, s);
        EXPECT_NEAR(got.loss, want.loss, 1e-5) << n;
        EXPECT_EQ(got.correct, want.correct) << n;
        EXPECT_EQ(got.confusion, want.confusion) << n;
    }
}

TEST(Evaluate, many_classes_use_the_fallback_path) {
    const auto s = random_split(200, 3, 3, 70, 9);
    const auto m = random_model(3, 3, 70, 4);
    const auto got = mnistlr::evaluate(m, s);
    EXPECT_NEAR(got.loss, naive(m, s).loss, 1e-5);
    EXPECT_EQ(got.correct, naive(m, s).correct);
}

TEST(Evaluate, thread_count_does_not_change_results_and_cache_follows_the_model) {
    const auto s = random_split(5000, 28, 28, 10, 1);
    auto m = random_model(28, 28, 10, 2);
    mnistlr::Evaluator one(784, 10, 1), two(784, 10, 2);
    const auto a = one.run(m, s, true), b = two.run(m, s, true);
    EXPECT_EQ(a.loss, b.loss);
    EXPECT_EQ(a.confusion, b.confusion);
    m.W *= 2.0f;  // same split, new weights: the transposed images are reused, the weights are not
    EXPECT_NEAR(two.run(m, s).loss, naive(m, s).loss, 1e-5);
}

TEST(Evaluate, predicted_classes_are_the_naive_arg_maxes_and_fill_the_confusion_matrix) {
    // The kernel (10 classes, padding lanes at 1337) and the fallback path (70 classes).
    for (const auto& [n, K] : {std::pair{std::size_t{1337}, 10u}, std::pair{std::size_t{333}, 70u}}) {
        const auto s = random_split(n, 5, 7, K, 21);
        const auto m = random_model(5, 7, K, 22);
        const auto got = mnistlr::evaluate(m, s);
        const auto want = naive(m, s);
        ASSERT_EQ(got.predicted.size(), n);
        EXPECT_EQ(got.predicted, want.predicted) << K;
        std::vector<std::uint64_t> counted(std::size_t{K} * K, 0);
        for (std::size_t i = 0; i < n; ++i) ++counted[std::size_t{s.label(i)} * K + got.predicted[i]];
        EXPECT_EQ(counted, got.confusion) << K;
    }
    // Without the confusion matrix, no per-image list either.
    mnistlr::Evaluator ev(35, 10);
    EXPECT_TRUE(ev.run(random_model(5, 7, 10, 1), random_split(50, 5, 7, 10, 2)).predicted.empty());
}

TEST(Evaluate, confusion_sums_to_count_and_diagonal_gives_accuracy) {
    const auto s = random_split(777, 4, 4, 6, 5);
    const auto got = mnistlr::evaluate(random_model(4, 4, 6, 6), s);
    std::uint64_t total = 0, diag = 0;
    for (std::size_t t = 0; t < 6; ++t)
        for (std::size_t p = 0; p < 6; ++p) {
            total += got.confusion[t * 6 + p];
            if (t == p) diag += got.confusion[t * 6 + p];
        }
    EXPECT_EQ(total, 777u);
    EXPECT_DOUBLE_EQ(double(diag) / 777.0, got.accuracy);
}

namespace {

// Digit-like images: ink in a central disc of varying radius, zero elsewhere, some blank images.
mnistlr::Split sparse_split(std::size_t n, std::uint32_t side, std::uint32_t K, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> px(n * side * side, 0), ys(n);
    for (std::size_t i = 0; i < n; ++i) {
        ys[i] = static_cast<std::uint8_t>(rng() % K);
        if (i % 7 == 3) continue;  // blank
        const double r = 1.0 + double(rng() % (side / 2));
        for (std::uint32_t y = 0; y < side; ++y)
            for (std::uint32_t x = 0; x < side; ++x) {
                const double dx = x - side / 2.0, dy = y - side / 2.0;
                if (dx * dx + dy * dy <= r * r && rng() % 3 != 0)
                    px[i * side * side + y * side + x] = static_cast<std::uint8_t>(1 + rng() % 255);
            }
    }
    return testutil::split_of(side, side, std::move(px), std::move(ys));
}

}  // namespace

TEST(Evaluate, sparse_images_skip_empty_pixel_rows_without_changing_results) {
    // Zero pixels shared by a block of 16 images are not stored; the sums must not change.
    for (const std::size_t n : {1u, 16u, 33u, 1500u}) {
        const auto s = sparse_split(n, 28, 10, unsigned(n));
        const auto m = random_model(28, 28, 10, 7);
        const auto got = mnistlr::evaluate(m, s);
        const auto want = naive(m, s);
        EXPECT_NEAR(got.loss, want.loss, 1e-5) << n;
        EXPECT_EQ(got.correct, want.correct) << n;
        EXPECT_EQ(got.confusion, want.confusion) << n;
    }
    // 26 classes (the other compiled class count) and the generic count.
    for (const std::uint32_t K : {26u, 13u}) {
        const auto s = sparse_split(100, 12, K, K);
        const auto m = random_model(12, 12, K, K);
        EXPECT_NEAR(mnistlr::evaluate(m, s).loss, naive(m, s).loss, 1e-5) << K;
        EXPECT_EQ(mnistlr::evaluate(m, s).correct, naive(m, s).correct) << K;
    }
}

TEST(Evaluate, images_over_65536_pixels_keep_every_row) {
    // Pixel numbers are stored in 16 bits; larger images take the path that stores all rows.
    const auto s = sparse_split(5, 300, 10, 11);
    const auto m = random_model(300, 300, 10, 12);
    const auto got = mnistlr::evaluate(m, s);
    EXPECT_NEAR(got.loss, naive(m, s).loss, 1e-5);
    EXPECT_EQ(got.correct, naive(m, s).correct);
}

TEST(Evaluate, extreme_logits_give_a_finite_loss) {
    // Differences below -87 between logits: the vector exp clamps, the loss stays finite and right.
    auto s = sparse_split(32, 4, 3, 5);
    auto m = mnistlr::SoftmaxModel::zeros(4, 4, 3);
    m.b << 0.0f, -200.0f, 50.0f;
    const auto got = mnistlr::evaluate(m, s);
    const auto want = naive(m, s);
    EXPECT_TRUE(std::isfinite(got.loss));
    EXPECT_NEAR(got.loss, want.loss, 1e-4 * want.loss);
    EXPECT_EQ(got.correct, want.correct);
}

TEST(Evaluate, model_of_another_shape_than_the_evaluator_is_refused) {
    // The evaluator's buffers are sized for 5 x 7 pixels and 10 classes; a model with more classes
    // or pixels used to be read past them.
    const auto s = random_split(40, 5, 7, 10, 21);
    mnistlr::Evaluator ev(35, 10, 1);
    EXPECT_EQ(testutil::error_of([&] { ev.run(random_model(5, 7, 12, 1), s); }),
              "evaluation: the model is 5 x 7 pixels with 12 classes, but the evaluator was made for 35 pixels and "
              "10 classes");
    EXPECT_EQ(testutil::error_of([&] { ev.run(random_model(5, 8, 10, 1), s); }),
              "evaluation: the model is 5 x 8 pixels with 10 classes, but the evaluator was made for 35 pixels and "
              "10 classes");
    const auto wide = testutil::split_of(6, 6, std::vector<std::uint8_t>(36 * 3, 1), {0, 1, 2}, "wide-images");
    EXPECT_EQ(testutil::error_of([&] { ev.run(random_model(5, 7, 10, 1), wide); }),
              "wide-images: images are 6 x 6 but the model expects 5 x 7");
    mnistlr::Evaluator none(35, 0, 1);
    EXPECT_EQ(testutil::error_of([&] { none.run(mnistlr::SoftmaxModel::zeros(5, 7, 0), s); }),
              "evaluation: the model has no classes");
    EXPECT_EQ(ev.preparations(), 0u);  // refused before any copy
    EXPECT_NEAR(ev.run(random_model(5, 7, 10, 1), s).loss, naive(random_model(5, 7, 10, 1), s).loss, 1e-5);
}

TEST(Evaluate, labels_not_below_the_class_count_are_refused) {
    // 10 is the class count; 200 is past the kernel's 64 sums. Both before any sum is indexed.
    for (const std::uint8_t bad : {std::uint8_t{10}, std::uint8_t{200}}) {
        std::vector<std::uint8_t> ys(100, 3);
        ys[77] = bad;
        const auto s = testutil::split_of(2, 2, std::vector<std::uint8_t>(400, 9), ys, "i", "bad-labels");
        const std::string want = "bad-labels: label " + std::to_string(bad) + " at index 77 is not below the class count 10";
        mnistlr::Evaluator ev(4, 10, 2);
        EXPECT_EQ(testutil::error_of([&] { ev.run(random_model(2, 2, 10, 1), s); }), want);
        EXPECT_EQ(testutil::error_of([&] { ev.run(random_model(2, 2, 10, 1), s, true); }), want);  // cached split
        EXPECT_EQ(testutil::error_of([&] { mnistlr::evaluate(random_model(2, 2, 10, 1), s); }), want);
    }
    // The Eigen path (more classes than the kernel holds) checks too.
    std::vector<std::uint8_t> ys(30, 1);
    ys[5] = 70;
    const auto s = testutil::split_of(2, 2, std::vector<std::uint8_t>(120, 9), ys, "i", "many");
    EXPECT_EQ(testutil::error_of([&] { mnistlr::evaluate(random_model(2, 2, 70, 1), s); }),
              "many: label 70 at index 5 is not below the class count 70");
}

TEST(Evaluate, alternating_splits_match_fresh_evaluators_and_copy_each_split_once) {
    // As train --eval-train does: the test and the training split in turn, a new model each time.
    const auto test = sparse_split(1200, 28, 10, 31), train = sparse_split(3000, 28, 10, 32);
    const auto small = random_split(20, 28, 28, 10, 33);
    mnistlr::Evaluator ev(784, 10, 2);
    for (int round = 0; round < 4; ++round) {
        const auto m = random_model(28, 28, 10, 40 + unsigned(round));
        for (const auto* s : {&test, &train, &small}) {
            const auto got = ev.run(m, *s, round % 2 == 1);
            mnistlr::Evaluator fresh(784, 10, 1);
            const auto want = fresh.run(m, *s, round % 2 == 1);
            EXPECT_EQ(got.loss, want.loss) << round;  // same sums in the same order: same bits
            EXPECT_EQ(got.correct, want.correct) << round;
            EXPECT_EQ(got.confusion, want.confusion) << round;
            EXPECT_NEAR(got.loss, naive(m, *s).loss, 1e-5) << round;
        }
    }
    EXPECT_EQ(ev.preparations(), 3u);  // stored at each split's second evaluation, then reused
}

TEST(Evaluate, first_evaluation_stores_nothing_and_every_pass_gives_the_same_bits) {
    // Pass 1 scores from a copy in cache, pass 2 stores the copy, pass 3 reuses it.
    for (const std::uint32_t side : {28u, 300u}) {  // pixel rows indexed, and all rows kept
        const auto s = sparse_split(side == 28 ? 2000 : 40, side, 10, side);
        const auto m = random_model(side, side, 10, 5);
        mnistlr::Evaluator ev(std::size_t{side} * side, 10, 2);
        const auto a = ev.run(m, s, true);
        EXPECT_EQ(ev.preparations(), 0u);
        const auto b = ev.run(m, s, true);
        EXPECT_EQ(ev.preparations(), 1u);
        const auto c = ev.run(m, s, true);
        EXPECT_EQ(ev.preparations(), 1u);
        EXPECT_EQ(a.loss, b.loss);
        EXPECT_EQ(b.loss, c.loss);
        EXPECT_EQ(a.confusion, c.confusion);
        EXPECT_NEAR(a.loss, naive(m, s).loss, 1e-5);
    }
}

TEST(Evaluate, more_splits_than_the_cache_holds_evict_the_least_recently_used) {
    std::vector<mnistlr::Split> splits;
    for (unsigned i = 0; i <= mnistlr::Evaluator::kMaxCachedSplits; ++i) splits.push_back(random_split(50 + i, 3, 3, 4, i));
    const auto m = random_model(3, 3, 4, 9);
    mnistlr::Evaluator ev(9, 4, 1);
    for (const auto& s : splits)
        for (int twice = 0; twice < 2; ++twice) EXPECT_NEAR(ev.run(m, s).loss, naive(m, s).loss, 1e-5);
    EXPECT_EQ(ev.preparations(), splits.size());
    // The last kMaxCachedSplits are held; the first was dropped and is copied again.
    EXPECT_NEAR(ev.run(m, splits.back()).loss, naive(m, splits.back()).loss, 1e-5);
    EXPECT_EQ(ev.preparations(), splits.size());
    for (int twice = 0; twice < 2; ++twice)
        EXPECT_NEAR(ev.run(m, splits.front()).loss, naive(m, splits.front()).loss, 1e-5);
    EXPECT_EQ(ev.preparations(), splits.size() + 1);
}

TEST(Evaluate, a_cached_split_stays_valid_after_the_caller_drops_it) {
    // The evaluator holds the split's bytes, so a new split cannot reuse their address and be
    // mistaken for the cached one.
    const auto m = random_model(4, 4, 5, 3);
    mnistlr::Evaluator ev(16, 5, 1);
    for (unsigned i = 0; i < 6; ++i) {
        const auto s = random_split(64, 4, 4, 5, 100 + i);
        EXPECT_NEAR(ev.run(m, s).loss, naive(m, s).loss, 1e-5) << i;
    }
}
