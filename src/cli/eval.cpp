// mnistlr eval: loss, accuracy, per-class accuracy and the confusion matrix of a model on a split,
// as aligned tables or one JSON object; optionally a CI gate on the accuracy (exit 3 below it), the
// gallery of the most confident mistakes (--errors) and the confusion heatmap (--confusion), written
// as one set of outputs.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/json_out.hpp"
#include "cli/model_data.hpp"
#include "cli/usage.hpp"
#include "mnistlr/data/catalog.hpp"
#include "mnistlr/data/dataset.hpp"
#include "mnistlr/data/file_io.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/learning/deskew.hpp"
#include "mnistlr/learning/evaluate.hpp"
#include "mnistlr/learning/mistakes.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/model_files/model_io.hpp"
#include "mnistlr/pictures/chart.hpp"
#include "mnistlr/pictures/confusion_heatmap.hpp"
#include "mnistlr/pictures/error_gallery.hpp"
#include "mnistlr/pictures/png.hpp"

namespace mnistlr::cli {
namespace {

struct ClassRow {
    std::uint64_t count = 0;    // samples whose true class this is (row sum)
    std::uint64_t correct = 0;  // of those, predicted as it (diagonal)
    double accuracy() const { return count ? static_cast<double>(correct) / static_cast<double>(count) : 0.0; }
};

std::vector<ClassRow> per_class(const Metrics& m) {
    std::vector<ClassRow> rows(m.classes);
    for (std::uint32_t t = 0; t < m.classes; ++t) {
        for (std::uint32_t p = 0; p < m.classes; ++p) rows[t].count += m.confusion[std::size_t{t} * m.classes + p];
        rows[t].correct = m.confusion[std::size_t{t} * m.classes + t];
    }
    return rows;
}

std::string pad_left(const std::string& s, std::size_t w) { return std::string(w > s.size() ? w - s.size() : 0, ' ') + s; }
std::string pad_right(const std::string& s, std::size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); }

void print_tables(const EvalOptions& opt, const WeightsFile& wf, const Split& split, const Metrics& m) {
    const std::uint32_t K = m.classes;
    std::vector<std::string> names(K);
    std::size_t name_w = 0;
    for (std::uint32_t k = 0; k < K; ++k) {
        names[k] = class_name(wf.info, k);
        name_w = std::max(name_w, names[k].size());
    }
    std::printf("model     %s  (%u classes, %u x %u pixels)\n", printable(opt.weights).c_str(), K, wf.model.rows, wf.model.cols);
    std::printf("data      %s  (%s split, %zu images%s)\n", printable(split.images_path).c_str(), opt.split.c_str(), m.count,
                expects_deskewed(wf.info) ? ", deskewed as the model was trained" : "");
    std::printf("loss      %.4f\n", m.loss);
    std::printf("accuracy  %.4f  (%zu of %zu correct)\n\n", m.accuracy, m.correct, m.count);

    // Per-class accuracy.
    const auto rows = per_class(m);
    const std::size_t cw = std::max(name_w, std::string("class").size());
    std::uint64_t max_count = 1;
    for (auto v : m.confusion) max_count = std::max(max_count, v);
    const std::size_t nw = std::max<std::size_t>(std::to_string(max_count).size(), 7);
    std::printf("%s  %s  %s  accuracy\n", pad_right("class", cw).c_str(), pad_left("count", nw).c_str(),
                pad_left("correct", nw).c_str());
    for (std::uint32_t k = 0; k < K; ++k)
        std::printf("%s  %s  %s  %s\n", pad_right(names[k], cw).c_str(), pad_left(std::to_string(rows[k].count), nw).c_str(),
                    pad_left(std::to_string(rows[k].correct), nw).c_str(),
                    pad_left(rows[k].count ? format_fixed(rows[k].accuracy(), 4) : "-", 8).c_str());

    // Confusion matrix: one column per predicted class, wide enough for its name and its counts.
    std::printf("\nconfusion matrix (rows: true class, columns: predicted class)\n");
    const std::string corner = "true \\ predicted";
    const std::size_t rw = std::max(corner.size(), name_w);
    std::vector<std::size_t> colw(K);
    for (std::uint32_t p = 0; p < K; ++p) {
        colw[p] = names[p].size();
        for (std::uint32_t t = 0; t < K; ++t)
            colw[p] = std::max(colw[p], std::to_string(m.confusion[std::size_t{t} * K + p]).size());
    }
    std::string line = pad_right(corner, rw);
    for (std::uint32_t p = 0; p < K; ++p) line += "  " + pad_left(names[p], colw[p]);
    std::printf("%s\n", line.c_str());
    for (std::uint32_t t = 0; t < K; ++t) {
        line = pad_right(names[t], rw);
        for (std::uint32_t p = 0; p < K; ++p)
            line += "  " + pad_left(std::to_string(m.confusion[std::size_t{t} * K + p]), colw[p]);
        std::printf("%s\n", line.c_str());
    }
}

// What eval drew, for the summary lines and --json.
struct Figures {
    std::vector<Mistake> mistakes;  // with --errors: the most confident, in order
    std::size_t total_mistakes = 0;
    int errors_width = 0, errors_height = 0;  // of the gallery, when asked for
    RgbImage confusion;                        // empty when not asked for
};

nlohmann::json to_json(const EvalOptions& opt, const std::string& data_dir, const WeightsFile& wf, const Split& split,
                       const Metrics& m, const Figures& fig) {
    const std::uint32_t K = m.classes;
    nlohmann::json names = nlohmann::json::array(), classes = nlohmann::json::array(),
                   confusion = nlohmann::json::array();
    const auto rows = per_class(m);
    for (std::uint32_t k = 0; k < K; ++k) {
        names.push_back(class_name(wf.info, k));
        classes.push_back({{"class", k},
                           {"name", class_name(wf.info, k)},
                           {"count", rows[k].count},
                           {"correct", rows[k].correct},
                           {"accuracy", rows[k].count ? nlohmann::json(rows[k].accuracy()) : nlohmann::json()}});
        confusion.push_back(std::vector<std::uint64_t>(m.confusion.begin() + std::ptrdiff_t{k} * K,
                                                        m.confusion.begin() + std::ptrdiff_t{k + 1} * K));
    }
    nlohmann::json j = {{"command", "eval"},
                        {"weights", opt.weights},
                        {"data", data_dir},
                        {"split", opt.split},
                        {"images", split.images_path},
                        {"labels", split.labels_path},
                        {"image_rows", wf.model.rows},
                        {"image_cols", wf.model.cols},
                        {"classes", K},
                        {"deskewed", expects_deskewed(wf.info)},
                        {"class_names", names},
                        {"count", m.count},
                        {"correct", m.correct},
                        {"loss", m.loss},
                        {"accuracy", m.accuracy},
                        {"per_class", classes},
                        {"confusion", confusion}};
    if (opt.min_accuracy >= 0) {
        j["min_accuracy"] = opt.min_accuracy;
        j["passed"] = m.accuracy >= opt.min_accuracy;
    }
    if (!opt.errors.empty()) {
        nlohmann::json list = nlohmann::json::array();
        for (const Mistake& e : fig.mistakes)
            list.push_back({{"index", e.index},
                            {"true", e.truth},
                            {"true_name", class_name(wf.info, e.truth)},
                            {"predicted", e.predicted},
                            {"predicted_name", class_name(wf.info, e.predicted)},
                            {"probability", e.probability}});
        j["errors"] = {{"output", opt.errors},
                       {"width", fig.errors_width},
                       {"height", fig.errors_height},
                       {"mistakes", fig.total_mistakes},
                       {"shown", list}};
    }
    if (!opt.confusion.empty())
        j["confusion_png"] = {{"output", opt.confusion},
                              {"normalize", opt.normalize},
                              {"width", fig.confusion.width},
                              {"height", fig.confusion.height}};
    return j;
}

}  // namespace

std::shared_ptr<EvalOptions> setup_eval(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<EvalOptions>();
    auto* sub = app.add_subcommand(
        "eval", "Evaluate a model on a data split: loss, accuracy, per-class accuracy, confusion matrix");
    add_model_argument(*sub, opt->weights);
    sub->add_option("--data", opt->data,
                    "Directory with the IDX files (train-/t10k-images/labels, raw or .gz) "
                    "[default: as for train, for the data set the model was trained on]")
        ->check(nonempty_path())
        ->option_text("DIR");
    sub->add_option("--dataset", opt->dataset,
                    "Data set (as for train) [default: the one the weights were trained on]")
        ->check(one_of(dataset_kind_names()));
    sub->add_option("--transpose", opt->transpose,
                    "Transpose images on loading [default: as when the weights were trained]")
        ->check(one_of({"auto", "on", "off"}));
    sub->add_option("--split", opt->split, "Split to evaluate on: test (t10k-* files) or train")
        ->capture_default_str()
        ->check(one_of({"test", "train"}));
    sub->add_option("--threads", opt->threads, "Threads (results are the same for any count; 0: up to 2, per hardware)")
        ->capture_default_str()
        ->transform(whole_number<unsigned>(0, 64));
    sub->add_flag("--json", opt->json, "Print one JSON object with all results instead of the tables");
    sub->add_option("--min-accuracy", opt->min_accuracy,
                    "CI gate: when the accuracy is below A, say so on stderr and exit with status 3")
        ->transform(finite_number<double>(0.0, 1.0))
        ->option_text("A");
    auto* errors = sub->add_option("--errors", opt->errors,
                                   "Write a PNG of the most confident mistakes: each image titled true -> predicted, "
                                   "the probability of the predicted class and its index in the split")
                       ->check(nonempty_path())
                       ->option_text("FILE");
    sub->add_option("--errors-count", opt->errors_count, "Mistakes to draw (and list with --json), most confident first")
        ->capture_default_str()
        ->transform(whole_number<std::size_t>(1, 10000))
        ->option_text("N")
        ->needs(errors);
    auto* confusion = sub->add_option("--confusion", opt->confusion,
                                      "Write the confusion matrix as a PNG heatmap (rows: true class, columns: "
                                      "predicted; the mistakes on a scale of their own)")
                          ->check(nonempty_path())
                          ->option_text("FILE");
    sub->add_option("--normalize", opt->normalize,
                    "Heatmap cell colour: share of the true class (true), of the predicted class (pred), or the "
                    "count (none)")
        ->capture_default_str()
        ->check(one_of({"true", "pred", "none"}))
        ->needs(confusion);
    sub->callback([opt, &runner] { runner = [opt] { return run_eval(*opt); }; });
    return opt;
}

int run_eval(const EvalOptions& opt) {
    // Claim the pictures first: an unwritable destination fails before any work. They are written
    // as a unit, renamed into place only when both are complete, and never over an input.
    OutputSet outputs;
    AtomicFile* errors_out = opt.errors.empty() ? nullptr : &outputs.add(opt.errors);
    AtomicFile* confusion_out = opt.confusion.empty() ? nullptr : &outputs.add(opt.confusion);
    for (const auto& in : model_files(opt.weights)) outputs.add_input(in);
    const WeightsFile wf = load_model(opt.weights);
    // The data set and orientation the model was trained with, unless the flags say otherwise.
    const LoadedData loaded = load_model_data(wf, {opt.data, opt.dataset, opt.transpose});
    warn_on_data_mismatch(wf, loaded);
    for (const Split* sp : {&loaded.data.train, &loaded.data.test}) {
        outputs.add_input(sp->images_path);
        outputs.add_input(sp->labels_path);
    }
    const std::string& data_dir = loaded.dir;
    Split split = opt.split == "train" ? loaded.data.train : loaded.data.test;
    if (expects_deskewed(wf.info)) deskew_split(split, opt.threads);  // as train deskewed its data
    const std::uint32_t K = wf.model.classes();
    std::vector<std::string> names;
    for (std::uint32_t k = 0; k < K; ++k) names.push_back(class_name(wf.info, k));

    // The pictures' sizes are checked before the evaluation, each error naming its file.
    ErrorGalleryOptions go;
    go.split_name = opt.split;
    go.images = split.count;
    std::optional<Font> font;
    if (errors_out || confusion_out) font = Font::load_default();
    if (errors_out) {
        try {
            error_gallery_layout(wf.model.rows, wf.model.cols, opt.errors_count, go);
        } catch (const Error& e) {
            throw Error(opt.errors, e.what());
        }
    }
    if (confusion_out) {
        try {
            confusion_layout(names, split.count, *font);
        } catch (const Error& e) {
            throw Error(opt.confusion, e.what());
        }
    }

    const Metrics m = evaluate(wf.model, split, opt.threads);  // checks image size and labels against the model
    Figures fig;
    // The two pictures are independent: the heatmap is drawn and encoded on a second thread while
    // this one makes the gallery (Font is safe to share).
    std::future<std::vector<std::uint8_t>> confusion_png;
    if (confusion_out) {
        ConfusionOptions co;
        co.normalize = normalize_from_name(opt.normalize);
        co.split_name = opt.split;
        confusion_png = std::async(std::launch::async, [&fig, &m, &names, co, &font] {
            fig.confusion = render_confusion(m.confusion, names, co, *font);
            return encode_png(fig.confusion);
        });
    }
    if (errors_out) {
        fig.total_mistakes = count_mistakes(split, m.predicted);
        fig.mistakes = confident_mistakes(wf.model, split, m.predicted, opt.errors_count);
        go.total_mistakes = fig.total_mistakes;
        const GalleryLayout g = error_gallery_layout(split.rows, split.cols, fig.mistakes.size(), go);
        fig.errors_width = g.width;
        fig.errors_height = g.height;
        PngStream png(g.width, g.height);  // drawn band by band while earlier bands are deflated
        render_error_gallery_bands(split, wf.info, fig.mistakes, go, *font, [&png](RgbImage& band) { png.take(band); });
        png.finish([errors_out](const std::uint8_t* d, std::size_t n) { errors_out->write(d, n); });
    }
    if (confusion_out) {
        const auto png = confusion_png.get();
        confusion_out->write(png.data(), png.size());
    }
    outputs.commit();

    if (opt.json) {
        std::cout << json_line(to_json(opt, data_dir, wf, split, m, fig)) << '\n';
    } else {
        print_tables(opt, wf, split, m);
        if (errors_out)
            std::printf("\n%zu of %zu mistakes -> %s (%d x %d)\n", fig.mistakes.size(), fig.total_mistakes,
                        printable(opt.errors).c_str(), fig.errors_width, fig.errors_height);
        if (confusion_out)
            std::printf("%sconfusion matrix (normalize %s) -> %s (%d x %d)\n", errors_out ? "" : "\n",
                        opt.normalize.c_str(), printable(opt.confusion).c_str(), fig.confusion.width,
                        fig.confusion.height);
    }
    std::fflush(stdout);
    if (opt.min_accuracy >= 0 && m.accuracy < opt.min_accuracy) {
        std::fprintf(stderr, "mnistlr: %s accuracy %.4f is below the threshold %g (--min-accuracy)\n",
                     opt.split.c_str(), m.accuracy, opt.min_accuracy);
        return static_cast<int>(ExitCode::below_gate);
    }
    return 0;
}

}  // namespace mnistlr::cli
