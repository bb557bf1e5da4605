// The whole command line in one place: the top-level App with every subcommand, its version flag,
// footer and one-line usage errors. main() parses with it; the build-time generator of the man
// pages and the bash completion (src/gen_docs.cpp, docs.hpp) walks the same App, so they cannot
// drift from what the binary accepts.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace mnistlr::cli {

// One line per subcommand, as `mnistlr --help` and the man page list them.
inline constexpr const char* kAppDescription =
    "mnistlr: softmax regression on MNIST-format data, and pictures of what it learned";

// Facts of the tool as a whole that the man page mnistlr(1) states (docs.hpp); the README says the same.
struct DocEntry {
    const char* name;
    const char* text;
};
inline constexpr DocEntry kExitStatus[] = {
    {"0", "Success."},
    {"2", "Bad input or usage: one line on standard error, \"mnistlr: error: <file>: <problem>\" or, for the command "
          "line, e.g. \"mnistlr: error: --batch must be at least 1, got 0\"; nothing is written. Also a failed write "
          "to standard output."},
    {"3", "--min-accuracy A was given and the test accuracy is below A."},
    {"4", "Training diverged (a minibatch loss that is not finite, or far above the untrained model's)."},
    {"129, 130, 143", "Stopped by SIGHUP, SIGINT (Ctrl-C) or SIGTERM (128 + the signal); every temp file is removed."},
    {"141", "Standard output is a pipe whose reader has gone."},
};
inline constexpr DocEntry kEnvironment[] = {
    {"MNISTLR_DATA", "The data directory for --dataset auto when --data is not given (nothing else is tried)."},
    {"XDG_DATA_HOME", "Data sets are looked for in $XDG_DATA_HOME/mnistlr/NAME (default ~/.local/share/mnistlr/NAME), "
                      "where mnistlr-fetch-data puts them."},
    {"MNISTLR_FONT", "The TrueType font drawn into pictures, instead of DejaVu Sans (fonts-dejavu-core)."},
    {"MNISTLR_KERNELS", "avx512, avx2 or base: force a kernel variant of a portable build (see --version)."},
};
inline constexpr const char* kDataSearchText =
    "Without --data, train, eval and explain use the first of these that is a directory: $MNISTLR_DATA (with "
    "--dataset auto only), data/NAME in the working directory, the source tree's data/NAME (only for a binary "
    "run from its build tree), $XDG_DATA_HOME/mnistlr/NAME (default ~/.local/share/mnistlr/NAME), and for "
    "Fashion-MNIST /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist). NAME is mnist, fashion, "
    "kmnist or emnist; --dataset auto means mnist. Each directory holds train-images-idx3-ubyte, "
    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, raw or gzipped.";

// Adds the subcommands, the version flag and the footer to `app`; the parsed subcommand sets
// `runner`.
void setup_app(CLI::App& app, Runner& runner);

}  // namespace mnistlr::cli
