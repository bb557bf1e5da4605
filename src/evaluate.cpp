#include "mnistlr/evaluate.hpp"

#include <algorithm>

#include "mnistlr/error.hpp"

namespace mnistlr {
namespace {
constexpr Eigen::Index kChunk = 1000;
}

Evaluator::Evaluator(std::size_t pixels, std::uint32_t classes)
    : X_(static_cast<Eigen::Index>(pixels), kChunk), Z_(classes, kChunk) {}

Metrics Evaluator::run(const SoftmaxModel& model, const Split& split, bool confusion) {
    const std::uint32_t K = model.classes();
    const std::size_t P = model.pixels();
    const auto chunk = static_cast<std::size_t>(kChunk);
    Metrics m;
    m.count = split.count;
    m.classes = K;
    if (confusion) m.confusion.assign(std::size_t{K} * K, 0);
    double total = 0.0;
    for (std::size_t first = 0; first < split.count; first += chunk) {
        const std::size_t n = std::min(chunk, split.count - first);
        load_columns_range(split.pixels.data(), P, first, n, X_);
        compute_logits(model, X_, n, Z_);
        if (confusion)
            for (std::size_t j = 0; j < n; ++j)
                ++m.confusion[std::size_t{split.label(first + j)} * K + argmax_column(Z_, j)];
        total += softmax_cross_entropy(Z_, split.labels.data() + first, n, &m.correct);
    }
    m.loss = split.count ? total / static_cast<double>(split.count) : 0.0;
    m.accuracy = split.count ? static_cast<double>(m.correct) / static_cast<double>(split.count) : 0.0;
    return m;
}

Metrics evaluate(const SoftmaxModel& model, const Split& split) {
    if (split.pixels_per_image() != model.pixels())
        throw Error(split.images_path, "images are " + std::to_string(split.rows) + " x " +
                                           std::to_string(split.cols) + " but the model expects " +
                                           std::to_string(model.rows) + " x " + std::to_string(model.cols));
    check_labels(split, model.classes());
    Evaluator ev(model.pixels(), model.classes());
    return ev.run(model, split, /*confusion=*/true);
}

}  // namespace mnistlr
