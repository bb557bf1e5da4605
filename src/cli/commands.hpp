// The subcommands. Each lives in its own file: an options struct bound to its flags by setup_*(),
// and a run_*() that does the work through the core library and returns the exit code.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mnistlr::cli {

// Set by the subcommand that was parsed; main() calls it after parsing.
using Runner = std::function<int()>;

struct TrainOptions {
    std::string data;  // empty: find_data_dir() (data_dirs.hpp)
    std::string data_argument;  // the DIR argument: the same as --data (at most one of them)
    float lr = 0.5f;
    std::size_t steps = 1000;
    double epochs = 0.0;  // > 0 overrides steps
    std::size_t batch = 64;
    std::uint32_t seed = 0;
    float l2 = 0.0f;
    std::string output = "weights.bin";
    bool quiet = false;
    bool json = false;
    double min_accuracy = -1.0;  // < 0: no gate
    std::size_t eval_every = 0;  // 0: no learning curves
    std::string log;             // CSV of the curves (with eval_every)
    bool eval_train = false;     // curves also on the full training set
    bool keep_diverged = false;
    bool save_on_interrupt = false;
    std::string dataset = "auto";    // catalog.hpp: mnist, fashion, kmnist, emnist-<split>, generic
    std::string classes_file;        // one class name per line
    std::string transpose = "auto";  // auto | on | off
    std::string schedule = "constant";  // constant | linear | cosine
    float momentum = 0.0f;
    bool nesterov = false;
    double average = 0.0;         // fraction of final steps whose iterates are averaged
    std::string optimizer = "sgd";  // sgd | adam
    float smooth = 0.0f;            // smoothness penalty on the weight pictures
    std::size_t validation = 0;   // hold out the first N training images
    std::string recipe;           // "reference" | "best": a named set of the flags above
    bool deskew = false;          // deskew every image before training (deskew.hpp); recorded in the model
    bool deskew_given = false;    // --deskew or --no-deskew was on the command line (else the recipe decides)
    bool zero_blank = false;      // keep the weights of pixels no training image inks at 0
    unsigned threads = 0;         // evaluation threads (0: up to 2, per hardware)
    std::string animate;                   // GIF of the templates forming (animation.hpp); empty: none
    std::size_t frame_every = 0;           // one frame every N steps; 0: about 100 frames
    std::string animate_range = "shared";  // shared | per-frame
    int scale = 4;                         // pixels per weight in the animation's tiles
};
std::shared_ptr<TrainOptions> setup_train(CLI::App& app, Runner& runner);
int run_train(const TrainOptions& opt);

struct PlotWeightsOptions {
    std::string weights;           // weights file to draw
    std::string output;            // PNG to write
    std::string cmap = "rdbu";     // rdbu | gray | viridis
    std::string range = "shared";  // shared | per-class
    double clip = 100.0;           // symmetric percentile clip; 100: none
    int scale = 8;                 // nearest-neighbour upscale per weight
    int cols = 0;                  // grid columns; 0: automatic
    int only_class = -1;           // >= 0: draw this class only
    bool no_colorbar = false;
};
std::shared_ptr<PlotWeightsOptions> setup_plot_weights(CLI::App& app, Runner& runner);
int run_plot_weights(const PlotWeightsOptions& opt);

struct EvalOptions {
    std::string weights;         // weights file or directory with W.npy + b.npy
    std::string data;            // empty: find_data_dir() (data_dirs.hpp)
    std::string split = "test";  // test | train
    bool json = false;
    double min_accuracy = -1.0;  // < 0: no gate
    std::string dataset;         // empty: the one recorded in the weights file, else auto
    std::string transpose;       // empty: as recorded in the weights file; auto | on | off
    unsigned threads = 0;        // 0: up to 2, per hardware
    std::string errors;              // PNG of the most confident mistakes (error_gallery.hpp); empty: none
    std::size_t errors_count = 36;   // mistakes drawn (and listed by --json)
    std::string confusion;           // PNG of the confusion matrix (confusion_heatmap.hpp); empty: none
    std::string normalize = "true";  // the heatmap's cell colours: true | pred | none
};
std::shared_ptr<EvalOptions> setup_eval(CLI::App& app, Runner& runner);
int run_eval(const EvalOptions& opt);

struct PredictOptions {
    std::string weights;               // weights file or directory with W.npy + b.npy
    std::vector<std::string> images;   // PNG/JPEG/... files
    std::string idx;                   // IDX image file (instead of images)
    std::vector<std::size_t> indices;  // images of `idx` to classify; none: every image, one line each
    std::size_t k = 3;
    bool json = false;
    bool show = false;           // print the model's input as text art
    std::string output;          // every image of `idx`: write the lines here instead of stdout
    bool probabilities = false;  // every image of `idx`: every class's probability
};
std::shared_ptr<PredictOptions> setup_predict(CLI::App& app, Runner& runner);
int run_predict(const PredictOptions& opt);

struct ExportOptions {
    std::string weights;  // weights file or directory with W.npy + b.npy
    std::string npy_dir;  // where W.npy and b.npy go
    bool json = false;    // one JSON object instead of the lines
};
std::shared_ptr<ExportOptions> setup_export(CLI::App& app, Runner& runner);
int run_export(const ExportOptions& opt);

struct PlotCurvesOptions {
    std::string csv;       // curves CSV written by mnistlr train --log
    std::string output;    // PNG to write
    int width = 1200;      // image size at scale 1
    int height = 520;
    int scale = 1;         // everything this many times larger
    std::string title;     // empty: default_curves_title() unless --title was given
    bool title_set = false;
    std::size_t smooth = 0;  // > 1: moving average of the minibatch series over this many records
};
std::shared_ptr<PlotCurvesOptions> setup_plot_curves(CLI::App& app, Runner& runner);
int run_plot_curves(const PlotCurvesOptions& opt);

struct ExplainOptions {
    std::string weights;               // weights file or directory with W.npy + b.npy
    std::vector<std::string> images;   // image files, prepared as predict prepares them
    std::string idx;                   // IDX image file (instead of images)
    std::vector<std::size_t> indices;  // images of `idx`, or of the data set's split
    std::string data;                  // with indices and no idx; empty: as eval finds it
    std::string split = "test";        // test | train
    std::string dataset;               // empty: the one recorded in the weights file
    std::string transpose;             // empty: as recorded in the weights file
    std::string output;                // PNG to write; empty only with --json
    std::size_t k = 3;                 // top classes drawn per input
    std::string vs;                    // "": no versus map; a class index or name, or "runner-up"
    int scale = 8;                     // pixels per image pixel
    bool json = false;
};
std::shared_ptr<ExplainOptions> setup_explain(CLI::App& app, Runner& runner);
int run_explain(const ExplainOptions& opt);

struct HelpOptions {
    std::string subcommand;  // empty: list the subcommands
};
std::shared_ptr<HelpOptions> setup_help(CLI::App& app, Runner& runner);
int run_help(const CLI::App& app, const HelpOptions& opt);

struct InfoOptions {
    std::string weights;  // weights file or directory with W.npy + b.npy
    bool json = false;
};
std::shared_ptr<InfoOptions> setup_info(CLI::App& app, Runner& runner);
int run_info(const InfoOptions& opt);

}  // namespace mnistlr::cli
