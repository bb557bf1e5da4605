// The data search order (src/cli/data_dirs.hpp), with the environment set by the test; and through
// the binary, a copy of it outside the build tree (as installed) against build/mnistlr itself.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "cli/data_dirs.hpp"
#include "test_util.hpp"

using mnistlr::cli::build_tree_data_for;
using mnistlr::cli::data_dir_candidates;
using mnistlr::cli::DataSearch;
using mnistlr::cli::find_data_dir;
using V = std::vector<std::string>;

TEST(DataDirs, search_order_for_a_named_set) {
    DataSearch s;
    s.home = "/home/u";
    EXPECT_EQ(data_dir_candidates("mnist", s), (V{"data/mnist", "/home/u/.local/share/mnistlr/mnist"}));
    s.xdg_data_home = "/x";
    s.build_tree_data = "/src/data";
    EXPECT_EQ(data_dir_candidates("kmnist", s), (V{"data/kmnist", "/src/data/kmnist", "/x/mnistlr/kmnist"}));
    // EMNIST splits share one directory; Fashion-MNIST is also looked for where Debian installs it.
    EXPECT_EQ(data_dir_candidates("emnist-letters", s), (V{"data/emnist", "/src/data/emnist", "/x/mnistlr/emnist"}));
    EXPECT_EQ(data_dir_candidates("fashion", s),
              (V{"data/fashion", "/src/data/fashion", "/x/mnistlr/fashion", "/usr/share/datasets/fashion-mnist"}));
}

TEST(DataDirs, search_order_with_every_source_set) {
    // Everything the search reads is set: $MNISTLR_DATA only counts for auto (before everything,
    // and alone); a named set goes ./data, the build tree, $XDG_DATA_HOME (which replaces
    // ~/.local/share), then Debian's Fashion-MNIST.
    DataSearch s;
    s.mnistlr_data = "/env/set";
    s.xdg_data_home = "/xdg";
    s.home = "/home/u";
    s.build_tree_data = "/src/data";
    EXPECT_EQ(data_dir_candidates("auto", s), (V{"/env/set"}));
    EXPECT_EQ(data_dir_candidates("mnist", s), (V{"data/mnist", "/src/data/mnist", "/xdg/mnistlr/mnist"}));
    EXPECT_EQ(data_dir_candidates("fashion", s),
              (V{"data/fashion", "/src/data/fashion", "/xdg/mnistlr/fashion", "/usr/share/datasets/fashion-mnist"}));
    s.build_tree_data.clear();  // an installed binary
    EXPECT_EQ(data_dir_candidates("fashion", s),
              (V{"data/fashion", "/xdg/mnistlr/fashion", "/usr/share/datasets/fashion-mnist"}));
    s.xdg_data_home.clear();
    EXPECT_EQ(data_dir_candidates("fashion", s),
              (V{"data/fashion", "/home/u/.local/share/mnistlr/fashion", "/usr/share/datasets/fashion-mnist"}));
}

TEST(DataDirs, the_source_tree_only_for_an_executable_inside_its_build_tree) {
    EXPECT_EQ(build_tree_data_for("/w/build/mnistlr", "/w/build", "/w"), "/w/data");
    EXPECT_EQ(build_tree_data_for("/w/build/tests/mnistlr_tests", "/w/build/", "/w"), "/w/data");
    // Installed copies, wherever the prefix is.
    EXPECT_EQ(build_tree_data_for("/usr/bin/mnistlr", "/w/build", "/w"), "");
    EXPECT_EQ(build_tree_data_for("/home/u/.local/bin/mnistlr", "/w/build", "/w"), "");
    EXPECT_EQ(build_tree_data_for("/w/mnistlr", "/w/build", "/w"), "");  // in the source tree, not the build tree
    // A sibling whose name starts with the build tree's is not inside it.
    EXPECT_EQ(build_tree_data_for("/w/build2/mnistlr", "/w/build", "/w"), "");
    EXPECT_EQ(build_tree_data_for("/w/build", "/w/build", "/w"), "");
    EXPECT_EQ(build_tree_data_for("/w/build/mnistlr", "", "/w"), "");
}

TEST(DataDirs, mnistlr_data_is_taken_as_given_for_auto_only) {
    DataSearch s;
    s.mnistlr_data = "/my/set";
    s.home = "/home/u";
    EXPECT_EQ(data_dir_candidates("auto", s), (V{"/my/set"}));
    EXPECT_EQ(data_dir_candidates("fashion", s).front(), "data/fashion");
    s.mnistlr_data.clear();
    EXPECT_EQ(data_dir_candidates("auto", s), (V{"data/mnist", "/home/u/.local/share/mnistlr/mnist"}));
}

TEST(DataDirs, a_relative_xdg_data_home_is_ignored_and_no_home_gives_no_user_directory) {
    DataSearch s;
    s.xdg_data_home = "relative";
    s.home = "/h";
    EXPECT_EQ(data_dir_candidates("mnist", s), (V{"data/mnist", "/h/.local/share/mnistlr/mnist"}));
    s.home.clear();
    EXPECT_EQ(data_dir_candidates("mnist", s), (V{"data/mnist"}));
}

TEST(DataDirs, the_first_existing_directory_wins_else_the_first_candidate) {
    testutil::TempDir d;
    DataSearch s;
    s.xdg_data_home = d.path();
    EXPECT_EQ(find_data_dir("kmnist", s), "data/kmnist");  // none exists: the error names data/kmnist
    std::filesystem::create_directories(d / "mnistlr/kmnist");
    EXPECT_EQ(find_data_dir("kmnist", s), d / "mnistlr/kmnist");
    s.build_tree_data = d / "tree";
    std::filesystem::create_directories(d / "tree/kmnist");
    EXPECT_EQ(find_data_dir("kmnist", s), d / "tree/kmnist");  // the build tree before the user's directory
}

TEST(DataDirs, the_test_binary_runs_inside_its_build_tree) {
    // from_process sees the build tree (this test binary lies in it), so build/mnistlr finds the
    // source tree's data from any directory; an installed binary lies outside and does not.
    const DataSearch s = DataSearch::from_process();
    EXPECT_FALSE(s.build_tree_data.empty());
    EXPECT_EQ(s.build_tree_data.substr(s.build_tree_data.size() - 5), "/data");
}

namespace {

// Runs `program` train for one step in `cwd` with only the environment given (HOME, and
// XDG_DATA_HOME / MNISTLR_DATA when not empty), the weights going to `out`.
testutil::RunResult train_one_step(const std::string& program, const std::string& cwd, const std::string& home,
                                   const std::string& xdg, const std::string& mnistlr_data,
                                   const std::vector<std::string>& extra, const std::string& out) {
    std::string prefix = "cd " + testutil::shell_quote(cwd) + " && env -u MNISTLR_DATA -u XDG_DATA_HOME HOME=" +
                         testutil::shell_quote(home);
    if (!xdg.empty()) prefix += " XDG_DATA_HOME=" + testutil::shell_quote(xdg);
    if (!mnistlr_data.empty()) prefix += " MNISTLR_DATA=" + testutil::shell_quote(mnistlr_data);
    std::vector<std::string> args{"train", "--steps", "1", "-q", "-o", out};
    args.insert(args.end(), extra.begin(), extra.end());
    return testutil::run_program_after(prefix + " ", program, args);
}

}  // namespace

TEST(DataDirs, a_copy_outside_the_build_tree_never_reads_the_source_tree) {
    ASSERT_TRUE(testutil::mnist_present());
    testutil::TempDir t;
    const std::string build_tree = std::filesystem::canonical(MNISTLR_BIN).parent_path().string() + "/";
    ASSERT_NE(std::filesystem::canonical(t.path()).string().rfind(build_tree, 0), 0u) << "TMPDIR is in the build tree";
    std::filesystem::create_directories(t / "bin");
    std::filesystem::create_directories(t / "work");
    std::filesystem::create_directories(t / "home");
    std::filesystem::copy_file(MNISTLR_BIN, t / "bin/mnistlr");
    const std::string copy = t / "bin/mnistlr", work = t / "work", home = t / "home", out = t / "w.bin";
    const std::string missing =
        "mnistlr: error: data/mnist: data directory does not exist; fetch MNIST with mnistlr-fetch-data (in a source "
        "tree: data/fetch.sh) or pass --data DIR\n";

    // build/mnistlr finds the source tree's data/mnist from an empty directory; the copy does not.
    EXPECT_EQ(train_one_step(MNISTLR_BIN, work, home, "", "", {}, out).code, 0);
    auto r = train_one_step(copy, work, home, "", "", {}, out);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, missing);
    // ~/.local/share/mnistlr/mnist, where mnistlr-fetch-data puts it.
    std::filesystem::create_directories(t / "home/.local/share/mnistlr");
    std::filesystem::create_directory_symlink(testutil::mnist_dir(), t / "home/.local/share/mnistlr/mnist");
    r = train_one_step(copy, work, home, "", "", {}, out);
    EXPECT_EQ(r.code, 0) << r.err;
    // $XDG_DATA_HOME replaces ~/.local/share.
    std::filesystem::create_directories(t / "xdg/mnistlr");
    r = train_one_step(copy, work, home, t / "xdg", "", {}, out);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, missing);
    std::filesystem::create_directory_symlink(testutil::mnist_dir(), t / "xdg/mnistlr/mnist");
    EXPECT_EQ(train_one_step(copy, work, home, t / "xdg", "", {}, out).code, 0);
    // ./data/mnist comes before $XDG_DATA_HOME: an empty one is the one read (and refused).
    std::filesystem::create_directories(t / "work/data/mnist");
    r = train_one_step(copy, work, home, t / "xdg", "", {}, out);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err.rfind("mnistlr: error: data/mnist", 0), 0u) << r.err;
    // $MNISTLR_DATA before ./data; --data before $MNISTLR_DATA.
    EXPECT_EQ(train_one_step(copy, work, home, t / "xdg", testutil::mnist_dir(), {}, out).code, 0);
    r = train_one_step(copy, work, home, t / "xdg", t / "nowhere", {}, out);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find(t / "nowhere"), std::string::npos) << r.err;
    EXPECT_EQ(train_one_step(copy, work, home, t / "xdg", t / "nowhere", {"--data", testutil::mnist_dir()}, out).code,
              0);
}
