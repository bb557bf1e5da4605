// mnistlr train: load a data set, fit softmax regression by minibatch SGD, save the weights,
// report test loss and accuracy. Optional: learning curves (--eval-every, --log), a CI gate
// (--min-accuracy), a divergence guard (exit 4) and signal handling (INT/TERM/HUP: exit 128+signal,
// --save-on-interrupt keeps the weights so far).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/data_dirs.hpp"
#include "cli/json_out.hpp"
#include "cli/progress.hpp"
#include "cli/signals.hpp"
#include "cli/usage.hpp"
#include "mnistlr/data/catalog.hpp"
#include "mnistlr/pictures/animation.hpp"
#include "mnistlr/pictures/curves.hpp"
#include "mnistlr/pictures/text.hpp"
#include "mnistlr/data/dataset.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/learning/deskew.hpp"
#include "mnistlr/learning/evaluate.hpp"
#include "mnistlr/data/file_io.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/learning/trainer.hpp"
#include "mnistlr/model_files/weights_io.hpp"

namespace mnistlr::cli {
namespace {

// The tuned recipe behind --recipe best, chosen on validation (the first 5000 training images held
// out) by the mean validation accuracy over MNIST and Fashion-MNIST, averaged over seeds 0-2: Adam
// with a cosine schedule and a light smoothness penalty on the weight pictures (README). The tiny
// L2 keeps never-lit border pixels at zero (Adam would otherwise spread the smoothing into them);
// it ties with l2 0 on validation.
struct Recipe {
    float lr;
    std::size_t batch;
    double epochs;
    const char* schedule;
    float momentum;
    bool nesterov;
    double average;
    float l2;
    const char* optimizer;
    float smooth;
    bool zero_blank;
};
constexpr Recipe kBestRecipe{0.005f, 128, 10.0, "cosine", 0.0f, false, 0.0, 1e-5f, "adam", 1e-4f, true};

// The data sets --recipe best deskews: digits, where validation says it helps (README). Not
// Fashion-MNIST (clothes have no slant to undo; it loses there), nor KMNIST or EMNIST letters,
// which were not validated here.
bool best_recipe_deskews(const std::string& kind) {
    return kind == "mnist" || kind == "emnist-digits" || kind == "emnist-mnist";
}

// Flags given on the command line win over the recipe's.
void apply_best_recipe(TrainOptions& opt, const CLI::App& sub) {
    const auto unset = [&](const char* name) { return sub.count(name) == 0; };
    if (unset("--lr")) opt.lr = kBestRecipe.lr;
    if (unset("--batch")) opt.batch = kBestRecipe.batch;
    if (unset("--epochs") && unset("--steps")) opt.epochs = kBestRecipe.epochs;
    if (unset("--schedule")) opt.schedule = kBestRecipe.schedule;
    if (unset("--momentum")) opt.momentum = kBestRecipe.momentum;
    if (unset("--nesterov")) opt.nesterov = kBestRecipe.nesterov;
    if (unset("--average")) opt.average = kBestRecipe.average;
    if (unset("--l2")) opt.l2 = kBestRecipe.l2;
    if (unset("--optimizer")) opt.optimizer = kBestRecipe.optimizer;
    if (unset("--smooth")) opt.smooth = kBestRecipe.smooth;
    if (unset("--zero-blank")) opt.zero_blank = kBestRecipe.zero_blank;
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The data of a run: what was loaded, the training images (less the held-out ones) and the
// validation images (--validation).
struct RunData {
    LoadedData loaded;
    Dataset ds;
    Split validation;
    bool deskew;  // every image (training, validation, test) deskewed
};

// Loads the data set the flags name; every data file (and the class list) becomes an input of
// `outputs`, so that no output can overwrite one.
RunData load_run_data(const TrainOptions& opt, OutputSet& outputs) {
    if (!opt.classes_file.empty()) outputs.add_input(opt.classes_file);
    DataRequest req;
    req.dir = opt.data.empty() ? find_data_dir(opt.dataset) : opt.data;
    req.dataset = opt.dataset;
    req.transpose = parse_transpose(opt.transpose);
    req.classes_file = opt.classes_file;
    RunData d{load_data(req), {}, {}, false};
    if (const std::string m = dataset_mismatch(opt.dataset, d.loaded); !m.empty())
        std::fprintf(stderr, "mnistlr: warning: --dataset %s, but %s\n", opt.dataset.c_str(), printable(m).c_str());
    for (const Split* sp : {&d.loaded.data.train, &d.loaded.data.test}) {
        outputs.add_input(sp->images_path);
        outputs.add_input(sp->labels_path);
    }
    d.deskew = opt.deskew_given ? opt.deskew : opt.recipe == "best" && best_recipe_deskews(d.loaded.kind->name);
    if (d.deskew) {  // in place of the loaded bytes, so the mapped files are released: one uint8 copy
        deskew_split(d.loaded.data.train, opt.threads);
        deskew_split(d.loaded.data.test, opt.threads);
    }
    d.ds = d.loaded.data;
    if (opt.validation > 0) {
        Split& train = d.ds.train;
        if (opt.validation >= train.count)
            throw Error(train.images_path, "--validation " + std::to_string(opt.validation) +
                                               " leaves no training images (the file holds " +
                                               std::to_string(train.count) + ")");
        d.validation = sub_split(train, 0, opt.validation);
        train = sub_split(train, opt.validation, train.count - opt.validation);
    }
    return d;
}

// The trainer's settings from the flags (--epochs becomes steps over `train_count` images).
TrainConfig config_from(const TrainOptions& opt, std::size_t train_count) {
    TrainConfig cfg;
    cfg.lr = opt.lr;
    cfg.batch = opt.batch;
    cfg.seed = opt.seed;
    cfg.l2 = opt.l2;
    cfg.steps = opt.epochs > 0 ? checked_steps_for_epochs(opt.epochs, train_count, opt.batch) : opt.steps;
    cfg.record_every = opt.eval_every;
    cfg.schedule = opt.schedule == "cosine" ? Schedule::cosine
                   : opt.schedule == "linear" ? Schedule::linear
                                              : Schedule::constant;
    cfg.momentum = opt.momentum;
    cfg.nesterov = opt.nesterov;
    cfg.average_tail = opt.average;
    cfg.optimizer = opt.optimizer == "adam" ? Optimizer::adam : Optimizer::sgd;
    cfg.smooth = opt.smooth;
    cfg.zero_blank = opt.zero_blank;
    return cfg;
}

// The recipe a run's settings are: "reference" (the TF script's: the defaults) or "best" when they
// are exactly that recipe's, however they were given (`mnistlr train`, `--recipe reference`, or the
// same flags spelled out); "custom" when any setting differs (`--recipe best --lr 0.01` is custom).
// The seed, --validation and the data set are not part of a recipe.
std::string recipe_name(const TrainConfig& cfg, const RunData& d) {
    const bool sgd_plain = cfg.optimizer == Optimizer::sgd && cfg.schedule == Schedule::constant && cfg.momentum == 0.0f &&
                           !cfg.nesterov && cfg.average_tail == 0.0;
    if (sgd_plain && cfg.lr == 0.5f && cfg.batch == 64 && cfg.steps == 1000 && cfg.l2 == 0.0f && cfg.smooth == 0.0f &&
        !cfg.zero_blank && !d.deskew)
        return "reference";
    const Recipe& b = kBestRecipe;
    if (cfg.optimizer == Optimizer::adam && cfg.schedule == Schedule::cosine && cfg.momentum == b.momentum &&
        cfg.nesterov == b.nesterov && cfg.average_tail == b.average && cfg.lr == b.lr && cfg.batch == b.batch &&
        cfg.steps == checked_steps_for_epochs(b.epochs, d.ds.train.count, b.batch) && cfg.l2 == b.l2 &&
        cfg.smooth == b.smooth && cfg.zero_blank == b.zero_blank && d.deskew == best_recipe_deskews(d.loaded.kind->name))
        return "best";
    return "custom";
}

// What the weights file records about how the model was made (metrics are added once scored).
TrainingRecord record_of(const TrainOptions& opt, const TrainConfig& cfg, const RunData& d, std::size_t steps_done) {
    TrainingRecord r;
    r.lr = cfg.lr;
    r.batch = cfg.batch;
    r.steps = steps_done;
    r.seed = cfg.seed;
    r.l2 = cfg.l2;
    r.schedule = opt.schedule;
    r.momentum = cfg.momentum;
    r.nesterov = cfg.nesterov;
    r.average = cfg.average_tail;
    r.optimizer = opt.optimizer;
    r.smooth = cfg.smooth;
    r.validation = opt.validation;
    r.recipe = recipe_name(cfg, d);
    r.dataset = d.loaded.kind->name;
    r.transposed = d.loaded.transposed;
    r.train_count = d.ds.train.count;
    r.zero_blank = cfg.zero_blank;
    r.deskew = d.deskew;
    return r;
}

std::vector<std::uint8_t> weights_bytes(const SoftmaxModel& model, const RunData& d, const TrainingRecord& r) {
    ModelInfo info;
    info.class_names = d.loaded.class_names;
    store_training_record(r, info);
    return encode_weights(model, info);
}

void print_recipe(const TrainOptions& opt, const TrainConfig& cfg, bool deskew) {
    std::fprintf(stderr,
                 "recipe best: --optimizer %s --lr %g --batch %zu --steps %zu --schedule %s --momentum %g%s "
                 "--average %g --l2 %g --smooth %g%s%s\n",
                 opt.optimizer.c_str(), static_cast<double>(cfg.lr), cfg.batch, cfg.steps, opt.schedule.c_str(),
                 static_cast<double>(cfg.momentum), cfg.nesterov ? " --nesterov" : "", cfg.average_tail,
                 static_cast<double>(cfg.l2), static_cast<double>(cfg.smooth), cfg.zero_blank ? " --zero-blank" : "",
                 deskew ? " --deskew" : " --no-deskew");
}

// A signal stopped the loop: say so, keep the weights with --save-on-interrupt (never the curves
// of a cut run), and exit 128 + the signal's number.
int stop_by_signal(int sig, const TrainOptions& opt, const TrainConfig& cfg, const RunData& d, const TrainResult& tr,
                   AtomicFile& out) {
    std::fprintf(stderr, "mnistlr: interrupted by %s after step %zu of %zu", signal_name(sig), tr.steps_done,
                 cfg.steps);
    if (!opt.save_on_interrupt) {
        std::fprintf(stderr, "; nothing written\n");
        return 128 + sig;
    }
    TrainingRecord r = record_of(opt, cfg, d, tr.steps_done);
    r.interrupted = true;
    const auto bytes = weights_bytes(tr.model, d, r);
    out.write(bytes.data(), bytes.size());
    out.commit();
    std::fprintf(stderr, "; weights so far -> %s\n", printable(opt.output).c_str());
    return 128 + sig;
}

void report_divergence(const TrainOptions& opt, const TrainConfig& cfg, const Dataset& ds, const TrainResult& tr) {
    std::fprintf(stderr,
                 "mnistlr: error: training diverged at step %zu (%s %.4g; the untrained model's is %.3f); try a "
                 "smaller learning rate, e.g. --lr %g%s\n",
                 tr.steps_done,
                 std::isfinite(tr.divergence_loss) ? "mean minibatch loss of the last steps" : "minibatch loss",
                 tr.divergence_loss, std::log(static_cast<double>(ds.classes)), static_cast<double>(cfg.lr) / 10.0,
                 opt.keep_diverged ? "" : "; no weights written (--keep-diverged writes them)");
}

// train --animate: the GIF of the templates forming (animation.hpp). The file is claimed with the
// other outputs and written with them; the frames are copies of W taken in the step callback, so
// training is untouched (the weights file is byte-identical with and without).
class AnimationOutput {
public:
    AnimationOutput(const TrainOptions& opt, OutputSet& outputs)
        : path_(opt.animate), file_(opt.animate.empty() ? nullptr : &outputs.add(opt.animate)) {}

    // Before training: the frames of a `steps`-step run are allocated (refused when they would not
    // fit) and the font is loaded, so neither can fail after training.
    void plan(const TrainOptions& opt, const Dataset& ds, std::size_t steps) {
        if (!file_) return;
        AnimationOptions ao;
        ao.range = animation_range_from_name(opt.animate_range);
        ao.scale = opt.scale;
        ao.frame_every = opt.frame_every;
        try {
            anim_.emplace(ds.train.rows, ds.train.cols, ds.classes, steps, ao);
        } catch (const Error& e) {
            throw Error(path_, e.what());
        }
        font_.emplace(Font::load_default());
    }
    // In the step callback: the frame of this step, if it is one.
    void record(const StepInfo& s, std::optional<double> test_accuracy) {
        if (anim_ && anim_->wants(s.step)) anim_->record(s.step, *s.model, s.batch_loss, test_accuracy);
    }
    // After the final evaluation: the model trained is the last frame; the GIF goes to its temp file.
    void write(const TrainResult& tr, double test_accuracy, const RunData& d) {
        if (!anim_) return;
        anim_->finish(tr.steps_done, tr.model, tr.last_batch_loss, test_accuracy);
        ModelInfo info;
        info.class_names = d.loaded.class_names;
        const auto gif = anim_->encode_gif(info, *font_);
        file_->write(gif.data(), gif.size());
        bytes_ = gif.size();
    }
    void print_summary(const TrainOptions& opt) const {
        if (anim_ && !opt.quiet && !opt.json)
            std::printf("animation (%zu frames, %.1f MB) -> %s\n", anim_->frames(), static_cast<double>(bytes_) / 1e6,
                        printable(path_).c_str());
    }

private:
    std::string path_;
    AtomicFile* file_;
    std::optional<TemplateAnimation> anim_;
    std::optional<Font> font_;
    std::size_t bytes_ = 0;
};

void add_animation_options(CLI::App& sub, TrainOptions& opt) {
    auto* animate = sub.add_option("--animate", opt.animate,
                                   "Also write an animated GIF of the class templates forming during training "
                                   "(frames as plot-weights draws them)")
                        ->check(nonempty_path());
    sub.add_option("--frame-every", opt.frame_every,
                   "With --animate: one frame every N steps, plus step 0 and the last [default: about 100 frames]")
        ->transform(whole_number<std::size_t>(1, kMaxTrainSteps, "2^40"))
        ->needs(animate);
    sub.add_option("--animate-range", opt.animate_range,
                   "With --animate: shared (one colour scale, the largest |W| over the frames) or per-frame")
        ->capture_default_str()
        ->check(one_of({"shared", "per-frame"}))
        ->needs(animate);
    sub.add_option("--scale", opt.scale, "With --animate: pixels per weight in the tiles (as plot-weights --scale)")
        ->capture_default_str()
        ->transform(whole_number<int>(1, 64))
        ->needs(animate);
}

struct Timings {
    double load = 0.0, eval = 0.0;
    Clock::time_point start;
};

void print_result(const TrainOptions& opt, const TrainConfig& cfg, const RunData& d, const TrainResult& tr,
                  const ModelInfo& info, const Metrics& test, const std::optional<Metrics>& val,
                  const Curves& curves, const Timings& t) {
    if (opt.json) {
        nlohmann::json j = {
            {"command", "train"},
            {"data", d.loaded.dir},
            {"settings", info.settings},
            {"classes", d.ds.classes},
            {"image_rows", d.ds.train.rows},
            {"image_cols", d.ds.train.cols},
            {"test_accuracy", test.accuracy},
            {"test_loss", test.loss},
            {"metrics", info.metrics},
            {"final_batch_loss", tr.last_batch_loss},
            {"seconds", {{"load", t.load}, {"train", tr.seconds}, {"eval", t.eval}, {"total", since(t.start)}}},
            {"output", opt.output}};
        if (!opt.log.empty()) j["log"] = opt.log;
        if (!opt.animate.empty()) j["animation"] = opt.animate;
        std::cout << json_line(j) << '\n';
    } else if (!opt.quiet) {
        std::printf("test accuracy %.4f  test loss %.4f  (%zu steps, lr %g, batch %zu, seed %u; trained in %.3f s)"
                    "  weights -> %s\n",
                    test.accuracy, test.loss, tr.steps_done, static_cast<double>(cfg.lr), cfg.batch, cfg.seed,
                    tr.seconds, printable(opt.output).c_str());
        if (val)
            std::printf("validation accuracy %.4f  validation loss %.4f  (first %zu training images held out)\n",
                        val->accuracy, val->loss, opt.validation);
        if (!opt.log.empty())
            std::printf("learning curves (%zu rows) -> %s\n", curves.rows(), printable(opt.log).c_str());
    }
    std::fflush(stdout);
}

}  // namespace

std::shared_ptr<TrainOptions> setup_train(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<TrainOptions>();
    auto* sub = app.add_subcommand("train", "Train softmax regression by minibatch SGD and save the weights");
    auto* data = sub->add_option("--data", opt->data,
                                 "Directory with the IDX files (train-/t10k-images/labels, raw or .gz) "
                                 "[default: for auto $MNISTLR_DATA; else data/<set>, then "
                                 "$XDG_DATA_HOME/mnistlr/<set>; see README]")
                     ->check(nonempty_path())
                     ->option_text("DIR");
    // As LIBLINEAR's train takes its data file: `mnistlr train data/mnist`.
    sub->add_option("dir", opt->data_argument, "The data directory, instead of --data DIR (the same)")
        ->check(nonempty_path())
        ->option_text("DIR")
        ->excludes(data);
    sub->add_option("--dataset", opt->dataset,
                    "Which data set: names the classes, picks data/<name>, handles EMNIST's transposed images "
                    "and 1-based letters")
        ->capture_default_str()
        ->check(one_of(dataset_kind_names()));
    sub->add_option("--classes", opt->classes_file, "File of class names, one per line (overrides the data set's)")
        ->check(existing_file());
    sub->add_option("--transpose", opt->transpose, "Transpose images on loading (auto: on for EMNIST)")
        ->capture_default_str()
        ->check(one_of({"auto", "on", "off"}));
    sub->add_option("--lr", opt->lr, "Learning rate")
        ->capture_default_str()
        ->transform(finite_number<float>(0.0f, std::numeric_limits<float>::max(), true));
    const std::string max_steps = max_train_steps_text();
    auto* steps = sub->add_option("--steps", opt->steps, "Number of SGD steps (at most " + max_steps + ")")
                      ->capture_default_str()
                      ->transform(whole_number<std::size_t>(1, kMaxTrainSteps, "2^40"));
    sub->add_option("--epochs", opt->epochs,
                    "Train for this many passes over the data instead of --steps (the steps they take: at most " +
                        max_steps + ")")
        ->transform(finite_number<double>(0.0, static_cast<double>(kMaxTrainSteps), true, "2^40"))
        ->excludes(steps);
    sub->add_option("--batch", opt->batch, "Minibatch size")
        ->capture_default_str()
        ->transform(whole_number<std::size_t>(1, std::numeric_limits<std::size_t>::max()));
    sub->add_option("--seed", opt->seed, "Seed of the batch shuffling, 0 to 4294967295 (same seed: identical weights)")
        ->capture_default_str()
        ->transform(whole_number<std::uint32_t>(0, std::numeric_limits<std::uint32_t>::max()));
    sub->add_option("--l2", opt->l2, "L2 penalty on W: loss += l2/2 * |W|^2")
        ->capture_default_str()
        ->transform(finite_number<float>(0.0f, std::numeric_limits<float>::max()));
    sub->add_option("-o,--output", opt->output, "Where to write the weights file")
        ->capture_default_str()
        ->check(nonempty_path());
    sub->add_flag("-q,--quiet", opt->quiet, "No progress line and no summary (errors still go to stderr)");
    sub->add_flag("--json", opt->json, "Print one JSON object with settings and results instead of the summary");
    sub->add_option("--min-accuracy", opt->min_accuracy,
                    "CI gate: exit 3 when the test accuracy is below this (0 to 1)")
        ->transform(finite_number<double>(0.0, 1.0));
    auto* every = sub->add_option("--eval-every", opt->eval_every,
                                  "Every N steps record the minibatch's and the full test set's loss and accuracy")
                      ->transform(whole_number<std::size_t>(1, std::numeric_limits<std::size_t>::max()));
    sub->add_option("--log", opt->log, "CSV file for the curves recorded by --eval-every")
        ->check(nonempty_path())
        ->needs(every);
    sub->add_flag("--eval-train", opt->eval_train, "With --eval-every, also evaluate the full training set")
        ->needs(every);
    sub->add_flag("--keep-diverged", opt->keep_diverged, "Write the weights even when training diverges (exit 4)");
    sub->add_flag("--save-on-interrupt", opt->save_on_interrupt,
                  "On Ctrl-C, save the weights reached so far (still exits 130)");
    sub->add_option("--schedule", opt->schedule, "Learning-rate schedule over the run")
        ->capture_default_str()
        ->check(one_of({"constant", "linear", "cosine"}));
    sub->add_option("--momentum", opt->momentum, "Momentum (0: plain SGD, as the reference)")
        ->capture_default_str()
        ->transform(finite_number<float>(0.0f, 0.999f));
    sub->add_flag("--nesterov", opt->nesterov, "Nesterov momentum");
    sub->add_option("--average", opt->average,
                    "Average the iterates of this final fraction of the steps (Polyak tail averaging; 0: off)")
        ->capture_default_str()
        ->transform(finite_number<double>(0.0, 1.0));
    sub->add_option("--optimizer", opt->optimizer,
                    "sgd: (momentum) SGD, the reference; adam: Adam (beta1 0.9, beta2 0.999, eps 1e-8) with "
                    "--l2 added to the gradient")
        ->capture_default_str()
        ->check(one_of({"sgd", "adam"}));
    sub->add_option("--smooth", opt->smooth,
                    "Smoothness penalty on the weight pictures: loss += s/2 * sum of squared differences of "
                    "neighbouring pixels' weights (0: off)")
        ->capture_default_str()
        ->transform(finite_number<float>(0.0f, std::numeric_limits<float>::max()));
    sub->add_option("--threads", opt->threads,
                    "Threads for evaluating the test set (training steps use one; results are the same for any "
                    "count; 0: up to 2, per hardware)")
        ->capture_default_str()
        ->transform(whole_number<unsigned>(0, 64));
    sub->add_option("--validation", opt->validation,
                    "Hold out the first N training images and report accuracy on them (for choosing settings "
                    "without looking at the test set)")
        ->transform(whole_number<std::size_t>(0, std::numeric_limits<std::size_t>::max()));
    sub->add_option("--recipe", opt->recipe,
                    "reference: the defaults (the TF script); best: the tuned recipe (see README); flags given "
                    "explicitly override the recipe's")
        ->check(one_of({"reference", "best"}));
    sub->add_flag("--deskew,!--no-deskew", opt->deskew,
                  "Deskew every image before training (shear by cov(r,c)/var(r) so the ink's principal axis is "
                  "vertical); the model records it and eval, predict, explain deskew its inputs too "
                  "[default: off; --recipe best: on for MNIST and EMNIST digits/mnist]");
    sub->add_flag("--zero-blank,!--no-zero-blank", opt->zero_blank,
                  "Keep the weights of pixels that no training image inks at exactly 0 (no L2 or smoothness "
                  "gradient there) [--recipe best: on]");
    add_animation_options(*sub, *opt);
    sub->callback([opt, sub, &runner] {
        if (!opt->data_argument.empty()) opt->data = opt->data_argument;
        opt->deskew_given = sub->count("--deskew") > 0;
        if (opt->recipe == "best") apply_best_recipe(*opt, *sub);
        runner = [opt] { return run_train(*opt); };
    });
    return opt;
}

int run_train(const TrainOptions& opt) {
    Timings t;
    t.start = Clock::now();
    // Claim the outputs first: an unwritable destination fails before any work. They are written as
    // a unit: the weights file and the curves are renamed into place only when both are complete.
    OutputSet outputs;
    AtomicFile& out = outputs.add(opt.output);
    AtomicFile* log = opt.log.empty() ? nullptr : &outputs.add(opt.log);
    AnimationOutput animation(opt, outputs);
    const RunData d = load_run_data(opt, outputs);  // no output may be one of its files
    const Dataset& ds = d.ds;
    t.load = since(t.start);
    const TrainConfig cfg = config_from(opt, ds.train.count);
    if (opt.recipe == "best" && !opt.quiet && !opt.json) print_recipe(opt, cfg, d.deskew);
    animation.plan(opt, ds, cfg.steps);

    // Learning curves: rows reserved up front (at most 2^16: 2^40 steps at --eval-every 1 would ask
    // for terabytes); evaluation only reads the model, so the weights are the same with and without.
    // The evaluator keeps the test set in its layout for the final evaluation too.
    Evaluator evaluator(ds.train.pixels_per_image(), ds.classes, opt.threads);
    Curves curves;
    curves.has_train = opt.eval_train;
    if (opt.eval_every) curves.reserve(std::min<std::size_t>(cfg.steps / opt.eval_every + 1, std::size_t{1} << 16));

    // SIGINT, SIGTERM and SIGHUP stop the loop at the next step (signals.hpp); outside the loop they
    // end the process at once, removing the temp files.
    ProgressLine progress(!opt.quiet && !opt.json);
    std::optional<DeferSignals> defer(std::in_place);
    const TrainResult tr = train(ds.train, ds.classes, cfg, [&](const StepInfo& s) {
        std::optional<double> test_accuracy;
        if (s.recorded) {
            const Metrics te = evaluator.run(*s.model, ds.test);
            const Metrics trm = opt.eval_train ? evaluator.run(*s.model, ds.train) : Metrics{};
            curves.add(static_cast<double>(s.step), s.batch_loss_after, s.batch_accuracy_after, te.loss, te.accuracy,
                       trm.loss, trm.accuracy);
            test_accuracy = te.accuracy;
        }
        animation.record(s, test_accuracy);
        progress.update(s.step, s.steps, s.batch_loss);
        return pending_signal() == 0;
    });
    progress.finish();
    const int stop_signal = tr.stopped_by_callback ? take_pending_signal() : 0;
    defer.reset();  // a signal that came after the last step acts now
    if (stop_signal) return stop_by_signal(stop_signal, opt, cfg, d, tr, out);
    if (tr.diverged) {
        report_divergence(opt, cfg, ds, tr);
        if (!opt.keep_diverged) return static_cast<int>(ExitCode::diverged);
    }

    const auto t_eval = Clock::now();
    const Metrics test = evaluator.run(tr.model, ds.test);
    t.eval = since(t_eval);
    std::optional<Metrics> val;
    if (opt.validation > 0) val = evaluator.run(tr.model, d.validation);

    TrainingRecord record = record_of(opt, cfg, d, tr.steps_done);
    record.test_accuracy = test.accuracy;
    record.test_loss = test.loss;
    record.test_count = test.count;
    if (val) {
        record.validation_accuracy = val->accuracy;
        record.validation_loss = val->loss;
    }
    const auto bytes = weights_bytes(tr.model, d, record);
    out.write(bytes.data(), bytes.size());
    if (log) {
        const std::string csv = curves_csv(curves);
        log->write(csv.data(), csv.size());
    }
    animation.write(tr, test.accuracy, d);
    outputs.commit();
    if (tr.diverged) return static_cast<int>(ExitCode::diverged);  // --keep-diverged: written, still exit 4

    ModelInfo info;
    store_training_record(record, info);
    print_result(opt, cfg, d, tr, info, test, val, curves, t);
    animation.print_summary(opt);
    if (opt.min_accuracy >= 0.0 && test.accuracy < opt.min_accuracy) {
        std::fprintf(stderr, "mnistlr: test accuracy %.4f is below --min-accuracy %.4f\n", test.accuracy,
                     opt.min_accuracy);
        return static_cast<int>(ExitCode::below_gate);
    }
    return 0;
}

}  // namespace mnistlr::cli
