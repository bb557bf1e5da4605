// The train subcommand: parsing inside the test, and the real binary end to end on real MNIST.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "cli/commands.hpp"
#include "mnistlr/weights_io.hpp"
#include "test_util.hpp"

using testutil::run_mnistlr;
using testutil::TempDir;

TEST(TrainCli, parses_flags_into_options) {
    CLI::App app;
    mnistlr::cli::Runner runner;
    const auto opt = mnistlr::cli::setup_train(app, runner);
    app.parse(std::vector<std::string>{"42", "--seed", "3", "--batch", "0.25", "--lr", "train"});  // argv reversed
    EXPECT_FLOAT_EQ(opt->lr, 0.25f);
    EXPECT_EQ(opt->batch, 3u);
    EXPECT_EQ(opt->seed, 42u);
    EXPECT_EQ(opt->steps, 1000u);
    EXPECT_EQ(opt->output, "weights.bin");
    EXPECT_TRUE(static_cast<bool>(runner));
}

TEST(TrainCli, bad_flags_exit_2_with_one_message) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"train", "--lr", "abc"}, {"train", "--bogus"}, {"train", "--steps", "0"},
             {"train", "--steps", "5", "--epochs", "1"}, {"frobnicate"}, {}}) {
        const auto r = run_mnistlr(args);
        EXPECT_EQ(r.code, 2) << args.size() << " " << r.err;
        EXPECT_FALSE(r.err.empty());
    }
}

TEST(TrainCli, missing_data_dir_exits_2_names_it_and_writes_nothing) {
    TempDir d;
    const auto r = run_mnistlr({"train", "--data", d / "nowhere", "-o", d / "w.bin"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "mnistlr: error: " + (d / "nowhere") +
                         ": data directory does not exist; fetch MNIST with data/fetch.sh or pass --data DIR\n");
    EXPECT_TRUE(testutil::list_dir(d.path()).empty());
}

TEST(TrainCli, unwritable_output_fails_before_training) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const auto r = run_mnistlr({"train", "--data", testutil::mnist_dir(), "-o", d / "missing/w.bin"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("missing/w.bin: cannot write: directory"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
}

TEST(TrainCli, reference_recipe_on_real_mnist) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const auto r = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--lr", "0.5", "--steps", "1000", "--json",
                                "-o", d / "w.bin"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const double acc = j.at("test_accuracy").get<double>();
    EXPECT_GE(acc, 0.905);
    EXPECT_LE(acc, 0.925);
    // Same batches as the NumPy peer (../shared/peers/seed_numpy.py --seed 0 prints test_acc=0.9136).
    EXPECT_NEAR(acc, 0.9136, 0.0015);
    EXPECT_EQ(j.at("output").get<std::string>(), d / "w.bin");
    const auto wf = mnistlr::load_weights(d / "w.bin");
    EXPECT_EQ(wf.model.rows, 28u);
    EXPECT_EQ(wf.model.classes(), 10u);
    EXPECT_DOUBLE_EQ(wf.info.metrics.at("test_accuracy").get<double>(), acc);
    EXPECT_EQ(wf.info.settings.at("steps").get<int>(), 1000);
}

TEST(TrainCli, human_summary_and_byte_identical_reruns) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const std::vector<std::string> base = {"train", "--data", testutil::mnist_dir(), "--steps", "200"};
    auto args = base;
    args.insert(args.end(), {"-o", d / "a.bin"});
    const auto a = run_mnistlr(args);
    ASSERT_EQ(a.code, 0) << a.err;
    EXPECT_NE(a.out.find("test accuracy 0."), std::string::npos) << a.out;
    EXPECT_NE(a.out.find("weights -> " + (d / "a.bin")), std::string::npos) << a.out;
    EXPECT_TRUE(a.err.empty()) << "no progress line when stderr is not a terminal: " << a.err;
    args = base;
    args.insert(args.end(), {"-o", d / "b.bin", "--quiet"});
    const auto b = run_mnistlr(args);
    ASSERT_EQ(b.code, 0) << b.err;
    EXPECT_TRUE(b.out.empty());
    EXPECT_EQ(testutil::read_file(d / "a.bin"), testutil::read_file(d / "b.bin"));
    args = base;
    args.insert(args.end(), {"-o", d / "c.bin", "--seed", "1"});
    ASSERT_EQ(run_mnistlr(args).code, 0);
    EXPECT_NE(testutil::read_file(d / "a.bin"), testutil::read_file(d / "c.bin"));
}
