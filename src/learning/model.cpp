#include "mnistlr/learning/model.hpp"

#include <cmath>

namespace mnistlr {
namespace {

// x / 255.0f, a true division (not a multiplication by 1/255) so that the conversion matches the
// reference and the NumPy peer bit for bit; the compiler vectorises it (vdivps), which is several
// times faster than a 256-entry lookup table.
inline void load_one(const std::uint8_t* src, std::size_t pixels, float* dst) {
    for (std::size_t p = 0; p < pixels; ++p) dst[p] = static_cast<float>(src[p]) / 255.0f;
}

}  // namespace

SoftmaxModel SoftmaxModel::zeros(std::uint32_t rows, std::uint32_t cols, std::uint32_t classes) {
    SoftmaxModel m;
    m.rows = rows;
    m.cols = cols;
    m.W = Matrix::Zero(static_cast<Eigen::Index>(m.pixels()), classes);
    m.b = Vector::Zero(classes);
    return m;
}

void load_columns(const std::uint8_t* data, std::size_t pixels, const std::uint32_t* idx, std::size_t n,
                  Matrix& X) {
    for (std::size_t j = 0; j < n; ++j)
        load_one(data + std::size_t{idx[j]} * pixels, pixels, X.col(static_cast<Eigen::Index>(j)).data());
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
    const float* z = Z.col(static_cast<Eigen::Index>(j)).data();
    std::uint32_t best = 0;
    for (std::uint32_t k = 1; k < static_cast<std::uint32_t>(Z.rows()); ++k)
        if (z[k] > z[best]) best = k;
    return best;
}

double softmax_cross_entropy(Matrix& Z, const std::uint8_t* y, std::size_t n, std::size_t* correct) {
    const auto K = static_cast<std::size_t>(Z.rows());
    double total = 0.0;
    std::size_t right = 0;
    for (std::size_t j = 0; j < n; ++j) {
        float* z = Z.col(static_cast<Eigen::Index>(j)).data();
        std::size_t best = 0;
        for (std::size_t k = 1; k < K; ++k)
            if (z[k] > z[best]) best = k;
        right += (best == y[j]);
        const float m = z[best];
        const float zy = z[y[j]] - m;  // kept before exponentiation: exp(zy) may underflow to 0
        float s = 0.0f;
        for (std::size_t k = 0; k < K; ++k) {
            z[k] = std::exp(z[k] - m);  // in (0, 1], the max maps to exactly 1: no overflow
            s += z[k];
        }
        // loss_j = log(sum_k exp(z_k - m)) - (z_y - m), with s >= 1 so the log is finite.
        total += static_cast<double>(std::log(s)) - static_cast<double>(zy);
        const float inv = 1.0f / s;
        for (std::size_t k = 0; k < K; ++k) z[k] *= inv;
    }
    if (correct) *correct += right;
    return total;
}

void residuals(Matrix& P, const std::uint8_t* y, std::size_t n, Vector& db) {
    auto G = P.leftCols(static_cast<Eigen::Index>(n));
    for (std::size_t j = 0; j < n; ++j) G(y[j], static_cast<Eigen::Index>(j)) -= 1.0f;  // P - Y
    G *= 1.0f / static_cast<float>(n);
    db.noalias() = G.rowwise().sum();  // K
}

void gradient(const SoftmaxModel& m, const Matrix& X, Matrix& P, const std::uint8_t* y, std::size_t n,
              float l2, Matrix& dW, Vector& db) {
    const auto cols = static_cast<Eigen::Index>(n);
    residuals(P, y, n, db);
    dW.noalias() = X.leftCols(cols) * P.leftCols(cols).transpose();  // (P x n)(n x K) = P x K
    if (l2 != 0.0f) dW += l2 * m.W;
}

}  // namespace mnistlr
