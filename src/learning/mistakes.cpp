#include "mnistlr/learning/mistakes.hpp"

#include <algorithm>
#include <string>

#include "mnistlr/error.hpp"

namespace mnistlr {
namespace {

void check_predictions(const SoftmaxModel& model, const Split& split, const std::vector<std::uint32_t>& predicted) {
    if (predicted.size() != split.count)
        throw Error(split.images_path, std::to_string(predicted.size()) + " predictions for " +
                                           std::to_string(split.count) + " images");
    if (split.pixels_per_image() != model.pixels())
        throw Error(split.images_path, "images are " + std::to_string(split.rows) + " x " + std::to_string(split.cols) +
                                           " but the model expects " + std::to_string(model.rows) + " x " +
                                           std::to_string(model.cols));
    for (std::uint32_t c : predicted)
        if (c >= model.classes())
            throw Error("predicted class " + std::to_string(c) + " is not a class of the model (it has " +
                        std::to_string(model.classes()) + ")");
}

}  // namespace

std::size_t count_mistakes(const Split& split, const std::vector<std::uint32_t>& predicted) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < std::min(split.count, predicted.size()); ++i) n += predicted[i] != split.label(i);
    return n;
}

std::vector<Mistake> confident_mistakes(const SoftmaxModel& model, const Split& split,
                                        const std::vector<std::uint32_t>& predicted, std::size_t n) {
    check_predictions(model, split, predicted);
    std::vector<Mistake> all;
    for (std::size_t i = 0; i < split.count; ++i)
        if (predicted[i] != split.label(i)) all.push_back({i, split.label(i), predicted[i], 0.0f});

    // Probabilities in chunks of images (P x chunk floats at a time, whatever the mistake count; 64
    // images are 200 KB for MNIST, little fresh memory to fault in).
    const std::size_t P = model.pixels(), chunk = 64;
    Matrix X(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(std::min(chunk, std::max<std::size_t>(all.size(), 1))));
    Matrix one(static_cast<Eigen::Index>(P), 1);
    for (std::size_t first = 0; first < all.size(); first += chunk) {
        const std::size_t m = std::min(chunk, all.size() - first);
        if (static_cast<std::size_t>(X.cols()) != m) X.resize(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(m));
        for (std::size_t j = 0; j < m; ++j) {
            load_columns_range(split.image(all[first + j].index), P, 0, 1, one);
            X.col(static_cast<Eigen::Index>(j)) = one.col(0);
        }
        const Matrix prob = probabilities(model, X);  // K x m
        for (std::size_t j = 0; j < m; ++j)
            all[first + j].probability = prob(static_cast<Eigen::Index>(all[first + j].predicted), static_cast<Eigen::Index>(j));
    }
    const auto more_confident = [](const Mistake& a, const Mistake& b) {
        return a.probability != b.probability ? a.probability > b.probability : a.index < b.index;
    };
    const std::size_t keep = std::min(n, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), more_confident);
    all.resize(keep);
    return all;
}

}  // namespace mnistlr
