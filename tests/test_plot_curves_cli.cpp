// The plot-curves subcommand: parsing inside the test, and the real binary end to end on curves
// that train records on real MNIST; refused input exits 2 with one line and writes nothing.
#include <algorithm>
#include <cstdint>
#include <string>


#include <gtest/gtest.h>

#include "cli/commands.hpp"
#include "mnistlr/pictures/plot.hpp"
#include "decoded_png.hpp"
#include "test_util.hpp"

using testutil::run_mnistlr;
using testutil::TempDir;

namespace {

using Decoded = testutil::DecodedPng;
using testutil::decode_png_file;

void write_text(const std::string& path, const std::string& text) {
    testutil::write_file(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

// Exit 2, exactly one line on stderr starting with `prefix`, nothing on stdout, the directory unchanged.
void expect_clean_failure(const testutil::RunResult& r, const std::string& prefix, const std::string& dir,
                          const std::vector<std::string>& dir_before) {
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(testutil::list_dir(dir), dir_before);
}

const std::string kHead = "step,batch_loss,batch_accuracy,test_loss,test_accuracy\n";

}  // namespace

TEST(PlotCurvesCli, parses_arguments_into_options) {
    CLI::App app;
    mnistlr::cli::Runner runner;
    const auto opt = mnistlr::cli::setup_plot_curves(app, runner);
    // CLI11 takes the arguments reversed.
    app.parse(std::vector<std::string>{"20", "--smooth", "Run 7", "--title", "2", "--scale", "400", "--height",
                                       "900", "--width", "o.png", "c.csv", "plot-curves"});
    EXPECT_EQ(opt->csv, "c.csv");
    EXPECT_EQ(opt->output, "o.png");
    EXPECT_EQ(opt->width, 900);
    EXPECT_EQ(opt->height, 400);
    EXPECT_EQ(opt->scale, 2);
    EXPECT_EQ(opt->title, "Run 7");
    EXPECT_TRUE(opt->title_set);
    EXPECT_EQ(opt->smooth, 20u);
    EXPECT_TRUE(runner);

    CLI::App app2;
    const auto defaults = mnistlr::cli::setup_plot_curves(app2, runner);
    app2.parse(std::vector<std::string>{"o.png", "c.csv", "plot-curves"});
    EXPECT_EQ(defaults->width, 1200);
    EXPECT_EQ(defaults->height, 520);
    EXPECT_EQ(defaults->scale, 1);
    EXPECT_FALSE(defaults->title_set);
    EXPECT_EQ(defaults->smooth, 0u);

    for (std::vector<std::string> bad :
         {std::vector<std::string>{"100", "--width", "o.png", "c.csv", "plot-curves"},
          std::vector<std::string>{"5", "--scale", "o.png", "c.csv", "plot-curves"},
          std::vector<std::string>{"-1", "--smooth", "o.png", "c.csv", "plot-curves"},
          std::vector<std::string>{"c.csv", "plot-curves"}}) {
        CLI::App a;
        mnistlr::cli::setup_plot_curves(a, runner);
        const std::string first = bad[0];
        EXPECT_THROW(a.parse(bad), CLI::ParseError) << first;
    }
}

TEST(PlotCurvesCli, draws_the_curves_train_records_on_real_mnist) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    auto r = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--steps", "200", "--eval-every", "10", "--log",
                          d / "c.csv", "-q", "-o", d / "w.bin"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto csv = testutil::read_file(d / "c.csv");
    const auto rows = static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) - 1;
    ASSERT_GE(rows, 20u);

    r = run_mnistlr({"plot-curves", d / "c.csv", d / "c.png"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "curves (" + std::to_string(rows) + " rows) -> " + d / "c.png" + " (1200 x 520)\n");
    EXPECT_TRUE(r.err.empty()) << r.err;
    const Decoded img = decode_png_file(d / "c.png");
    ASSERT_FALSE(img.rgb.empty()) << "the PNG does not decode";
    EXPECT_EQ(img.w, 1200);
    EXPECT_EQ(img.h, 520);
    EXPECT_GT(img.count(mnistlr::kTestColour), 500);       // the test-set curves and their legend entry
    EXPECT_GT(img.count(mnistlr::kMinibatchColour), 100);  // the minibatch curves
    EXPECT_EQ(img.count(mnistlr::kTrainColour), 0);        // no train columns: no train series

    // Options: size and scale, a title, smoothing.
    r = run_mnistlr({"plot-curves", d / "c.csv", d / "s.png", "--width", "600", "--height", "320", "--scale", "2",
                     "--title", "200 steps", "--smooth", "5"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "curves (" + std::to_string(rows) + " rows) -> " + d / "s.png" + " (1200 x 640)\n");
    const Decoded s = decode_png_file(d / "s.png");
    EXPECT_EQ(s.w, 1200);
    EXPECT_EQ(s.h, 640);
    EXPECT_GT(s.count(mnistlr::kMinibatchAverageColour), 100);
    EXPECT_EQ(testutil::list_dir(d.path()), (std::vector<std::string>{"c.csv", "c.png", "s.png", "w.bin"}));
}

TEST(PlotCurvesCli, train_columns_add_the_training_set_series) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    auto r = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--steps", "60", "--eval-every", "20",
                          "--eval-train", "--log", d / "c.csv", "-q", "-o", d / "w.bin"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_mnistlr({"plot-curves", d / "c.csv", d / "c.png"});
    ASSERT_EQ(r.code, 0) << r.err;
    const Decoded img = decode_png_file(d / "c.png");
    ASSERT_EQ(img.w, 1200);
    EXPECT_GT(img.count(mnistlr::kTrainColour), 50);
}

TEST(PlotCurvesCli, bad_csv_exits_2_with_one_line_and_writes_nothing) {
    TempDir d;
    write_text(d / "bad.csv", kHead + "10,0.5,0.9,0.4,0.88\n20,0.4,0.9,nan,0.89\n");
    write_text(d / "header.csv", "epoch,loss\n1,2\n");
    write_text(d / "order.csv", kHead + "20,0.5,0.9,0.4,0.88\n10,0.4,0.9,0.3,0.89\n");
    write_text(d / "keep.png", "old");  // an existing output stays as it was
    const auto before = testutil::list_dir(d.path());

    auto r = run_mnistlr({"plot-curves", d / "bad.csv", d / "out.png"});
    expect_clean_failure(r, "mnistlr: error: " + d / "bad.csv" + ": line 3: test_loss is \"nan\", expected a finite number",
                         d.path(), before);
    r = run_mnistlr({"plot-curves", d / "header.csv", d / "out.png"});
    expect_clean_failure(r, "mnistlr: error: " + d / "header.csv" + ": line 1: header is \"epoch,loss\"", d.path(),
                         before);
    r = run_mnistlr({"plot-curves", d / "order.csv", d / "keep.png"});
    expect_clean_failure(r, "mnistlr: error: " + d / "order.csv" + ": line 3: step 10 after step 20", d.path(), before);
    EXPECT_EQ(testutil::read_file(d / "keep.png"), (std::vector<std::uint8_t>{'o', 'l', 'd'}));
    r = run_mnistlr({"plot-curves", d / "missing.csv", d / "out.png"});
    expect_clean_failure(r, "mnistlr: error: " + d / "missing.csv" + ": ", d.path(), before);
    r = run_mnistlr({"plot-curves", d.path(), d / "out.png"});
    expect_clean_failure(r, "mnistlr: error: " + d.path() + ": is a directory", d.path(), before);
    // An output directory that does not exist fails first, naming the output.
    r = run_mnistlr({"plot-curves", d / "bad.csv", d / "no/such/dir/out.png"});
    expect_clean_failure(r, "mnistlr: error: " + d / "no/such/dir/out.png" + ": cannot write", d.path(), before);
    // Out-of-range options are usage errors (exit 2), nothing written.
    r = run_mnistlr({"plot-curves", d / "bad.csv", d / "out.png", "--width", "10"});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(testutil::list_dir(d.path()), before);
}
