// The predict subcommand: parsing inside the test; end to end: mnistlr predict on real MNIST images, PNGs made from them, the hand-made test image and
// blank images, with a model trained by mnistlr train (reference recipe); and on hostile IDX files
// (a gzip bomb under a memory cap, cut streams, paths with control characters).
#include <sstream>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>
#include <stb_image_write.h>

#include "capped_run.hpp"
#include "gzip_fixtures.hpp"
#include "mnistlr/model_files/weights_io.hpp"
#include "parse_cli.hpp"
#include "test_util.hpp"
#include "trained_model.hpp"

using testutil::run_mnistlr;

namespace {

const std::string kTestImages = testutil::mnist_dir() + "/t10k-images-idx3-ubyte";

int top1(const std::string& json_text) {
    const auto j = nlohmann::json::parse(json_text);
    return j["predictions"][0]["top"][0]["class"].get<int>();
}

testutil::ParsedCommand<mnistlr::cli::PredictOptions> parse_predict(const std::vector<std::string>& args) {
    return testutil::parse_command(mnistlr::cli::setup_predict, args);
}

}  // namespace

TEST(PredictCli, parses_flags_into_options) {
    auto p = parse_predict({"predict", "w.bin", "a.png", "b.jpg", "-k", "5", "--json", "--show"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->weights, "w.bin");
    EXPECT_EQ(p.opt->images, (std::vector<std::string>{"a.png", "b.jpg"}));
    EXPECT_EQ(p.opt->idx, "");
    EXPECT_TRUE(p.opt->indices.empty());
    EXPECT_EQ(p.opt->k, 5u);
    EXPECT_TRUE(p.opt->json);
    EXPECT_TRUE(p.opt->show);
    EXPECT_TRUE(p.runner_set);

    // --index repeats and takes comma-separated lists, in the order given (repeats kept).
    p = parse_predict({"predict", "w.bin", "--idx", "t10k", "--index", "7,0", "--index", "7", "--top", "1"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->idx, "t10k");
    EXPECT_EQ(p.opt->indices, (std::vector<std::size_t>{7, 0, 7}));
    EXPECT_TRUE(p.opt->images.empty());
    EXPECT_EQ(p.opt->k, 1u);
    EXPECT_TRUE(p.runner_set);

    p = parse_predict({"predict", "w.bin", "seven.png"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->k, 3u);
    EXPECT_FALSE(p.opt->json);
    EXPECT_FALSE(p.opt->show);
}

TEST(PredictCli, usage_errors_are_one_line_naming_the_option) {
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    const std::string e = "mnistlr: error: ";
    for (const Case& c : std::vector<Case>{
             {{"predict"}, e + "WEIGHTS is required (see mnistlr predict --help)\n"},
             {{"predict", "w.bin"}, e + "give image files, or --idx FILE [--index I] (see mnistlr predict --help)\n"},
             {{"predict", "w.bin", "--index", "3"}, e + "--index requires --idx\n"},
             {{"predict", "w.bin", "a.png", "--idx", "f", "--index", "0"}, e + "IMAGES and --idx cannot be used together\n"},
             {{"predict", "w.bin", "--idx", "f", "--index", "x"}, e + "--index: 'x' is not a whole number\n"},
             {{"predict", "w.bin", "--idx", "f", "--index", "-1"}, e + "--index must be at least 0, got -1\n"},
             {{"predict", "w.bin", "--idx", "", "--index", "0"}, e + "--idx must not be empty\n"},
             {{"predict", "w.bin", ""}, e + "IMAGES must not be empty\n"},
             {{"predict", "w.bin", "a.png", "-k", "0"}, e + "--top must be at least 1, got 0\n"},
             {{"predict", "w.bin", "a.png", "-k", "1.5"}, e + "--top: '1.5' is not a whole number\n"},
             {{"predict", "w.bin", "a.png", "--top"}, e + "--top needs a value (see mnistlr predict --help)\n"},
             {{"predict", "w.bin", "a.png", "--bogus"}, e + "unknown option '--bogus' (see mnistlr predict --help)\n"},
         }) {
        const auto p = parse_predict(c.args);
        EXPECT_EQ(p.error, c.line) << c.args.back();
        EXPECT_FALSE(p.runner_set) << c.args.back();
    }
}

TEST(PredictCli, idx_index_predicts_the_label) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    for (std::size_t i : {0u, 1u, 2u, 3u}) {
        const auto r = run_mnistlr({"predict", w, "--idx", kTestImages, "--index", std::to_string(i), "--json"});
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(top1(r.out), testutil::mnist_test_label(i)) << "image " << i;
    }
}

TEST(PredictCli, png_of_the_same_image_gives_the_same_top1) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::TempDir dir;
    for (std::size_t i : {0u, 1u, 2u, 3u}) {
        const auto px = testutil::mnist_test_image(i);
        ASSERT_EQ(px.size(), 784u);
        const std::string png = dir / ("mnist" + std::to_string(i) + ".png");
        ASSERT_TRUE(stbi_write_png(png.c_str(), 28, 28, 1, px.data(), 28));
        // The same digit as a user would draw it: dark on white, 4x larger, RGB, off-centre on a wide canvas.
        std::vector<std::uint8_t> big(200 * 120 * 3, 255);
        for (int y = 0; y < 112; ++y)
            for (int x = 0; x < 112; ++x)
                for (int c = 0; c < 3; ++c)
                    big[std::size_t((y + 4) * 200 + x + 70) * 3 + std::size_t(c)] =
                        static_cast<std::uint8_t>(255 - px[std::size_t(y / 4 * 28 + x / 4)]);
        const std::string drawn = dir / ("drawn" + std::to_string(i) + ".png");
        ASSERT_TRUE(stbi_write_png(drawn.c_str(), 200, 120, 3, big.data(), 600));

        const auto by_idx = run_mnistlr({"predict", w, "--idx", kTestImages, "--index", std::to_string(i), "--json"});
        const auto by_png = run_mnistlr({"predict", w, png, "--json"});
        const auto by_drawing = run_mnistlr({"predict", w, drawn, "--json"});
        ASSERT_EQ(by_png.code, 0) << by_png.err;
        ASSERT_EQ(by_drawing.code, 0) << by_drawing.err;
        EXPECT_EQ(top1(by_png.out), top1(by_idx.out)) << "image " << i;
        EXPECT_EQ(top1(by_drawing.out), top1(by_idx.out)) << "image " << i;
    }
}

TEST(PredictCli, the_handmade_seven_is_a_seven) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const std::string seven = std::string(MNISTLR_TESTS_DIR) + "/data/seven.png";
    const auto r = run_mnistlr({"predict", w, seven, "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(top1(r.out), 7);
    const auto text = run_mnistlr({"predict", w, seven});
    EXPECT_NE(text.out.find("seven.png   7   "), std::string::npos) << text.out;
}

TEST(PredictCli, blank_images_give_a_clear_message_not_nan) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::TempDir dir;
    const std::vector<std::uint8_t> white(64 * 48, 255), black(64 * 48, 0);
    ASSERT_TRUE(stbi_write_png((dir / "white.png").c_str(), 64, 48, 1, white.data(), 64));
    ASSERT_TRUE(stbi_write_png((dir / "black.png").c_str(), 64, 48, 1, black.data(), 64));
    for (const char* name : {"white.png", "black.png"}) {
        const auto r = run_mnistlr({"predict", w, dir / name});
        EXPECT_EQ(r.code, 2);
        EXPECT_EQ(r.err, "mnistlr: error: " + dir / name + ": image has no ink (blank)\n");
        EXPECT_EQ(r.out.find("nan"), std::string::npos);
    }
}

TEST(PredictCli, top_k_is_sorted_and_all_classes_sum_to_one) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const auto r = run_mnistlr({"predict", w, "--idx", kTestImages, "--index", "5,6", "-k", "99", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["k"], 10);
    ASSERT_EQ(j["predictions"].size(), 2u);
    EXPECT_EQ(j["predictions"][1]["index"], 6);
    for (const auto& p : j["predictions"]) {
        ASSERT_EQ(p["top"].size(), 10u);
        double sum = 0.0, prev = 2.0;
        for (const auto& t : p["top"]) {
            const double v = t["probability"].get<double>();
            EXPECT_LE(v, prev);
            prev = v;
            sum += v;
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
    }
}

TEST(PredictCli, text_output_is_one_aligned_line_per_input) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const auto r = run_mnistlr({"predict", w, "--idx", kTestImages, "--index", "0", "--index", "1", "-k", "2"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string head, a, b, extra;
    std::getline(lines, head);
    std::getline(lines, a);
    std::getline(lines, b);
    EXPECT_FALSE(std::getline(lines, extra));
    EXPECT_EQ(head, "input                       top 1        top 2");
    EXPECT_EQ(a.rfind("t10k-images-idx3-ubyte[0]   7   ", 0), 0u) << a;
    EXPECT_EQ(a.size(), b.size());
    EXPECT_EQ(a.find("top"), std::string::npos);
    const auto shown = run_mnistlr({"predict", w, "--idx", kTestImages, "--index", "0", "--show"});
    EXPECT_NE(shown.out.find("@@"), std::string::npos);  // the digit drawn as text
}

TEST(PredictCli, usage_and_input_errors_exit_2) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    auto r = run_mnistlr({"predict", w});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("give image files, or --idx FILE [--index I]"), std::string::npos) << r.err;
    r = run_mnistlr({"predict", w, "--idx", kTestImages});  // every image, one line each
    EXPECT_EQ(r.code, 0) << r.err;
    r = run_mnistlr({"predict", w, "--idx", kTestImages, "--index", "10000"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + kTestImages +
                         ": --index 10000 is out of range (the file holds 10000 images: 0 to 9999)\n");
    r = run_mnistlr({"predict", w, "--idx", testutil::mnist_dir() + "/t10k-labels-idx1-ubyte", "--index", "0"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--idx takes an image file with 3 dimensions"), std::string::npos) << r.err;
    r = run_mnistlr({"predict", w, w});  // a weights file is not an image
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("cannot decode image"), std::string::npos) << r.err;
}

namespace {

// A valid weights file for 28 x 28 images and 10 classes (all weights zero: every class 10%).
std::string zero_model(const testutil::TempDir& dir) {
    const std::string path = dir / "zero.bin";
    testutil::write_file(path, mnistlr::encode_weights(mnistlr::SoftmaxModel::zeros(28, 28, 10), {}));
    return path;
}

}  // namespace

// A valid gzip bomb: 8,000,000 zero images (6.27 GB) in about 6 MB. predict reads the images it is
// asked for, so under a 1 GiB address-space cap it answers; loading the whole file could not.
TEST(PredictCli, idx_bomb_under_a_1_GiB_cap_inflates_only_up_to_the_largest_index) {
    testutil::TempDir dir;
    const std::string w = zero_model(dir);
    const std::string bomb = dir / "bomb-images-idx3-ubyte.gz";
    testutil::write_file(bomb, testutil::zero_image_bomb(400));
    auto r = testutil::run_mnistlr_capped(testutil::kOneGiB,
                                          {"predict", w, "--idx", bomb, "--index", "20001,0,5,20001", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["predictions"].size(), 4u);
    EXPECT_EQ(j["predictions"][0]["index"], 20001);
    EXPECT_EQ(j["predictions"][2]["index"], 5);
    EXPECT_NEAR(j["predictions"][1]["top"][0]["probability"].get<double>(), 0.1, 1e-6);

    // Out of range: refused from the header, before anything is inflated.
    r = testutil::run_mnistlr_capped(testutil::kOneGiB, {"predict", w, "--idx", bomb, "--index", "8000000"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + bomb +
                         ": --index 8000000 is out of range (the file holds 8000000 images: 0 to 7999999)\n");
}

TEST(PredictCli, idx_gzip_cut_before_the_requested_image_is_refused) {
    testutil::TempDir dir;
    const std::string w = zero_model(dir);
    std::vector<std::uint8_t> px(100 * 784);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 31);
    auto gz = testutil::gzip_level(testutil::make_idx({100, 28, 28}, px), 0);
    gz.resize(gz.size() / 2);  // about 50 images
    const std::string cut = dir / "cut.gz";
    testutil::write_file(cut, gz);
    auto r = run_mnistlr({"predict", w, "--idx", cut, "--index", "3"});
    EXPECT_EQ(r.code, 0) << r.err;
    r = run_mnistlr({"predict", w, "--idx", cut, "--index", "3,99"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + cut + ": truncated gzip stream (it ends before the IDX data is complete)\n");
}

TEST(PredictCli, idx_file_without_images_and_short_raw_files_are_refused) {
    testutil::TempDir dir;
    const std::string w = zero_model(dir);
    const std::string empty = dir / "empty-idx3";
    testutil::write_file(empty, testutil::make_idx({0, 28, 28}, {}));
    auto r = run_mnistlr({"predict", w, "--idx", empty, "--index", "0"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + empty + ": --index 0 is out of range (the file holds no images)\n");
    // A raw file shorter than its header says is refused even for an image it does hold.
    const std::string short_raw = dir / "short-idx3";
    auto b = testutil::make_idx({10, 28, 28}, std::vector<std::uint8_t>(10 * 784, 9));
    b.resize(b.size() - 1);
    testutil::write_file(short_raw, b);
    r = run_mnistlr({"predict", w, "--idx", short_raw, "--index", "0"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + short_raw +
                         ": truncated IDX payload (expected 7840 bytes for 10 x 28 x 28, got 7839)\n");
}

TEST(PredictCli, paths_with_control_characters_print_on_one_line) {
    testutil::TempDir dir;
    const std::string w = zero_model(dir);
    const std::string evil = dir / "a\nb\x1b[2J-idx3";
    testutil::write_file(evil, testutil::make_idx({1, 28, 28}, std::vector<std::uint8_t>(784, 200)));
    const auto r = run_mnistlr({"predict", w, "--idx", evil, "--index", "0"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;  // the header and one line
    EXPECT_NE(r.out.find("a\\nb\\x1B[2J-idx3[0]"), std::string::npos) << r.out;
    const auto j = run_mnistlr({"predict", w, "--idx", evil, "--index", "0", "--json"});
    ASSERT_EQ(j.code, 0) << j.err;
    EXPECT_EQ(nlohmann::json::parse(j.out)["predictions"][0]["file"], evil);  // JSON escapes them itself
}

TEST(PredictCli, json_output_survives_paths_that_are_not_utf8) {
    testutil::TempDir dir;
    const std::string w = zero_model(dir);
    const std::string odd = dir / "a\xff" "b-idx3";
    testutil::write_file(odd, testutil::make_idx({1, 28, 28}, std::vector<std::uint8_t>(784, 200)));
    const auto r = run_mnistlr({"predict", w, "--idx", odd, "--index", "0", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["predictions"][0]["file"], dir / "a\\xFFb-idx3");  // as json_line writes it
    const auto t = run_mnistlr({"predict", w, "--idx", odd, "--index", "0"});
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_NE(t.out.find("a\\xFFb-idx3[0]"), std::string::npos) << t.out;
}

TEST(PredictCli, every_image_of_an_idx_file_without_index_is_evals_answer) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::TempDir d;
    const std::string images = testutil::mnist_dir() + "/t10k-images-idx3-ubyte";
    const auto r = run_mnistlr({"predict", w, "--idx", images, "-o", d / "all.csv"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.out.empty());
    const std::string csv(reinterpret_cast<const char*>(testutil::read_file(d / "all.csv").data()),
                          testutil::read_file(d / "all.csv").size());
    std::istringstream lines(csv);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, "index,label,probability");
    const auto labels = testutil::read_file(testutil::mnist_dir() + "/t10k-labels-idx1-ubyte");
    std::size_t n = 0, correct = 0;
    while (std::getline(lines, line)) {
        std::size_t index = 0, label = 0;
        double p = 0;
        ASSERT_EQ(std::sscanf(line.c_str(), "%zu,%zu,%lf", &index, &label, &p), 3) << line;
        EXPECT_EQ(index, n);
        EXPECT_GT(p, 0.1);
        EXPECT_LE(p, 1.0);
        correct += labels.at(8 + index) == label ? 1u : 0u;
        ++n;
    }
    EXPECT_EQ(n, 10000u);
    const auto ev = nlohmann::json::parse(run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--json"}).out);
    EXPECT_EQ(correct, ev["correct"].get<std::size_t>());  // the same decisions as eval
    // Standard output and --probabilities: a column per class, rows summing to 1.
    const auto all = run_mnistlr({"predict", w, "--idx", images, "--probabilities"});
    ASSERT_EQ(all.code, 0) << all.err;
    EXPECT_EQ(all.out.substr(0, all.out.find('\n')), "index,label,0,1,2,3,4,5,6,7,8,9");
    EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 10001);
    // -o and --probabilities go with --idx alone.
    const auto bad = run_mnistlr({"predict", w, "--idx", images, "--index", "3", "-o", d / "x.csv"});
    EXPECT_EQ(bad.code, 2);
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
    EXPECT_FALSE(testutil::file_exists(d / "x.csv"));
}
