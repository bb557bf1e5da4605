#include "mnistlr/learning/model.hpp"

#include <cmath>

#include "mnistlr/learning/kernels.hpp"

namespace mnistlr {
namespace {

// x / 255.0f, a true division (not a multiplication by 1/255); the compiler vectorises it (vdivps),
// which is several times faster than a 256-entry lookup table. Used where the input is needed as
// floats (predict; evaluation of more classes than the kernel holds). The training step and the
// evaluation kernel apply 1/255 to their sums instead, so their logits agree with products of these
// columns to rounding, not bit for bit.
inline void load_one(const std::uint8_t* src, std::size_t pixels, float* dst) {
    for (std::size_t p = 0; p < pixels; ++p) dst[p] = static_cast<float>(src[p]) / 255.0f;
}

// Index of the largest of z[0..K) (the first on ties).
inline std::size_t argmax(const float* z, std::size_t K) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < K; ++k)
        if (z[k] > z[best]) best = k;
    return best;
}

// z[k] := exp(z[k] - m) for k < K, with m = the column's maximum; returns their sum s >= 1.
inline float exp_shifted(float* z, std::size_t K, float m) {
    float s = 0.0f;
    for (std::size_t k = 0; k < K; ++k) {
        z[k] = std::exp(z[k] - m);  // in (0, 1], the max maps to exactly 1: no overflow
        s += z[k];
    }
    return s;
}

inline void scale(float* z, std::size_t K, float f) {
    for (std::size_t k = 0; k < K; ++k) z[k] *= f;
}

// Turns probabilities P(:, 0..n) (in Z's place, K x n) into the mean-loss residuals
// G = (P - Y) / n in place and sets db = G 1 (K), the bias gradient. Does not allocate.
void residuals(Matrix& P, const std::uint8_t* y, std::size_t n, Vector& db) {
    auto G = P.leftCols(static_cast<Eigen::Index>(n));
    for (std::size_t j = 0; j < n; ++j) G(y[j], static_cast<Eigen::Index>(j)) -= 1.0f;  // P - Y
    G *= 1.0f / static_cast<float>(n);
    db.noalias() = G.rowwise().sum();  // K
}

// dW += lambda * (graph Laplacian of the 4-neighbour pixel grid) * W, for each class's picture:
// the gradient of lambda/2 * sum over neighbour pairs (p, q) of (W[p] - W[q])^2.
void add_smoothness_gradient(const float* W, std::size_t rows, std::size_t cols, std::size_t K, float lambda,
                             float* dW) {
    const std::size_t P = rows * cols;
    for (std::size_t k = 0; k < K; ++k) {
        const float* w = W + k * P;
        float* g = dW + k * P;
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) {
                const std::size_t p = r * cols + c;
                float acc = 0.0f;
                if (r > 0) acc += w[p] - w[p - cols];
                if (r + 1 < rows) acc += w[p] - w[p + cols];
                if (c > 0) acc += w[p] - w[p - 1];
                if (c + 1 < cols) acc += w[p] - w[p + 1];
                g[p] += lambda * acc;
            }
    }
}

constexpr float kInv255 = 1.0f / 255.0f;

}  // namespace

SoftmaxModel SoftmaxModel::zeros(std::uint32_t rows, std::uint32_t cols, std::uint32_t classes) {
    SoftmaxModel m;
    m.rows = rows;
    m.cols = cols;
    m.W = Matrix::Zero(static_cast<Eigen::Index>(m.pixels()), classes);
    m.b = Vector::Zero(classes);
    return m;
}

void load_columns_range(const std::uint8_t* data, std::size_t pixels, std::size_t first, std::size_t n,
                        Matrix& X) {
    for (std::size_t j = 0; j < n; ++j)
        load_one(data + (first + j) * pixels, pixels, X.col(static_cast<Eigen::Index>(j)).data());
}

void compute_logits(const SoftmaxModel& m, const Matrix& X, std::size_t n, Matrix& Z) {
    const auto cols = static_cast<Eigen::Index>(n);
    auto Zn = Z.leftCols(cols);
    Zn.noalias() = m.W.transpose() * X.leftCols(cols);  // (K x P)(P x n) = K x n
    Zn.colwise() += m.b;
}

std::uint32_t argmax_column(const Matrix& Z, std::size_t j) {
    return static_cast<std::uint32_t>(
        argmax(Z.col(static_cast<Eigen::Index>(j)).data(), static_cast<std::size_t>(Z.rows())));
}

double softmax_cross_entropy(Matrix& Z, const std::uint8_t* y, std::size_t n, std::size_t* correct) {
    const auto K = static_cast<std::size_t>(Z.rows());
    double total = 0.0;
    std::size_t right = 0;
    for (std::size_t j = 0; j < n; ++j) {
        float* z = Z.col(static_cast<Eigen::Index>(j)).data();
        const std::size_t best = argmax(z, K);
        right += (best == y[j]);
        const float m = z[best];
        const float zy = z[y[j]] - m;  // kept before exponentiation: exp(zy) may underflow to 0
        const float s = exp_shifted(z, K, m);
        // loss_j = log(sum_k exp(z_k - m)) - (z_y - m), with s >= 1 so the log is finite.
        total += static_cast<double>(std::log(s)) - static_cast<double>(zy);
        scale(z, K, 1.0f / s);
    }
    if (correct) *correct += right;
    return total;
}

void softmax(Matrix& Z, std::size_t n) {
    const auto K = static_cast<std::size_t>(Z.rows());
    for (std::size_t j = 0; j < n; ++j) {
        float* z = Z.col(static_cast<Eigen::Index>(j)).data();
        scale(z, K, 1.0f / exp_shifted(z, K, z[argmax(z, K)]));
    }
}

Matrix probabilities(const SoftmaxModel& m, const Matrix& X) {
    const auto n = static_cast<std::size_t>(X.cols());
    Matrix Z(m.classes(), X.cols());
    compute_logits(m, X, n, Z);
    softmax(Z, n);
    return Z;
}

double batch_loss(const SoftmaxModel& m, const std::uint8_t* const* images, const std::uint8_t* y, std::size_t n,
                  Matrix& Z, std::size_t* correct) {
    logits_u8(m.W.data(), m.b.data(), m.pixels(), m.classes(), images, n, kInv255, Z.data());  // Z = W^T X + b
    return softmax_cross_entropy(Z, y, n, correct) / static_cast<double>(n);
}

double batch_gradient(const SoftmaxModel& m, const std::uint8_t* const* images, const std::uint8_t* y, std::size_t n,
                      float l2, float smooth, Matrix& Z, Matrix& dW, Vector& db) {
    const double loss = batch_loss(m, images, y, n, Z);                           // Z := P
    residuals(Z, y, n, db);                                                      // Z := G = (P - Y) / n, db = G 1
    outer_u8(images, n, Z.data(), m.pixels(), m.classes(), kInv255, dW.data());  // dW = X G^T
    if (l2 != 0.0f) dW += l2 * m.W;
    if (smooth != 0.0f) add_smoothness_gradient(m.W.data(), m.rows, m.cols, m.classes(), smooth, dW.data());
    return loss;
}

}  // namespace mnistlr
