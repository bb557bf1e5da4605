#include "mnistlr/learning/model_input.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "mnistlr/data/file_io.hpp"
#include "mnistlr/data/idx.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/learning/deskew.hpp"
#include "mnistlr/learning/preprocess.hpp"

namespace mnistlr {

std::string index_out_of_range(std::size_t index, std::size_t count) {
    return "--index " + std::to_string(index) + " is out of range (" +
           (count == 0 ? std::string("the file holds no images")
                       : "the file holds " + std::to_string(count) + " images: 0 to " + std::to_string(count - 1)) +
           ")";
}

namespace {

// The IDX image file at `path`, checked to hold count x rows x cols images.
IdxFile open_image_file(const std::string& path, std::uint32_t rows, std::uint32_t cols) {
    IdxFile f = IdxFile::open(path);
    const auto& dims = f.dims();
    if (dims.size() != 3)
        throw Error(path, "--idx takes an image file with 3 dimensions (count x rows x cols), this one has " +
                              std::to_string(dims.size()));
    if (dims[1] != rows || dims[2] != cols)
        throw Error(path, "images are " + std::to_string(dims[1]) + " x " + std::to_string(dims[2]) +
                              " but the model expects " + std::to_string(rows) + " x " + std::to_string(cols));
    return f;
}

}  // namespace

ModelInputs idx_inputs(const std::string& path, const std::vector<std::size_t>& indices, std::uint32_t rows,
                       std::uint32_t cols, bool deskew) {
    IdxFile f = open_image_file(path, rows, cols);
    for (std::size_t i : indices)
        if (i >= f.count()) throw Error(path, index_out_of_range(i, f.count()));
    std::vector<std::uint8_t> pixels = f.read_items(indices);  // the requested images, in order
    const std::size_t P = std::size_t{rows} * cols;
    if (deskew) {
        std::vector<std::uint8_t> straight(pixels.size());
        deskew_images(pixels.data(), indices.size(), rows, cols, straight.data());
        pixels = std::move(straight);
    }
    ModelInputs out;
    for (std::size_t i : indices)
        out.items.push_back({base_name(path) + "[" + std::to_string(i) + "]", path, static_cast<long long>(i), -1});
    out.X.resize(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(indices.size()));
    load_columns_range(pixels.data(), P, 0, indices.size(), out.X);
    return out;
}

IdxPredictions predict_idx_file(const std::string& path, const SoftmaxModel& model, bool deskew,
                                bool all_probabilities) {
    IdxFile f = open_image_file(path, model.rows, model.cols);
    const IdxArray all = f.read_all();
    const std::size_t P = std::size_t{model.rows} * model.cols, n = f.count(), K = model.classes();
    const std::uint8_t* pixels = all.payload.data();
    std::vector<std::uint8_t> deskewed;  // the images as the model saw its training set
    if (deskew) {
        deskewed.resize(n * P);
        deskew_images(pixels, n, model.rows, model.cols, deskewed.data());
        pixels = deskewed.data();
    }
    IdxPredictions out;
    out.count = n;
    out.classes = K;
    out.predicted.resize(n);
    out.probability.resize(n);
    if (all_probabilities) out.all.resize(n * K);
    const std::size_t block = 4096;
    Matrix X(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(std::min(block, n)));
    Matrix Z(static_cast<Eigen::Index>(K), X.cols());
    for (std::size_t first = 0; first < n; first += block) {
        const std::size_t m = std::min(block, n - first);
        load_columns_range(pixels, P, first, m, X);
        compute_logits(model, X, m, Z);
        softmax(Z, m);
        for (std::size_t j = 0; j < m; ++j) {
            const std::uint32_t c = argmax_column(Z, j);
            out.predicted[first + j] = c;
            out.probability[first + j] = Z(c, static_cast<Eigen::Index>(j));
            if (all_probabilities)
                for (std::size_t k = 0; k < K; ++k)
                    out.all[(first + j) * K + k] = Z(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j));
        }
    }
    return out;
}

ModelInputs image_inputs(const std::vector<std::string>& paths, std::uint32_t rows, std::uint32_t cols,
                         bool deskew) {
    ModelInputs out;
    out.X.resize(static_cast<Eigen::Index>(std::size_t{rows} * cols), static_cast<Eigen::Index>(paths.size()));
    for (const auto& path : paths) {
        const std::vector<float> x = preprocess_image(load_image(path), rows, cols, path).v;
        float* col = out.X.col(static_cast<Eigen::Index>(out.items.size())).data();
        if (deskew) {
            deskew_image(x.data(), rows, cols, col);
        } else {
            std::copy(x.begin(), x.end(), col);
        }
        out.items.push_back({path, path, -1, -1});
    }
    return out;
}

ModelInputs split_inputs(const Split& split, const std::vector<std::size_t>& indices, const std::string& split_name,
                         bool deskew) {
    for (std::size_t i : indices)
        if (i >= split.count) throw Error(split.images_path, index_out_of_range(i, split.count));
    const std::size_t P = split.pixels_per_image();
    ModelInputs out;
    out.X.resize(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(indices.size()));
    std::vector<std::uint8_t> straight(deskew ? P : 0);
    for (std::size_t j = 0; j < indices.size(); ++j) {
        const std::size_t i = indices[j];
        out.items.push_back({split_name + "[" + std::to_string(i) + "]", split.images_path, static_cast<long long>(i),
                             split.label(i)});
        Matrix one(static_cast<Eigen::Index>(P), 1);
        if (deskew) deskew_image(split.image(i), split.rows, split.cols, straight.data());
        load_columns_range(deskew ? straight.data() : split.image(i), P, 0, 1, one);
        out.X.col(static_cast<Eigen::Index>(j)) = one.col(0);
    }
    return out;
}

}  // namespace mnistlr
