// The plot-weights subcommand: parsing inside the test, failures, and the real binary end to end
// on weights trained on real MNIST.
#include <algorithm>
#include <cstdint>
#include <cstdlib>


#include <gtest/gtest.h>

#include "cli/commands.hpp"
#include "mnistlr/pictures/render.hpp"
#include "mnistlr/model_files/weights_io.hpp"
#include "decoded_png.hpp"
#include "test_util.hpp"

using testutil::run_mnistlr;
using testutil::TempDir;

namespace {

using Decoded = testutil::DecodedPng;
using testutil::decode_png_file;

// A small valid weights file: rows x cols x K, weight p of class k = (p - k) / 100.
void write_weights(const std::string& path, std::uint32_t rows, std::uint32_t cols, std::uint32_t K,
                   std::vector<std::string> names = {}) {
    mnistlr::SoftmaxModel m = mnistlr::SoftmaxModel::zeros(rows, cols, K);
    for (Eigen::Index k = 0; k < m.W.cols(); ++k)
        for (Eigen::Index p = 0; p < m.W.rows(); ++p) m.W(p, k) = static_cast<float>(p - k) / 100.0f;
    mnistlr::ModelInfo info;
    info.class_names = std::move(names);
    mnistlr::save_weights(path, m, info);
}

// Asserts the failure contract: exit 2, exactly one line on stderr that names `path`, nothing on
// stdout, and the output directory left as it was.
void expect_clean_failure(const testutil::RunResult& r, const std::string& path, const std::string& dir,
                          const std::vector<std::string>& dir_before) {
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(r.err.rfind("mnistlr: error: " + path + ": ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(testutil::list_dir(dir), dir_before);
}

}  // namespace

TEST(PlotWeightsCli, parses_arguments_into_options) {
    CLI::App app;
    mnistlr::cli::Runner runner;
    const auto opt = mnistlr::cli::setup_plot_weights(app, runner);
    // CLI11 takes the arguments reversed.
    app.parse(std::vector<std::string>{"--no-colorbar", "3", "--class", "99.5", "--clip", "per-class", "--range",
                                       "gray", "--cmap", "4", "--cols", "2", "--scale", "o.png", "w.bin",
                                       "plot-weights"});
    EXPECT_EQ(opt->weights, "w.bin");
    EXPECT_EQ(opt->output, "o.png");
    EXPECT_EQ(opt->scale, 2);
    EXPECT_EQ(opt->cols, 4);
    EXPECT_EQ(opt->cmap, "gray");
    EXPECT_EQ(opt->range, "per-class");
    EXPECT_DOUBLE_EQ(opt->clip, 99.5);
    EXPECT_EQ(opt->only_class, 3);
    EXPECT_TRUE(opt->no_colorbar);
    EXPECT_TRUE(static_cast<bool>(runner));

    CLI::App app2;
    const auto def = mnistlr::cli::setup_plot_weights(app2, runner);
    app2.parse(std::vector<std::string>{"o.png", "w.bin", "plot-weights"});
    EXPECT_EQ(def->scale, 8);
    EXPECT_EQ(def->cmap, "rdbu");
    EXPECT_EQ(def->range, "shared");
    EXPECT_DOUBLE_EQ(def->clip, 100.0);
    EXPECT_EQ(def->only_class, -1);
    EXPECT_FALSE(def->no_colorbar);
}

TEST(PlotWeightsCli, bad_flags_exit_2) {
    TempDir d;
    write_weights(d / "w.bin", 4, 4, 3);
    for (const auto& extra : std::vector<std::vector<std::string>>{{"--cmap", "jet"},
                                                                   {"--range", "global"},
                                                                   {"--clip", "0"},
                                                                   {"--clip", "101"},
                                                                   {"--clip", "x"},
                                                                   {"--scale", "0"},
                                                                   {"--cols", "0"},
                                                                   {"--class", "-1"}}) {
        std::vector<std::string> args = {"plot-weights", d / "w.bin", d / "o.png"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run_mnistlr(args);
        EXPECT_EQ(r.code, 2) << extra[0] << " " << extra[1];
        EXPECT_FALSE(r.err.empty());
        EXPECT_FALSE(testutil::file_exists(d / "o.png"));
    }
    EXPECT_EQ(run_mnistlr({"plot-weights", d / "w.bin"}).code, 2);  // output missing
}

TEST(PlotWeightsCli, missing_truncated_or_corrupt_weights_exit_2_and_write_nothing) {
    TempDir d;
    write_weights(d / "good.bin", 4, 4, 3);
    const auto good = testutil::read_file(d / "good.bin");
    testutil::write_file(d / "short.bin", std::vector<std::uint8_t>(good.begin(), good.begin() + 40));
    auto flipped = good;
    flipped[40] ^= 0x10;
    testutil::write_file(d / "flipped.bin", flipped);
    testutil::write_file(d / "text.bin", {'h', 'e', 'l', 'l', 'o', '\n'});
    const auto before = testutil::list_dir(d.path());
    for (const std::string name : {"missing.bin", "short.bin", "flipped.bin", "text.bin"})
        expect_clean_failure(run_mnistlr({"plot-weights", d / name, d / "o.png"}), d / name, d.path(), before);
}

TEST(PlotWeightsCli, unwritable_output_exits_2_naming_it) {
    TempDir d;
    write_weights(d / "w.bin", 4, 4, 3);
    const auto before = testutil::list_dir(d.path());
    expect_clean_failure(run_mnistlr({"plot-weights", d / "w.bin", d / "no/dir/o.png"}), d / "no/dir/o.png",
                         d.path(), before);
    expect_clean_failure(run_mnistlr({"plot-weights", d / "w.bin", d.path()}), d.path(), d.path(), before);
    // Both bad: the output is claimed first, so it is the one named.
    expect_clean_failure(run_mnistlr({"plot-weights", d / "none.bin", d / "no/o.png"}), d / "no/o.png", d.path(),
                         before);
}

TEST(PlotWeightsCli, class_out_of_range_exits_2_naming_the_weights) {
    TempDir d;
    write_weights(d / "w.bin", 4, 4, 3);
    const auto before = testutil::list_dir(d.path());
    const auto r = run_mnistlr({"plot-weights", d / "w.bin", d / "o.png", "--class", "3"});
    expect_clean_failure(r, d / "w.bin", d.path(), before);
    EXPECT_NE(r.err.find("--class 3 is out of range (expected 0..2)"), std::string::npos) << r.err;
}

TEST(PlotWeightsCli, geometry_and_grid_come_from_the_file_and_flags) {
    TempDir d;
    write_weights(d / "w.bin", 5, 9, 26, std::vector<std::string>(26, "letter"));  // 5 x 9 pictures, 26 classes
    ASSERT_EQ(run_mnistlr({"plot-weights", d / "w.bin", d / "a.png", "--scale", "2"}).code, 0);
    Decoded a = decode_png_file(d / "a.png");
    EXPECT_EQ(a.w, 6 * 18 + 7 * 12);            // ceil(sqrt(26)) = 6 columns of 9*2 px
    EXPECT_EQ(a.h, 12 + 5 * (32 + 10 + 12) + 60);  // 5 rows of 5*2 px
    ASSERT_EQ(run_mnistlr({"plot-weights", d / "w.bin", d / "b.png", "--scale", "3", "--cols", "13", "--no-colorbar",
                           "--cmap", "viridis", "--range", "per-class", "--clip", "99"})
                  .code,
              0);
    Decoded b = decode_png_file(d / "b.png");
    EXPECT_EQ(b.w, 13 * 27 + 14 * 12);
    EXPECT_EQ(b.h, 12 + 2 * (32 + 15 + 12));
    ASSERT_EQ(run_mnistlr({"plot-weights", d / "w.bin", d / "c.png", "--class", "25", "--cmap", "gray"}).code, 0);
    Decoded c = decode_png_file(d / "c.png");
    EXPECT_EQ(c.w, 72 + 24);
    EXPECT_EQ(c.h, 12 + 32 + 40 + 12 + 60);
    EXPECT_EQ(testutil::list_dir(d.path()), (std::vector<std::string>{"a.png", "b.png", "c.png", "w.bin"}));
}

TEST(PlotWeightsCli, trained_on_real_mnist_draws_a_one_as_a_vertical_blue_stroke) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    auto r = run_mnistlr({"train", "--data", testutil::mnist_dir(), "-q", "-o", d / "w.bin"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_mnistlr({"plot-weights", d / "w.bin", d / "w.png"});
    ASSERT_EQ(r.code, 0) << r.err;
    // One line: "10 classes -> <path> (1192 x 608), scale ±0.774".
    EXPECT_EQ(r.out.rfind("10 classes -> " + d / "w.png" + " (1192 x 608), scale \u00b10.", 0), 0u) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_TRUE(r.err.empty());

    const Decoded img = decode_png_file(d / "w.png");
    ASSERT_FALSE(img.rgb.empty()) << "the PNG does not decode";
    // The documented size: 5 x 2 tiles of 224 px.
    EXPECT_EQ(img.w, 5 * 224 + 6 * 12);
    EXPECT_EQ(img.h, 12 + 2 * (32 + 224 + 12) + 60);
    const mnistlr::GridLayout g = mnistlr::weight_grid_layout(28, 28, 10, mnistlr::RenderOptions{});
    ASSERT_EQ(img.w, g.width);
    ASSERT_EQ(img.h, g.height);

    // Blueness (b - r) of weight column c of tile k, summed down the tile (block centres).
    auto blueness = [&](std::size_t k, int c) {
        long sum = 0;
        for (int row = 0; row < 28; ++row) {
            const mnistlr::Rgb p = img.at(g.tile_x(k) + c * 8 + 4, g.tile_y(k) + row * 8 + 4);
            sum += long(p.b) - long(p.r);
        }
        return sum;
    };
    EXPECT_GT(blueness(1, 14), blueness(1, 0) + 28 * 20) << "class 1: centre " << blueness(1, 14) << ", left edge "
                                                         << blueness(1, 0);
    // The left edge never sees ink: its weights stay 0, drawn white.
    EXPECT_EQ(img.at(g.tile_x(1) + 4, g.tile_y(1) + 4), (mnistlr::Rgb{255, 255, 255}));
}

TEST(PlotWeightsCli, numpy_pair_draws_the_same_picture_as_the_weights_file) {
    TempDir d;
    write_weights(d / "w.bin", 6, 6, 4);  // square: a .npy pair carries no image size
    ASSERT_EQ(run_mnistlr({"export", d / "w.bin", "--npy", d / "npy"}).code, 0);
    const auto a = run_mnistlr({"plot-weights", d / "w.bin", d / "a.png"});
    const auto b = run_mnistlr({"plot-weights", d / "npy", d / "b.png"});
    ASSERT_EQ(a.code, 0) << a.err;
    ASSERT_EQ(b.code, 0) << b.err;
    EXPECT_EQ(testutil::read_file(d / "a.png"), testutil::read_file(d / "b.png"));
}

TEST(PlotWeightsCli, an_output_path_with_a_newline_or_escape_is_printed_on_one_escaped_line) {
    TempDir dir;
    write_weights(dir / "w.bin", 4, 4, 3);
    const std::string out = dir / "a\nb\x1b[2J.png";
    const auto r = run_mnistlr({"plot-weights", dir / "w.bin", out});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(testutil::file_exists(out));  // the file has the name asked for
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(dir / "a\\nb\\x1B[2J.png"), std::string::npos) << r.out;
}
