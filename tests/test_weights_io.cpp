#include <cstring>

#include <zlib.h>

#include <gtest/gtest.h>

#include "mnistlr/data/catalog.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/model_files/weights_io.hpp"
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
    put32(b, 8, 4);
    fix_crc(b);
    EXPECT_NE(error_of(b).find("format version 4 is not supported (expected 1 or 3); re-run mnistlr train"),
              std::string::npos)
        << error_of(b);
}

TEST(WeightsIo, deskewed_model_is_version_3_and_round_trips) {
    mnistlr::ModelInfo info;
    info.settings = {{"lr", 0.5}};
    mnistlr::set_expects_deskewed(info, true);
    const auto b = mnistlr::encode_weights(sample_model(), info);
    EXPECT_EQ(b[8], 3);
    const auto wf = mnistlr::decode_weights(b.data(), b.size(), "w");
    EXPECT_TRUE(mnistlr::expects_deskewed(wf.info));
    EXPECT_TRUE(mnistlr::training_record(wf.info).deskew);
    // Without the mark: version 1, and exactly the bytes of a model that never had it.
    mnistlr::set_expects_deskewed(info, false);
    const auto raw = mnistlr::encode_weights(sample_model(), info);
    EXPECT_EQ(raw[8], 1);
    mnistlr::ModelInfo plain;
    plain.settings = {{"lr", 0.5}};
    EXPECT_EQ(raw, mnistlr::encode_weights(sample_model(), plain));
}

TEST(WeightsIo, version_1_file_of_the_previous_format_still_loads) {
    // A version-1 file as the previous mnistlr wrote it (its settings carry no "deskew" key).
    mnistlr::ModelInfo info;
    info.settings = {{"lr", 0.5}, {"steps", 1000}, {"recipe", "custom"}};
    const auto b = mnistlr::encode_weights(sample_model(), info);
    ASSERT_EQ(b[8], 1);
    const auto wf = mnistlr::decode_weights(b.data(), b.size(), "w");
    EXPECT_FALSE(mnistlr::expects_deskewed(wf.info));
    EXPECT_EQ(wf.info.settings, info.settings);
}

TEST(WeightsIo, a_deskewed_model_of_the_shear_only_deskew_is_refused_with_the_reason) {
    mnistlr::ModelInfo info;
    mnistlr::set_expects_deskewed(info, true);
    auto b = mnistlr::encode_weights(sample_model(), info);
    EXPECT_EQ(b[8], 3);
    EXPECT_TRUE(mnistlr::expects_deskewed(mnistlr::decode_weights(b.data(), b.size(), "w").info));
    put32(b, 8, 2);  // what the development builds before the centring deskew wrote
    fix_crc(b);
    EXPECT_EQ(error_of(b), "w.bin: weights format version 2 is a deskewed model of an earlier development build, whose "
                           "deskew did not centre the ink: this mnistlr would feed it other inputs than it was trained "
                           "on; re-run mnistlr train to make a new one");
}

TEST(WeightsIo, preprocessing_that_disagrees_with_the_version_is_refused) {
    mnistlr::ModelInfo info;
    mnistlr::set_expects_deskewed(info, true);
    auto v1 = mnistlr::encode_weights(sample_model(), info);  // version 3 ...
    put32(v1, 8, 1);                                           // ... relabelled 1
    fix_crc(v1);
    EXPECT_EQ(error_of(v1), "w.bin: weights format version 1 cannot record deskewed inputs; re-run mnistlr train to "
                            "make a new one");
    auto v3 = mnistlr::encode_weights(sample_model(), {});
    put32(v3, 8, 3);
    fix_crc(v3);
    EXPECT_EQ(error_of(v3), "w.bin: weights format version 3 records no preprocessing; re-run mnistlr train to make a "
                            "new one");
    mnistlr::ModelInfo odd;
    odd.settings = {{"deskew", "yes"}};
    auto s = mnistlr::encode_weights(sample_model(), odd);
    EXPECT_EQ(error_of(s), "w.bin: weights file setting \"deskew\" must be true or false; re-run mnistlr train to "
                           "make a new one");
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

namespace {

// `bytes` (a weights file) with its metadata replaced by `meta` and a correct CRC: how a hostile
// file that passes every structural check is made.
std::vector<std::uint8_t> with_meta(std::vector<std::uint8_t> bytes, const std::string& meta) {
    const std::uint32_t old_meta = std::uint32_t{bytes[24]} | (std::uint32_t{bytes[25]} << 8) |
                                   (std::uint32_t{bytes[26]} << 16) | (std::uint32_t{bytes[27]} << 24);
    bytes.resize(bytes.size() - 4 - old_meta);
    bytes.insert(bytes.end(), meta.begin(), meta.end());
    bytes.resize(bytes.size() + 4);
    put32(bytes, 24, static_cast<std::uint32_t>(meta.size()));
    fix_crc(bytes);
    return bytes;
}

std::string names_meta(const std::vector<std::string>& names) {
    return nlohmann::json({{"class_names", names}}).dump();
}

}  // namespace

TEST(WeightsIo, class_names_with_control_characters_are_refused) {
    const auto b = mnistlr::encode_weights(sample_model(), {});
    const struct {
        std::string name;
        std::string code;
    } bad[] = {
        {"\x1b[1A\raccuracy 1.0000", "0x1B"}, {"forged\rline", "0x0D"}, {"two\nlines", "0x0A"},
        {"tab\there", "0x09"},                 {"del\x7f", "0x7F"},      {"csi\xc2\x9b" "2J", "U+009B"},
    };
    for (const auto& c : bad) {
        const auto f = with_meta(b, names_meta({"a", c.name, "c", "d"}));
        EXPECT_EQ(error_of(f), "w.bin: class name 1 contains a control character (" + c.code + ")") << c.code;
    }
}

TEST(WeightsIo, class_names_longer_than_64_bytes_are_refused_quickly) {
    const auto b = mnistlr::encode_weights(sample_model(), {});
    const std::string max(mnistlr::kMaxClassNameBytes, 'x');
    const auto ok = with_meta(b, names_meta({"a", max, "Grüße", ""}));
    const auto wf = mnistlr::decode_weights(ok.data(), ok.size(), "w.bin");
    EXPECT_EQ(wf.info.class_names[1], max);
    EXPECT_EQ(mnistlr::class_name(wf.info, 3), "3");  // an empty name still means "call it by its index"
    EXPECT_EQ(error_of(with_meta(b, names_meta({"a", "b", max + "y", "d"}))),
              "w.bin: class name 2 is longer than 64 bytes (65 bytes)");
    // 1 MB in a file whose CRC and sizes are right.
    const auto huge = with_meta(b, names_meta({"a", "b", "c", std::string(1 << 20, 'W')}));
    EXPECT_EQ(error_of(huge), "w.bin: class name 3 is longer than 64 bytes (1048576 bytes)");
}

TEST(WeightsIo, invalid_utf8_class_names_are_refused) {
    const auto b = mnistlr::encode_weights(sample_model(), {});
    // nlohmann::json reads "\ud800" (a lone surrogate escape) as invalid; raw invalid bytes fail the parse.
    EXPECT_NE(error_of(with_meta(b, "{\"class_names\": [\"a\", \"\xff\", \"c\", \"d\"]}")).find("metadata is not a JSON"),
              std::string::npos);
    // Valid JSON escapes that decode to something the rules refuse.
    EXPECT_EQ(error_of(with_meta(b, "{\"class_names\": [\"a\", \"b\", \"\\u001b[2J\", \"d\"]}")),
              "w.bin: class name 2 contains a control character (0x1B)");
}

TEST(WeightsIo, writing_refuses_what_loading_would_refuse) {
    mnistlr::ModelInfo info;
    info.class_names = {"a", "b\x1b", "c", "d"};
    EXPECT_EQ(testutil::error_of([&] { mnistlr::encode_weights(sample_model(), info); }),
              "cannot write a weights file: class name 1 contains a control character (0x1B)");
    info.class_names = {"a", "b", "c", std::string(65, 'z')};
    EXPECT_EQ(testutil::error_of([&] { mnistlr::encode_weights(sample_model(), info); }),
              "cannot write a weights file: class name 3 is longer than 64 bytes (65 bytes)");
}

// Through the binary: a weights file whose class name would forge an "accuracy" line is refused by
// every subcommand that loads it, on one line, and nothing is written.
TEST(WeightsIo, forged_class_name_is_refused_by_the_binary) {
    testutil::TempDir d;
    const auto b = mnistlr::encode_weights(mnistlr::SoftmaxModel::zeros(28, 28, 10), {});
    std::vector<std::string> names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    names[7] = "7\r\naccuracy 1.0000\x1b[K";
    const std::string w = d / "forged.bin";
    testutil::write_file(w, with_meta(b, names_meta(names)));
    const std::string expected = "mnistlr: error: " + w + ": class name 7 contains a control character (0x0D)\n";
    const std::vector<std::vector<std::string>> runs = {
        {"plot-weights", w, d / "out.png"},
        {"eval", w, "--data", testutil::mnist_dir()},
        {"predict", w, "--idx", testutil::mnist_dir() + "/t10k-images-idx3-ubyte", "--index", "0"},
    };
    for (const auto& args : runs) {
        const auto r = testutil::run_mnistlr(args);
        EXPECT_EQ(r.code, 2) << args[0] << ": " << r.err;
        EXPECT_EQ(r.err, expected) << args[0];
        EXPECT_TRUE(r.out.empty()) << args[0] << ": " << r.out;
    }
    EXPECT_FALSE(testutil::file_exists(d / "out.png"));
}
