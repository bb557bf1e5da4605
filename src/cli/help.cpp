// mnistlr help [SUBCOMMAND]: the subcommands, one line each, or one subcommand's --help, on stdout
// (as `git help` and `cargo help` do). `mnistlr` alone prints the same list, but exits 2 (main.cpp).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/usage.hpp"
#include "mnistlr/error.hpp"

namespace mnistlr::cli {

std::shared_ptr<HelpOptions> setup_help(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<HelpOptions>();
    auto* sub = app.add_subcommand("help", "List the subcommands, or show one subcommand's options");
    sub->add_option("subcommand", opt->subcommand, "The subcommand whose options to show (as SUBCOMMAND --help)")
        ->option_text("SUBCOMMAND");
    sub->callback([opt, &app, &runner] { runner = [opt, &app] { return run_help(app, *opt); }; });
    return opt;
}

int run_help(const CLI::App& app, const HelpOptions& opt) {
    if (opt.subcommand.empty()) {
        std::fputs(subcommand_list_text(app).c_str(), stdout);
        return 0;
    }
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_name() == opt.subcommand) {
            std::fputs(sub->help(app.get_name()).c_str(), stdout);
            return 0;
        }
    }
    throw Error(unknown_subcommand_text(app, opt.subcommand));
}

}  // namespace mnistlr::cli
