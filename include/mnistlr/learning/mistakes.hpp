// The most confident mistakes of a model on a split: the images it got wrong, ranked by the
// probability it gave the wrong class (eval --errors draws them, error_gallery.hpp).
//
// Which images are wrong comes from the evaluation (Metrics::predicted, evaluate.hpp), so the list
// agrees with the confusion matrix cell for cell. The probability of the predicted class is then
// computed for those images only, the way predict and explain compute it (x = byte / 255,
// probabilities(): W^T x + b in float, stable softmax), so `explain --index I` prints the same
// number for image I.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mnistlr/data/dataset.hpp"
#include "mnistlr/learning/model.hpp"

namespace mnistlr {

struct Mistake {
    std::size_t index = 0;        // the image's index in the split (its IDX file)
    std::uint32_t truth = 0;      // its label
    std::uint32_t predicted = 0;  // the class the model chose (!= truth)
    float probability = 0.0f;     // the probability the model gave the predicted class
    friend bool operator==(const Mistake& a, const Mistake& b) {
        return a.index == b.index && a.truth == b.truth && a.predicted == b.predicted && a.probability == b.probability;
    }
};

// Every image i of the split with predicted[i] != label(i), scored as above, in order of
// probability, highest first (lower index first on equal probabilities), the first n of them.
// Throws Error when predicted does not hold one class per image, a predicted class is not a
// class of the model, or the split's images are not the model's size.
std::vector<Mistake> confident_mistakes(const SoftmaxModel& model, const Split& split,
                                        const std::vector<std::uint32_t>& predicted, std::size_t n);

// How many images of the split the predictions get wrong.
std::size_t count_mistakes(const Split& split, const std::vector<std::uint32_t>& predicted);

}  // namespace mnistlr
