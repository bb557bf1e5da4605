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
// Optional L2: L += (l2 / 2) ||W||^2, dL/dW += l2 W (b is not regularised); optional smoothness of
// the weight pictures (batch_gradient below).
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

// Converts n consecutive uint8 images (each `pixels` bytes, the first at data + first * pixels) into
// X's first n columns, scaled to [0, 1] as x / 255.0f. X must have at least n columns. Does not
// allocate. (The training step and the evaluation kernel read the bytes themselves and scale the
// sums instead: see batch_gradient.)
void load_columns_range(const std::uint8_t* data, std::size_t pixels, std::size_t first, std::size_t n,
                        Matrix& X);

// Z(:, 0..n) = W^T X(:, 0..n) + b. Z must be K x >= n. Does not allocate.
void compute_logits(const SoftmaxModel& m, const Matrix& X, std::size_t n, Matrix& Z);

// Turns logits Z(:, 0..n) into probabilities in place (stable softmax) and returns the summed
// (not mean) cross-entropy against labels y[0..n). If `correct` is given, adds the number of
// columns whose arg-max (first on ties) equals the label.
double softmax_cross_entropy(Matrix& Z, const std::uint8_t* y, std::size_t n, std::size_t* correct = nullptr);

// Turns logits Z(:, 0..n) into probabilities in place, with the same arithmetic (so the same bits)
// as softmax_cross_entropy, for inputs without labels.
void softmax(Matrix& Z, std::size_t n);

// The class probabilities softmax(W^T X + b) (K x n) of the n columns of X (P x n, pixels in
// [0, 1]: load_columns_range, or preprocess_image for image files).
Matrix probabilities(const SoftmaxModel& m, const Matrix& X);

// Index of the largest entry of Z(:, j) (the first on ties).
std::uint32_t argmax_column(const Matrix& Z, std::size_t j);

// ---- The training step's loss and gradient, straight from the images' bytes -------------------
// A minibatch of n images is given as pointers to their P bytes (where they lie in the split); the
// model's input is x_j = images[j] / 255, applied to the kernels' sums (kernels.hpp) rather than
// to each pixel. The loss a training step minimises (TrainConfig: l2, smooth):
//   L(W, b) = (1/n) sum_j CE_j  +  (l2 / 2) ||W||^2  +  (smooth / 2) sum_k sum_{p~q} (W_pk - W_qk)^2
// where CE_j is sample j's cross-entropy (above) and p~q runs over each pair of 4-neighbour pixels
// of the rows x cols picture once. Its gradient:
//   dL/dW = X G^T + l2 W + smooth (Lap W),   (Lap W)_pk = sum_{q~p} (W_pk - W_qk)   (P x K)
//   dL/db = G 1,   G = (P - Y) / n                                                   (K)

// Z(:, 0..n) := the probabilities of the n images; returns their mean cross-entropy (no penalty
// terms) and, if `correct` is given, adds the number whose arg-max equals the label. Z must be
// K x >= n. Does not allocate.
double batch_loss(const SoftmaxModel& m, const std::uint8_t* const* images, const std::uint8_t* y, std::size_t n,
                  Matrix& Z, std::size_t* correct = nullptr);

// The gradient of L above into dW (P x K, overwritten) and db (K); returns the minibatch's mean
// cross-entropy before any update (no penalty terms: the loss a step reports). Z (K x >= n) is
// scratch and ends holding G. The training step calls exactly this. Does not allocate.
double batch_gradient(const SoftmaxModel& m, const std::uint8_t* const* images, const std::uint8_t* y, std::size_t n,
                      float l2, float smooth, Matrix& Z, Matrix& dW, Vector& db);

}  // namespace mnistlr
