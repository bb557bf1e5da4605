// mnistlr train: load a data set, fit softmax regression by minibatch SGD, save the weights,
// report test loss and accuracy.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "mnistlr/dataset.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/evaluate.hpp"
#include "mnistlr/file_io.hpp"
#include "mnistlr/trainer.hpp"
#include "mnistlr/weights_io.hpp"

namespace mnistlr::cli {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool is_dir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string default_data_dir() {
    if (const char* env = std::getenv("MNISTLR_DATA"); env && *env) return env;
    const std::string local = "data/mnist";
#ifdef MNISTLR_SOURCE_DIR
    if (!is_dir(local) && is_dir(MNISTLR_SOURCE_DIR "/data/mnist")) return MNISTLR_SOURCE_DIR "/data/mnist";
#endif
    return local;
}

std::shared_ptr<TrainOptions> setup_train(CLI::App& app, Runner& runner) {
    auto opt = std::make_shared<TrainOptions>();
    auto* sub = app.add_subcommand("train", "Train softmax regression by minibatch SGD and save the weights");
    sub->add_option("--data", opt->data,
                    "Directory with the IDX files (train-/t10k-images/labels, raw or .gz) "
                    "[default: $MNISTLR_DATA or data/mnist]");
    sub->add_option("--lr", opt->lr, "Learning rate")->capture_default_str()->check(CLI::PositiveNumber);
    auto* steps = sub->add_option("--steps", opt->steps, "Number of SGD steps")
                      ->capture_default_str()
                      ->check(CLI::PositiveNumber);
    sub->add_option("--epochs", opt->epochs, "Train for this many passes over the data instead of --steps")
        ->check(CLI::PositiveNumber)
        ->excludes(steps);
    sub->add_option("--batch", opt->batch, "Minibatch size")->capture_default_str()->check(CLI::PositiveNumber);
    sub->add_option("--seed", opt->seed, "Seed of the batch shuffling (same seed: identical weights)")
        ->capture_default_str();
    sub->add_option("--l2", opt->l2, "L2 penalty on W: loss += l2/2 * |W|^2")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_option("-o,--output", opt->output, "Where to write the weights file")->capture_default_str();
    sub->add_flag("-q,--quiet", opt->quiet, "No progress line and no summary (errors still go to stderr)");
    sub->add_flag("--json", opt->json, "Print one JSON object with settings and results instead of the summary");
    sub->callback([opt, &runner] { runner = [opt] { return run_train(*opt); }; });
    return opt;
}

int run_train(const TrainOptions& opt) {
    const auto t_start = Clock::now();
    const std::string data_dir = opt.data.empty() ? default_data_dir() : opt.data;
    // Claim the output first: an unwritable destination fails before any work.
    AtomicFile out(opt.output);

    const Dataset ds = load_dataset(data_dir);
    const double load_s = since(t_start);

    TrainConfig cfg;
    cfg.lr = opt.lr;
    cfg.batch = opt.batch;
    cfg.seed = opt.seed;
    cfg.l2 = opt.l2;
    cfg.steps = opt.epochs > 0 ? steps_for_epochs(opt.epochs, ds.train.count, opt.batch) : opt.steps;

    ProgressLine progress(!opt.quiet && !opt.json);
    const TrainResult tr = train(ds.train, ds.classes, cfg, [&](const StepInfo& s) {
        progress.update(s.step, s.steps, s.batch_loss);
        return true;
    });
    progress.finish();

    const auto t_eval = Clock::now();
    const Metrics test = evaluate(tr.model, ds.test);
    const double eval_s = since(t_eval);

    ModelInfo info;
    info.settings = {{"lr", cfg.lr},     {"batch", cfg.batch}, {"steps", tr.steps_done},
                     {"seed", cfg.seed}, {"l2", cfg.l2},       {"train_count", ds.train.count}};
    info.metrics = {{"test_accuracy", test.accuracy}, {"test_loss", test.loss}, {"test_count", test.count}};
    const auto bytes = encode_weights(tr.model, info);
    out.write(bytes.data(), bytes.size());
    out.commit();

    if (opt.json) {
        nlohmann::json j = {
            {"command", "train"},
            {"data", data_dir},
            {"settings", info.settings},
            {"classes", ds.classes},
            {"image_rows", ds.train.rows},
            {"image_cols", ds.train.cols},
            {"test_accuracy", test.accuracy},
            {"test_loss", test.loss},
            {"final_batch_loss", tr.last_batch_loss},
            {"seconds", {{"load", load_s}, {"train", tr.seconds}, {"eval", eval_s}, {"total", since(t_start)}}},
            {"output", opt.output}};
        std::cout << j.dump() << '\n';
    } else if (!opt.quiet) {
        std::printf("test accuracy %.4f  test loss %.4f  (%zu steps, lr %g, batch %zu, seed %llu; trained in %.3f s)"
                    "  weights -> %s\n",
                    test.accuracy, test.loss, tr.steps_done, static_cast<double>(cfg.lr), cfg.batch,
                    static_cast<unsigned long long>(cfg.seed), tr.seconds, opt.output.c_str());
    }
    return 0;
}

}  // namespace mnistlr::cli
