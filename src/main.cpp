// mnistlr: parses the command line and dispatches to a subcommand; all work is in the libraries.
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "cli/usage.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/learning/kernels.hpp"

int main(int argc, char** argv) {
    mnistlr::cli::install_signal_handlers();  // before any output file is claimed
    CLI::App app{"mnistlr: softmax regression on MNIST-format data, and pictures of what it learned"};
    app.set_version_flag("--version", std::string(MNISTLR_VERSION) + " (kernels: " + mnistlr::kernel_variant() + ")");
    app.require_subcommand(1);
    app.failure_message(mnistlr::cli::usage_error_line);  // one line: "mnistlr: error: ..."
    mnistlr::cli::Runner runner;
    mnistlr::cli::setup_train(app, runner);
    mnistlr::cli::setup_eval(app, runner);
    mnistlr::cli::setup_predict(app, runner);
    mnistlr::cli::setup_export(app, runner);
    mnistlr::cli::setup_plot_weights(app, runner);
    mnistlr::cli::setup_plot_curves(app, runner);
    mnistlr::cli::setup_explain(app, runner);
    // Set after the subcommands: they would inherit it.
    app.footer("Run 'mnistlr SUBCOMMAND --help' for its options.\n"
               "Exit status: 0 ok; 2 bad input or usage (one line on stderr); 3 below --min-accuracy; 4 training "
               "diverged;\n128+N stopped by signal N (130: Ctrl-C); 141 standard output closed (a pipe's reader "
               "went away).");

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
