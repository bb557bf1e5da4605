// What the model sees of its inputs: image files prepared the way MNIST was made (preprocess.hpp),
// images of an IDX file as stored, or images of a loaded split, each turned into one column of
// pixels in [0, 1] (model.hpp's layout). predict's preparation, in one place, so that explain
// scores exactly what predict scores.
//
//   IDX file / split image i:  x = byte / 255.0f   (load_columns_range)
//   image file:                x = preprocess_image(load_image(path), rows, cols, path)
// With `deskew` (a model trained on deskewed images, deskew.hpp) each image is deskewed first, as
// train deskewed its training set: IDX and split images as bytes (deskew_image, rounded to uint8,
// exactly what training and evaluation saw), image files as the prepared floats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mnistlr/data/dataset.hpp"
#include "mnistlr/learning/model.hpp"

namespace mnistlr {

struct InputItem {
    std::string name;      // the file's path, or "<idx base name>[i]"
    std::string file;      // the file it came from
    long long index = -1;  // image index in the IDX file or split; -1 for an image file
    int label = -1;        // the true class when known (split inputs), else -1
};

// Column j of X is what the model sees of items[j]: rows x cols pixels, row-major, in [0, 1].
struct ModelInputs {
    std::vector<InputItem> items;
    Matrix X;  // (rows * cols) x items.size()
};

// Images `indices` of the IDX image file at `path`. Only those are read (a gzip file is inflated up
// to the largest index). Throws Error "<path>: ..." for a file that is not count x rows x cols with
// the model's rows x cols, or an index out of range ("--index 12 is out of range (...)").
ModelInputs idx_inputs(const std::string& path, const std::vector<std::size_t>& indices, std::uint32_t rows,
                       std::uint32_t cols, bool deskew = false);

// Image files (PNG, JPEG, ...), each decoded and framed MNIST-style into rows x cols. Throws
// Error "<path>: ..." for an unreadable, undecodable or blank image.
ModelInputs image_inputs(const std::vector<std::string>& paths, std::uint32_t rows, std::uint32_t cols,
                         bool deskew = false);

// Images `indices` of a loaded split (as load_data prepared them: upright, labels 0-based), with
// their labels. `split_name` ("test", "train") names them: "test[3]". Throws Error "<images
// file>: --index ... is out of range" like idx_inputs.
ModelInputs split_inputs(const Split& split, const std::vector<std::size_t>& indices, const std::string& split_name,
                         bool deskew = false);

// Every image of an IDX image file, classified: for image i, the most probable class (the first on
// ties) and its probability, and with `all_probabilities` every class's (K per image, image-major).
// The images are read once as bytes and scored in blocks of 4096 (one float block, not a float copy
// of the file), deskewed first when `deskew`. Throws as idx_inputs for a file of the wrong shape.
struct IdxPredictions {
    std::size_t count = 0, classes = 0;
    std::vector<std::uint32_t> predicted;  // count
    std::vector<float> probability;        // count: the predicted class's
    std::vector<float> all;                // count x classes, with all_probabilities
};
IdxPredictions predict_idx_file(const std::string& path, const SoftmaxModel& model, bool deskew,
                                bool all_probabilities);

// The message idx_inputs and split_inputs give for an index out of a file of `count` images.
std::string index_out_of_range(std::size_t index, std::size_t count);

}  // namespace mnistlr
