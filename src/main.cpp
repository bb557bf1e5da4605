// mnistlr: parses the command line and dispatches to a subcommand; all work is in the libraries.
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/app.hpp"
#include "cli/signals.hpp"
#include "cli/usage.hpp"
#include "mnistlr/error.hpp"

int main(int argc, char** argv) {
    mnistlr::cli::install_signal_handlers();  // before any output file is claimed
    CLI::App app{mnistlr::cli::kAppDescription};
    mnistlr::cli::Runner runner;
    mnistlr::cli::setup_app(app, runner);

    if (argc < 2) {
        // As git does: the subcommands on stdout (as `mnistlr help`), but a failure (2, usage), since
        // nothing was done: a script whose subcommand variable is empty must not pass.
        std::fputs(mnistlr::cli::subcommand_list_text(app).c_str(), stdout);
        return mnistlr::cli::finish_standard_output(2);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);  // prints help or version (stdout), or the parse error (stderr)
        return mnistlr::cli::finish_standard_output(rc == 0 ? 0 : 2);
    }
    try {
        return mnistlr::cli::finish_standard_output(runner ? runner() : 2);
    } catch (const mnistlr::Error& e) {
        std::cerr << "mnistlr: error: " << e.what() << '\n';
        return e.exit_code();
    } catch (const std::bad_alloc&) {
        std::cerr << "mnistlr: error: out of memory\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "mnistlr: internal error: " << e.what() << '\n';
        return 1;
    }
}
