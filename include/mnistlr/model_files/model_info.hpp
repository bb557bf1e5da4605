// What a model carries besides W and b: its class names and its training record. The weights file
// (weights_io.hpp) stores both in its JSON block; the pictures (render.hpp) and the subcommands read
// them from here, without depending on the file format.
//
// The training record, as train writes it ("settings" and "metrics" objects of the JSON block):
//   settings  lr, batch, steps (steps done), seed, l2, schedule ("constant" | "linear" | "cosine"),
//             momentum, nesterov, average (tail fraction), optimizer ("sgd" | "adam"), smooth,
//             validation (training images held out), recipe ("custom" | "reference" | "best"),
//             dataset (the data set kind: "mnist", "fashion", ..., "generic"), transposed (bool),
//             train_count (training images used), interrupted (true only for a Ctrl-C save),
//             zero_blank (true only when set), deskew (true only for a model trained on deskewed
//             images, deskew.hpp: every command that scores inputs with it deskews them first)
//   metrics   test_accuracy, test_loss, test_count; validation_accuracy and validation_loss with
//             --validation. Absent in a Ctrl-C save (the model was not evaluated).
// Reading is lenient, because a model may come from an older mnistlr or from elsewhere (.npy): a
// key that is missing or has another type keeps the default below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mnistlr {

struct ModelInfo {
    std::vector<std::string> class_names;  // empty: classes are called "0", "1", ...
    nlohmann::json settings = nlohmann::json::object();  // how it was trained (TrainingRecord)
    nlohmann::json metrics = nlohmann::json::object();   // what it scored (TrainingRecord)
};

// Name of class k: info.class_names[k] when present and not empty, else the index.
std::string class_name(const ModelInfo& info, std::uint32_t k);

struct TrainingRecord {
    // settings
    float lr = 0.0f;
    std::size_t batch = 0;
    std::size_t steps = 0;
    std::uint32_t seed = 0;
    float l2 = 0.0f;
    std::string schedule = "constant";
    float momentum = 0.0f;
    bool nesterov = false;
    double average = 0.0;
    std::string optimizer = "sgd";
    float smooth = 0.0f;
    std::size_t validation = 0;
    std::string recipe = "custom";
    std::string dataset;             // "" when unknown
    std::optional<bool> transposed;  // unknown for a model from elsewhere
    std::size_t train_count = 0;
    bool interrupted = false;  // written only when true
    bool zero_blank = false;   // written only when true (TrainConfig::zero_blank)
    bool deskew = false;       // written only when true: the model expects deskewed inputs
    // metrics
    std::optional<double> test_accuracy, test_loss;
    std::size_t test_count = 0;
    std::optional<double> validation_accuracy, validation_loss;
};

// Writes the record into info.settings and info.metrics (replacing both).
void store_training_record(const TrainingRecord& record, ModelInfo& info);
// Reads the record back (lenient, see above).
TrainingRecord training_record(const ModelInfo& info);

// True when the model was trained on deskewed images (settings.deskew), so its inputs must be
// deskewed the same way before scoring. A value that is not a boolean counts as false here; the
// loaders (weights_io, model_io) refuse such a file.
bool expects_deskewed(const ModelInfo& info);
// Marks (or unmarks) the model as expecting deskewed inputs.
void set_expects_deskewed(ModelInfo& info, bool deskew);

}  // namespace mnistlr
