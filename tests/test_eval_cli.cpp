// The eval subcommand: parsing inside the test, and the real binary end to end on real MNIST with a
// model trained by mnistlr train (reference recipe).
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "mnistlr/model_files/weights_io.hpp"
#include "parse_cli.hpp"
#include "test_util.hpp"
#include "trained_model.hpp"

using testutil::run_mnistlr;

namespace {

testutil::ParsedCommand<mnistlr::cli::EvalOptions> parse_eval(const std::vector<std::string>& args) {
    return testutil::parse_command(mnistlr::cli::setup_eval, args);
}

}  // namespace

TEST(EvalCli, parses_flags_into_options) {
    const auto p = parse_eval({"eval", "w.bin", "--data", "d", "--dataset", "fashion", "--transpose", "on", "--split",
                               "train", "--threads", "2", "--json", "--min-accuracy", "0.9"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->weights, "w.bin");
    EXPECT_EQ(p.opt->data, "d");
    EXPECT_EQ(p.opt->dataset, "fashion");
    EXPECT_EQ(p.opt->transpose, "on");
    EXPECT_EQ(p.opt->split, "train");
    EXPECT_EQ(p.opt->threads, 2u);
    EXPECT_TRUE(p.opt->json);
    EXPECT_DOUBLE_EQ(p.opt->min_accuracy, 0.9);
    EXPECT_TRUE(p.runner_set);
}

TEST(EvalCli, defaults_leave_data_set_and_orientation_to_the_weights_file) {
    const auto p = parse_eval({"eval", "npy-dir"});
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.opt->weights, "npy-dir");
    EXPECT_EQ(p.opt->data, "");       // found as for train
    EXPECT_EQ(p.opt->dataset, "");    // the one recorded in the weights file
    EXPECT_EQ(p.opt->transpose, "");  // as recorded
    EXPECT_EQ(p.opt->split, "test");
    EXPECT_EQ(p.opt->threads, 0u);
    EXPECT_FALSE(p.opt->json);
    EXPECT_LT(p.opt->min_accuracy, 0.0);  // no gate
    EXPECT_TRUE(p.runner_set);
    // Values in canonical form: "010" is ten, not octal eight.
    EXPECT_EQ(parse_eval({"eval", "w.bin", "--threads", "010"}).opt->threads, 10u);
    EXPECT_DOUBLE_EQ(parse_eval({"eval", "w.bin", "--min-accuracy", "1"}).opt->min_accuracy, 1.0);
    EXPECT_DOUBLE_EQ(parse_eval({"eval", "w.bin", "--min-accuracy", "0"}).opt->min_accuracy, 0.0);
}

TEST(EvalCli, usage_errors_are_one_line_naming_the_option) {
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    const std::string e = "mnistlr: error: ";
    for (const Case& c : std::vector<Case>{
             {{"eval"}, e + "WEIGHTS is required (see mnistlr eval --help)\n"},
             {{"eval", ""}, e + "WEIGHTS must not be empty\n"},
             {{"eval", "w.bin", "--split", "validation"}, e + "--split must be one of test, train, got 'validation'\n"},
             {{"eval", "w.bin", "--threads", "65"}, e + "--threads must be in [0, 64], got 65\n"},
             {{"eval", "w.bin", "--threads", "-1"}, e + "--threads must be in [0, 64], got -1\n"},
             {{"eval", "w.bin", "--threads"}, e + "--threads needs a value (see mnistlr eval --help)\n"},
             {{"eval", "w.bin", "--min-accuracy", "1.5"}, e + "--min-accuracy must be in [0, 1], got 1.5\n"},
             {{"eval", "w.bin", "--min-accuracy", "nan"}, e + "--min-accuracy must be a number, got nan\n"},
             {{"eval", "w.bin", "--transpose", "maybe"}, e + "--transpose must be one of auto, on, off, got 'maybe'\n"},
             {{"eval", "w.bin", "--dataset", "digits"},
              e + "--dataset must be one of auto, mnist, fashion, kmnist, emnist-digits, emnist-mnist, emnist-letters, "
                  "emnist-balanced, emnist-bymerge, emnist-byclass, generic, got 'digits'\n"},
             {{"eval", "w.bin", "--data", ""}, e + "--data must not be empty\n"},
             {{"eval", "w.bin", "extra"}, e + "unexpected argument 'extra' (see mnistlr eval --help)\n"},
             {{"eval", "w.bin", "--bogus"}, e + "unknown option '--bogus' (see mnistlr eval --help)\n"},
         }) {
        const auto p = parse_eval(c.args);
        EXPECT_EQ(p.error, c.line) << c.args.back();
        EXPECT_FALSE(p.runner_set) << c.args.back();
    }
}

TEST(EvalCli, confusion_matrix_sums_to_the_test_count_and_its_diagonal_gives_the_accuracy) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const auto r = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["count"], 10000);
    EXPECT_EQ(j["split"], "test");
    ASSERT_EQ(j["classes"], 10);
    std::uint64_t total = 0, diagonal = 0;
    for (std::size_t t = 0; t < 10; ++t) {
        std::uint64_t row = 0;
        for (std::size_t p = 0; p < 10; ++p) row += j["confusion"][t][p].get<std::uint64_t>();
        total += row;
        diagonal += j["confusion"][t][t].get<std::uint64_t>();
        EXPECT_EQ(j["per_class"][t]["count"].get<std::uint64_t>(), row);
        EXPECT_EQ(j["per_class"][t]["correct"].get<std::uint64_t>(), j["confusion"][t][t].get<std::uint64_t>());
    }
    EXPECT_EQ(total, 10000u);
    EXPECT_EQ(diagonal, j["correct"].get<std::uint64_t>());
    EXPECT_DOUBLE_EQ(static_cast<double>(diagonal) / static_cast<double>(total), j["accuracy"].get<double>());
    // The reference recipe lands near 0.91 on the test set.
    EXPECT_GT(j["accuracy"].get<double>(), 0.88);
    EXPECT_LT(j["accuracy"].get<double>(), 0.95);
    EXPECT_GT(j["loss"].get<double>(), 0.0);
    EXPECT_FALSE(j.contains("passed"));
}

TEST(EvalCli, min_accuracy_gate_exits_3_below_and_0_above) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const auto fail = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--min-accuracy", "0.99"});
    EXPECT_EQ(fail.code, 3);
    EXPECT_NE(fail.err.find("test accuracy 0.9"), std::string::npos) << fail.err;
    EXPECT_NE(fail.err.find("is below the threshold 0.99 (--min-accuracy)"), std::string::npos) << fail.err;
    EXPECT_NE(fail.out.find("confusion matrix"), std::string::npos);  // the report is still printed
    const auto pass = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--min-accuracy", "0.5"});
    EXPECT_EQ(pass.code, 0) << pass.err;
    EXPECT_EQ(pass.err, "");
    const auto json = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--min-accuracy", "0.99", "--json"});
    EXPECT_EQ(json.code, 3);
    const auto j = nlohmann::json::parse(json.out);
    EXPECT_EQ(j["passed"], false);
    EXPECT_EQ(j["min_accuracy"], 0.99);
}

TEST(EvalCli, text_report_is_aligned_tables) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const auto r = run_mnistlr({"eval", w, "--data", testutil::mnist_dir()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("accuracy  0.9"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(test split, 10000 images)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("class    count  correct  accuracy\n0          980"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("true \\ predicted    0     1    2    3    4    5    6    7    8    9\n0   "), std::string::npos)
        << r.out;
    // Every row of the confusion matrix has the header's width.
    const auto at = r.out.find("true \\ predicted");
    std::istringstream lines(r.out.substr(at));
    std::string header, line;
    std::getline(lines, header);
    int rows = 0;
    while (std::getline(lines, line)) {
        EXPECT_EQ(line.size(), header.size()) << line;
        ++rows;
    }
    EXPECT_EQ(rows, 10);
}

TEST(EvalCli, class_names_label_the_tables) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::TempDir dir;
    auto wf = mnistlr::load_weights(w);
    wf.info.class_names = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    testutil::write_file(dir / "named.bin", mnistlr::encode_weights(wf.model, wf.info));
    const auto r = run_mnistlr({"eval", dir / "named.bin", "--data", testutil::mnist_dir()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("\nseven     1028      942    0.9163\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("true \\ predicted  zero   one"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\neight                4     5    4     14"), std::string::npos) << r.out;
    const auto j = nlohmann::json::parse(run_mnistlr({"eval", dir / "named.bin", "--data", testutil::mnist_dir(),
                                                      "--json"}).out);
    EXPECT_EQ(j["per_class"][7]["name"], "seven");
}

TEST(EvalCli, npy_directory_gives_the_same_numbers) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    testutil::TempDir dir;
    ASSERT_EQ(run_mnistlr({"export", w, "--npy", dir / "npy"}).code, 0);
    const auto a = nlohmann::json::parse(run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--json"}).out);
    const auto b =
        nlohmann::json::parse(run_mnistlr({"eval", dir / "npy", "--data", testutil::mnist_dir(), "--json"}).out);
    EXPECT_EQ(a["confusion"], b["confusion"]);
    EXPECT_EQ(a["loss"], b["loss"]);
}

TEST(EvalCli, train_split) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const auto r = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--split", "train", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["count"], 60000);
    EXPECT_EQ(j["split"], "train");
}

TEST(EvalCli, bad_input_and_usage_exit_2) {
    testutil::TempDir dir;
    auto r = run_mnistlr({"eval", dir / "missing.bin", "--data", testutil::mnist_dir()});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + dir / "missing.bin" + ": No such file or directory\n");
    r = run_mnistlr({"eval", "w.bin", "--split", "validation"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--split"), std::string::npos) << r.err;
    r = run_mnistlr({"eval", "w.bin", "--min-accuracy", "1.5"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--min-accuracy"), std::string::npos) << r.err;
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    r = run_mnistlr({"eval", w, "--data", dir.path()});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("fetch MNIST with mnistlr-fetch-data (in a source tree: data/fetch.sh) or pass --data DIR"), std::string::npos) << r.err;
}

TEST(EvalCli, thread_count_does_not_change_the_report) {
    const std::string& w = testutil::reference_model();
    ASSERT_FALSE(w.empty());
    const auto one = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--json", "--threads", "1"});
    const auto two = run_mnistlr({"eval", w, "--data", testutil::mnist_dir(), "--json", "--threads", "2"});
    ASSERT_EQ(one.code, 0) << one.err;
    ASSERT_EQ(two.code, 0) << two.err;
    EXPECT_EQ(one.out, two.out);
}
