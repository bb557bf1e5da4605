// Softmax (multinomial logistic) regression.
//
// Shapes (one column per sample, as in MiniDNN):
//   X : P x n   pixels in [0, 1], P = rows * cols, column j = sample j
//   W : P x K   column k = class k's weights, a rows x cols picture in row-major pixel order
//   b : K
//   Z = W^T X + b 1^T          (K x n logits)
//   p_kj = exp(Z_kj - m_j) / sum_c exp(Z_cj - m_j),  m_j = max_c Z_cj   (stable softmax)
//   L = (1/n) sum_j [ log sum_c exp(Z_cj - m_j) - (Z_{y_j j} - m_j) ]    (mean cross-entropy)
//   G = (P - Y) / n            (K x n, Y one-hot)
//   dL/dW = X G^T  (P x K),  dL/db = G 1  (K)
// Optional L2: L += (l2 / 2) ||W||^2, dL/dW += l2 W (b is not regularised).
#pragma once

#include <cstddef>
#include <cstdint>

#include <Eigen/Core>

namespace mnistlr {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;  // column-major
using Vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;

struct SoftmaxModel {
    std::uint32_t rows = 0;
    std::uint32_t cols = 0;
    Matrix W;  // (rows*cols) x classes
    Vector b;  // classes

    static SoftmaxModel zeros(std::uint32_t rows, std::uint32_t cols, std::uint32_t classes);
    std::size_t pixels() const noexcept { return std::size_t{rows} * cols; }
    std::uint32_t classes() const noexcept { return static_cast<std::uint32_t>(W.cols()); }
};

// Converts n uint8 images (each `pixels` bytes, at data + idx[j] * pixels) into X's first n columns,
// scaled to [0, 1] exactly as x / 255.0f. X must have at least n columns. Does not allocate.
void load_columns(const std::uint8_t* data, std::size_t pixels, const std::uint32_t* idx, std::size_t n,
                  Matrix& X);
// Same for n consecutive images starting at `first`.
void load_columns_range(const std::uint8_t* data, std::size_t pixels, std::size_t first, std::size_t n,
                        Matrix& X);

// Z(:, 0..n) = W^T X(:, 0..n) + b. Z must be K x >= n. Does not allocate.
void compute_logits(const SoftmaxModel& m, const Matrix& X, std::size_t n, Matrix& Z);

// Turns logits Z(:, 0..n) into probabilities in place (stable softmax) and returns the summed
// (not mean) cross-entropy against labels y[0..n). If `correct` is given, adds the number of
// columns whose arg-max (first on ties) equals the label.
double softmax_cross_entropy(Matrix& Z, const std::uint8_t* y, std::size_t n, std::size_t* correct = nullptr);

// Index of the largest entry of Z(:, j) (the first on ties).
std::uint32_t argmax_column(const Matrix& Z, std::size_t j);

// Turns probabilities P(:, 0..n) (in Z's place, K x n) into the mean-loss residuals
// G = (P - Y) / n in place and sets db = G 1 (K), the bias gradient. Does not allocate.
void residuals(Matrix& P, const std::uint8_t* y, std::size_t n, Vector& db);

// Given probabilities P (in Z's place, K x n), computes the mean-loss gradient into dW (P x K)
// and db (K), plus l2 * W. P is overwritten with G. Does not allocate.
void gradient(const SoftmaxModel& m, const Matrix& X, Matrix& P, const std::uint8_t* y, std::size_t n,
              float l2, Matrix& dW, Vector& db);

}  // namespace mnistlr
