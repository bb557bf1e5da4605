// A model from either of the two places it can live: an mnistlr weights file (weights_io.hpp) or a
// directory holding the NumPy pair W.npy and b.npy (npy.hpp).
//
// The NumPy pair, as `mnistlr export --npy DIR` writes it and as NumPy users expect it:
//   DIR/W.npy   '<f4', shape (classes, pixels): row k is class k's picture, so that in NumPy
//               W[k].reshape(28, 28) shows it (the transpose of SoftmaxModel::W, which is pixels x classes)
//   DIR/b.npy   '<f4', shape (classes,)
// A .npy pair carries no image size, class names or training metadata: the image is taken to be
// square, rows = cols = sqrt(pixels), so the pixel count must be a perfect square (784 -> 28 x 28);
// class names are the indices.
#pragma once

#include <string>

#include "mnistlr/model.hpp"
#include "mnistlr/weights_io.hpp"

namespace mnistlr {

// Loads a weights file, or a directory holding W.npy and b.npy (see above). Everything is checked:
// shapes agree (2 to 65535 classes, a perfect-square pixel count up to 4096 x 4096) and every value
// is finite. Throws Error "<path>: ..." otherwise.
WeightsFile load_model(const std::string& path);

// Reads the NumPy pair from `dir` (the directory case of load_model).
SoftmaxModel load_npy_model(const std::string& dir);

// Writes dir/W.npy and dir/b.npy (each atomically), creating dir (and missing parents) first.
// Returns the two paths written.
struct NpyPaths {
    std::string W;
    std::string b;
};
NpyPaths export_npy(const SoftmaxModel& model, const std::string& dir);

}  // namespace mnistlr
