// The output promises of file_io.hpp through the real binary: an output never destroys an input,
// outputs that belong together are renamed only when all are complete, a device or FIFO is written
// in place and never replaced, and a destination that cannot be replaced is refused before the work.
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "mnistlr/model_files/model_io.hpp"
#include "mnistlr/model_files/weights_io.hpp"
#include "test_util.hpp"

using testutil::run_mnistlr;
using testutil::TempDir;

namespace {

using Bytes = std::vector<std::uint8_t>;

// A tiny 4 x 4 data set in dir (3 classes).
void write_small_set(const std::string& dir) {
    ::mkdir(dir.c_str(), 0755);
    for (const char* stem : {"train", "t10k"}) {
        const std::uint32_t n = 200;
        Bytes px(n * 16), ys(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            ys[i] = static_cast<std::uint8_t>(i % 3);
            for (std::uint32_t p = 0; p < 16; ++p) px[i * 16 + p] = static_cast<std::uint8_t>(p % 3 == i % 3 ? 200 : 10);
        }
        testutil::write_file(dir + "/" + stem + "-images-idx3-ubyte", testutil::make_idx({n, 4, 4}, px));
        testutil::write_file(dir + "/" + stem + "-labels-idx1-ubyte", testutil::make_idx({n}, ys));
    }
}

bool has_temp_file(const std::string& dir) {
    for (const auto& n : testutil::list_dir(dir))
        if (n.find(".tmp-") != std::string::npos) return true;
    return false;
}

// Exit 2, one line naming both paths, the input byte-identical and no temp file left.
void expect_refused(const testutil::RunResult& r, const std::string& out, const std::string& in,
                    const Bytes& in_before, const std::string& dir) {
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("mnistlr: error: " + out + ": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(in), std::string::npos) << r.err;
    EXPECT_EQ(testutil::read_file(in), in_before) << in;
    EXPECT_FALSE(has_temp_file(dir));
}

}  // namespace

TEST(OutputsCli, an_output_that_is_an_input_is_refused_and_the_input_survives) {
    TempDir d;
    const std::string set = d / "set";
    write_small_set(set);
    const std::string w = d / "w.bin";
    ASSERT_EQ(run_mnistlr({"train", "--data", set, "--steps", "20", "-q", "--eval-every", "5", "--log", d / "c.csv",
                           "-o", w})
                  .code,
              0);
    const Bytes w0 = testutil::read_file(w), c0 = testutil::read_file(d / "c.csv");

    expect_refused(run_mnistlr({"plot-weights", w, w}), w, w, w0, d.path());
    // The same file by another name: a hard link and a relative path.
    ASSERT_EQ(::link(w.c_str(), (d / "hard.bin").c_str()), 0);
    expect_refused(run_mnistlr({"plot-weights", w, d / "hard.bin"}), d / "hard.bin", w, w0, d.path());
    ::unlink((d / "hard.bin").c_str());
    const auto rel = run_mnistlr({"plot-weights", "w.bin", "./w.bin"}, d.path());
    EXPECT_EQ(rel.code, 2);
    EXPECT_EQ(rel.err.rfind("mnistlr: error: ./w.bin: is also an input (w.bin)", 0), 0u) << rel.err;
    EXPECT_EQ(testutil::read_file(w), w0);

    const std::string images = set + "/train-images-idx3-ubyte";
    const Bytes i0 = testutil::read_file(images);
    expect_refused(run_mnistlr({"train", "--data", set, "--steps", "5", "-o", images}), images, images, i0, set);
    expect_refused(run_mnistlr({"plot-curves", d / "c.csv", d / "c.csv"}), d / "c.csv", d / "c.csv", c0, d.path());

    testutil::write_file(d / "names.txt", {'a', '\n', 'b', '\n', 'c', '\n'});
    const Bytes n0 = testutil::read_file(d / "names.txt");
    expect_refused(run_mnistlr({"train", "--data", set, "--steps", "5", "--classes", d / "names.txt", "-o",
                                d / "names.txt"}),
                   d / "names.txt", d / "names.txt", n0, d.path());

    ASSERT_EQ(run_mnistlr({"export", w, "--npy", d / "np"}).code, 0);
    const Bytes np0 = testutil::read_file(d / "np/W.npy");
    const auto r = run_mnistlr({"export", d / "np", "--npy", d / "np"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("is also an input"), std::string::npos) << r.err;
    EXPECT_EQ(testutil::read_file(d / "np/W.npy"), np0);
    EXPECT_FALSE(has_temp_file(d / "np"));
}

TEST(OutputsCli, two_outputs_naming_one_file_are_refused) {
    TempDir d;
    write_small_set(d / "set");
    const auto r = run_mnistlr({"train", "--data", d / "set", "--steps", "5", "--eval-every", "5", "--log", "x",
                                "-o", d / "x"},
                               d.path());
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("is given twice as an output"), std::string::npos) << r.err;
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"set"});
}

TEST(OutputsCli, weights_and_curves_are_renamed_only_when_both_are_complete) {
    // The curves go to a 4 KiB tmpfs, where they do not fit: the weights file beside the data must
    // still be the user's previous one.
    ASSERT_EQ(::geteuid(), 0u) << "mounting a tmpfs needs root (CI runs as root)";
    TempDir d;
    write_small_set(d / "set");
    ::mkdir((d / "small").c_str(), 0755);
    ASSERT_EQ(::mount("tmpfs", (d / "small").c_str(), "tmpfs", 0, "size=4k"), 0) << std::strerror(errno);
    testutil::write_file(d / "w.bin", {1, 2, 3});
    const auto r = run_mnistlr({"train", "--data", d / "set", "--steps", "2000", "--eval-every", "1", "--log",
                                d / "small/c.csv", "-o", d / "w.bin"});
    const auto small = testutil::list_dir(d / "small");
    ::umount((d / "small").c_str());
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("small/c.csv: write failed: No space left on device"), std::string::npos) << r.err;
    EXPECT_EQ(testutil::read_file(d / "w.bin"), (Bytes{1, 2, 3}));
    EXPECT_TRUE(small.empty());
    EXPECT_FALSE(has_temp_file(d.path()));
}

TEST(OutputsCli, a_mixed_npy_pair_is_refused_by_the_manifest) {
    TempDir d;
    write_small_set(d / "set");
    for (const char* seed : {"1", "2"}) {
        ASSERT_EQ(run_mnistlr({"train", "--data", d / "set", "--steps", "30", "--seed", seed, "-q", "-o",
                               d / (std::string("w") + seed + ".bin")})
                      .code,
                  0);
        ASSERT_EQ(run_mnistlr({"export", d / (std::string("w") + seed + ".bin"), "--npy", d / (std::string("np") + seed)})
                      .code,
                  0);
    }
    // The manifest gives the image size, so a 4 x 4 (non-square-free) model round-trips.
    const auto m = mnistlr::load_model(d / "np1");
    EXPECT_EQ(m.model.rows, 4u);
    ASSERT_EQ(std::system(("cp " + testutil::shell_quote(d / "np2/b.npy") + " " + testutil::shell_quote(d / "np1/b.npy"))
                              .c_str()),
              0);
    const auto r = run_mnistlr({"eval", d / "np1", "--data", d / "set"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(r.err, "mnistlr: error: " + d / "np1" +
                         ": b.npy is not the one model.json records (W.npy and b.npy come from different exports?); "
                         "re-run mnistlr export\n");
    // A pair saved from NumPy, with no manifest, still loads.
    ::unlink((d / "np1/model.json").c_str());
    EXPECT_EQ(run_mnistlr({"eval", d / "np1", "--data", d / "set"}).code, 0);
}

TEST(OutputsCli, an_immutable_destination_is_refused_before_training) {
    ASSERT_EQ(::geteuid(), 0u) << "chattr needs root (CI runs as root)";
    TempDir d;
    write_small_set(d / "set");
    ASSERT_EQ(run_mnistlr({"train", "--data", d / "set", "--steps", "5", "-q", "-o", d / "w.bin"}).code, 0);
    ASSERT_EQ(run_mnistlr({"export", d / "w.bin", "--npy", d / "np"}).code, 0);
    const Bytes b0 = testutil::read_file(d / "np/b.npy"), w0 = testutil::read_file(d / "np/W.npy");
    ASSERT_EQ(std::system(("chattr +i " + testutil::shell_quote(d / "np/b.npy")).c_str()), 0);
    ASSERT_EQ(run_mnistlr({"train", "--data", d / "set", "--steps", "50", "--seed", "3", "-q", "-o", d / "w2.bin"}).code,
              0);
    const auto r = run_mnistlr({"export", d / "w2.bin", "--npy", d / "np"});
    const auto t = run_mnistlr({"train", "--data", d / "set", "--steps", "100000000", "-o", d / "np/b.npy"});
    std::system(("chattr -i " + testutil::shell_quote(d / "np/b.npy")).c_str());
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("b.npy: cannot replace: the file is immutable"), std::string::npos) << r.err;
    EXPECT_EQ(testutil::read_file(d / "np/W.npy"), w0);  // nothing of the new export was renamed
    EXPECT_EQ(testutil::read_file(d / "np/b.npy"), b0);
    EXPECT_EQ(t.code, 2) << t.err;  // refused at once: 10^8 steps never ran
    EXPECT_FALSE(has_temp_file(d / "np"));
}

TEST(OutputsCli, another_users_file_in_a_sticky_directory_is_refused_before_training) {
    ASSERT_EQ(::geteuid(), 0u) << "setpriv needs root (CI runs as root)";
    TempDir d;
    ::chmod(d.path().c_str(), 0755);
    write_small_set(d / "set");
    ::mkdir((d / "sticky").c_str(), 0777);
    ::chmod((d / "sticky").c_str(), 01777);
    testutil::write_file(d / "sticky/w.bin", {1, 2, 3});  // root's file
    ::chmod((d / "sticky/w.bin").c_str(), 0666);          // writable by all, yet not replaceable by rename
    const std::string cmd = "setpriv --reuid=65534 --regid=65534 --clear-groups " + testutil::shell_quote(MNISTLR_BIN) +
                            " train --data " + testutil::shell_quote(d / "set") + " --steps 100000000 -o " +
                            testutil::shell_quote(d / "sticky/w.bin") + " 2>" + testutil::shell_quote(d / "err");
    const int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
    const auto err = testutil::read_file(d / "err");
    EXPECT_NE(std::string(err.begin(), err.end()).find("cannot replace: it belongs to another user in a sticky directory"),
              std::string::npos)
        << std::string(err.begin(), err.end());
    EXPECT_EQ(testutil::read_file(d / "sticky/w.bin"), (Bytes{1, 2, 3}));
    EXPECT_FALSE(has_temp_file(d / "sticky"));
}

TEST(OutputsCli, devices_and_fifos_are_written_in_place_never_replaced) {
    TempDir d;
    write_small_set(d / "set");
    struct stat before {};
    ASSERT_EQ(::stat("/dev/null", &before), 0);
    EXPECT_EQ(run_mnistlr({"train", "--data", d / "set", "--steps", "5", "-q", "-o", "/dev/null"}).code, 0);
    ASSERT_EQ(::symlink("/dev/null", (d / "null-link").c_str()), 0);
    EXPECT_EQ(run_mnistlr({"train", "--data", d / "set", "--steps", "5", "-q", "-o", d / "null-link"}).code, 0);
    struct stat after {}, link {};
    ASSERT_EQ(::stat("/dev/null", &after), 0);
    EXPECT_TRUE(S_ISCHR(after.st_mode));
    EXPECT_EQ(after.st_ino, before.st_ino);
    ASSERT_EQ(::lstat((d / "null-link").c_str(), &link), 0);
    EXPECT_TRUE(S_ISLNK(link.st_mode));

    const auto full = run_mnistlr({"train", "--data", d / "set", "--steps", "5", "-q", "-o", "/dev/full"});
    EXPECT_EQ(full.code, 2);
    EXPECT_EQ(full.err, "mnistlr: error: /dev/full: write failed: No space left on device\n");

    // A FIFO: with no reader it is refused at once (before training); with one, it gets the bytes.
    ASSERT_EQ(::mkfifo((d / "fifo").c_str(), 0600), 0);
    const auto none = run_mnistlr({"train", "--data", d / "set", "--steps", "100000000", "-o", d / "fifo"});
    EXPECT_EQ(none.code, 2);
    EXPECT_EQ(none.err, "mnistlr: error: " + d / "fifo" + ": cannot write: no process is reading this FIFO\n");
    // Opened for reading here first (non-blocking, so no writer is needed yet): mnistlr then finds a
    // reader, and its few hundred bytes fit in the pipe's buffer.
    const int rfd = ::open((d / "fifo").c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(rfd, 0);
    ASSERT_EQ(run_mnistlr({"train", "--data", d / "set", "--steps", "30", "--seed", "9", "-q", "-o", d / "fifo"}).code, 0);
    Bytes got;
    std::uint8_t buf[4096];
    for (ssize_t n; (n = ::read(rfd, buf, sizeof buf)) > 0;) got.insert(got.end(), buf, buf + n);
    ::close(rfd);
    ASSERT_EQ(run_mnistlr({"train", "--data", d / "set", "--steps", "30", "--seed", "9", "-q", "-o", d / "w.bin"}).code, 0);
    EXPECT_EQ(got, testutil::read_file(d / "w.bin"));
    struct stat fifo {};
    ASSERT_EQ(::lstat((d / "fifo").c_str(), &fifo), 0);
    EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
    // A symlink to a regular file is replaced by a regular file (as mv would), the target untouched.
    testutil::write_file(d / "target", {5});
    ASSERT_EQ(::symlink((d / "target").c_str(), (d / "link.bin").c_str()), 0);
    ASSERT_EQ(run_mnistlr({"train", "--data", d / "set", "--steps", "5", "-q", "-o", d / "link.bin"}).code, 0);
    ASSERT_EQ(::lstat((d / "link.bin").c_str(), &link), 0);
    EXPECT_TRUE(S_ISREG(link.st_mode));
    EXPECT_EQ(testutil::read_file(d / "target"), Bytes{5});
}

TEST(OutputsCli, names_up_to_255_bytes_are_written) {
    TempDir d;
    write_small_set(d / "set");
    for (std::size_t len : {243u, 244u, 250u, 255u}) {
        const std::string name = std::string(len - 4, 'a') + ".bin";
        const auto r = run_mnistlr({"train", "--data", d / "set", "--steps", "5", "-q", "-o", d / name});
        EXPECT_EQ(r.code, 0) << len << ": " << r.err;
        EXPECT_TRUE(testutil::file_exists(d / name)) << len;
    }
    EXPECT_FALSE(has_temp_file(d.path()));
}
