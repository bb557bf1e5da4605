#include "cli/app.hpp"

#include <string>

#include "cli/usage.hpp"
#include "mnistlr/learning/kernels.hpp"

namespace mnistlr::cli {

void setup_app(CLI::App& app, Runner& runner) {
    app.name("mnistlr");  // --help says "mnistlr train", wherever the binary lies
    app.set_version_flag("--version", std::string(MNISTLR_VERSION) + " (kernels: " + kernel_variant() + ")");
    app.require_subcommand(1);
    app.failure_message(usage_error_line);  // one line: "mnistlr: error: ..."
    setup_train(app, runner);
    setup_eval(app, runner);
    setup_predict(app, runner);
    setup_export(app, runner);
    setup_plot_weights(app, runner);
    setup_plot_curves(app, runner);
    setup_explain(app, runner);
    setup_info(app, runner);
    setup_help(app, runner);
    // Set after the subcommands: they would inherit it.
    app.footer("Run 'mnistlr SUBCOMMAND --help' or 'mnistlr help SUBCOMMAND' for its options.\n"
               "Exit status: 0 ok; 2 bad input or usage (one line on stderr); 3 below --min-accuracy; 4 training "
               "diverged;\n128+N stopped by signal N (130: Ctrl-C); 141 standard output closed (a pipe's reader "
               "went away).");
}

}  // namespace mnistlr::cli
