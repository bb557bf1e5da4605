// Micro-benchmarks on real MNIST (data/fetch.sh): one SGD step of the reference recipe
// (batch 64 x 784 pixels x 10 classes), one step of --recipe best (Adam, penalties) and one full
// evaluation of the 10000-image test set.
// Whole-command timings against the peers are in bench/run.sh.
#include <algorithm>
#include <vector>

#include <benchmark/benchmark.h>

#include "mnistlr/data/catalog.hpp"
#include "mnistlr/data/dataset.hpp"
#include "mnistlr/learning/deskew.hpp"
#include "mnistlr/learning/evaluate.hpp"
#include "mnistlr/learning/kernels.hpp"
#include "mnistlr/learning/trainer.hpp"

namespace {

// MNIST loaded as train loads it (catalog.hpp).
const mnistlr::Dataset& mnist() {
    static const mnistlr::Dataset ds = [] {
        mnistlr::DataRequest req;
        req.dir = MNISTLR_BENCH_DATA;
        req.dataset = "mnist";
        return mnistlr::load_data(req).data;
    }();
    return ds;
}

void BM_SgdStep(benchmark::State& state) {
    const auto& ds = mnist();
    mnistlr::TrainConfig cfg;
    cfg.batch = static_cast<std::size_t>(state.range(0));
    cfg.steps = 1000000000;
    mnistlr::Stepper stepper(ds.train, ds.classes, cfg);
    for (auto _ : state) benchmark::DoNotOptimize(stepper.step());
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SgdStep)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);

// One step of --recipe best's optimisation (batch 128): Adam with a cosine schedule, the L2 and
// smoothness penalties, whose gradients the plain step skips.
void BM_BestRecipeStep(benchmark::State& state) {
    const auto& ds = mnist();
    mnistlr::TrainConfig cfg;
    cfg.batch = 128;
    cfg.steps = 1000000000;
    cfg.lr = 0.005f;
    cfg.optimizer = mnistlr::Optimizer::adam;
    cfg.schedule = mnistlr::Schedule::cosine;
    cfg.l2 = 1e-5f;
    cfg.smooth = 1e-4f;
    mnistlr::Stepper stepper(ds.train, ds.classes, cfg);
    for (auto _ : state) benchmark::DoNotOptimize(stepper.step());
    state.SetItemsProcessed(state.iterations() * 128);
}
BENCHMARK(BM_BestRecipeStep)->Unit(benchmark::kMicrosecond);

void BM_TestEvaluation(benchmark::State& state) {
    const auto& ds = mnist();
    mnistlr::TrainConfig cfg;
    cfg.steps = 100;
    const auto model = mnistlr::train(ds.train, ds.classes, cfg).model;
    mnistlr::Evaluator ev(model.pixels(), model.classes(), static_cast<unsigned>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(ev.run(model, ds.test).accuracy);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ds.test.count));
}
BENCHMARK(BM_TestEvaluation)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// A fresh evaluator's first evaluation of the test set: the set-up (the blocked copy of the images)
// included, as train's final evaluation pays it.
void BM_FirstTestEvaluation(benchmark::State& state) {
    const auto& ds = mnist();
    mnistlr::TrainConfig cfg;
    cfg.steps = 100;
    const auto model = mnistlr::train(ds.train, ds.classes, cfg).model;
    for (auto _ : state) {
        mnistlr::Evaluator ev(model.pixels(), model.classes(), static_cast<unsigned>(state.range(0)));
        benchmark::DoNotOptimize(ev.run(model, ds.test).accuracy);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ds.test.count));
}
BENCHMARK(BM_FirstTestEvaluation)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// The curves with --eval-train: the test and the training set evaluated in turn by one evaluator.
void BM_AlternatingSplits(benchmark::State& state) {
    const auto& ds = mnist();
    mnistlr::TrainConfig cfg;
    cfg.steps = 100;
    const auto model = mnistlr::train(ds.train, ds.classes, cfg).model;
    mnistlr::Evaluator ev(model.pixels(), model.classes(), 2);
    for (auto _ : state) {
        benchmark::DoNotOptimize(ev.run(model, ds.test).accuracy);
        benchmark::DoNotOptimize(ev.run(model, ds.train).accuracy);
    }
}
BENCHMARK(BM_AlternatingSplits)->Unit(benchmark::kMillisecond);

// The training step's forward kernel over the whole test set, one thread, logits only.
void BM_TestLogitsKernel(benchmark::State& state) {
    const auto& ds = mnist();
    mnistlr::TrainConfig cfg;
    cfg.steps = 100;
    const auto model = mnistlr::train(ds.train, ds.classes, cfg).model;
    const std::size_t P = model.pixels(), K = model.classes(), chunk = 64;
    std::vector<const std::uint8_t*> rows(ds.test.count);
    for (std::size_t j = 0; j < rows.size(); ++j) rows[j] = ds.test.image(j);
    std::vector<float> Z(K * chunk);
    for (auto _ : state) {
        for (std::size_t j = 0; j < rows.size(); j += chunk)
            mnistlr::logits_u8(model.W.data(), model.b.data(), P, K, rows.data() + j, std::min(chunk, rows.size() - j),
                               1.0f / 255.0f, Z.data());
        benchmark::DoNotOptimize(Z.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ds.test.count));
}
BENCHMARK(BM_TestLogitsKernel)->Unit(benchmark::kMillisecond);

// Issue 15's deskew target: all 70 000 MNIST images (training and test split, as train --deskew
// does them), on 1 and 2 threads. Each iteration deskews fresh copies of the loaded splits (the
// copies share the loaded bytes; deskew_split allocates and fills the new buffer).
void BM_DeskewMnist(benchmark::State& state) {
    const auto& ds = mnist();
    const auto threads = static_cast<unsigned>(state.range(0));
    for (auto _ : state) {
        mnistlr::Split train = ds.train, test = ds.test;
        mnistlr::deskew_split(train, threads);
        mnistlr::deskew_split(test, threads);
        benchmark::DoNotOptimize(train.pixels.data());
        benchmark::DoNotOptimize(test.pixels.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ds.train.count + ds.test.count));
}
BENCHMARK(BM_DeskewMnist)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
