// Evidence maps: e_k = W(:, k) .* x, their sums against the logits, the --vs difference, class lookup.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/evidence.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

SoftmaxModel random_model(std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.3f);
    SoftmaxModel m = SoftmaxModel::zeros(rows, cols, K);
    for (Eigen::Index i = 0; i < m.W.size(); ++i) m.W.data()[i] = d(rng);
    for (Eigen::Index k = 0; k < m.b.size(); ++k) m.b[k] = d(rng);
    return m;
}

// n inputs of P pixels, a third of them exactly 0 (as in a digit's background).
Matrix random_inputs(std::size_t P, std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Matrix X(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(n));
    for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = u(rng) < 0.33f ? 0.0f : u(rng);
    return X;
}

// |a - b| within float rounding of a sum of P terms of size about `scale`.
double tolerance(std::size_t P, double scale) { return 1e-6 * static_cast<double>(P) * scale + 1e-5; }

}  // namespace

TEST(Evidence, one_hot_model_map_is_the_pixel_value_and_zero_elsewhere) {
    // Class k has weight +1 at pixel k and 0 elsewhere: e_k is x at pixel k, exactly 0 elsewhere.
    const std::uint32_t rows = 3, cols = 4, K = 5;
    SoftmaxModel m = SoftmaxModel::zeros(rows, cols, K);
    for (std::uint32_t k = 0; k < K; ++k) m.W(k, k) = 1.0f;
    const Matrix X = random_inputs(rows * cols, 1, 7);
    std::vector<float> e(rows * cols);
    for (std::uint32_t k = 0; k < K; ++k) {
        evidence_map(m, X.data(), k, e.data());
        for (std::size_t p = 0; p < e.size(); ++p) {
            if (p == k) EXPECT_EQ(e[p], X(static_cast<Eigen::Index>(p), 0));
            else EXPECT_EQ(e[p], 0.0f) << "class " << k << " pixel " << p;
        }
    }
}

TEST(Evidence, map_sums_plus_bias_equal_the_logits_for_random_models) {
    for (const auto& [rows, cols, K] : {std::tuple{28u, 28u, 10u}, std::tuple{32u, 32u, 26u}, std::tuple{5u, 7u, 47u}}) {
        const SoftmaxModel m = random_model(rows, cols, K, rows + K);
        const Matrix X = random_inputs(m.pixels(), 6, K);
        const auto ev = evidence_of(m, X);
        ASSERT_EQ(ev.size(), 6u);
        // The logits are predict's: compute_logits on the same columns.
        Matrix Z(K, 6);
        compute_logits(m, X, 6, Z);
        for (std::size_t j = 0; j < ev.size(); ++j) {
            ASSERT_EQ(ev[j].logit.size(), K);
            double psum = 0;
            for (std::uint32_t k = 0; k < K; ++k) {
                EXPECT_EQ(ev[j].logit[k], Z(k, static_cast<Eigen::Index>(j)));
                EXPECT_NEAR(ev[j].map_sum[k] + m.b[k], ev[j].logit[k], tolerance(m.pixels(), 0.3))
                    << rows << "x" << cols << " K " << K << " input " << j << " class " << k;
                psum += ev[j].probability[k];
            }
            EXPECT_NEAR(psum, 1.0, 1e-5);
            // order: by probability, descending; top is the arg-max of the logits.
            for (std::size_t r = 1; r < K; ++r)
                EXPECT_GE(ev[j].probability[ev[j].order[r - 1]], ev[j].probability[ev[j].order[r]]);
            EXPECT_EQ(ev[j].top(), argmax_column(Z, j));
        }
    }
}

TEST(Evidence, probabilities_are_the_softmax_of_the_logits) {
    const SoftmaxModel m = random_model(6, 6, 4, 3);
    const Matrix X = random_inputs(36, 3, 4);
    for (const auto& ev : evidence_of(m, X)) {
        double s = 0;
        for (float z : ev.logit) s += std::exp(static_cast<double>(z));
        for (std::size_t k = 0; k < ev.logit.size(); ++k)
            EXPECT_NEAR(ev.probability[k], std::exp(static_cast<double>(ev.logit[k])) / s, 1e-6);
    }
}

TEST(Evidence, zero_pixels_contribute_exactly_zero) {
    const SoftmaxModel m = random_model(4, 4, 3, 9);
    Matrix X = random_inputs(16, 1, 2);
    std::vector<float> e(16), d(16);
    for (std::uint32_t k = 0; k < 3; ++k) {
        evidence_map(m, X.data(), k, e.data());
        evidence_difference(m, X.data(), k, (k + 1) % 3, d.data());
        for (std::size_t p = 0; p < 16; ++p)
            if (X(static_cast<Eigen::Index>(p), 0) == 0.0f) {
                EXPECT_EQ(e[p], 0.0f);
                EXPECT_EQ(d[p], 0.0f);
            }
    }
}

TEST(Evidence, difference_map_is_the_difference_of_the_two_maps) {
    const SoftmaxModel m = random_model(28, 28, 10, 5);
    const Matrix X = random_inputs(784, 2, 6);
    const auto ev = evidence_of(m, X);
    std::vector<float> ea(784), ec(784), d(784);
    for (Eigen::Index j = 0; j < 2; ++j) {
        const std::uint32_t a = ev[static_cast<std::size_t>(j)].top(), c = ev[static_cast<std::size_t>(j)].runner_up();
        evidence_map(m, X.col(j).data(), a, ea.data());
        evidence_map(m, X.col(j).data(), c, ec.data());
        evidence_difference(m, X.col(j).data(), a, c, d.data());
        for (std::size_t p = 0; p < 784; ++p) EXPECT_EQ(d[p], ea[p] - ec[p]);
        // Its sum plus b_a - b_c is z_a - z_c.
        const auto& e = ev[static_cast<std::size_t>(j)];
        EXPECT_NEAR(map_total(d.data(), 784) + m.b[a] - m.b[c], e.logit[a] - e.logit[c], tolerance(784, 0.6));
    }
}

TEST(Evidence, rejects_inputs_of_the_wrong_size) {
    const SoftmaxModel m = random_model(4, 4, 3, 1);
    const std::string msg = testutil::error_of([&] { evidence_of(m, Matrix::Zero(15, 1)); });
    EXPECT_NE(msg.find("15 pixels"), std::string::npos) << msg;
    EXPECT_NE(msg.find("16"), std::string::npos) << msg;
}

TEST(Evidence, parse_versus_takes_indices_names_and_runner_up) {
    const std::vector<std::string> digits = {"0", "1", "2", "3"};
    EXPECT_EQ(parse_versus("runner-up", digits).kind, VersusChoice::Kind::runner_up);
    EXPECT_EQ(parse_versus("2", digits).cls, 2u);
    EXPECT_EQ(parse_versus("2", digits).kind, VersusChoice::Kind::cls);
    const std::vector<std::string> fashion = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt"};
    EXPECT_EQ(parse_versus("Shirt", fashion).cls, 6u);
    EXPECT_EQ(parse_versus("6", fashion).cls, 6u);
    // A name that is a number wins over the index it spells.
    const std::vector<std::string> odd = {"1", "0"};
    EXPECT_EQ(parse_versus("1", odd).cls, 0u);
    for (const std::string bad : {"7", "shirt", "", "-1", "99999999999999999999", "runner"}) {
        const std::string msg = testutil::error_of([&] { parse_versus(bad, fashion); });
        EXPECT_EQ(msg.rfind("--vs: unknown class '" + bad + "'", 0), 0u) << msg;
        EXPECT_NE(msg.find("0..6"), std::string::npos) << msg;
    }
}

TEST(Evidence, versus_class_never_pairs_the_top_class_with_itself) {
    Evidence ev;
    ev.order = {3, 1, 0, 2};
    EXPECT_EQ(versus_class({VersusChoice::Kind::runner_up, 0}, ev), 1u);
    EXPECT_EQ(versus_class({VersusChoice::Kind::cls, 2}, ev), 2u);
    EXPECT_EQ(versus_class({VersusChoice::Kind::cls, 3}, ev), 1u);  // the top class itself: runner-up
}
