// The explain subcommand: parsing inside the test; end to end with the reference model on real
// MNIST: the printed numbers are exact (map sum + bias = logit, for every class), they are
// predict's numbers, the figure has the documented size, and refusals write nothing.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>
#include <stb_image_write.h>

#include "decoded_png.hpp"
#include "parse_cli.hpp"
#include "test_util.hpp"
#include "trained_model.hpp"

using testutil::run_mnistlr;
using testutil::TempDir;

namespace {

const std::string kTestImages = testutil::mnist_dir() + "/t10k-images-idx3-ubyte";

testutil::ParsedCommand<mnistlr::cli::ExplainOptions> parse_explain(const std::vector<std::string>& args) {
    return testutil::parse_command(mnistlr::cli::setup_explain, args);
}

}  // namespace

TEST(ExplainCli, parses_flags_into_options) {
    auto p = parse_explain({"explain", "w.bin", "a.png", "b.png", "-o", "e.png", "-k", "2", "--vs", "runner-up",
                            "--scale", "4"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->weights, "w.bin");
    EXPECT_EQ(p.opt->images, (std::vector<std::string>{"a.png", "b.png"}));
    EXPECT_EQ(p.opt->output, "e.png");
    EXPECT_EQ(p.opt->k, 2u);
    EXPECT_EQ(p.opt->vs, "runner-up");
    EXPECT_EQ(p.opt->scale, 4);
    EXPECT_FALSE(p.opt->json);
    EXPECT_TRUE(p.runner_set);

    p = parse_explain({"explain", "w.bin", "--index", "3,18", "--index", "3", "--split", "train", "--json"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->indices, (std::vector<std::size_t>{3, 18, 3}));
    EXPECT_EQ(p.opt->split, "train");
    EXPECT_EQ(p.opt->k, 3u);
    EXPECT_EQ(p.opt->scale, 8);
    EXPECT_EQ(p.opt->output, "");
    EXPECT_TRUE(p.opt->json);
    EXPECT_TRUE(p.runner_set);

    p = parse_explain({"explain", "w.bin", "--idx", "t10k", "--index", "0", "-o", "e.png"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->idx, "t10k");
    EXPECT_EQ(p.opt->split, "test");
}

TEST(ExplainCli, usage_errors_are_one_line_naming_the_option) {
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    const std::string e = "mnistlr: error: ";
    for (const Case& c : std::vector<Case>{
             {{"explain"}, e + "WEIGHTS is required (see mnistlr explain --help)\n"},
             {{"explain", "w.bin", "-o", "e.png"},
              e + "give image files, --idx FILE --index I, or --index I (images of --split) (see mnistlr explain --help)\n"},
             {{"explain", "w.bin", "a.png"}, e + "give -o FILE.png, or --json (see mnistlr explain --help)\n"},
             {{"explain", "w.bin", "--idx", "f", "-o", "e.png"}, e + "--idx requires --index\n"},
             {{"explain", "w.bin", "a.png", "--index", "0", "-o", "e.png"},
              e + "IMAGES and --index cannot be used together\n"},
             {{"explain", "w.bin", "--idx", "f", "--index", "0", "--split", "train", "-o", "e.png"},
              e + "--idx and --split cannot be used together\n"},
             {{"explain", "w.bin", "--index", "0", "--split", "val", "-o", "e.png"},
              e + "--split must be one of test, train, got 'val'\n"},
             {{"explain", "w.bin", "a.png", "-o", "e.png", "-k", "0"}, e + "--top must be at least 1, got 0\n"},
             {{"explain", "w.bin", "a.png", "-o", "e.png", "--scale", "65"}, e + "--scale must be in [1, 64], got 65\n"},
             {{"explain", "w.bin", "a.png", "-o", "e.png", "--vs", ""}, e + "--vs must not be empty\n"},
             {{"explain", "w.bin", "a.png", "-o", ""}, e + "--output must not be empty\n"},
         }) {
        const auto p = parse_explain(c.args);
        EXPECT_EQ(p.error, c.line) << c.args.back();
        EXPECT_FALSE(p.runner_set) << c.args.back();
    }
}

TEST(ExplainCli, json_numbers_are_exact_and_are_predicts) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const auto r = run_mnistlr({"explain", w, "--idx", kTestImages, "--index", "0,8", "--vs", "runner-up", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("command"), "explain");
    EXPECT_TRUE(j.at("output").is_null());
    const auto& inputs = j.at("inputs");
    ASSERT_EQ(inputs.size(), 2u);
    const auto p = nlohmann::json::parse(
        run_mnistlr({"predict", w, "--idx", kTestImages, "--index", "0,8", "-k", "10", "--json"}).out);
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& in = inputs[i];
        EXPECT_EQ(in.at("index").get<int>(), i == 0 ? 0 : 8);
        EXPECT_EQ(in.at("file").get<std::string>(), kTestImages);
        const auto& cls = in.at("classes");
        ASSERT_EQ(cls.size(), 10u);
        double total = 0.0;
        for (const auto& c : cls) {
            const double z = c.at("logit").get<double>(), s = c.at("map_sum").get<double>(), b = c.at("bias").get<double>();
            EXPECT_NEAR(s + b, z, 1e-5 * std::max(1.0, std::abs(z))) << "class " << c.at("class");
            total += c.at("probability").get<double>();
        }
        EXPECT_NEAR(total, 1.0, 1e-5);
        // The top classes are predict's, in predict's order, with predict's probabilities (bit for bit).
        const auto& top = in.at("top");
        ASSERT_EQ(top.size(), 3u);
        for (std::size_t t = 0; t < 3; ++t) {
            const auto& pt = p.at("predictions")[i].at("top")[t];
            EXPECT_EQ(top[t].get<int>(), pt.at("class").get<int>());
            EXPECT_EQ(cls[top[t].get<std::size_t>()].at("probability").get<double>(), pt.at("probability").get<double>());
        }
        // The versus map: z_top - z_runner-up = its sum + the bias difference.
        const auto& vs = in.at("versus");
        EXPECT_EQ(vs.at("class"), top[0]);
        EXPECT_EQ(vs.at("other"), top[1]);
        EXPECT_NEAR(vs.at("map_sum").get<double>() + vs.at("bias_difference").get<double>(),
                    vs.at("logit_difference").get<double>(), 1e-5 * std::max(1.0, vs.at("logit_difference").get<double>()));
        EXPECT_GT(vs.at("logit_difference").get<double>(), 0.0);
    }
}

TEST(ExplainCli, figure_and_table_for_split_images) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    TempDir d;
    const auto r = run_mnistlr({"explain", w, "--data", testutil::mnist_dir(), "--index", "0,1,2", "-k", "2", "--vs", "3",
                                "--scale", "4", "-o", d / "e.png"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto png = testutil::decode_png_file(d / "e.png");
    ASSERT_GT(png.w, 0);
    // The summary line names the size it wrote; one table row per drawn class, one per versus map.
    EXPECT_NE(r.out.find("3 inputs -> " + (d / "e.png") + " (" + std::to_string(png.w) + " x " + std::to_string(png.h) +
                         "), scale \u00b1"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 3 * 3 + 1) << r.out;
    EXPECT_NE(r.out.find("test[0]  7"), std::string::npos) << r.out;  // the first test image is a 7
    EXPECT_NE(r.out.find("7 vs 3: z difference"), std::string::npos) << r.out;
    // Five panels per row (input, two classes, versus) at 28 x 4 pixels: wider than 4 tiles.
    EXPECT_GT(png.w, 4 * 28 * 4);
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"e.png"});
}

TEST(ExplainCli, an_image_file_is_prepared_as_predict_prepares_it) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    TempDir d;
    const auto px = testutil::mnist_test_image(0);
    ASSERT_EQ(px.size(), 784u);
    const std::string png = d / "seven.png";
    ASSERT_TRUE(stbi_write_png(png.c_str(), 28, 28, 1, px.data(), 28));
    const auto e = run_mnistlr({"explain", w, png, "--json"});
    const auto p = run_mnistlr({"predict", w, png, "--json"});
    ASSERT_EQ(e.code, 0) << e.err;
    ASSERT_EQ(p.code, 0) << p.err;
    const auto ej = nlohmann::json::parse(e.out), pj = nlohmann::json::parse(p.out);
    const auto& in = ej.at("inputs")[0];
    EXPECT_EQ(in.at("input").get<std::string>(), png);
    EXPECT_FALSE(in.contains("index"));
    const int top = in.at("top")[0].get<int>();
    EXPECT_EQ(top, pj.at("predictions")[0].at("top")[0].at("class").get<int>());
    EXPECT_EQ(in.at("classes")[std::size_t(top)].at("probability").get<double>(),
              pj.at("predictions")[0].at("top")[0].at("probability").get<double>());
}

TEST(ExplainCli, refusals_exit_2_on_one_line_and_write_nothing) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    TempDir d, src;
    const auto px = testutil::mnist_test_image(0);
    const auto small = testutil::make_idx({1, 28, 28}, px);
    testutil::write_file(src / "one-image", small);
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases{
        {{"--idx", kTestImages, "--index", "10000", "-o", d / "e.png"},
         kTestImages + ": --index 10000 is out of range (the file holds 10000 images: 0 to 9999)"},
        {{"--idx", kTestImages, "--index", "0", "--vs", "cat", "-o", d / "e.png"},
         "--vs: unknown class 'cat' (expected an index 0..9, a class name or runner-up)"},
        {{d / "missing.png", "-o", d / "e.png"}, d / "missing.png: "},
        {{"--idx", kTestImages, "--index", "0", "-o", d / "no/e.png"}, d / "no/e.png: cannot write: directory"},
        {{"--idx", src / "one-image", "--index", "0", "-o", src / "one-image"}, "is also an input"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args{"explain", w};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const auto r = run_mnistlr(args);
        testutil::expect_refused_writing_nothing(r, c.message, d.path());
    }
    EXPECT_EQ(testutil::read_file(src / "one-image"), small);
    EXPECT_EQ(testutil::list_dir(src.path()), std::vector<std::string>{"one-image"});
}
