// mnistlr explain: why the model chose what it chose, pixel by pixel: the evidence maps of the top
// classes of each input (evidence.hpp), drawn as one figure (explain_figure.hpp), and their exact
// numbers (logit, probability, bias, map sum) on stdout or as JSON.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/json_out.hpp"
#include "cli/model_data.hpp"
#include "cli/usage.hpp"
#include "mnistlr/data/catalog.hpp"
#include "mnistlr/data/file_io.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/learning/model_input.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/model_files/model_io.hpp"
#include "mnistlr/pictures/evidence.hpp"
#include "mnistlr/pictures/explain_figure.hpp"
#include "mnistlr/pictures/png.hpp"
#include "mnistlr/pictures/render.hpp"

namespace mnistlr::cli {
namespace {

// The inputs the flags name, prepared as predict prepares them; every file read becomes an input of
// `outputs`, so that the figure can never overwrite one.
ModelInputs gather_inputs(const ExplainOptions& opt, const WeightsFile& wf, OutputSet& outputs) {
    const SoftmaxModel& m = wf.model;
    const bool deskew = expects_deskewed(wf.info);  // as predict: what the model was trained on
    if (!opt.images.empty()) {
        for (const auto& path : opt.images) outputs.add_input(path);
        return image_inputs(opt.images, m.rows, m.cols, deskew);
    }
    if (!opt.idx.empty()) {
        outputs.add_input(opt.idx);
        return idx_inputs(opt.idx, opt.indices, m.rows, m.cols, deskew);
    }
    const LoadedData loaded = load_model_data(wf, {opt.data, opt.dataset, opt.transpose});
    warn_on_data_mismatch(wf, loaded);
    const Split& split = opt.split == "train" ? loaded.data.train : loaded.data.test;
    outputs.add_input(split.images_path);
    if (split.rows != m.rows || split.cols != m.cols)
        throw Error(split.images_path, "images are " + std::to_string(split.rows) + " x " + std::to_string(split.cols) +
                                           " but the model expects " + std::to_string(m.rows) + " x " +
                                           std::to_string(m.cols));
    return split_inputs(split, opt.indices, opt.split, deskew);
}

std::vector<std::string> class_names(const WeightsFile& wf) {
    std::vector<std::string> names;
    for (std::uint32_t k = 0; k < wf.model.classes(); ++k) names.push_back(class_name(wf.info, k));
    return names;
}

nlohmann::json to_json(const ExplainOptions& opt, const WeightsFile& wf, const ModelInputs& in,
                       const std::vector<Evidence>& ev, const ExplainFigureOptions& fo, float scale) {
    const SoftmaxModel& m = wf.model;
    nlohmann::json items = nlohmann::json::array();
    std::vector<float> d(m.pixels());
    for (std::size_t j = 0; j < ev.size(); ++j) {
        nlohmann::json classes = nlohmann::json::array();
        for (std::uint32_t k = 0; k < m.classes(); ++k)
            classes.push_back({{"class", k},
                               {"name", class_name(wf.info, k)},
                               {"logit", ev[j].logit[k]},
                               {"probability", ev[j].probability[k]},
                               {"bias", m.b[k]},
                               {"map_sum", ev[j].map_sum[k]}});
        const std::size_t k = std::min<std::size_t>(fo.top_k, m.classes());
        nlohmann::json item = {{"input", in.items[j].name},
                               {"file", in.items[j].file},
                               {"top", std::vector<std::uint32_t>(ev[j].order.begin(), ev[j].order.begin() + static_cast<std::ptrdiff_t>(k))},
                               {"classes", classes}};
        if (in.items[j].index >= 0) item["index"] = in.items[j].index;
        if (in.items[j].label >= 0) item["label"] = in.items[j].label;
        if (fo.versus.kind != VersusChoice::Kind::none) {
            const std::uint32_t a = ev[j].top(), c = versus_class(fo.versus, ev[j]);
            evidence_difference(m, in.X.col(static_cast<Eigen::Index>(j)).data(), a, c, d.data());
            item["versus"] = {{"class", a},
                              {"other", c},
                              {"logit_difference", static_cast<double>(ev[j].logit[a]) - static_cast<double>(ev[j].logit[c])},
                              {"bias_difference", static_cast<double>(m.b[a]) - static_cast<double>(m.b[c])},
                              {"map_sum", map_total(d.data(), d.size())}};
        }
        items.push_back(item);
    }
    nlohmann::json j = {{"command", "explain"}, {"weights", opt.weights}, {"k", std::min<std::size_t>(fo.top_k, m.classes())},
                        {"scale", scale}, {"inputs", items}};
    j["output"] = opt.output.empty() ? nlohmann::json() : nlohmann::json(opt.output);
    if (!opt.vs.empty()) j["vs"] = opt.vs;
    return j;
}

std::string pad_right(const std::string& s, std::size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); }

// One block per input: the drawn classes with their numbers, aligned; map sum + bias = logit.
void print_table(const WeightsFile& wf, const ModelInputs& in, const std::vector<Evidence>& ev,
                 const ExplainFigureOptions& fo) {
    const SoftmaxModel& m = wf.model;
    std::size_t name_w = std::string("input").size(), class_w = std::string("class").size();
    std::vector<std::string> names;
    for (const auto& item : in.items) {
        names.push_back(printable(item.name));
        name_w = std::max(name_w, names.back().size());
    }
    for (std::uint32_t k = 0; k < m.classes(); ++k) class_w = std::max(class_w, class_name(wf.info, k).size());
    std::printf("%s  %s  %10s  %11s  %10s  %8s\n", pad_right("input", name_w).c_str(), pad_right("class", class_w).c_str(),
                "logit z", "probability", "map sum", "bias b");
    std::vector<float> d(m.pixels());
    for (std::size_t j = 0; j < ev.size(); ++j) {
        const auto panels = explain_panels(ev[j], fo);
        bool first = true;
        for (const ExplainPanel& p : panels) {
            const std::string who = first ? names[j] : "";
            if (p.kind == ExplainPanel::Kind::cls) {
                std::printf("%s  %s  %10.4f  %11.6f  %10.4f  %8.4f\n", pad_right(who, name_w).c_str(),
                            pad_right(class_name(wf.info, p.cls), class_w).c_str(), static_cast<double>(ev[j].logit[p.cls]),
                            static_cast<double>(ev[j].probability[p.cls]), ev[j].map_sum[p.cls], static_cast<double>(m.b[p.cls]));
                first = false;
            } else if (p.kind == ExplainPanel::Kind::versus) {
                evidence_difference(m, in.X.col(static_cast<Eigen::Index>(j)).data(), p.cls, p.other, d.data());
                std::printf("%s  %s vs %s: z difference %.4f = map sum %.4f + bias difference %.4f\n",
                            pad_right(who, name_w).c_str(), class_name(wf.info, p.cls).c_str(),
                            class_name(wf.info, p.other).c_str(),
                            static_cast<double>(ev[j].logit[p.cls]) - static_cast<double>(ev[j].logit[p.other]),
                            map_total(d.data(), d.size()), static_cast<double>(m.b[p.cls]) - static_cast<double>(m.b[p.other]));
            }
        }
    }
}

}  // namespace

std::shared_ptr<ExplainOptions> setup_explain(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<ExplainOptions>();
    auto* sub = app.add_subcommand(
        "explain", "Why this class: each input's evidence maps (weight x pixel) for its top classes (PNG)");
    add_model_argument(*sub, opt->weights);
    auto* images = sub->add_option("images", opt->images, "Image files, prepared as predict prepares them")
                       ->check(nonempty_path())
                       ->option_text("IMAGE...");
    auto* idx = sub->add_option("--idx", opt->idx, "Explain images of this IDX image file, as stored (with --index)")
                    ->check(nonempty_path())
                    ->option_text("FILE");
    auto* index = sub->add_option("--index", opt->indices,
                                  "Which images (0-based; repeat or separate with commas): of --idx, else of the "
                                  "data set's --split")
                      ->delimiter(',')
                      ->transform(whole_number<std::size_t>(0, std::numeric_limits<std::size_t>::max()))
                      ->option_text("I");
    auto* data = sub->add_option("--data", opt->data,
                                 "Directory with the IDX files, for --index without --idx [default: as for eval]")
                     ->check(nonempty_path())
                     ->option_text("DIR");
    auto* split = sub->add_option("--split", opt->split, "Split the --index images come from: test or train")
                      ->capture_default_str()
                      ->check(one_of({"test", "train"}));
    auto* dataset = sub->add_option("--dataset", opt->dataset, "Data set (as for eval) [default: the model's]")
                        ->check(one_of(dataset_kind_names()));
    auto* transpose = sub->add_option("--transpose", opt->transpose, "As for eval")->check(one_of({"auto", "on", "off"}));
    sub->add_option("-o,--output", opt->output, "PNG file to write (required unless --json)")
        ->check(nonempty_path())
        ->option_text("FILE");
    sub->add_option("-k,--top", opt->k, "Number of top classes to draw per input")
        ->capture_default_str()
        ->transform(whole_number<std::size_t>(1, std::numeric_limits<std::size_t>::max()));
    sub->add_option("--vs", opt->vs,
                    "Add the map (w_top - w_CLASS) x pixel: what decided between the top class and CLASS (an "
                    "index or a name), or the runner-up")
        ->check(nonempty_path())
        ->option_text("CLASS|runner-up");
    sub->add_option("--scale", opt->scale, "Pixels per image pixel (nearest-neighbour upscale)")
        ->capture_default_str()
        ->transform(whole_number<int>(1, 64));
    sub->add_flag("--json", opt->json, "Print one JSON object with every class's logit, probability, bias and map sum");
    idx->needs(index);
    images->excludes(idx)->excludes(index);
    for (CLI::Option* o : {data, split, dataset, transpose}) {
        o->excludes(idx);
        o->excludes(images);
    }
    sub->callback([opt, &runner] {
        if (opt->images.empty() && opt->indices.empty())
            throw CLI::ValidationError("give image files, --idx FILE --index I, or --index I (images of --split)");
        if (opt->output.empty() && !opt->json) throw CLI::ValidationError("give -o FILE.png, or --json");
        runner = [opt] { return run_explain(*opt); };
    });
    return opt;
}

int run_explain(const ExplainOptions& opt) {
    // Claim the output first: an unwritable destination fails before any work, and nothing is left
    // behind when a later step fails.
    OutputSet outputs;
    AtomicFile* out = opt.output.empty() ? nullptr : &outputs.add(opt.output);
    for (const auto& in : model_files(opt.weights)) outputs.add_input(in);
    const WeightsFile wf = load_model(opt.weights);
    ExplainFigureOptions fo;
    fo.top_k = opt.k;
    fo.scale = opt.scale;
    if (!opt.vs.empty()) fo.versus = parse_versus(opt.vs, class_names(wf));
    const ModelInputs in = gather_inputs(opt, wf, outputs);
    ExplainLayout layout;
    if (out) {
        try {
            layout = explain_layout(wf.model.rows, wf.model.cols, in.items.size(), wf.model.classes(), fo);
        } catch (const Error& e) {
            throw Error(opt.output, e.what());
        }
    }
    const std::vector<Evidence> ev = evidence_of(wf.model, in.X);
    const float scale = explain_scale(wf.model, in, ev, fo);
    if (out) {
        PngStream png(layout.width, layout.height);
        render_explanation_bands(wf.model, wf.info, in, ev, fo, Font::load_default(),
                                 [&png](RgbImage& band) { png.take(band); });
        png.finish([out](const std::uint8_t* d, std::size_t n) { out->write(d, n); });
        outputs.commit();
    }
    if (opt.json) {
        std::cout << json_line(to_json(opt, wf, in, ev, fo, scale)) << '\n';
        return 0;
    }
    print_table(wf, in, ev, fo);
    std::printf("%zu %s -> %s (%d x %d), scale \u00b1%s\n", in.items.size(), in.items.size() == 1 ? "input" : "inputs",
                printable(opt.output).c_str(), layout.width, layout.height, format_scale(scale).c_str());
    return 0;
}

}  // namespace mnistlr::cli
