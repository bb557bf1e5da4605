// train --animate through the real binary on real MNIST: the GIF beside the weights, the weights
// unchanged by it, and the refusals (before training) and signals (nothing left) of the outputs.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "decoded_gif.hpp"
#include "decoded_png.hpp"
#include "pty_run.hpp"
#include "test_util.hpp"

using testutil::run_mnistlr;
using testutil::TempDir;

namespace {

std::vector<std::string> train_args(const std::string& out, std::vector<std::string> more) {
    std::vector<std::string> a{"train", "--data", testutil::mnist_dir(), "--steps", "50", "-o", out};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

}  // namespace

TEST(TrainAnimateCli, gif_has_the_documented_frames_and_the_weights_are_unchanged) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const auto plain = run_mnistlr(train_args(d / "plain.bin", {"-q"}));
    ASSERT_EQ(plain.code, 0) << plain.err;
    const auto r = run_mnistlr(train_args(d / "w.bin", {"--animate", d / "a.gif", "--frame-every", "20"}));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(testutil::read_file(d / "w.bin"), testutil::read_file(d / "plain.bin"));
    // Steps 0, 20, 40 and the last (50): floor(50 / 20) + 1 + 1.
    EXPECT_NE(r.out.find("animation (4 frames, "), std::string::npos) << r.out;
    const auto gif = testutil::decode_gif(testutil::read_file(d / "a.gif"));
    ASSERT_EQ(gif.count(), 4u);
    EXPECT_GE(gif.delays_ms.back(), 1500);  // the last frame is held

    // Per frame, the last frame is plot-weights' picture of the weights written (through the
    // palette: within 8 per channel) with the caption band under it.
    const auto pf = run_mnistlr(train_args(d / "w2.bin", {"--animate", d / "b.gif", "--animate-range", "per-frame", "-q"}));
    ASSERT_EQ(pf.code, 0) << pf.err;
    ASSERT_EQ(run_mnistlr({"plot-weights", d / "w2.bin", d / "p.png", "--scale", "4"}).code, 0);
    const auto png = testutil::decode_png_file(d / "p.png");
    const auto last = testutil::decode_gif(testutil::read_file(d / "b.gif"));
    ASSERT_EQ(last.w, png.w);
    ASSERT_EQ(last.h, png.h + 32);
    int worst = 0;
    for (int y = 0; y < png.h; ++y)
        for (int x = 0; x < png.w; ++x) {
            const auto a = last.at(last.count() - 1, x, y), b = png.at(x, y);
            worst = std::max({worst, std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)});
        }
    EXPECT_LE(worst, 8);
}

TEST(TrainAnimateCli, default_is_about_100_frames_and_json_names_the_file) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    const auto r = run_mnistlr({"train", "--data", testutil::mnist_dir(), "--steps", "250", "--json", "-o", d / "w.bin",
                                "--animate", d / "a.gif", "--animate-range", "per-frame", "--scale", "2"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("animation").get<std::string>(), d / "a.gif");
    // Every ceil(250 / 100) = 3 steps: 0, 3, ..., 249 (84 frames) and 250.
    EXPECT_EQ(testutil::decode_gif(testutil::read_file(d / "a.gif")).count(), 85u);
}

TEST(TrainAnimateCli, refusals_come_before_training_and_write_nothing) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    struct Case {
        std::vector<std::string> more;
        std::string message;
    };
    const std::vector<Case> cases{
        {{"--animate", d / "missing/a.gif"}, d / "missing/a.gif: cannot write: directory"},
        {{"--frame-every", "10"}, "--frame-every requires --animate"},
        {{"--animate", d / "a.gif", "--animate-range", "sometimes"}, "--animate-range"},
        {{"--animate", d / "a.gif", "--scale", "0"}, "--scale"},
        {{"--animate", d / "w.bin"}, "w.bin"},
    };
    for (const auto& c : cases) {
        const auto r = run_mnistlr(train_args(d / "w.bin", c.more));
        testutil::expect_refused_writing_nothing(r, c.message, d.path());
    }
}

TEST(TrainAnimateCli, an_interrupt_leaves_no_gif_and_no_temp_file) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    testutil::PtyRun run({"train", "--data", testutil::mnist_dir(), "--steps", "100000000", "-o", d / "w.bin",
                          "--animate", d / "a.gif"});
    ASSERT_TRUE(run.wait_for("step ")) << run.output();
    ::kill(run.pid(), SIGINT);
    EXPECT_EQ(run.finish(), 128 + SIGINT) << run.output();
    EXPECT_TRUE(testutil::list_dir(d.path()).empty());
}
