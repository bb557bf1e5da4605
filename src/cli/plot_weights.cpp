// mnistlr plot-weights: draw each class's weights as a tile (render.hpp) and write the PNG.
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "cli/usage.hpp"
#include "mnistlr/pictures/colormap.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/model_files/model_io.hpp"
#include "mnistlr/pictures/png.hpp"
#include "mnistlr/pictures/render.hpp"
#include "mnistlr/pictures/text.hpp"
#include "mnistlr/model_files/weights_io.hpp"

namespace mnistlr::cli {

std::shared_ptr<PlotWeightsOptions> setup_plot_weights(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<PlotWeightsOptions>();
    auto* sub = app.add_subcommand("plot-weights", "Draw each class's weights as an image (PNG)");
    add_model_argument(*sub, opt->weights);
    sub->add_option("output", opt->output, "PNG file to write")->required()->check(nonempty_path());
    sub->add_option("--cmap", opt->cmap,
                    "Colormap: rdbu (red < 0 < blue, white = 0), gray (black = most negative, white = most "
                    "positive) or viridis")
        ->capture_default_str()
        ->check(one_of({"rdbu", "gray", "viridis"}));
    sub->add_option("--range", opt->range,
                    "Colour scale: shared (one symmetric scale max|W| for all tiles) or per-class")
        ->capture_default_str()
        ->check(one_of({"shared", "per-class"}));
    sub->add_option("--clip", opt->clip,
                    "Symmetric percentile clip: the scale is the P-th percentile of |W| (e.g. 99.5), "
                    "larger weights saturate")
        ->capture_default_str()
        ->transform(finite_number<double>(0.0, 100.0, true));
    sub->add_option("--scale", opt->scale, "Pixels per weight (nearest-neighbour upscale)")
        ->capture_default_str()
        ->transform(whole_number<int>(1, 64));
    sub->add_option("--cols", opt->cols, "Grid columns [default: 5 for 10 classes, else ceil(sqrt(K))]")
        ->transform(whole_number<int>(1, 65535));
    sub->add_option("--class", opt->only_class, "Draw only this class's tile")->transform(whole_number<int>(0, 65534));
    sub->add_flag("--no-colorbar", opt->no_colorbar, "Leave out the colorbar under the grid");
    sub->callback([opt, &runner] { runner = [opt] { return run_plot_weights(*opt); }; });
    return opt;
}

int run_plot_weights(const PlotWeightsOptions& opt) {
    RenderOptions ro;
    ro.cmap = colormap_from_name(opt.cmap);
    ro.range = scale_range_from_name(opt.range);
    ro.clip_percentile = opt.clip;
    ro.scale = opt.scale;
    ro.grid_cols = opt.cols;
    ro.colorbar = !opt.no_colorbar;

    // Claim the output first: an unwritable destination fails before any work, and nothing is left
    // behind when a later step fails.
    OutputSet outputs;
    AtomicFile& out = outputs.add(opt.output);
    for (const auto& in : model_files(opt.weights)) outputs.add_input(in);
    const WeightsFile wf = load_model(opt.weights);
    if (expects_deskewed(wf.info)) ro.note = "inputs deskewed: each template scores images sheared upright and centred (train --deskew)";
    const std::uint32_t K = wf.model.classes();
    if (opt.only_class >= 0) {
        if (static_cast<std::uint32_t>(opt.only_class) >= K)
            throw Error(opt.weights, "--class " + std::to_string(opt.only_class) + " is out of range (expected 0.." +
                                         std::to_string(K - 1) + ")");
        ro.only_class = static_cast<std::uint32_t>(opt.only_class);
    }
    try {
        weight_grid_layout(wf.model.rows, wf.model.cols, ro.only_class ? 1u : K, ro);
    } catch (const Error& e) {
        throw Error(opt.output, e.what());
    }
    const Font font = Font::load_default();
    const RgbImage img = render_weight_grid(wf.model, wf.info, ro, font);
    const auto png = encode_png(img);
    out.write(png.data(), png.size());
    outputs.commit();
    // One line: what was drawn, where, how large, and the colour scale (the shared one covers all
    // classes, also when one is drawn).
    const std::string what = ro.only_class ? "class " + std::to_string(*ro.only_class) + " of " + std::to_string(K)
                                           : std::to_string(K) + (K == 1 ? " class" : " classes");
    std::string scale = "per-class scales";
    if (ro.range == ScaleRange::shared) {
        // As the colorbar labels it.
        scale = "scale \u00b1" + format_scale(symmetric_scale(wf.model.W.data(), std::size_t(wf.model.W.size()),
                                                               ro.clip_percentile));
    }
    std::printf("%s -> %s (%d x %d), %s%s\n", what.c_str(), printable(opt.output).c_str(), img.width, img.height,
                scale.c_str(), ro.note.empty() ? "" : ", inputs deskewed");
    return 0;
}

}  // namespace mnistlr::cli
