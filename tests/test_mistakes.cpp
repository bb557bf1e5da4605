// The most confident mistakes: only real mistakes, ranked by the probability of the wrong class,
// with predict's probabilities.
#include <random>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/learning/evaluate.hpp"
#include "mnistlr/learning/mistakes.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

Split random_split(std::size_t n, std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> px(n * rows * cols), ys(n);
    for (auto& v : px) v = static_cast<std::uint8_t>(rng() % 256);
    for (auto& v : ys) v = static_cast<std::uint8_t>(rng() % K);
    return testutil::split_of(rows, cols, std::move(px), std::move(ys), "imgs", "labels");
}

SoftmaxModel random_model(std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    auto m = SoftmaxModel::zeros(rows, cols, K);
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.2f);
    for (Eigen::Index i = 0; i < m.W.size(); ++i) m.W.data()[i] = d(rng);
    for (Eigen::Index k = 0; k < m.b.size(); ++k) m.b(k) = d(rng);
    return m;
}

// Image i's probabilities, as predict computes them for that image alone.
std::vector<float> probabilities_of(const SoftmaxModel& m, const Split& s, std::size_t i) {
    Matrix x(static_cast<Eigen::Index>(m.pixels()), 1);
    load_columns_range(s.image(i), m.pixels(), 0, 1, x);
    const Matrix p = probabilities(m, x);
    return {p.data(), p.data() + p.size()};
}

}  // namespace

TEST(Mistakes, every_listed_image_is_a_mistake_in_order_of_the_wrong_class_probability) {
    for (const std::uint32_t K : {3u, 10u, 26u, 47u}) {
        const Split s = random_split(900, 6, 5, K, K);
        const SoftmaxModel m = random_model(6, 5, K, K + 1);
        const Metrics ev = evaluate(m, s);
        const std::size_t wrong = ev.count - ev.correct;
        ASSERT_GT(wrong, 40u) << K;  // random labels: most are wrong
        EXPECT_EQ(count_mistakes(s, ev.predicted), wrong);
        const auto top = confident_mistakes(m, s, ev.predicted, 36);
        ASSERT_EQ(top.size(), 36u) << K;
        for (std::size_t i = 0; i < top.size(); ++i) {
            const Mistake& e = top[i];
            EXPECT_EQ(e.truth, s.label(e.index));
            EXPECT_NE(e.truth, e.predicted);
            EXPECT_EQ(e.predicted, ev.predicted[e.index]);
            const auto p = probabilities_of(m, s, e.index);
            EXPECT_NEAR(e.probability, p[e.predicted], 1e-6f);
            if (i > 0) {
                EXPECT_GE(top[i - 1].probability, e.probability) << K << " at " << i;
            }
        }
        // Nothing left out ranks above the last one listed.
        const auto all = confident_mistakes(m, s, ev.predicted, s.count);
        ASSERT_EQ(all.size(), wrong);
        for (std::size_t i = 36; i < all.size(); ++i) EXPECT_LE(all[i].probability, top.back().probability);
        EXPECT_TRUE(std::equal(top.begin(), top.end(), all.begin()));
    }
}

TEST(Mistakes, ties_go_to_the_lower_index_and_fewer_mistakes_than_asked_give_all_of_them) {
    // A zero model: every probability is 1/K and every image is predicted as class 0.
    const Split s = testutil::split_of(2, 2, std::vector<std::uint8_t>(6 * 4, 7), {0, 2, 1, 0, 2, 1});
    const SoftmaxModel m = SoftmaxModel::zeros(2, 2, 3);
    const Metrics ev = evaluate(m, s);
    const auto got = confident_mistakes(m, s, ev.predicted, 10);
    ASSERT_EQ(got.size(), 4u);
    const std::size_t want[] = {1, 2, 4, 5};
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(got[i].index, want[i]);
        EXPECT_EQ(got[i].predicted, 0u);
        EXPECT_FLOAT_EQ(got[i].probability, 1.0f / 3.0f);
    }
    EXPECT_TRUE(confident_mistakes(m, s, ev.predicted, 0).empty());
    // No mistakes at all.
    const Split right = testutil::split_of(2, 2, std::vector<std::uint8_t>(3 * 4, 7), {0, 0, 0});
    EXPECT_TRUE(confident_mistakes(m, right, evaluate(m, right).predicted, 5).empty());
}

TEST(Mistakes, predictions_that_do_not_fit_the_split_or_model_are_refused) {
    const Split s = random_split(10, 2, 2, 3, 1);
    const SoftmaxModel m = random_model(2, 2, 3, 2);
    EXPECT_EQ(testutil::error_of([&] { confident_mistakes(m, s, std::vector<std::uint32_t>(9, 0), 3); }),
              "imgs: 9 predictions for 10 images");
    EXPECT_EQ(testutil::error_of([&] { confident_mistakes(m, s, std::vector<std::uint32_t>(10, 3), 3); }),
              "predicted class 3 is not a class of the model (it has 3)");
    EXPECT_EQ(testutil::error_of([&] { confident_mistakes(random_model(3, 2, 3, 2), s, std::vector<std::uint32_t>(10, 0), 3); }),
              "imgs: images are 2 x 2 but the model expects 3 x 2");
}
