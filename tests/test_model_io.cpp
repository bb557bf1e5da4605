// load_model / export_npy: a model as a weights file or as the NumPy pair W.npy + b.npy.
// (Test names start with Npy so that they run with the other .npy tests.)
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/model_files/model_io.hpp"
#include "mnistlr/model_files/npy.hpp"
#include "test_util.hpp"

namespace {

mnistlr::SoftmaxModel sample_model(std::uint32_t side, std::uint32_t classes) {
    auto m = mnistlr::SoftmaxModel::zeros(side, side, classes);
    for (Eigen::Index i = 0; i < m.W.size(); ++i) m.W.data()[i] = 0.125f * float(i % 97) - 3.0f;
    for (std::uint32_t k = 0; k < classes; ++k) m.b(k) = 0.5f * float(k) - 1.0f;
    return m;
}

std::string error_of_dir(const std::string& dir) {
    try {
        mnistlr::load_model(dir);
    } catch (const mnistlr::Error& e) {
        return e.what();
    }
    return "(no error)";
}

void save(const std::string& path, const std::vector<float>& v, const std::vector<std::uint64_t>& shape) {
    mnistlr::save_npy(path, v.data(), shape);
}

}  // namespace

TEST(NpyModel, round_trip_through_the_npy_pair_equals_the_original) {
    testutil::TempDir dir;
    const auto m = sample_model(28, 10);
    const auto paths = mnistlr::export_npy(m, dir / "npy");
    EXPECT_EQ(paths.W, dir / "npy/W.npy");
    EXPECT_EQ(paths.b, dir / "npy/b.npy");
    const auto wf = mnistlr::load_model(dir / "npy");
    EXPECT_EQ(wf.model.rows, 28u);
    EXPECT_EQ(wf.model.cols, 28u);
    EXPECT_EQ(wf.model.W, m.W);
    EXPECT_EQ(wf.model.b, m.b);
    EXPECT_TRUE(wf.info.class_names.empty());
}

TEST(NpyModel, W_npy_rows_are_class_pictures) {
    // W.npy is (classes, pixels): row k = class k = column k of the pixels x classes matrix.
    testutil::TempDir dir;
    const auto m = sample_model(3, 4);
    mnistlr::export_npy(m, dir.path());
    const auto W = mnistlr::load_npy(dir / "W.npy");
    ASSERT_EQ(W.shape, (std::vector<std::uint64_t>{4, 9}));
    for (std::uint32_t k = 0; k < 4; ++k)
        for (Eigen::Index p = 0; p < 9; ++p) EXPECT_EQ(W.data[k * 9 + std::size_t(p)], m.W(p, k));
    EXPECT_EQ(mnistlr::load_npy(dir / "b.npy").shape, (std::vector<std::uint64_t>{4}));
}

TEST(NpyModel, load_model_reads_weights_files_too) {
    testutil::TempDir dir;
    mnistlr::ModelInfo info;
    info.class_names = {"a", "b", "c"};
    mnistlr::save_weights(dir / "w.bin", sample_model(5, 3), info);
    const auto wf = mnistlr::load_model(dir / "w.bin");
    EXPECT_EQ(wf.model.W, sample_model(5, 3).W);
    EXPECT_EQ(wf.info.class_names, info.class_names);
}

TEST(NpyModel, export_creates_missing_directories_and_leaves_no_temp_files) {
    testutil::TempDir dir;
    mnistlr::export_npy(sample_model(2, 2), dir / "a/b/c");
    EXPECT_EQ(testutil::list_dir(dir / "a/b/c"), (std::vector<std::string>{"W.npy", "b.npy", "model.json"}));
    testutil::write_file(dir / "file", {1});
    try {
        mnistlr::export_npy(sample_model(2, 2), dir / "file");
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), dir / "file" + ": exists and is not a directory");
    }
}

TEST(NpyModel, rejects_a_missing_half_of_the_pair) {
    testutil::TempDir dir;
    EXPECT_EQ(error_of_dir(dir.path()), dir.path() + ": no W.npy in this directory (a model directory holds W.npy "
                                                     "and b.npy, as mnistlr export --npy DIR writes them)");
    save(dir / "W.npy", std::vector<float>(8), {2, 4});
    EXPECT_NE(error_of_dir(dir.path()).find(": no b.npy in this directory"), std::string::npos);
}

TEST(NpyModel, rejects_shapes_that_do_not_make_a_model) {
    testutil::TempDir dir;
    save(dir / "b.npy", std::vector<float>(10), {10});
    save(dir / "W.npy", std::vector<float>(7840), {784, 10});
    EXPECT_EQ(error_of_dir(dir.path()),
              dir / "W.npy" + ": shape (784, 10) looks transposed: b.npy has 10 classes, so W.npy must be "
                              "(classes, pixels) = (10, 784); save W.T");
    save(dir / "W.npy", std::vector<float>(7840), {7840});
    EXPECT_EQ(error_of_dir(dir.path()),
              dir / "W.npy" + ": shape (7840,) is not a matrix (expected (classes, pixels) = (10, rows*cols))");
    save(dir / "W.npy", std::vector<float>(9 * 784), {9, 784});
    EXPECT_EQ(error_of_dir(dir.path()), dir / "W.npy" + ": shape (9, 784) has 9 rows but b.npy has 10 classes");
    save(dir / "W.npy", std::vector<float>(10 * 780), {10, 780});
    EXPECT_EQ(error_of_dir(dir.path()),
              dir / "W.npy" + ": 780 pixels per class is not a square image of 1 x 1 to 4096 x 4096 (a .npy model "
                              "holds square images, e.g. 784 = 28 x 28)");
    save(dir / "b.npy", std::vector<float>(4), {2, 2});
    EXPECT_EQ(error_of_dir(dir.path()), dir / "b.npy" + ": shape (2, 2) is not a vector (expected (classes,))");
    save(dir / "b.npy", std::vector<float>(1), {1});
    EXPECT_EQ(error_of_dir(dir.path()), dir / "b.npy" + ": class count 1 is out of range (2 to 65535)");
}

TEST(NpyModel, rejects_non_finite_values) {
    testutil::TempDir dir;
    std::vector<float> W(2 * 4, 0.0f);
    W[5] = std::numeric_limits<float>::quiet_NaN();
    save(dir / "W.npy", W, {2, 4});
    save(dir / "b.npy", {0.0f, 1.0f}, {2});
    EXPECT_EQ(error_of_dir(dir.path()), dir / "W.npy" + ": holds non-finite values (NaN or infinity)");
    save(dir / "W.npy", std::vector<float>(8), {2, 4});
    save(dir / "b.npy", {0.0f, std::numeric_limits<float>::infinity()}, {2});
    EXPECT_EQ(error_of_dir(dir.path()), dir / "b.npy" + ": holds non-finite values (NaN or infinity)");
    save(dir / "b.npy", {0.0f, 1.0f}, {2});
    EXPECT_EQ(mnistlr::load_model(dir.path()).model.rows, 2u);
}

TEST(NpyModel, a_single_npy_file_is_not_a_model) {
    testutil::TempDir dir;
    mnistlr::export_npy(sample_model(2, 2), dir.path());
    EXPECT_EQ(error_of_dir(dir / "W.npy"),
              dir / "W.npy" + ": a single .npy file is not a model; pass the directory that holds W.npy and b.npy");
    EXPECT_EQ(error_of_dir(dir / "missing.bin"), dir / "missing.bin" + ": No such file or directory");
}
