// The data search order (src/cli/data_dirs.hpp), with the environment set by the test.
#include <filesystem>

#include <gtest/gtest.h>

#include "cli/data_dirs.hpp"
#include "test_util.hpp"

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
