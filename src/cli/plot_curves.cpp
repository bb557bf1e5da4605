// mnistlr plot-curves: read the learning curves written by `train --eval-every N --log FILE`
// (curves.hpp), draw loss and accuracy against the step (plot.hpp) and write the PNG.
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "cli/usage.hpp"
#include "mnistlr/pictures/curves.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"
#include "mnistlr/pictures/plot.hpp"
#include "mnistlr/pictures/png.hpp"
#include "mnistlr/pictures/text.hpp"

namespace mnistlr::cli {

std::shared_ptr<PlotCurvesOptions> setup_plot_curves(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<PlotCurvesOptions>();
    auto* sub = app.add_subcommand("plot-curves", "Draw the learning curves of train --log as a PNG (loss and accuracy)");
    sub->add_option("curves", opt->csv, "CSV written by mnistlr train --eval-every N --log FILE")
        ->required()
        ->check(nonempty_path());
    sub->add_option("output", opt->output, "PNG file to write")->required()->check(nonempty_path());
    sub->add_option("--width", opt->width, "Image width in pixels (times --scale)")
        ->capture_default_str()
        ->transform(whole_number<int>(kMinPlotWidth, kMaxPlotWidth));
    sub->add_option("--height", opt->height, "Image height in pixels (times --scale)")
        ->capture_default_str()
        ->transform(whole_number<int>(kMinPlotHeight, kMaxPlotHeight));
    sub->add_option("--scale", opt->scale, "Draw everything (size, text, lines) this many times larger")
        ->capture_default_str()
        ->transform(whole_number<int>(1, kMaxPlotScale));
    sub->add_option("--title", opt->title,
                    "Title above the panels (\"\" for none) [default: the final test accuracy and step]");
    sub->add_option("--smooth", opt->smooth,
                    "Also draw the noisy minibatch series as a moving average over N records (0: off)")
        ->capture_default_str()
        ->transform(whole_number<std::size_t>(0, 1000000));
    sub->callback([opt, sub, &runner] {
        opt->title_set = sub->count("--title") > 0;
        runner = [opt] { return run_plot_curves(*opt); };
    });
    return opt;
}

int run_plot_curves(const PlotCurvesOptions& opt) {
    CurvesPlotOptions po;
    po.width = opt.width;
    po.height = opt.height;
    po.scale = opt.scale;
    po.smooth = opt.smooth;

    // Claim the output first: an unwritable destination fails before any work, and nothing is left
    // behind when the CSV is refused.
    OutputSet outputs;
    AtomicFile& out = outputs.add(opt.output);
    outputs.add_input(opt.csv);
    const Curves curves = load_curves_csv(opt.csv);
    po.title = opt.title_set ? opt.title : default_curves_title(curves);
    const Font font = Font::load_default();
    RgbImage img;
    try {
        img = render_curves(curves, po, font);
    } catch (const Error& e) {
        throw Error(opt.output, e.what());
    }
    const auto png = encode_png(img);
    out.write(png.data(), png.size());
    outputs.commit();
    std::printf("curves (%zu rows) -> %s (%d x %d)\n", curves.rows(), printable(opt.output).c_str(), img.width, img.height);
    return 0;
}

}  // namespace mnistlr::cli
