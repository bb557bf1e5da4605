// mnistlr info MODEL [--json]: what a model file says about the model (model_summary.hpp): classes,
// image size, data set, preprocessing, training settings, final metrics and file version.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/json_out.hpp"
#include "cli/usage.hpp"
#include "mnistlr/model_files/model_io.hpp"
#include "mnistlr/model_files/model_summary.hpp"

namespace mnistlr::cli {

std::shared_ptr<InfoOptions> setup_info(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<InfoOptions>();
    auto* sub = app.add_subcommand(
        "info", "Show what a model file records: classes, image size, data set, preprocessing, training settings, "
                "metrics, file version");
    add_model_argument(*sub, opt->weights);
    sub->add_flag("--json", opt->json, "Print one JSON object instead of the lines");
    sub->callback([opt, &runner] { runner = [opt] { return run_info(*opt); }; });
    return opt;
}

int run_info(const InfoOptions& opt) {
    nlohmann::json summary = model_summary(load_model(opt.weights));
    if (opt.json) {
        summary["command"] = "info";
        summary["weights"] = opt.weights;
        std::cout << json_line(summary) << '\n';
    } else {
        std::fputs(model_summary_text(summary, opt.weights).c_str(), stdout);
    }
    return 0;
}

}  // namespace mnistlr::cli
