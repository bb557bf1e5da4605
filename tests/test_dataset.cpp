#include <gtest/gtest.h>

#include "mnistlr/data/dataset.hpp"
#include "mnistlr/error.hpp"
#include "gzip_fixtures.hpp"
#include "test_util.hpp"

using testutil::error_of;
using testutil::make_idx;
using testutil::TempDir;
using testutil::write_file;

namespace {

// Writes a split of n images (rows x cols) with the given labels under the given file names.
void write_split(const std::string& images, const std::string& labels, std::uint32_t n, std::uint32_t rows,
                 std::uint32_t cols, const std::vector<std::uint8_t>& ys) {
    write_file(images, make_idx({n, rows, cols}, std::vector<std::uint8_t>(std::size_t{n} * rows * cols, 9)));
    write_file(labels, make_idx({static_cast<std::uint32_t>(ys.size())}, ys));
}

}  // namespace

TEST(Dataset, loads_split_with_any_image_size) {
    TempDir d;
    write_split(d / "i", d / "l", 3, 32, 30, {0, 1, 2});
    const auto s = mnistlr::load_split(d / "i", d / "l");
    EXPECT_EQ(s.count, 3u);
    EXPECT_EQ(s.rows, 32u);
    EXPECT_EQ(s.cols, 30u);
    EXPECT_EQ(s.pixels_per_image(), 960u);
    EXPECT_EQ(s.label(2), 2);
    EXPECT_EQ(s.label_span(), 3u);
}

TEST(Dataset, rejects_count_mismatch) {
    TempDir d;
    write_split(d / "i", d / "l", 3, 2, 2, {0, 1});
    EXPECT_NE(error_of([&] { mnistlr::load_split(d / "i", d / "l"); }).find("holds 2 labels but"), std::string::npos);
}

TEST(Dataset, rejects_wrong_rank) {
    TempDir d;
    write_file(d / "i", make_idx({2, 4}, std::vector<std::uint8_t>(8)));
    write_file(d / "l", make_idx({2}, {0, 1}));
    EXPECT_NE(error_of([&] { mnistlr::load_split(d / "i", d / "l"); }).find("must have 3 dimensions"),
              std::string::npos);
    write_split(d / "i", d / "x", 2, 2, 2, {0, 1});
    write_file(d / "l", make_idx({2, 1}, {0, 1}));
    EXPECT_NE(error_of([&] { mnistlr::load_split(d / "i", d / "l"); }).find("must have 1 dimension"),
              std::string::npos);
}

TEST(Dataset, label_out_of_range_names_the_index) {
    TempDir d;
    write_split(d / "i", d / "l", 4, 2, 2, {0, 1, 7, 1});
    const auto s = mnistlr::load_split(d / "i", d / "l");
    EXPECT_EQ(error_of([&] { mnistlr::check_labels(s, 3); }),
              d / "l" + ": label 7 at index 2 is not below the class count 3");
}

TEST(Dataset, finds_standard_names_with_and_without_gz_and_dot_spelling) {
    TempDir d;
    write_split(d / "train-images-idx3-ubyte.gz", d / "train-labels.idx1-ubyte", 2, 2, 2, {0, 1});
    const auto f = mnistlr::find_split_files(d.path(), "train");
    EXPECT_EQ(f.images, d / "train-images-idx3-ubyte.gz");
    EXPECT_EQ(f.labels, d / "train-labels.idx1-ubyte");
    EXPECT_NE(error_of([&] { mnistlr::find_split_files(d.path(), "t10k"); }).find("no t10k-images-idx3-ubyte[.gz]"),
              std::string::npos);
    EXPECT_NE(error_of([&] { mnistlr::find_split_files(d / "nope", "train"); }).find("does not exist"),
              std::string::npos);
}

TEST(Dataset, class_count_from_training_labels_and_test_labels_checked) {
    TempDir d;
    write_split(d / "train-images-idx3-ubyte", d / "train-labels-idx1-ubyte", 3, 2, 2, {0, 2, 1});
    write_split(d / "t10k-images-idx3-ubyte", d / "t10k-labels-idx1-ubyte", 2, 2, 2, {1, 2});
    EXPECT_EQ(mnistlr::load_dataset(d.path()).classes, 3u);
    write_split(d / "t10k-images-idx3-ubyte", d / "t10k-labels-idx1-ubyte", 2, 2, 2, {1, 5});
    EXPECT_NE(error_of([&] { mnistlr::load_dataset(d.path()); }).find("label 5 at index 1"), std::string::npos);
    write_split(d / "t10k-images-idx3-ubyte", d / "t10k-labels-idx1-ubyte", 2, 3, 2, {1, 1});
    EXPECT_NE(error_of([&] { mnistlr::load_dataset(d.path()); }).find("but the training images are 2 x 2"),
              std::string::npos);
}

TEST(Dataset, real_mnist_shapes) {
    ASSERT_TRUE(testutil::mnist_present());
    const auto ds = mnistlr::load_dataset(testutil::mnist_dir());
    EXPECT_EQ(ds.train.count, 60000u);
    EXPECT_EQ(ds.test.count, 10000u);
    EXPECT_EQ(ds.train.rows, 28u);
    EXPECT_EQ(ds.train.cols, 28u);
    EXPECT_EQ(ds.classes, 10u);
    EXPECT_EQ(ds.train.label(0), 5);  // the famous first training digit
    EXPECT_EQ(ds.test.label(0), 7);
}

// The headers of both files are checked before either payload is read: a label count that does not
// match is reported even when the images' payload is broken (a gzip stream cut after the header,
// which only inflating would show).
TEST(Dataset, headers_are_checked_before_payloads) {
    TempDir d;
    auto gz = testutil::gzip_level(make_idx({3, 20, 20}, std::vector<std::uint8_t>(1200, 7)), 0);
    gz.resize(gz.size() / 2);
    write_file(d / "i.gz", gz);
    write_file(d / "l", make_idx({4}, {0, 1, 0, 1}));
    EXPECT_EQ(error_of([&] { mnistlr::load_split(d / "i.gz", d / "l"); }),
              d / "l" + ": holds 4 labels but " + d / "i.gz" + " holds 3 images");
    write_file(d / "l", make_idx({3}, {0, 1, 0}));
    EXPECT_EQ(error_of([&] { mnistlr::load_split(d / "i.gz", d / "l"); }),
              d / "i.gz" + ": truncated gzip stream (it ends before the IDX data is complete)");
}
