// The habits users bring from other tools (issue 16), through the real binary: `mnistlr help`,
// `mnistlr` alone, did-you-mean for subcommands and options, the data directory as an argument,
// `mnistlr info`, the recipe a plain train records, and the data-set mismatch warnings.
#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "cli/usage.hpp"
#include "mnistlr/model_files/model_summary.hpp"
#include "test_util.hpp"
#include "trained_model.hpp"

using testutil::run_mnistlr;
using testutil::RunResult;
using testutil::TempDir;

namespace {

// A usage error as the README documents it: exactly `line` on stderr, nothing on stdout, exit 2.
void expect_usage_error(const std::vector<std::string>& args, const std::string& line) {
    const RunResult r = run_mnistlr(args);
    EXPECT_EQ(r.code, 2) << args.front();
    EXPECT_EQ(r.err, "mnistlr: error: " + line + "\n");
    EXPECT_EQ(r.out, "");
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST(Habits, edit_distance_counts_a_transposition_as_one_edit) {
    EXPECT_EQ(mnistlr::cli::edit_distance("trian", "train"), 1u);
    EXPECT_EQ(mnistlr::cli::edit_distance("setps", "steps"), 1u);
    EXPECT_EQ(mnistlr::cli::edit_distance("", "abc"), 3u);
    EXPECT_EQ(mnistlr::cli::edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(mnistlr::cli::nearest_word("-lr", {"--l2", "--lr"}), "--lr");
    EXPECT_EQ(mnistlr::cli::nearest_word("xyzzy", {"train", "eval"}), "");
    EXPECT_EQ(mnistlr::cli::nearest_word("ab", {"xy"}), "");
}

TEST(Habits, help_lists_every_subcommand_one_line_each_and_mnistlr_alone_the_same_with_exit_2) {
    const RunResult help = run_mnistlr({"help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_EQ(help.err, "");
    for (const char* sub : {"train", "eval", "predict", "export", "plot-weights", "plot-curves", "explain", "info", "help"})
        EXPECT_NE(help.out.find("\n  " + std::string(sub) + " "), std::string::npos) << sub << "\n" << help.out;
    const RunResult alone = run_mnistlr({});
    EXPECT_EQ(alone.code, 2);
    EXPECT_EQ(alone.out, help.out);  // as git: the list on stdout, but not a success
    EXPECT_EQ(alone.err, "");
}

TEST(Habits, help_sub_is_the_subcommands_own_help) {
    const RunResult a = run_mnistlr({"help", "train"});
    const RunResult b = run_mnistlr({"train", "--help"});
    EXPECT_EQ(a.code, 0);
    EXPECT_EQ(a.out, b.out);
    EXPECT_NE(a.out.find("--steps"), std::string::npos);
    expect_usage_error({"help", "trian"}, "unknown subcommand 'trian'; did you mean 'train'?");
}

TEST(Habits, typos_get_the_nearest_subcommand_or_option) {
    expect_usage_error({"trian"}, "unknown subcommand 'trian'; did you mean 'train'?");
    expect_usage_error({"exlpain"}, "unknown subcommand 'exlpain'; did you mean 'explain'?");
    expect_usage_error({"train", "--setps", "100"}, "unknown option '--setps'; did you mean '--steps'?");
    expect_usage_error({"train", "-lr", "0.1"}, "unknown option '-lr'; did you mean '--lr'?");
    expect_usage_error({"train", "--ouptut=w.bin"}, "unknown option '--ouptut'; did you mean '--output'?");
    expect_usage_error({"--verison"}, "unknown option '--verison'; did you mean '--version'?");
    // Nothing near: no guess, the list or the --help hint instead.
    const RunResult far = run_mnistlr({"xyzzy"});
    EXPECT_EQ(far.code, 2);
    EXPECT_EQ(far.err.rfind("mnistlr: error: unknown subcommand 'xyzzy': the subcommands are train, ", 0), 0u) << far.err;
    EXPECT_EQ(far.err.find("did you mean"), std::string::npos);
    EXPECT_EQ(lines(far.err), 1u);
    expect_usage_error({"train", "--zzzzzzzz"}, "unknown option '--zzzzzzzz' (see mnistlr train --help)");
    // The user's text is escaped.
    expect_usage_error({"tr\x1b[2Jain"}, "unknown subcommand 'tr\\x1B[2Jain': the subcommands are train, eval, "
                                         "predict, export, plot-weights, plot-curves, explain, info or help (see "
                                         "mnistlr help)");
}

TEST(Habits, value_errors_are_one_line_in_words) {
    expect_usage_error({"train", "--lr", "-1"}, "--lr must be greater than 0, got -1");
    expect_usage_error({"train", "--lr", "abc"}, "--lr: 'abc' is not a number");
}

TEST(Habits, train_takes_the_data_directory_as_an_argument) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const RunResult a = run_mnistlr({"train", testutil::mnist_dir(), "--steps", "20", "-q", "-o", d / "a.bin"});
    const RunResult b = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--steps", "20", "-q", "-o", d / "b.bin"});
    ASSERT_EQ(a.code, 0) << a.err;
    ASSERT_EQ(b.code, 0) << b.err;
    EXPECT_EQ(testutil::read_file(d / "a.bin"), testutil::read_file(d / "b.bin"));
    expect_usage_error({"train", testutil::mnist_dir(), "--data", testutil::mnist_dir()},
                       "--data and DIR cannot be used together");
    expect_usage_error({"eval", "w.bin", d.path()},
                       "unexpected argument '" + d.path() + "': pass the directory with --data (see mnistlr eval --help)");
}

TEST(Habits, info_shows_the_record_with_floats_as_given) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const RunResult t = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--optimizer", "adam", "--lr", "0.005",
                                     "--l2", "1e-5", "--steps", "30", "-q", "-o", d / "w.bin"});
    ASSERT_EQ(t.code, 0) << t.err;
    const RunResult r = run_mnistlr({"info", d / "w.bin"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    for (const char* part : {"format version 1", "classes        10: 0, 1, 2", "28 x 28 pixels", "data set       mnist",
                             "preprocessing  none", "recipe custom", "optimizer adam", "lr 0.005", "l2 1e-05", "steps 30",
                             "test accuracy 0.", "(10000 test images)"})
        EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
    EXPECT_EQ(r.out.find("0.00499"), std::string::npos) << r.out;
    const RunResult j = run_mnistlr({"info", d / "w.bin", "--json"});
    ASSERT_EQ(j.code, 0) << j.err;
    EXPECT_EQ(lines(j.out), 1u);
    const auto js = nlohmann::json::parse(j.out);
    EXPECT_EQ(js["command"], "info");
    EXPECT_EQ(js["classes"], 10);
    EXPECT_EQ(js["format_version"], 1);
    EXPECT_EQ(js["dataset"], "mnist");
    EXPECT_EQ(js["settings"]["lr"].get<double>(), 0.005);
    EXPECT_NE(j.out.find("\"lr\":0.005,"), std::string::npos) << j.out;
    EXPECT_EQ(mnistlr::shortest_text(0.005f), "0.005");
    // A .npy directory has no record: the facts the arrays carry.
    const RunResult e = run_mnistlr({"export", d / "w.bin", "--npy", d / "npy"});
    ASSERT_EQ(e.code, 0) << e.err;
    const RunResult n = run_mnistlr({"info", d / "npy"});
    ASSERT_EQ(n.code, 0) << n.err;
    EXPECT_NE(n.out.find("(W.npy and b.npy)"), std::string::npos) << n.out;
    EXPECT_NE(n.out.find("data set       unknown"), std::string::npos) << n.out;
    expect_usage_error({"info"}, "WEIGHTS is required (see mnistlr info --help)");
}

TEST(Habits, a_plain_train_records_the_reference_recipe_and_changed_settings_custom) {
    const std::string& ref = testutil::reference_model();
    ASSERT_FALSE(ref.empty());
    const auto s = nlohmann::json::parse(run_mnistlr({"info", ref, "--json"}).out)["settings"];
    EXPECT_EQ(s["recipe"], "reference");
    TempDir d;
    ASSERT_EQ(run_mnistlr({"train", "--data", testutil::mnist_dir(), "--recipe", "reference", "--steps", "20", "-q",
                           "-o", d / "w.bin"}).code, 0);
    EXPECT_EQ(nlohmann::json::parse(run_mnistlr({"info", d / "w.bin", "--json"}).out)["settings"]["recipe"], "custom");
}

TEST(Habits, data_set_mismatches_are_a_one_line_warning) {
    ASSERT_TRUE(testutil::mnist_present());
    ASSERT_TRUE(testutil::fashion_present());
    const std::string& ref = testutil::reference_model();
    ASSERT_FALSE(ref.empty());
    const RunResult e = run_mnistlr({"eval", ref, "--data", testutil::fashion_dir(), "--json"});
    EXPECT_EQ(e.code, 0) << e.err;
    EXPECT_EQ(e.err, "mnistlr: warning: the model was trained on MNIST, but " + testutil::fashion_dir() +
                         " holds Fashion-MNIST (recognised by the checksum of its training labels)\n");
    EXPECT_TRUE(nlohmann::json::accept(e.out));  // the output is unchanged: one JSON object
    EXPECT_EQ(run_mnistlr({"eval", ref, "--data", testutil::mnist_dir(), "--json"}).err, "");
    TempDir d;
    const RunResult t = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--dataset", "fashion", "--steps", "5",
                                     "-q", "-o", d / "w.bin"});
    EXPECT_EQ(t.code, 0);
    EXPECT_EQ(t.err, "mnistlr: warning: --dataset fashion, but " + testutil::mnist_dir() +
                         " holds MNIST (recognised by the checksum of its training labels)\n");
}
