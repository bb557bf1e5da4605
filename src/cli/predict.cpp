// mnistlr predict: the top-k classes, with probabilities, of image files (preprocessed the way MNIST
// was made, see preprocess.hpp) or of images taken as stored from an IDX file.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/json_out.hpp"
#include "cli/usage.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"
#include "mnistlr/learning/model.hpp"
#include "mnistlr/learning/model_input.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/model_files/model_io.hpp"

namespace mnistlr::cli {
namespace {

// The k most probable classes of column j, most probable first (lower index first on ties).
std::vector<std::uint32_t> top_k(const Matrix& P, Eigen::Index j, std::size_t k) {
    std::vector<std::uint32_t> order(static_cast<std::size_t>(P.rows()));
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return P(a, j) != P(b, j) ? P(a, j) > P(b, j) : a < b;  // as a stable sort of 0..K-1 (see evidence.cpp)
    });
    order.resize(std::min(k, order.size()));
    return order;
}

// Column j of X (the model's input) as text, two characters per pixel (terminal cells are about
// twice as tall as wide).
void print_art(const Matrix& X, Eigen::Index j, const SoftmaxModel& model) {
    static const char kRamp[] = " .:-=+*#%@";
    for (std::uint32_t y = 0; y < model.rows; ++y) {
        std::string line = "  ";
        for (std::uint32_t x = 0; x < model.cols; ++x) {
            const float v = X(static_cast<Eigen::Index>(std::size_t{y} * model.cols + x), j);
            const auto level = static_cast<std::size_t>(std::clamp(v * 10.0f, 0.0f, 9.0f));
            line.append(2, kRamp[level]);
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::printf("%s\n", line.c_str());
    }
}

}  // namespace

std::shared_ptr<PredictOptions> setup_predict(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<PredictOptions>();
    auto* sub = app.add_subcommand("predict", "Classify images: the top-k classes with their probabilities");
    add_model_argument(*sub, opt->weights);
    auto* images = sub->add_option("images", opt->images,
                                   "Image files (PNG, JPEG, BMP, GIF, ...) of any size, dark ink on light "
                                   "or light on dark; cropped, scaled and centred the way MNIST was made")
                       ->check(nonempty_path())
                       ->option_text("IMAGE...");
    auto* idx = sub->add_option("--idx", opt->idx,
                                "Classify images of this IDX image file (e.g. t10k-images-idx3-ubyte) as stored, "
                                "without preprocessing")
                    ->check(nonempty_path())
                    ->option_text("FILE");
    auto* index = sub->add_option("--index", opt->indices, "Which images of --idx (0-based; repeat or separate with commas)")
                      ->delimiter(',')
                      ->transform(whole_number<std::size_t>(0, std::numeric_limits<std::size_t>::max()))
                      ->option_text("I");
    index->needs(idx);
    images->excludes(idx);
    auto* output = sub->add_option("-o,--output", opt->output,
                                   "With --idx and no --index: write the lines to FILE instead of standard output")
                       ->check(nonempty_path())
                       ->option_text("FILE");
    auto* probabilities = sub->add_flag("--probabilities", opt->probabilities,
                                        "With --idx and no --index: every class's probability, a column each");
    for (auto* o : {output, probabilities}) {
        o->needs(idx);
        o->excludes(index);
    }
    sub->add_option("-k,--top", opt->k, "Number of classes to show per input (at most the class count)")
        ->capture_default_str()
        ->transform(whole_number<std::size_t>(1, std::numeric_limits<std::size_t>::max()));
    sub->add_flag("--json", opt->json, "Print one JSON object instead of the table");
    sub->add_flag("--show", opt->show, "Also draw each input as the model sees it, as text");
    sub->footer(
        "With --idx FILE and no --index, every image of the file is classified, one line each: CSV "
        "'index,label,probability' (label: the predicted class, 0-based; probability: its), or with "
        "--probabilities 'index,label' and one column per class; with --json, one JSON object per line.");
    sub->callback([opt, &runner] {
        if (opt->images.empty() && opt->idx.empty())
            throw CLI::ValidationError("give image files, or --idx FILE [--index I]");
        if (opt->show && !opt->idx.empty() && opt->indices.empty())
            throw CLI::ValidationError("--show draws chosen images: give --index I with --idx");
        runner = [opt] { return run_predict(*opt); };
    });
    return opt;
}

namespace {

// A CSV field: quoted (with "" for ") when it holds a comma, a quote or a space at either end.
std::string csv_field(const std::string& s) {
    const bool quote = s.find_first_of(",\"") != std::string::npos || (!s.empty() && (s.front() == ' ' || s.back() == ' '));
    if (!quote) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

// predict --idx FILE without --index: every image, one line each, to stdout or -o (atomically).
int predict_every_image(const PredictOptions& opt, const WeightsFile& wf) {
    OutputSet outputs;
    AtomicFile* file = opt.output.empty() ? nullptr : &outputs.add(opt.output);
    for (const auto& in : model_files(opt.weights)) outputs.add_input(in);
    outputs.add_input(opt.idx);
    outputs.check();
    const IdxPredictions pr = predict_idx_file(opt.idx, wf.model, expects_deskewed(wf.info), opt.probabilities);
    std::string text;
    const auto flush = [&](bool last) {
        if (!last && text.size() < (1u << 20)) return;
        if (file) {
            file->write(text.data(), text.size());
        } else {
            std::fwrite(text.data(), 1, text.size(), stdout);
        }
        text.clear();
    };
    char num[32];
    const auto number = [&](float v) {
        std::snprintf(num, sizeof num, "%.6g", static_cast<double>(v));
        return std::string(num);
    };
    if (!opt.json) {
        text = "index,label";
        if (opt.probabilities) {
            for (std::uint32_t c = 0; c < wf.model.classes(); ++c) text += "," + csv_field(class_name(wf.info, c));
        } else {
            text += ",probability";
        }
        text += '\n';
    }
    for (std::size_t i = 0; i < pr.count; ++i) {
        if (opt.json) {
            nlohmann::json j = {{"index", i},
                                {"label", pr.predicted[i]},
                                {"name", class_name(wf.info, pr.predicted[i])},
                                {"probability", pr.probability[i]}};
            if (opt.probabilities)
                j["probabilities"] = std::vector<float>(pr.all.begin() + static_cast<std::ptrdiff_t>(i * pr.classes),
                                                        pr.all.begin() + static_cast<std::ptrdiff_t>((i + 1) * pr.classes));
            text += json_line(j);
        } else {
            text += std::to_string(i) + ',' + std::to_string(pr.predicted[i]);
            if (opt.probabilities) {
                for (std::size_t c = 0; c < pr.classes; ++c) text += ',' + number(pr.all[i * pr.classes + c]);
            } else {
                text += ',' + number(pr.probability[i]);
            }
        }
        text += '\n';
        flush(false);
    }
    flush(true);
    if (file) {
        outputs.commit();
        std::fprintf(stderr, "%zu images -> %s\n", pr.count, printable(opt.output).c_str());
    }
    return 0;
}

}  // namespace

int run_predict(const PredictOptions& opt) {
    const WeightsFile wf = load_model(opt.weights);
    if (!opt.idx.empty() && opt.indices.empty()) return predict_every_image(opt, wf);
    const SoftmaxModel& model = wf.model;
    const bool deskew = expects_deskewed(wf.info);  // the model sees its inputs as it saw its training set
    const ModelInputs given = opt.idx.empty() ? image_inputs(opt.images, model.rows, model.cols, deskew)
                                              : idx_inputs(opt.idx, opt.indices, model.rows, model.cols, deskew);
    const std::vector<InputItem>& inputs = given.items;
    const Matrix P = probabilities(model, given.X);  // K x n
    const std::size_t k = std::min<std::size_t>(opt.k, model.classes());

    if (opt.json) {
        nlohmann::json preds = nlohmann::json::array();
        for (std::size_t j = 0; j < inputs.size(); ++j) {
            nlohmann::json top = nlohmann::json::array();
            for (std::uint32_t c : top_k(P, static_cast<Eigen::Index>(j), k))
                top.push_back({{"class", c},
                               {"name", class_name(wf.info, c)},
                               {"probability", P(c, static_cast<Eigen::Index>(j))}});
            nlohmann::json p = {{"input", inputs[j].name}, {"file", inputs[j].file}, {"top", top}};
            if (inputs[j].index >= 0) p["index"] = inputs[j].index;
            preds.push_back(p);
        }
        const nlohmann::json j = {{"command", "predict"}, {"weights", opt.weights}, {"k", k}, {"predictions", preds}};
        std::cout << json_line(j) << '\n';
        return 0;
    }

    // One line per input: name, then k columns of "class  probability%", all aligned.
    // Input names are paths: printable() keeps a newline or an escape sequence in one from breaking
    // the table or reaching the terminal. Class names were checked when the model was loaded.
    std::vector<std::string> names;
    for (const auto& in : inputs) names.push_back(printable(in.name));
    std::size_t name_w = std::string("input").size(), class_w = 0;
    for (const auto& n : names) name_w = std::max(name_w, n.size());
    for (std::uint32_t c = 0; c < model.classes(); ++c) class_w = std::max(class_w, class_name(wf.info, c).size());
    const std::size_t cell_w = class_w + 2 + 7;  // name, two spaces, "100.00%"
    std::string head = "input" + std::string(name_w - 5, ' ');
    for (std::size_t r = 0; r < k; ++r) {
        std::string title = r == 0 ? "top 1" : "top " + std::to_string(r + 1);
        head += "   " + title + std::string(cell_w > title.size() ? cell_w - title.size() : 0, ' ');
    }
    while (!head.empty() && head.back() == ' ') head.pop_back();
    std::printf("%s\n", head.c_str());
    for (std::size_t j = 0; j < inputs.size(); ++j) {
        std::string line = names[j] + std::string(name_w - names[j].size(), ' ');
        for (std::uint32_t c : top_k(P, static_cast<Eigen::Index>(j), k)) {
            const std::string name = class_name(wf.info, c);
            char prob[32];
            std::snprintf(prob, sizeof prob, "%6.2f%%", 100.0 * static_cast<double>(P(c, static_cast<Eigen::Index>(j))));
            line += "   " + name + std::string(class_w - name.size() + 2, ' ') + prob;
        }
        std::printf("%s\n", line.c_str());
        if (opt.show) {
            print_art(given.X, static_cast<Eigen::Index>(j), model);
            if (j + 1 < inputs.size()) std::printf("\n");
        }
    }
    return 0;
}

}  // namespace mnistlr::cli
