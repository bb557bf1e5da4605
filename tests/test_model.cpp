#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

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

// Mean cross-entropy of the model on X, y, computed in double with a plain per-sample loop.
double naive_loss(const SoftmaxModel& m, const Matrix& X, const std::vector<std::uint8_t>& y) {
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
    return total / double(X.cols());
}

// A minibatch as the training step sees it: n images of P bytes, given by pointers (in reverse
// order of storage, so nothing may assume a stride), and their labels.
struct ByteBatch {
    std::vector<std::uint8_t> pixels;
    std::vector<const std::uint8_t*> images;
    std::vector<std::uint8_t> y;
};

ByteBatch byte_batch(std::size_t P, std::size_t n, std::uint32_t K, unsigned seed) {
    std::mt19937 rng(seed);
    ByteBatch b;
    b.pixels.resize(P * n);
    for (auto& v : b.pixels) v = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0 : rng() % 256);
    for (std::size_t j = 0; j < n; ++j) b.images.push_back(b.pixels.data() + (n - 1 - j) * P);
    for (std::size_t j = 0; j < n; ++j) b.y.push_back(static_cast<std::uint8_t>(rng() % K));
    return b;
}

// The loss the training step minimises (model.hpp, batch_gradient), in double with plain loops over
// a model held in double: W[k * P + p], b[k], x = byte / 255.
//   L = (1/n) sum_j CE_j + l2/2 sum W^2 + smooth/2 sum_k sum over 4-neighbour pairs (W_p - W_q)^2
struct DoubleModel {
    std::size_t rows, cols, K;
    std::vector<double> W, b;
};

DoubleModel to_double(const SoftmaxModel& m) {
    DoubleModel d{m.rows, m.cols, m.classes(), {}, {}};
    d.W.assign(m.W.data(), m.W.data() + m.W.size());
    d.b.assign(m.b.data(), m.b.data() + m.b.size());
    return d;
}

double naive_step_loss(const DoubleModel& m, const ByteBatch& batch, double l2, double smooth) {
    const std::size_t P = m.rows * m.cols, n = batch.images.size();
    double ce = 0;
    for (std::size_t j = 0; j < n; ++j) {
        std::vector<double> z(m.K);
        for (std::size_t k = 0; k < m.K; ++k) {
            z[k] = m.b[k];
            for (std::size_t p = 0; p < P; ++p) z[k] += m.W[k * P + p] * (batch.images[j][p] / 255.0);
        }
        const double mx = *std::max_element(z.begin(), z.end());
        double se = 0;
        for (double v : z) se += std::exp(v - mx);
        ce += std::log(se) + mx - z[batch.y[j]];
    }
    double sq = 0, pairs = 0;
    for (std::size_t k = 0; k < m.K; ++k)
        for (std::size_t r = 0; r < m.rows; ++r)
            for (std::size_t c = 0; c < m.cols; ++c) {
                const double w = m.W[k * P + r * m.cols + c];
                sq += w * w;
                if (c + 1 < m.cols) pairs += std::pow(w - m.W[k * P + r * m.cols + c + 1], 2);    // right neighbour
                if (r + 1 < m.rows) pairs += std::pow(w - m.W[k * P + (r + 1) * m.cols + c], 2);  // lower neighbour
            }
    return ce / double(n) + 0.5 * l2 * sq + 0.5 * smooth * pairs;
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

TEST(Model, probabilities_sum_to_one_and_match_a_naive_softmax) {
    auto m = random_model(3, 4, 5, 1);
    const Matrix X = random_x(12, 7, 2);
    const Matrix Pr = mnistlr::probabilities(m, X);
    ASSERT_EQ(Pr.rows(), 5);
    ASSERT_EQ(Pr.cols(), 7);
    for (Eigen::Index j = 0; j < 7; ++j) {
        EXPECT_NEAR(Pr.col(j).sum(), 1.0f, 1e-6f);
        double z[5], mx = -1e300, se = 0;
        for (Eigen::Index k = 0; k < 5; ++k) {
            z[k] = m.b(k);
            for (Eigen::Index p = 0; p < 12; ++p) z[k] += double(m.W(p, k)) * X(p, j);
            mx = std::max(mx, z[k]);
        }
        for (double v : z) se += std::exp(v - mx);
        for (Eigen::Index k = 0; k < 5; ++k) EXPECT_NEAR(Pr(k, j), std::exp(z[k] - mx) / se, 1e-6);
    }
}

TEST(Model, softmax_gives_the_same_bits_as_softmax_cross_entropy) {
    // predict's probabilities (no labels) and evaluation's (with labels) are the same numbers.
    Matrix Z(4, 3);
    Z << 1.0f, -2.0f, 30.0f, 0.5f, 0.5f, -1e4f, 3.25f, 7.0f, 0.0f, -0.125f, 1e-3f, 2.0f;
    Matrix A = Z, B = Z;
    const std::uint8_t y[3] = {3, 0, 1};
    mnistlr::softmax_cross_entropy(A, y, 3);
    mnistlr::softmax(B, 3);
    EXPECT_EQ(std::memcmp(A.data(), B.data(), sizeof(float) * 12), 0);
    Matrix C = Z;
    mnistlr::softmax(C, 2);  // only the first n columns
    EXPECT_EQ(C.col(2), Z.col(2));
}

TEST(Model, loss_matches_naive_per_sample_loop) {
    auto m = random_model(3, 4, 5, 3);
    const Matrix X = random_x(12, 9, 4);
    const std::vector<std::uint8_t> y = {0, 1, 2, 3, 4, 4, 3, 2, 1};
    Matrix Z(5, 9);
    mnistlr::compute_logits(m, X, 9, Z);
    const double loss = mnistlr::softmax_cross_entropy(Z, y.data(), 9) / 9.0;
    EXPECT_NEAR(loss, naive_loss(m, X, y), 1e-5);
}

TEST(Model, batch_loss_from_bytes_matches_the_same_images_as_floats) {
    const auto m = random_model(3, 4, 3, 7);
    const ByteBatch batch = byte_batch(12, 6, 3, 8);
    Matrix X(12, 6);
    for (Eigen::Index j = 0; j < 6; ++j)
        for (Eigen::Index p = 0; p < 12; ++p) X(p, j) = float(batch.images[std::size_t(j)][p]) / 255.0f;
    Matrix Z(3, 6);
    std::size_t correct = 0;
    const double loss = mnistlr::batch_loss(m, batch.images.data(), batch.y.data(), 6, Z, &correct);
    EXPECT_NEAR(loss, naive_loss(m, X, batch.y), 1e-5);
    const Matrix Pr = mnistlr::probabilities(m, X);
    std::size_t want_correct = 0;
    for (Eigen::Index j = 0; j < 6; ++j) {
        want_correct += mnistlr::argmax_column(Pr, std::size_t(j)) == batch.y[std::size_t(j)];
        for (Eigen::Index k = 0; k < 3; ++k) EXPECT_NEAR(Z(k, j), Pr(k, j), 1e-6);
    }
    EXPECT_EQ(correct, want_correct);
}

TEST(Model, batch_gradient_equals_central_differences_of_the_step_loss_with_l2_and_smooth) {
    // A 3 x 4 picture (not square: rows and columns cannot be confused; 12 pixels leave a tail
    // past the kernels' last whole vector), 3 classes (a partial class group), 5 images.
    const std::uint32_t rows = 3, cols = 4, K = 3;
    const std::size_t P = rows * cols, n = 5;
    const auto m = random_model(rows, cols, K, 5);
    const ByteBatch batch = byte_batch(P, n, K, 6);
    struct Terms {
        float l2, smooth;
    };
    for (const Terms t : {Terms{0.0f, 0.0f}, Terms{0.05f, 0.0f}, Terms{0.0f, 0.2f}, Terms{0.05f, 0.2f}}) {
        SCOPED_TRACE(testing::Message() << "l2 " << t.l2 << " smooth " << t.smooth);
        Matrix Z(K, n), dW(P, K);
        Vector db(K);
        dW.setConstant(123.0f);  // overwritten, not added to
        const double loss =
            mnistlr::batch_gradient(m, batch.images.data(), batch.y.data(), n, t.l2, t.smooth, Z, dW, db);
        const DoubleModel d = to_double(m);
        EXPECT_NEAR(loss, naive_step_loss(d, batch, 0.0, 0.0), 1e-6) << "the reported loss is the cross-entropy";
        // Central differences in double: the error is O(h^2) ~ 1e-10 here, far below float rounding.
        const double h = 1e-5;
        const auto fd = [&](std::vector<double> DoubleModel::*v, std::size_t i) {
            DoubleModel plus = d, minus = d;
            (plus.*v)[i] += h;
            (minus.*v)[i] -= h;
            return (naive_step_loss(plus, batch, t.l2, t.smooth) - naive_step_loss(minus, batch, t.l2, t.smooth)) /
                   (2 * h);
        };
        for (std::size_t k = 0; k < K; ++k)
            for (std::size_t p = 0; p < P; ++p)
                EXPECT_NEAR(dW(Eigen::Index(p), Eigen::Index(k)), fd(&DoubleModel::W, k * P + p), 2e-6)
                    << "W(" << p << ", " << k << ")";
        for (std::size_t k = 0; k < K; ++k) EXPECT_NEAR(db(Eigen::Index(k)), fd(&DoubleModel::b, k), 2e-6) << "b(" << k << ")";
    }
}

TEST(Model, load_columns_range_scales_bytes_like_x_over_255) {
    const std::uint8_t data[9] = {9, 9, 9, 0, 255, 128, 1, 2, 3};
    Matrix X(3, 2);
    mnistlr::load_columns_range(data, 3, 1, 2, X);
    EXPECT_EQ(X(0, 0), 0.0f);
    EXPECT_EQ(X(1, 0), 1.0f);
    EXPECT_EQ(X(2, 0), 128.0f / 255.0f);
    EXPECT_EQ(X(0, 1), 1.0f / 255.0f);
    EXPECT_EQ(X(2, 1), 3.0f / 255.0f);
}

TEST(Model, argmax_takes_first_on_ties) {
    Matrix Z(3, 1);
    Z << 1.0f, 2.0f, 2.0f;
    EXPECT_EQ(mnistlr::argmax_column(Z, 0), 1u);
}
