#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "mnistlr/learning/model.hpp"

using mnistlr::Matrix;
using mnistlr::SoftmaxModel;
using mnistlr::Vector;

namespace {

SoftmaxModel random_model(std::uint32_t rows, std::uint32_t cols, std::uint32_t K, unsigned seed) {
    auto m = SoftmaxModel::zeros(rows, cols, K);
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 0.5f);
    for (Eigen::Index i = 0; i < m.W.size(); ++i) m.W.data()[i] = d(rng);
    for (Eigen::Index k = 0; k < m.b.size(); ++k) m.b(k) = d(rng);
    return m;
}

Matrix random_x(std::size_t P, std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(0.0f, 1.0f);
    Matrix X(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(n));
    for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = d(rng);
    return X;
}

// Mean loss of the model on X, y, computed in double with a plain per-sample loop.
double naive_loss(const SoftmaxModel& m, const Matrix& X, const std::vector<std::uint8_t>& y, float l2) {
    double total = 0;
    const auto K = m.classes();
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
        std::vector<double> z(K);
        for (std::uint32_t k = 0; k < K; ++k) {
            double s = m.b(k);
            for (Eigen::Index p = 0; p < X.rows(); ++p) s += double(m.W(p, k)) * X(p, j);
            z[k] = s;
        }
        double mx = *std::max_element(z.begin(), z.end()), se = 0;
        for (double v : z) se += std::exp(v - mx);
        total += std::log(se) + mx - z[y[static_cast<std::size_t>(j)]];
    }
    return total / double(X.cols()) + 0.5 * l2 * double(m.W.squaredNorm());
}

}  // namespace

TEST(Model, softmax_is_stable_for_huge_logits) {
    Matrix Z(3, 2);
    Z << 1e4f, -1e4f, 0.0f, 1e4f, -1e4f, 0.0f;
    const std::uint8_t y[2] = {0, 0};
    const double loss = mnistlr::softmax_cross_entropy(Z, y, 2);
    EXPECT_TRUE(Z.allFinite());
    EXPECT_FLOAT_EQ(Z(0, 0), 1.0f);
    EXPECT_FLOAT_EQ(Z(1, 0), 0.0f);
    EXPECT_FLOAT_EQ(Z(1, 1), 1.0f);
    // sample 0: correct with certainty (loss 0); sample 1: label 0 has logit -1e4, max 1e4 -> loss 2e4.
    EXPECT_NEAR(loss, 2e4, 1.0);
    EXPECT_TRUE(std::isfinite(loss));
}

TEST(Model, probabilities_sum_to_one) {
    auto m = random_model(3, 4, 5, 1);
    const Matrix X = random_x(12, 7, 2);
    Matrix Z(5, 7);
    mnistlr::compute_logits(m, X, 7, Z);
    const std::vector<std::uint8_t> y = {0, 1, 2, 3, 4, 0, 1};
    mnistlr::softmax_cross_entropy(Z, y.data(), 7);
    for (Eigen::Index j = 0; j < 7; ++j) EXPECT_NEAR(Z.col(j).sum(), 1.0f, 1e-6f);
}

TEST(Model, loss_matches_naive_per_sample_loop) {
    auto m = random_model(3, 4, 5, 3);
    const Matrix X = random_x(12, 9, 4);
    const std::vector<std::uint8_t> y = {0, 1, 2, 3, 4, 4, 3, 2, 1};
    Matrix Z(5, 9);
    mnistlr::compute_logits(m, X, 9, Z);
    const double loss = mnistlr::softmax_cross_entropy(Z, y.data(), 9) / 9.0;
    EXPECT_NEAR(loss, naive_loss(m, X, y, 0.0f), 1e-5);
}

TEST(Model, gradient_equals_central_finite_differences) {
    for (const float l2 : {0.0f, 0.1f}) {
        auto m = random_model(2, 3, 4, 5);
        const Matrix X = random_x(6, 5, 6);
        const std::vector<std::uint8_t> y = {0, 3, 1, 2, 3};
        Matrix Z(4, 5), dW(6, 4);
        Vector db(4);
        mnistlr::compute_logits(m, X, 5, Z);
        mnistlr::softmax_cross_entropy(Z, y.data(), 5);
        mnistlr::gradient(m, X, Z, y.data(), 5, l2, dW, db);
        const double h = 1e-3;
        for (Eigen::Index p = 0; p < 6; ++p)
            for (Eigen::Index k = 0; k < 4; ++k) {
                auto plus = m, minus = m;
                plus.W(p, k) += float(h);
                minus.W(p, k) -= float(h);
                const double fd = (naive_loss(plus, X, y, l2) - naive_loss(minus, X, y, l2)) / (2 * h);
                EXPECT_NEAR(dW(p, k), fd, 2e-3) << "W(" << p << "," << k << ") l2=" << l2;
            }
        for (Eigen::Index k = 0; k < 4; ++k) {
            auto plus = m, minus = m;
            plus.b(k) += float(h);
            minus.b(k) -= float(h);
            const double fd = (naive_loss(plus, X, y, l2) - naive_loss(minus, X, y, l2)) / (2 * h);
            EXPECT_NEAR(db(k), fd, 2e-3) << "b(" << k << ")";
        }
    }
}

TEST(Model, load_columns_scales_bytes_like_x_over_255) {
    const std::uint8_t data[6] = {0, 255, 128, 1, 2, 3};
    const std::uint32_t idx[2] = {1, 0};
    Matrix X(3, 2);
    mnistlr::load_columns(data, 3, idx, 2, X);
    EXPECT_EQ(X(0, 0), 1.0f / 255.0f);
    EXPECT_EQ(X(2, 0), 3.0f / 255.0f);
    EXPECT_EQ(X(1, 1), 1.0f);
    EXPECT_EQ(X(2, 1), 128.0f / 255.0f);
}

TEST(Model, argmax_takes_first_on_ties) {
    Matrix Z(3, 1);
    Z << 1.0f, 2.0f, 2.0f;
    EXPECT_EQ(mnistlr::argmax_column(Z, 0), 1u);
}
