// A data split: images kept as uint8 exactly as stored (no float copy of the set), plus labels.
//
// Memory layout: image i occupies bytes [i * pixels, (i + 1) * pixels) of `pixels`, row-major
// (rows x cols), 0 = background, 255 = ink, the IDX layout itself. The kernels (kernels.hpp) read
// these bytes directly and widen them to float32 in registers; x / 255 is applied to their sums.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mnistlr/data/file_io.hpp"

namespace mnistlr {

struct Split {
    std::string images_path;
    std::string labels_path;
    std::size_t count = 0;
    std::uint32_t rows = 0;
    std::uint32_t cols = 0;
    Bytes pixels;  // count * rows * cols bytes
    Bytes labels;  // count bytes

    std::size_t pixels_per_image() const noexcept { return std::size_t{rows} * cols; }
    const std::uint8_t* image(std::size_t i) const noexcept { return pixels.data() + i * pixels_per_image(); }
    std::uint8_t label(std::size_t i) const noexcept { return labels.data()[i]; }
    // 1 + the largest label (0 for an empty split).
    std::uint32_t label_span() const noexcept;
};

// Images [first, first + n) of a split, sharing its bytes (no copy). Precondition: in range.
Split sub_split(const Split& split, std::size_t first, std::size_t n);

// Loads an image file (3-D IDX: count x rows x cols) and a label file (1-D IDX) and checks that
// they agree. Each may be raw or gzip. Both headers are checked before either payload is read.
Split load_split(const std::string& images_path, const std::string& labels_path);

// Throws "<labels file>: label L at index I is not below the class count K".
void check_labels(const Split& split, std::uint32_t classes);

struct SplitFiles {
    std::string images;
    std::string labels;
};

// Finds the standard files of a split in a directory. `stem` is e.g. "train" or "t10k"; accepted
// spellings: <stem>-images-idx3-ubyte and <stem>-images.idx3-ubyte, each optionally with .gz
// (likewise for labels). With several stems, the first that has both files wins.
SplitFiles find_split_files(const std::string& dir, const std::string& stem);
SplitFiles find_split_files(const std::string& dir, const std::vector<std::string>& stems);

struct Dataset {
    Split train;
    Split test;
    std::uint32_t classes = 0;  // load_splits: 1 + the largest training label; load_data (catalog.hpp)
                                // makes it the number of class names when the set has names
};

// Finds and loads a training and a test split in `dir` (see find_split_files for the stems) and
// checks that their images have the same size. Labels are not checked against a class count.
Dataset load_splits(const std::string& dir, const std::vector<std::string>& train_stems,
                    const std::vector<std::string>& test_stems);

// Loads <dir>'s training and test splits. The class count comes from the training labels; test
// labels must be below it; both splits must have the same image size.
Dataset load_dataset(const std::string& dir);

}  // namespace mnistlr
