// Usage errors of the command line: the validators every subcommand's options use, and the one
// line main() prints when parsing fails.
//
// Every usage error is one line on stderr and exit status 2:
//   mnistlr: error: --batch must be at least 1, got 0
//   mnistlr: error: --lr: 'abc' is not a number
//   mnistlr: error: unknown option '--foo' (see mnistlr train --help)
// The validators read the value themselves, refuse what the option's type cannot hold (NaN, inf, a
// float beyond float's range, an integer beyond the type's), and hand CLI11 the value in canonical
// form, so that what is checked is exactly what is stored (CLI11 would read "010" as octal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mnistlr::cli {

// The most SGD steps a run may take, given as --steps or implied by --epochs (2^40, about 10^12:
// far beyond any useful run, and small enough that steps * batch and the step counters never
// overflow).
constexpr std::size_t kMaxTrainSteps = std::size_t{1} << 40;
// "2^40 = 1099511627776", for messages and --help.
std::string max_train_steps_text();

// The steps `epochs` passes over n images in minibatches of `batch` take (ceil(epochs * n / batch)),
// or mnistlr::Error (exit 2) naming --epochs when that is above kMaxTrainSteps.
std::size_t checked_steps_for_epochs(double epochs, std::size_t n, std::size_t batch);

// A whole number (decimal digits with an optional '-') in [lo, hi], for an option of type T;
// `hi_name` shows hi in messages and --help (e.g. "2^40").
template <class T>
CLI::Validator whole_number(T lo, T hi, std::string hi_name = "");
// A finite number in [lo, hi] for an option of type T (float or double). `lo_open` makes the lower
// bound exclusive ("> 0"). The checks are made on the value converted to T: 1e-50 is not > 0 as a
// float, and 1e39 is not a float at all. `hi_name` as for whole_number.
template <class T>
CLI::Validator finite_number(T lo, T hi, bool lo_open = false, std::string hi_name = "");
// The names these validators carry, so that the man pages and the completion (docs.hpp) can tell an
// option's words and its paths from the same definitions the parser uses.
inline constexpr const char* kOneOfValidator = "one_of";
inline constexpr const char* kPathValidator = "path";

// One of the given words (e.g. "--cmap must be one of rdbu, gray, viridis, got 'x'").
CLI::Validator one_of(std::vector<std::string> words);
// A path that is not empty ("" would silently mean the current directory or a default).
CLI::Validator nonempty_path();
// A path naming an existing file that is not a directory.
CLI::Validator existing_file();

// The WEIGHTS argument of every subcommand that reads a model: required, a weights file or a
// directory holding W.npy and b.npy (model_io.hpp).
CLI::Option* add_model_argument(CLI::App& sub, std::string& into);

// The Damerau-Levenshtein distance of a and b (optimal string alignment: insertions, deletions,
// substitutions and transpositions of neighbours each cost 1; "trian" -> "train" is 1).
std::size_t edit_distance(const std::string& a, const std::string& b);
// The candidate nearest to `typed` if it is near enough to be what was meant, else "". Options are
// compared without their leading dashes ("-lr" finds "--lr"); near enough: at most 1 edit for up to
// 4 characters, 2 up to 8, 3 beyond (and never more than half the word: "ab" suggests nothing for
// "xy"). Ties go to the first candidate.
std::string nearest_word(const std::string& typed, const std::vector<std::string>& candidates);

// The subcommands of `app` (the top-level App), one line each: "  train   Train softmax ...", as
// `mnistlr help` prints them (and `mnistlr` alone, on stderr).
std::string subcommand_list_text(const CLI::App& app);

// "unknown subcommand 'trian'; did you mean 'train'?" (or, when no subcommand is near, the list).
std::string unknown_subcommand_text(const CLI::App& app, const std::string& name);

// The line (with "mnistlr: error: " and '\n') that reports the parse error e of app, the top-level
// App; --help and --version are not errors and are not handled here. Installed as app's
// failure_message().
std::string usage_error_line(const CLI::App* app, const CLI::Error& e);

// After the subcommand: flushes std::cout and stdout and returns the exit status a write error on
// standard output turns `rc` into: 141 (as if killed by SIGPIPE, no message) for a closed pipe, 2
// with "mnistlr: error: standard output: <strerror>" for any other error (e.g. a full disk), else rc.
int finish_standard_output(int rc);

}  // namespace mnistlr::cli
