// A model from either of the two places it can live: an mnistlr weights file (weights_io.hpp) or a
// directory holding the NumPy pair W.npy and b.npy (npy.hpp).
//
// The NumPy pair, as `mnistlr export --npy DIR` writes it and as NumPy users expect it:
//   DIR/W.npy   '<f4', shape (classes, pixels): row k is class k's picture, so that in NumPy
//               W[k].reshape(28, 28) shows it (the transpose of SoftmaxModel::W, which is pixels x classes)
//   DIR/b.npy   '<f4', shape (classes,)
//   DIR/model.json  the manifest mnistlr export writes beside them (optional on loading):
//               {"format": "mnistlr npy model", "version": 1, "rows": 28, "cols": 28, "classes": 10,
//                "W.npy": {"bytes": N, "crc32": C}, "b.npy": {"bytes": N, "crc32": C},
//                "deskew": true}
//               "deskew" is there (and true) only for a model trained on deskewed images: loading
//               the directory then marks the model so (model_info.hpp), and every command deskews
//               its inputs as train did. Any other value than a boolean is refused.
//               When it is present, both arrays must be exactly the files it records (size and CRC-32),
//               so a W.npy of one export beside the b.npy of another is refused, and rows x cols
//               give the image size.
// Without a manifest (a pair saved from NumPy) the image is taken to be square, rows = cols =
// sqrt(pixels), so the pixel count must be a perfect square (784 -> 28 x 28). A .npy pair carries no
// class names or training metadata: class names are the indices.
#pragma once

#include <string>
#include <vector>

#include "mnistlr/learning/model.hpp"
#include "mnistlr/model_files/weights_io.hpp"

namespace mnistlr {

// Loads a weights file, or a directory holding W.npy and b.npy (see above). Everything is checked:
// shapes agree (2 to 65535 classes, a perfect-square pixel count up to 4096 x 4096) and every value
// is finite. Throws Error "<path>: ..." otherwise.
WeightsFile load_model(const std::string& path);

// Reads the NumPy pair from `dir` (the directory case of load_model). `deskew`, when given, is set to
// what the manifest records (false without a manifest).
SoftmaxModel load_npy_model(const std::string& dir, bool* deskew = nullptr);

// The manifest's file name in a model directory.
inline constexpr const char* kManifestName = "model.json";

// The files a model path stands for: the weights file itself, or a directory's W.npy, b.npy and
// model.json (for checking that no output overwrites them).
std::vector<std::string> model_files(const std::string& path);

// Writes dir/W.npy, dir/b.npy and dir/model.json as one OutputSet (file_io.hpp: all three complete
// before the first rename), creating dir (and missing parents) first. `inputs` are the command's
// input files: none of them may be one of the outputs. `deskew`: the model expects deskewed inputs
// (recorded in the manifest). Returns the paths written.
struct NpyPaths {
    std::string W;
    std::string b;
    std::string manifest;
};
NpyPaths export_npy(const SoftmaxModel& model, const std::string& dir, const std::vector<std::string>& inputs = {},
                    bool deskew = false);

}  // namespace mnistlr
