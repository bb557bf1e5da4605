// What the model sees: IDX images as stored (x / 255), image files framed MNIST-style, split images
// with their labels; the messages for bad files and indices.
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include "mnistlr/error.hpp"
#include "mnistlr/learning/model_input.hpp"
#include "mnistlr/learning/preprocess.hpp"
#include "test_util.hpp"

using namespace mnistlr;
using testutil::TempDir;

namespace {

// n images of rows x cols, pixel p of image i = (7 i + p) mod 256.
std::vector<std::uint8_t> pattern(std::size_t n, std::size_t P) {
    std::vector<std::uint8_t> px(n * P);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t p = 0; p < P; ++p) px[i * P + p] = static_cast<std::uint8_t>((7 * i + p) % 256);
    return px;
}

}  // namespace

TEST(ModelInput, idx_images_are_bytes_over_255_in_the_order_asked) {
    TempDir d;
    const auto px = pattern(5, 12);
    testutil::write_file(d / "img", testutil::make_idx({5, 3, 4}, px));
    const ModelInputs in = idx_inputs(d / "img", {4, 1, 4}, 3, 4);
    ASSERT_EQ(in.items.size(), 3u);
    ASSERT_EQ(in.X.rows(), 12);
    ASSERT_EQ(in.X.cols(), 3);
    const std::size_t want[] = {4, 1, 4};
    for (Eigen::Index j = 0; j < 3; ++j)
        for (Eigen::Index p = 0; p < 12; ++p)
            EXPECT_EQ(in.X(p, j), static_cast<float>(px[want[j] * 12 + static_cast<std::size_t>(p)]) / 255.0f);
    EXPECT_EQ(in.items[0].name, "img[4]");
    EXPECT_EQ(in.items[1].index, 1);
    EXPECT_EQ(in.items[1].file, d / "img");
    EXPECT_EQ(in.items[1].label, -1);
}

TEST(ModelInput, idx_refusals_name_the_file) {
    TempDir d;
    testutil::write_file(d / "img", testutil::make_idx({5, 3, 4}, pattern(5, 12)));
    testutil::write_file(d / "labels", testutil::make_idx({5}, {0, 1, 2, 3, 4}));
    std::string msg = testutil::error_of([&] { idx_inputs(d / "img", {5}, 3, 4); });
    EXPECT_EQ(msg, d / "img" + ": --index 5 is out of range (the file holds 5 images: 0 to 4)");
    msg = testutil::error_of([&] { idx_inputs(d / "img", {0}, 4, 3); });
    EXPECT_EQ(msg, d / "img" + ": images are 3 x 4 but the model expects 4 x 3");
    msg = testutil::error_of([&] { idx_inputs(d / "labels", {0}, 3, 4); });
    EXPECT_EQ(msg.rfind(d / "labels" + ": --idx takes an image file with 3 dimensions", 0), 0u) << msg;
    msg = testutil::error_of([&] { idx_inputs(d / "missing", {0}, 3, 4); });
    EXPECT_EQ(msg.rfind(d / "missing" + ": ", 0), 0u) << msg;
}

TEST(ModelInput, image_files_are_prepared_as_preprocess_image_does) {
    TempDir d;
    // A dark bar on white, 40 x 30.
    std::vector<std::uint8_t> g(40 * 30, 255);
    for (int y = 5; y < 25; ++y)
        for (int x = 18; x < 23; ++x) g[std::size_t(y * 40 + x)] = 0;
    const std::string path = d / "bar.png";
    ASSERT_TRUE(stbi_write_png(path.c_str(), 40, 30, 1, g.data(), 40));
    const ModelInputs in = image_inputs({path}, 28, 28);
    const auto want = preprocess_image(load_image(path), 28, 28, path).v;
    ASSERT_EQ(in.X.rows(), 784);
    for (Eigen::Index p = 0; p < 784; ++p) EXPECT_EQ(in.X(p, 0), want[static_cast<std::size_t>(p)]);
    EXPECT_EQ(in.items[0].name, path);
    EXPECT_EQ(in.items[0].index, -1);

    const std::vector<std::uint8_t> blank(100, 255);
    const std::string white = d / "white.png";
    ASSERT_TRUE(stbi_write_png(white.c_str(), 10, 10, 1, blank.data(), 10));
    EXPECT_EQ(testutil::error_of([&] { image_inputs({path, white}, 28, 28); }), white + ": image has no ink (blank)");
}

TEST(ModelInput, split_images_carry_their_labels) {
    const auto px = pattern(4, 6);
    const Split s = testutil::split_of(2, 3, px, {3, 1, 0, 2}, "imgs", "labs");
    const ModelInputs in = split_inputs(s, {2, 0}, "test");
    ASSERT_EQ(in.X.cols(), 2);
    for (Eigen::Index p = 0; p < 6; ++p) {
        EXPECT_EQ(in.X(p, 0), static_cast<float>(px[12 + static_cast<std::size_t>(p)]) / 255.0f);
        EXPECT_EQ(in.X(p, 1), static_cast<float>(px[static_cast<std::size_t>(p)]) / 255.0f);
    }
    EXPECT_EQ(in.items[0].name, "test[2]");
    EXPECT_EQ(in.items[0].label, 0);
    EXPECT_EQ(in.items[1].label, 3);
    EXPECT_EQ(testutil::error_of([&] { split_inputs(s, {4}, "test"); }),
              "imgs: --index 4 is out of range (the file holds 4 images: 0 to 3)");
}
