// The train subcommand: parsing inside the test, and the real binary end to end on real MNIST.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <sstream>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "cli/commands.hpp"
#include "mnistlr/pictures/render.hpp"
#include "mnistlr/model_files/weights_io.hpp"
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
             {"train", "--steps", "5", "--epochs", "1"}, {"frobnicate"}}) {
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
                         ": data directory does not exist; fetch MNIST with mnistlr-fetch-data (in a source tree: data/fetch.sh) or pass --data DIR\n");
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

TEST(TrainCli, min_accuracy_gate_exits_3_below_and_0_above) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const auto hi = run_mnistlr({"train", "--data", testutil::mnist_dir(), "-o", d / "w.bin", "--min-accuracy", "0.99"});
    EXPECT_EQ(hi.code, 3) << hi.err;
    EXPECT_NE(hi.err.find("is below --min-accuracy 0.9900"), std::string::npos) << hi.err;
    const auto lo = run_mnistlr({"train", "--data", testutil::mnist_dir(), "-o", d / "w.bin", "--min-accuracy", "0.5"});
    EXPECT_EQ(lo.code, 0) << lo.err;
}

TEST(TrainCli, curves_do_not_change_training_and_csv_has_one_row_per_record) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const std::vector<std::string> base = {"train", "--data", testutil::mnist_dir(), "--steps", "60", "--quiet"};
    auto plain = base;
    plain.insert(plain.end(), {"-o", d / "plain.bin"});
    ASSERT_EQ(run_mnistlr(plain).code, 0);
    auto logged = base;
    logged.insert(logged.end(), {"-o", d / "logged.bin", "--eval-every", "1", "--log", d / "curves.csv"});
    const auto r = run_mnistlr(logged);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(testutil::read_file(d / "plain.bin"), testutil::read_file(d / "logged.bin"));

    const auto bytes = testutil::read_file(d / "curves.csv");
    std::istringstream csv(std::string(bytes.begin(), bytes.end()));
    std::string line;
    std::getline(csv, line);
    EXPECT_EQ(line, "step,batch_loss,batch_accuracy,test_loss,test_accuracy");
    std::size_t rows = 0;
    double last_test_acc = 0;
    while (std::getline(csv, line)) {
        double v[5];
        char comma;
        std::istringstream ls(line);
        ls >> v[0] >> comma >> v[1] >> comma >> v[2] >> comma >> v[3] >> comma >> v[4];
        ASSERT_FALSE(ls.fail()) << line;
        EXPECT_EQ(v[0], double(rows));  // steps 0, 1, 2, ...
        if (rows == 0) {
            EXPECT_NEAR(v[3], std::log(10.0), 1e-5);  // the untrained model: ln K (6 digits in the CSV)
        }
        last_test_acc = v[4];
        ++rows;
    }
    EXPECT_EQ(rows, 60u / 1 + 1);  // step 0 + steps / N records
    EXPECT_GT(last_test_acc, 0.8);

    auto every = base;
    every.insert(every.end(), {"-o", d / "e.bin", "--eval-every", "20", "--eval-train", "--log", d / "c2.csv"});
    ASSERT_EQ(run_mnistlr(every).code, 0);
    const auto c2 = testutil::read_file(d / "c2.csv");
    EXPECT_EQ(std::count(c2.begin(), c2.end(), '\n'), 1 + 60 / 20 + 1);  // header, step 0, 3 records
    EXPECT_NE(std::string(c2.begin(), c2.end()).find(",train_loss,train_accuracy\n"), std::string::npos);
}

TEST(TrainCli, divergence_exits_4_and_writes_nothing) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const auto r = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--lr", "1000", "-o", d / "w.bin"});
    EXPECT_EQ(r.code, 4) << r.err;
    EXPECT_NE(r.err.find("training diverged at step"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--lr 100"), std::string::npos) << r.err;
    EXPECT_TRUE(testutil::list_dir(d.path()).empty());
    const auto k = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--lr", "1000", "-o", d / "w.bin",
                                "--keep-diverged"});
    EXPECT_EQ(k.code, 4);
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"w.bin"});
    for (const char* lr : {"0.5", "5"}) {
        const auto ok = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--lr", lr, "-o", d / "ok.bin"});
        EXPECT_EQ(ok.code, 0) << "lr " << lr << ": " << ok.err;
    }
}

TEST(TrainCli, fashion_reference_and_best_recipe_with_class_names) {
    ASSERT_TRUE(testutil::fashion_present());
    TempDir d;
    const auto ref = run_mnistlr({"train", "--data", testutil::fashion_dir(), "--json", "-o", d / "ref.bin"});
    ASSERT_EQ(ref.code, 0) << ref.err;
    const double ref_acc = nlohmann::json::parse(ref.out).at("test_accuracy").get<double>();
    EXPECT_GT(ref_acc, 0.70);  // the reference's lr 0.5 is unstable on Fashion: the peers get 0.73-0.80
    EXPECT_LT(ref_acc, 0.83);
    const auto best = run_mnistlr({"train", "--data", testutil::fashion_dir(), "--recipe", "best", "--json", "--quiet",
                                   "-o", d / "best.bin"});
    ASSERT_EQ(best.code, 0) << best.err;
    const auto j = nlohmann::json::parse(best.out);
    EXPECT_GE(j.at("test_accuracy").get<double>(), 0.83);
    EXPECT_EQ(j.at("settings").at("recipe"), "best");
    EXPECT_EQ(j.at("settings").at("dataset"), "fashion");  // recognised by --dataset auto
    const auto wf = mnistlr::load_weights(d / "best.bin");
    ASSERT_EQ(wf.info.class_names.size(), 10u);
    EXPECT_EQ(wf.info.class_names[1], "Trouser");
    EXPECT_EQ(wf.info.class_names[9], "Ankle boot");
    // eval finds the right data set from the weights file alone and names the classes.
    const auto ev = run_mnistlr({"eval", d / "best.bin", "--data", testutil::fashion_dir()});
    ASSERT_EQ(ev.code, 0) << ev.err;
    EXPECT_NE(ev.out.find("Ankle boot"), std::string::npos);
}

TEST(TrainCli, best_recipe_on_mnist_beats_the_reference) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const auto r = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--recipe", "best", "--lr", "0.004", "--json",
                                "--quiet", "-o", d / "w.bin"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_GE(j.at("test_accuracy").get<double>(), 0.924);
    EXPECT_FLOAT_EQ(j.at("settings").at("lr").get<float>(), 0.004f);  // an explicit flag overrides the recipe
    EXPECT_EQ(j.at("settings").at("batch").get<int>(), 128);
    EXPECT_EQ(j.at("settings").at("optimizer"), "adam");
    EXPECT_FLOAT_EQ(j.at("settings").at("smooth").get<float>(), 1e-4f);
}

TEST(TrainCli, synthetic_32x32_set_trains_plots_and_evaluates_end_to_end) {
    TempDir d;
    const std::string data = d / "set32";
    ::mkdir(data.c_str(), 0755);
    // 6 classes; class k is a bright 8 x 8 block at a position of its own on a dark 32 x 32 image.
    auto write_split = [&](const std::string& stem, std::uint32_t n) {
        std::vector<std::uint8_t> px, ys;
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint32_t k = i % 6;
            for (std::uint32_t r = 0; r < 32; ++r)
                for (std::uint32_t c = 0; c < 32; ++c)
                    px.push_back(r / 8 == k / 3 + 1 && c / 8 == k % 3 ? 220 : static_cast<std::uint8_t>((i * 7 + r + c) % 30));
            ys.push_back(static_cast<std::uint8_t>(k));
        }
        testutil::write_file(data + "/" + stem + "-images-idx3-ubyte", testutil::make_idx({n, 32, 32}, px));
        testutil::write_file(data + "/" + stem + "-labels-idx1-ubyte", testutil::make_idx({n}, ys));
    };
    write_split("train", 600);
    write_split("t10k", 120);
    const auto tr = run_mnistlr({"train", "--data", data, "--steps", "200", "--json", "-o", d / "w.bin"});
    ASSERT_EQ(tr.code, 0) << tr.err;
    const auto j = nlohmann::json::parse(tr.out);
    EXPECT_EQ(j.at("image_rows").get<int>(), 32);
    EXPECT_EQ(j.at("classes").get<int>(), 6);
    EXPECT_GE(j.at("test_accuracy").get<double>(), 0.99);
    const auto pw = run_mnistlr({"plot-weights", d / "w.bin", d / "w.png", "--scale", "4"});
    ASSERT_EQ(pw.code, 0) << pw.err;
    // 6 tiles: ceil(sqrt(6)) = 3 columns, 2 rows of 128-px tiles (render.hpp's formula).
    EXPECT_NE(pw.out.find("(" + std::to_string(3 * 128 + 4 * mnistlr::kGutter) + " x "), std::string::npos) << pw.out;
    const auto ev = run_mnistlr({"eval", d / "w.bin", "--data", data, "--json"});
    ASSERT_EQ(ev.code, 0) << ev.err;
    EXPECT_GE(nlohmann::json::parse(ev.out).at("accuracy").get<double>(), 0.99);
}

TEST(TrainCli, thread_count_changes_neither_curves_nor_weights) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    for (const char* t : {"1", "2", "3"})
        ASSERT_EQ(run_mnistlr({"train", "--data", testutil::mnist_dir(), "--steps", "40", "--quiet", "--threads", t,
                               "--eval-every", "5", "--log", d / (std::string("c") + t + ".csv"), "-o",
                               d / (std::string("w") + t + ".bin")})
                      .code,
                  0);
    for (const char* t : {"2", "3"}) {
        EXPECT_EQ(testutil::read_file(d / "c1.csv"), testutil::read_file(d / (std::string("c") + t + ".csv"))) << t;
        EXPECT_EQ(testutil::read_file(d / "w1.bin"), testutil::read_file(d / (std::string("w") + t + ".bin"))) << t;
    }
    EXPECT_EQ(run_mnistlr({"train", "--data", testutil::mnist_dir(), "--threads", "65", "-o", d / "x.bin"}).code, 2);
}
