#include "mnistlr/evaluate.hpp"

#include <algorithm>

#include "mnistlr/error.hpp"

namespace mnistlr {

Metrics evaluate(const SoftmaxModel& model, const Split& split) {
    if (split.pixels_per_image() != model.pixels())
        throw Error(split.images_path, "images are " + std::to_string(split.rows) + " x " +
                                           std::to_string(split.cols) + " but the model expects " +
                                           std::to_string(model.rows) + " x " + std::to_string(model.cols));
    const std::uint32_t K = model.classes();
    check_labels(split, K);
    constexpr std::size_t kChunk = 1000;
    const std::size_t P = model.pixels();
    const std::size_t chunk = std::min(kChunk, split.count);
    Matrix X(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(chunk));
    Matrix Z(K, static_cast<Eigen::Index>(chunk));

    Metrics m;
    m.count = split.count;
    m.classes = K;
    m.confusion.assign(std::size_t{K} * K, 0);
    double total = 0.0;
    for (std::size_t first = 0; first < split.count; first += chunk) {
        const std::size_t n = std::min(chunk, split.count - first);
        load_columns_range(split.pixels.data(), P, first, n, X);
        compute_logits(model, X, n, Z);
        for (std::size_t j = 0; j < n; ++j)
            ++m.confusion[std::size_t{split.label(first + j)} * K + argmax_column(Z, j)];
        total += softmax_cross_entropy(Z, split.labels.data() + first, n, &m.correct);
    }
    m.loss = split.count ? total / static_cast<double>(split.count) : 0.0;
    m.accuracy = split.count ? static_cast<double>(m.correct) / static_cast<double>(split.count) : 0.0;
    return m;
}

}  // namespace mnistlr
