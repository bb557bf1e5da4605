// In-process parsing of one subcommand, as main() parses it: a top-level App that requires a
// subcommand, the subcommand's setup_*() (src/cli/commands.hpp), and a parse error turned into the
// one line main prints (usage_error_line, src/cli/usage.hpp). No binary is run.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/usage.hpp"

namespace testutil {

template <class Options>
struct ParsedCommand {
    std::shared_ptr<Options> opt;  // the options struct the flags were bound to
    bool runner_set = false;       // the subcommand's callback chose it to run
    std::string error;             // main's line ("mnistlr: error: ...\n") for a parse error, else ""
};

// setup is e.g. mnistlr::cli::setup_eval; args in command-line order, without the program name:
// {"eval", "w.bin", "--json"}.
template <class Options>
ParsedCommand<Options> parse_command(std::shared_ptr<Options> (*setup)(CLI::App&, mnistlr::cli::Runner&),
                                     std::vector<std::string> args) {
    CLI::App app{"mnistlr"};
    app.require_subcommand(1);
    mnistlr::cli::Runner runner;
    ParsedCommand<Options> r;
    r.opt = setup(app, runner);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        r.error = mnistlr::cli::usage_error_line(&app, e);
    }
    r.runner_set = static_cast<bool>(runner);
    return r;
}

}  // namespace testutil
