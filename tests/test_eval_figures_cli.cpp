// eval's pictures through the real binary: --errors (the most confident mistakes) and --confusion (the
// heatmap), parsed inside the test and run end to end with the reference model on real MNIST (and a
// Fashion-MNIST model for class names). The pictures' pixels are checked by the module tests
// (test_error_gallery, test_confusion_heatmap); here: the command writes what --json says, the listed
// mistakes are real ones in order and are predict's answers, the counts are eval's matrix, and
// refusals write nothing.
#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "decoded_png.hpp"
#include "parse_cli.hpp"
#include "test_util.hpp"
#include "trained_model.hpp"

using testutil::run_mnistlr;
using testutil::TempDir;

namespace {

testutil::ParsedCommand<mnistlr::cli::EvalOptions> parse_eval(const std::vector<std::string>& args) {
    return testutil::parse_command(mnistlr::cli::setup_eval, args);
}

const std::string kTestImages = testutil::mnist_dir() + "/t10k-images-idx3-ubyte";

}  // namespace

TEST(EvalFiguresCli, parses_the_picture_flags) {
    auto p = parse_eval({"eval", "w.bin", "--errors", "e.png", "--errors-count", "12", "--confusion", "c.png",
                         "--normalize", "pred"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->errors, "e.png");
    EXPECT_EQ(p.opt->errors_count, 12u);
    EXPECT_EQ(p.opt->confusion, "c.png");
    EXPECT_EQ(p.opt->normalize, "pred");
    EXPECT_TRUE(p.runner_set);
    p = parse_eval({"eval", "w.bin"});  // no pictures unless asked for
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->errors, "");
    EXPECT_EQ(p.opt->confusion, "");
    EXPECT_EQ(p.opt->errors_count, 36u);
    EXPECT_EQ(p.opt->normalize, "true");
    for (const char* n : {"true", "pred", "none"})
        EXPECT_EQ(parse_eval({"eval", "w.bin", "--confusion", "c.png", "--normalize", n}).opt->normalize, n);
}

TEST(EvalFiguresCli, usage_errors_are_one_line_naming_the_option) {
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    const std::string e = "mnistlr: error: ";
    for (const Case& c : std::vector<Case>{
             {{"eval", "w.bin", "--errors", ""}, e + "--errors must not be empty\n"},
             {{"eval", "w.bin", "--confusion", ""}, e + "--confusion must not be empty\n"},
             {{"eval", "w.bin", "--errors", "e.png", "--errors-count", "0"},
              e + "--errors-count must be in [1, 10000], got 0\n"},
             {{"eval", "w.bin", "--errors", "e.png", "--errors-count", "10001"},
              e + "--errors-count must be in [1, 10000], got 10001\n"},
             {{"eval", "w.bin", "--errors", "e.png", "--errors-count", "3.5"},
              e + "--errors-count: '3.5' is not a whole number\n"},
             {{"eval", "w.bin", "--confusion", "c.png", "--normalize", "rows"},
              e + "--normalize must be one of true, pred, none, got 'rows'\n"},
             {{"eval", "w.bin", "--errors-count", "5"}, e + "--errors-count requires --errors\n"},
             {{"eval", "w.bin", "--normalize", "pred"}, e + "--normalize requires --confusion\n"},
         }) {
        const auto p = parse_eval(c.args);
        EXPECT_EQ(p.error, c.line) << c.args.back();
        EXPECT_FALSE(p.runner_set) << c.args.back();
    }
}

TEST(EvalFiguresCli, mistakes_are_real_in_order_and_are_predicts_answers) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    TempDir d;
    const auto r = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--errors", d / "errors.png",
                                "--errors-count", "20", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const auto& shown = j.at("errors").at("shown");
    ASSERT_EQ(shown.size(), 20u);
    EXPECT_EQ(j["errors"]["mistakes"].get<std::uint64_t>(),
              j["count"].get<std::uint64_t>() - j["correct"].get<std::uint64_t>());
    double previous = 1.0;
    std::vector<std::uint64_t> seen;
    for (const auto& m : shown) {
        const auto index = m.at("index").get<std::uint64_t>();
        const int truth = m.at("true").get<int>(), predicted = m.at("predicted").get<int>();
        EXPECT_EQ(truth, testutil::mnist_test_label(index)) << index;  // the label in the file
        EXPECT_NE(truth, predicted) << index;                          // a real mistake
        const double p = m.at("probability").get<double>();
        EXPECT_LE(p, previous) << index;  // most confident first
        EXPECT_GT(p, 0.1);                // the wrong class won, so it has more than 1/10
        previous = p;
        seen.push_back(index);
        EXPECT_EQ(m.at("true_name"), std::to_string(truth));
        EXPECT_EQ(m.at("predicted_name"), std::to_string(predicted));
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());  // no image twice
    // The three most confident mistakes, asked of predict: the same class with the same probability.
    for (std::size_t i = 0; i < 3; ++i) {
        const auto index = shown[i]["index"].get<std::uint64_t>();
        const auto pr = run_mnistlr({"predict", w, "--idx", kTestImages, "--index", std::to_string(index), "--json"});
        ASSERT_EQ(pr.code, 0) << pr.err;
        const auto pj = nlohmann::json::parse(pr.out);
        const auto& top = pj.at("predictions").at(0).at("top").at(0);
        EXPECT_EQ(top.at("class"), shown[i]["predicted"]) << pr.out;
        EXPECT_NEAR(top.at("probability").get<double>(), shown[i]["probability"].get<double>(), 1e-6) << pr.out;
    }
    // The PNG is the size --json gives.
    const auto png = testutil::decode_png_file(d / "errors.png");
    EXPECT_EQ(png.w, j["errors"]["width"].get<int>());
    EXPECT_EQ(png.h, j["errors"]["height"].get<int>());
    EXPECT_GT(png.w, 0);
}

TEST(EvalFiguresCli, both_pictures_at_once_leave_the_report_unchanged) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    TempDir d;
    const auto plain = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--json"});
    const auto both = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--errors", d / "e.png", "--confusion",
                                   d / "c.png", "--normalize", "none", "--json"});
    ASSERT_EQ(plain.code, 0) << plain.err;
    ASSERT_EQ(both.code, 0) << both.err;
    auto a = nlohmann::json::parse(plain.out), b = nlohmann::json::parse(both.out);
    EXPECT_EQ(b.at("errors").at("shown").size(), 36u);  // the default count
    EXPECT_EQ(b.at("confusion_png").at("normalize"), "none");
    const auto png = testutil::decode_png_file(d / "c.png");
    EXPECT_EQ(png.w, b["confusion_png"]["width"].get<int>());
    EXPECT_EQ(png.h, b["confusion_png"]["height"].get<int>());
    b.erase("errors");
    b.erase("confusion_png");
    EXPECT_EQ(a, b);  // the pictures change nothing else
    EXPECT_EQ(testutil::list_dir(d.path()), (std::vector<std::string>{"c.png", "e.png"}));
    // The text report names both files.
    const auto text = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--errors", d / "e2.png",
                                   "--confusion", d / "c2.png"});
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find(d / "e2.png"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("confusion matrix (normalize true) -> " + d / "c2.png"), std::string::npos) << text.out;
}

TEST(EvalFiguresCli, fashion_titles_carry_the_class_names) {
    ASSERT_TRUE(testutil::fashion_present());
    TempDir d;
    ASSERT_EQ(run_mnistlr({"train", "--data", testutil::fashion_dir(), "-q", "-o", d / "f.bin"}).code, 0);
    const auto r = run_mnistlr({"eval", d / "f.bin", "--data", testutil::fashion_dir(), "--errors", d / "e.png",
                                "--errors-count", "5", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    ASSERT_EQ(j["errors"]["shown"].size(), 5u);
    for (const auto& m : j["errors"]["shown"]) {
        EXPECT_EQ(m["true_name"], names.at(m["true"].get<std::size_t>()));
        EXPECT_EQ(m["predicted_name"], names.at(m["predicted"].get<std::size_t>()));
    }
}

TEST(EvalFiguresCli, refusals_exit_2_on_one_line_and_write_nothing) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    TempDir d;
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases{
        {{"--errors", d / "no/e.png"}, d / "no/e.png: cannot write: directory"},
        {{"--confusion", d / "no/c.png", "--errors", d / "e.png"}, d / "no/c.png: cannot write: directory"},
        {{"--errors", d / "x.png", "--confusion", d / "x.png"}, "x.png"},
        {{"--errors", w}, "is also an input"},
        {{"--confusion", w}, "is also an input"},
    };
    const auto before = testutil::read_file(w);
    for (const auto& c : cases) {
        std::vector<std::string> args{"eval", w, "--data", testutil::mnist_dir()};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const auto r = run_mnistlr(args);
        testutil::expect_refused_writing_nothing(r, c.message, d.path());
    }
    EXPECT_EQ(testutil::read_file(w), before);  // the model was never written over
}
