// mnistlr export: write a model as NumPy arrays, W.npy (classes, rows*cols) and b.npy (classes,).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/json_out.hpp"
#include "cli/usage.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/model_files/model_io.hpp"

namespace mnistlr::cli {

std::shared_ptr<ExportOptions> setup_export(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<ExportOptions>();
    auto* sub = app.add_subcommand(
        "export", "Write a model as NumPy .npy arrays: W.npy (classes, rows*cols) and b.npy (classes,), float32");
    add_model_argument(*sub, opt->weights);
    sub->add_option("--npy", opt->npy_dir,
                    "Directory to write W.npy and b.npy into (created if missing; existing files are replaced)")
        ->required()
        ->check(nonempty_path())
        ->option_text("DIR");
    sub->add_flag("--json", opt->json, "Print one JSON object (paths, shapes) instead of the lines");
    sub->footer("In NumPy: W = numpy.load('DIR/W.npy'); W[k].reshape(28, 28) is class k's picture.\n"
                "The .npy pair holds no class names or training metadata; model.json beside it records both arrays'\n"
                "sizes and CRC-32s, so that a W.npy and a b.npy of different exports are refused, and \"deskew\": true\n"
                "when the model expects deskewed inputs (mnistlr deskews them when loading the directory).");
    sub->callback([opt, &runner] { runner = [opt] { return run_export(*opt); }; });
    return opt;
}

int run_export(const ExportOptions& opt) {
    const WeightsFile wf = load_model(opt.weights);
    const SoftmaxModel& m = wf.model;
    const bool deskew = expects_deskewed(wf.info);
    const NpyPaths paths = export_npy(m, opt.npy_dir, model_files(opt.weights), deskew);
    if (opt.json) {
        const nlohmann::json j = {{"command", "export"},
                                  {"weights", opt.weights},
                                  {"W", {{"path", paths.W}, {"shape", nlohmann::json::array({m.classes(), m.pixels()})}}},
                                  {"b", {{"path", paths.b}, {"shape", nlohmann::json::array({m.classes()})}}},
                                  {"manifest", paths.manifest},
                                  {"image_rows", m.rows},
                                  {"image_cols", m.cols},
                                  {"deskew", deskew}};
        std::cout << json_line(j) << '\n';
        return 0;
    }
    const std::string w_shape = "(" + std::to_string(m.classes()) + ", " + std::to_string(m.pixels()) + ")";
    const std::string b_shape = "(" + std::to_string(m.classes()) + ",)";
    const int w = static_cast<int>(std::max(w_shape.size(), b_shape.size()));
    std::printf("W  %-*s  float32  -> %s\n", w, w_shape.c_str(), printable(paths.W).c_str());
    std::printf("b  %-*s  float32  -> %s\n", w, b_shape.c_str(), printable(paths.b).c_str());
    std::printf("manifest (sizes and CRC-32 of both%s) -> %s\n", deskew ? "; \"deskew\": true" : "",
                printable(paths.manifest).c_str());
    if (deskew)
        std::printf("inputs: deskewed. The model expects each image sheared upright first, as train --deskew did "
                    "(sampled bilinearly at (r + rbar - r0, c + cbar - c0 + cov(r,c)/var(r) x (r - r0)): centroid (rbar, cbar) "
                    "moved to the frame's centre (r0, c0), rounded to uint8); "
                    "mnistlr does it when loading %s\n",
                    printable(opt.npy_dir).c_str());
    std::printf("(class k's %u x %u picture: numpy.load('%s')[k].reshape(%u, %u))\n", m.rows, m.cols,
                printable(paths.W).c_str(), m.rows, m.cols);
    return 0;
}

}  // namespace mnistlr::cli
