#include <cstring>

#include <zlib.h>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/weights_io.hpp"
#include "test_util.hpp"

namespace {

mnistlr::SoftmaxModel sample_model() {
    auto m = mnistlr::SoftmaxModel::zeros(3, 2, 4);
    for (Eigen::Index i = 0; i < m.W.size(); ++i) m.W.data()[i] = 0.25f * float(i) - 1.5f;
    m.b << 0.5f, -0.5f, 1e-7f, 3.0f;
    return m;
}

std::string error_of(const std::vector<std::uint8_t>& bytes) {
    try {
        mnistlr::decode_weights(bytes.data(), bytes.size(), "w.bin");
    } catch (const mnistlr::Error& e) {
        return e.what();
    }
    return "";
}

void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + std::size_t(i)] = std::uint8_t(v >> (8 * i));
}

// Recomputes the trailing CRC so that a test can reach the checks behind it.
void fix_crc(std::vector<std::uint8_t>& b) {
    put32(b, b.size() - 4, static_cast<std::uint32_t>(crc32(0, b.data(), static_cast<uInt>(b.size() - 4))));
}
}  // namespace

TEST(WeightsIo, round_trip_keeps_everything) {
    mnistlr::ModelInfo info;
    info.class_names = {"a", "b", "c", "Ankle boot"};
    info.settings = {{"lr", 0.5}, {"steps", 1000}};
    info.metrics = {{"test_accuracy", 0.9136}};
    const auto bytes = mnistlr::encode_weights(sample_model(), info);
    const auto wf = mnistlr::decode_weights(bytes.data(), bytes.size(), "w");
    EXPECT_EQ(wf.model.rows, 3u);
    EXPECT_EQ(wf.model.cols, 2u);
    EXPECT_EQ(wf.model.W, sample_model().W);
    EXPECT_EQ(wf.model.b, sample_model().b);
    EXPECT_EQ(wf.info.class_names, info.class_names);
    EXPECT_EQ(wf.info.settings, info.settings);
    EXPECT_EQ(wf.info.metrics, info.metrics);
    EXPECT_EQ(mnistlr::class_name(wf.info, 3), "Ankle boot");
    EXPECT_EQ(mnistlr::class_name(mnistlr::ModelInfo{}, 3), "3");
}

TEST(WeightsIo, header_layout_is_as_documented) {
    const auto b = mnistlr::encode_weights(sample_model(), {});
    ASSERT_GE(b.size(), 28u);
    EXPECT_EQ(std::string(b.begin(), b.begin() + 8), "MNISTLRW");
    EXPECT_EQ(b[8], 1);   // version
    EXPECT_EQ(b[12], 3);  // rows
    EXPECT_EQ(b[16], 2);  // cols
    EXPECT_EQ(b[20], 4);  // classes
    // W is class-major: the second float is W(1, 0).
    float w1;
    std::memcpy(&w1, b.data() + 32, 4);
    EXPECT_EQ(w1, sample_model().W(1, 0));
}

TEST(WeightsIo, flipped_byte_is_refused_by_crc) {
    auto b = mnistlr::encode_weights(sample_model(), {});
    b[40] ^= 0x01;
    EXPECT_EQ(error_of(b), "w.bin: corrupt weights file (CRC-32 mismatch); re-run mnistlr train to make a new one");
}

TEST(WeightsIo, truncated_file_is_refused) {
    auto b = mnistlr::encode_weights(sample_model(), {});
    b.resize(b.size() - 5);
    EXPECT_NE(error_of(b).find("truncated weights file (expected"), std::string::npos) << error_of(b);
    b.resize(10);
    EXPECT_NE(error_of(b).find("truncated weights file (10 bytes"), std::string::npos) << error_of(b);
}

TEST(WeightsIo, wrong_version_is_refused) {
    auto b = mnistlr::encode_weights(sample_model(), {});
    put32(b, 8, 2);
    fix_crc(b);
    EXPECT_NE(error_of(b).find("format version 2 is not supported (expected 1); re-run mnistlr train"),
              std::string::npos)
        << error_of(b);
}

TEST(WeightsIo, bad_magic_and_absurd_sizes_are_refused_before_allocating) {
    auto b = mnistlr::encode_weights(sample_model(), {});
    auto m = b;
    m[0] = 'X';
    EXPECT_NE(error_of(m).find("not an mnistlr weights file"), std::string::npos);
    auto k = b;
    put32(k, 20, 1000000000);
    EXPECT_NE(error_of(k).find("class count 1000000000 is out of range"), std::string::npos) << error_of(k);
    auto r = b;
    put32(r, 12, 100000);
    EXPECT_NE(error_of(r).find("image size 100000 x 2 is out of range"), std::string::npos) << error_of(r);
    auto s = b;
    put32(s, 20, 5);  // plausible, but the length no longer matches
    EXPECT_NE(error_of(s).find("expected"), std::string::npos) << error_of(s);
}

TEST(WeightsIo, non_finite_weights_and_bad_metadata_are_refused) {
    auto b = mnistlr::encode_weights(sample_model(), {});
    auto n = b;
    const std::uint32_t nan_bits = 0x7FC00000u;
    put32(n, 28, nan_bits);
    fix_crc(n);
    EXPECT_NE(error_of(n).find("non-finite"), std::string::npos) << error_of(n);
    auto j = b;
    j[b.size() - 5] = '#';  // last byte of the JSON text
    fix_crc(j);
    EXPECT_NE(error_of(j).find("metadata is not a JSON object"), std::string::npos) << error_of(j);
}

TEST(WeightsIo, save_and_load_file) {
    testutil::TempDir d;
    mnistlr::save_weights(d / "w.bin", sample_model(), {});
    EXPECT_EQ(mnistlr::load_weights(d / "w.bin").model.W, sample_model().W);
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"w.bin"});
}
