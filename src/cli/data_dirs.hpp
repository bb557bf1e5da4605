// Where the CLI looks for a data set's IDX files when --data is not given: the one home of that
// search order (train and eval use it; the README's "Data" section describes it).
//
// For a data set whose directory name is NAME ("mnist", "fashion", "emnist", ...; auto means mnist):
//   1. $MNISTLR_DATA, for --dataset auto only: the directory itself, taken as given (no fallback,
//      so that a mistyped setting is an error naming it rather than a silent switch of data);
//   2. ./data/NAME (relative to the working directory, as data/fetch.sh fills it);
//   3. <source tree>/data/NAME, only when the running binary lies inside its own build tree (so
//      build/mnistlr works from any directory, and an installed copy never reads the source tree;
//      decided at run time from /proc/self/exe, see build_tree_data_for; a copy installed into a
//      prefix inside the build tree would count as a build-tree run);
//   4. $XDG_DATA_HOME/mnistlr/NAME, by default ~/.local/share/mnistlr/NAME;
//   5. for fashion, Debian's /usr/share/datasets/fashion-mnist (package dataset-fashion-mnist).
// The first candidate that is a directory wins; when none is, the search gives the first candidate,
// so that the error ("data/mnist: No such file or directory ...") names where the data was expected.
#pragma once

#include <string>
#include <vector>

namespace mnistlr::cli {

// What the search depends on, gathered once (from_process) or set by a test.
struct DataSearch {
    std::string mnistlr_data;     // $MNISTLR_DATA ("" when unset or empty)
    std::string xdg_data_home;    // $XDG_DATA_HOME ("" when unset or empty)
    std::string home;             // $HOME ("" when unset or empty)
    std::string build_tree_data;  // <source tree>/data when running from the build tree, else ""

    static DataSearch from_process();
};

// The source tree's data directory (`source_dir` + "/data") when the executable `exe` (a resolved
// path, as /proc/self/exe gives it) lies inside `binary_dir`, the build tree it was compiled in;
// else "". An installed copy (bin/mnistlr under any prefix outside the build tree) gets "", so it
// never reads the source tree; `binary_dir` "/b/build" does not contain "/b/build2/mnistlr".
std::string build_tree_data_for(const std::string& exe, const std::string& binary_dir, const std::string& source_dir);

// The candidate directories for the data set named `dataset` (a --dataset value: "auto", "mnist",
// "fashion", "emnist-letters", ...), in search order.
std::vector<std::string> data_dir_candidates(const std::string& dataset, const DataSearch& search);

// The first candidate that is a directory, else the first candidate.
std::string find_data_dir(const std::string& dataset, const DataSearch& search = DataSearch::from_process());

}  // namespace mnistlr::cli
