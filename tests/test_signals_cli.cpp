// The signal handling of src/cli/signals.cpp, through the real binary on a pseudo-terminal: every
// signal is sent at an observable state (the temp file exists, the progress line is drawn), never
// after "enough time".
#include <csignal>

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "mnistlr/model_files/weights_io.hpp"
#include "pty_run.hpp"
#include "test_util.hpp"

using testutil::PtyRun;
using testutil::TempDir;

namespace {

bool has_temp_file(const std::string& dir) {
    for (const auto& n : testutil::list_dir(dir))
        if (n.find(".tmp-") != std::string::npos) return true;
    return false;
}

// A synthetic 28 x 28 data set of n training images (class = i % 3), large enough to be memory-mapped.
void write_dataset(const std::string& dir, std::uint32_t n) {
    ::mkdir(dir.c_str(), 0755);
    for (const char* stem : {"train", "t10k"}) {
        const std::uint32_t count = std::string(stem) == "train" ? n : 300;
        std::vector<std::uint8_t> px(std::size_t{count} * 784), ys(count);
        for (std::uint32_t i = 0; i < count; ++i) {
            ys[i] = static_cast<std::uint8_t>(i % 3);
            for (std::uint32_t p = 0; p < 784; ++p)
                px[std::size_t{i} * 784 + p] = static_cast<std::uint8_t>(p / 262 == i % 3 ? 200 : (i + p) % 40);
        }
        testutil::write_file(dir + "/" + stem + "-images-idx3-ubyte", testutil::make_idx({count, 28, 28}, px));
        testutil::write_file(dir + "/" + stem + "-labels-idx1-ubyte", testutil::make_idx({count}, ys));
    }
}

const char* name_of(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP"; }

}  // namespace

TEST(SignalsCli, int_term_hup_during_training_exit_128_plus_signal_and_leave_nothing) {
    ASSERT_TRUE(testutil::mnist_present());
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        TempDir d;
        testutil::write_file(d / "w.bin", {1, 2, 3});  // an existing file must survive untouched
        PtyRun run({"train", "--data", testutil::mnist_dir(), "--steps", "100000000", "--eval-every", "50", "--log",
                    d / "c.csv", "-o", d / "w.bin"});
        ASSERT_TRUE(run.wait_for("step ")) << run.output();
        ::kill(run.pid(), sig);
        EXPECT_EQ(run.finish(), 128 + sig) << name_of(sig) << ": " << run.output();
        EXPECT_NE(run.output().find(std::string("interrupted by ") + name_of(sig) + " after step"), std::string::npos)
            << run.output();
        EXPECT_NE(run.output().find("nothing written"), std::string::npos) << run.output();
        EXPECT_EQ(testutil::read_file(d / "w.bin"), (std::vector<std::uint8_t>{1, 2, 3})) << name_of(sig);
        EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"w.bin"}) << name_of(sig);
    }
}

TEST(SignalsCli, save_on_interrupt_holds_for_sigint_and_sigterm) {
    ASSERT_TRUE(testutil::mnist_present());
    for (int sig : {SIGINT, SIGTERM}) {
        TempDir d;
        PtyRun run({"train", "--data", testutil::mnist_dir(), "--steps", "100000000", "-o", d / "s.bin",
                    "--save-on-interrupt"});
        ASSERT_TRUE(run.wait_for("step ")) << run.output();
        ::kill(run.pid(), sig);
        EXPECT_EQ(run.finish(), 128 + sig) << run.output();
        EXPECT_NE(run.output().find("weights so far -> "), std::string::npos) << run.output();
        const auto wf = mnistlr::load_weights(d / "s.bin");
        EXPECT_TRUE(wf.info.settings.at("interrupted").get<bool>());
        EXPECT_GT(wf.info.settings.at("steps").get<int>(), 0);
        EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"s.bin"});
    }
}

TEST(SignalsCli, a_signal_as_soon_as_the_output_is_claimed_leaves_nothing) {
    // The handler is installed before any output is claimed, so a signal the moment the temp file
    // exists (while the data loads, or just after) still removes it.
    ASSERT_TRUE(testutil::mnist_present());
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        TempDir d;
        PtyRun run({"train", "--data", testutil::mnist_dir(), "--steps", "100000000", "-o", d / "w.bin"});
        ASSERT_TRUE(testutil::eventually([&] { return has_temp_file(d.path()); }));
        ::kill(run.pid(), sig);
        EXPECT_EQ(run.finish(), 128 + sig) << run.output();
        EXPECT_NE(run.output().find(std::string("interrupted by ") + name_of(sig)), std::string::npos) << run.output();
        EXPECT_TRUE(testutil::list_dir(d.path()).empty()) << name_of(sig);
    }
}

TEST(SignalsCli, plot_weights_interrupted_leaves_the_old_picture_or_a_complete_new_one) {
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    ASSERT_EQ(testutil::run_mnistlr({"train", "--data", testutil::mnist_dir(), "--steps", "20", "-q", "-o", d / "w.bin"})
                  .code,
              0);
    testutil::write_file(d / "w.png", {7});
    for (int rep = 0; rep < 3; ++rep) {
        // --scale 64 makes a 100-megapixel picture: the signal almost always lands mid-work. Either
        // way the promise holds: no temp file, and the old file or a complete PNG.
        PtyRun run({"plot-weights", d / "w.bin", d / "w.png", "--scale", "64"});
        ASSERT_TRUE(testutil::eventually([&] { return has_temp_file(d.path()) || !run.running(); }));
        ::kill(run.pid(), SIGINT);
        const int rc = run.finish();
        EXPECT_FALSE(has_temp_file(d.path()));
        if (rc == 130) {
            EXPECT_EQ(testutil::read_file(d / "w.png"), std::vector<std::uint8_t>{7});
        } else {
            EXPECT_EQ(rc, 0) << run.output();
            EXPECT_EQ(testutil::read_file(d / "w.png")[1], 'P');
            testutil::write_file(d / "w.png", {7});
        }
    }
}

TEST(SignalsCli, an_inherited_ignored_sigint_stays_ignored) {
    // `mnistlr train &` in a script: the shell ignores SIGINT for it, and so must mnistlr. SIGINT
    // sorts before SIGTERM, so a handled SIGINT would end the run with 130; ignored, SIGTERM's 143.
    ASSERT_TRUE(testutil::mnist_present());
    TempDir d;
    PtyRun run({"-c", "trap '' INT; exec \"$0\" train --data \"$1\" --steps 100000000 -o \"$2\"", MNISTLR_BIN,
                testutil::mnist_dir(), d / "w.bin"},
               "/bin/sh");
    ASSERT_TRUE(run.wait_for("step ")) << run.output();
    ::kill(run.pid(), SIGINT);
    ::kill(run.pid(), SIGTERM);
    EXPECT_EQ(run.finish(), 143) << run.output();
    EXPECT_EQ(run.output().find("SIGINT"), std::string::npos) << run.output();
    EXPECT_TRUE(testutil::list_dir(d.path()).empty());
}

TEST(SignalsCli, an_input_truncated_under_the_mapping_is_exit_2_naming_the_file) {
    // A data set re-fetched (truncated) while a job reads it: SIGBUS becomes one error line.
    TempDir d;
    const std::string data = d / "set";
    write_dataset(data, 20000);  // 15.7 MB of images: memory-mapped
    ::mkdir((d / "out").c_str(), 0755);
    PtyRun run({"train", "--data", data, "--steps", "100000000", "-o", d / "out/w.bin"});
    ASSERT_TRUE(run.wait_for("step ")) << run.output();
    ASSERT_EQ(::truncate((data + "/train-images-idx3-ubyte").c_str(), 16), 0);
    EXPECT_EQ(run.finish(), 2) << run.output();
    EXPECT_NE(run.output().find("mnistlr: error: " + data + "/train-images-idx3-ubyte: file changed while being read"),
              std::string::npos)
        << run.output();
    EXPECT_TRUE(testutil::list_dir(d / "out").empty());
}
