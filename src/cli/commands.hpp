// The subcommands. Each lives in its own file: an options struct bound to its flags by setup_*(),
// and a run_*() that does the work through the core library and returns the exit code.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

namespace mnistlr::cli {

// Set by the subcommand that was parsed; main() calls it after parsing.
using Runner = std::function<int()>;

struct TrainOptions {
    std::string data;  // empty: default_data_dir()
    float lr = 0.5f;
    std::size_t steps = 1000;
    double epochs = 0.0;  // > 0 overrides steps
    std::size_t batch = 64;
    std::uint32_t seed = 0;
    float l2 = 0.0f;
    std::string output = "weights.bin";
    bool quiet = false;
    bool json = false;
};
std::shared_ptr<TrainOptions> setup_train(CLI::App& app, Runner& runner);
int run_train(const TrainOptions& opt);

// $MNISTLR_DATA, else data/mnist, else <source tree>/data/mnist when that exists.
std::string default_data_dir();

}  // namespace mnistlr::cli
