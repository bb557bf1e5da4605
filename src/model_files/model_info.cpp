#include "mnistlr/model_files/model_info.hpp"

#include <limits>
#include <type_traits>

namespace mnistlr {
namespace {

// Sets `out` from j[key] when it is there with a type that converts without surprise.
template <typename T>
void read(const nlohmann::json& j, const char* key, T& out) {
    const auto it = j.find(key);
    if (it == j.end()) return;
    if constexpr (std::is_same_v<T, bool>) {
        if (it->is_boolean()) out = it->template get<bool>();
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (it->is_string()) out = it->template get<std::string>();
    } else if constexpr (std::is_floating_point_v<T>) {
        if (it->is_number()) out = static_cast<T>(it->template get<double>());
    } else {  // unsigned integers: only non-negative whole numbers that fit
        const bool whole = it->is_number_unsigned() || (it->is_number_integer() && it->template get<std::int64_t>() >= 0);
        if (whole && it->template get<std::uint64_t>() <= std::numeric_limits<T>::max())
            out = static_cast<T>(it->template get<std::uint64_t>());
    }
}

template <typename T>
void read(const nlohmann::json& j, const char* key, std::optional<T>& out) {
    T v{};
    bool seen = false;
    if (const auto it = j.find(key); it != j.end()) {
        if constexpr (std::is_same_v<T, bool>) seen = it->is_boolean();
        else seen = it->is_number();
    }
    if (!seen) return;
    read(j, key, v);
    out = v;
}

}  // namespace

std::string class_name(const ModelInfo& info, std::uint32_t k) {
    if (k < info.class_names.size() && !info.class_names[k].empty()) return info.class_names[k];
    return std::to_string(k);
}

void store_training_record(const TrainingRecord& r, ModelInfo& info) {
    // The JSON types are those of the fields (float lr is stored as the double it converts to), and
    // nlohmann's objects keep their keys sorted, so the bytes depend only on the values.
    info.settings = {{"lr", r.lr},
                     {"batch", r.batch},
                     {"steps", r.steps},
                     {"seed", r.seed},
                     {"l2", r.l2},
                     {"schedule", r.schedule},
                     {"momentum", r.momentum},
                     {"nesterov", r.nesterov},
                     {"average", r.average},
                     {"optimizer", r.optimizer},
                     {"smooth", r.smooth},
                     {"validation", r.validation},
                     {"recipe", r.recipe},
                     {"dataset", r.dataset},
                     {"train_count", r.train_count}};
    if (r.transposed) info.settings["transposed"] = *r.transposed;
    if (r.interrupted) info.settings["interrupted"] = true;
    if (r.zero_blank) info.settings["zero_blank"] = true;
    if (r.deskew) info.settings["deskew"] = true;
    info.metrics = nlohmann::json::object();
    if (r.test_accuracy) info.metrics["test_accuracy"] = *r.test_accuracy;
    if (r.test_loss) info.metrics["test_loss"] = *r.test_loss;
    if (r.test_accuracy || r.test_loss) info.metrics["test_count"] = r.test_count;
    if (r.validation_accuracy) info.metrics["validation_accuracy"] = *r.validation_accuracy;
    if (r.validation_loss) info.metrics["validation_loss"] = *r.validation_loss;
}

TrainingRecord training_record(const ModelInfo& info) {
    TrainingRecord r;
    const nlohmann::json& s = info.settings.is_object() ? info.settings : nlohmann::json::object();
    read(s, "lr", r.lr);
    read(s, "batch", r.batch);
    read(s, "steps", r.steps);
    read(s, "seed", r.seed);
    read(s, "l2", r.l2);
    read(s, "schedule", r.schedule);
    read(s, "momentum", r.momentum);
    read(s, "nesterov", r.nesterov);
    read(s, "average", r.average);
    read(s, "optimizer", r.optimizer);
    read(s, "smooth", r.smooth);
    read(s, "validation", r.validation);
    read(s, "recipe", r.recipe);
    read(s, "dataset", r.dataset);
    read(s, "transposed", r.transposed);
    read(s, "train_count", r.train_count);
    read(s, "interrupted", r.interrupted);
    read(s, "zero_blank", r.zero_blank);
    read(s, "deskew", r.deskew);
    const nlohmann::json& m = info.metrics.is_object() ? info.metrics : nlohmann::json::object();
    read(m, "test_accuracy", r.test_accuracy);
    read(m, "test_loss", r.test_loss);
    read(m, "test_count", r.test_count);
    read(m, "validation_accuracy", r.validation_accuracy);
    read(m, "validation_loss", r.validation_loss);
    return r;
}

bool expects_deskewed(const ModelInfo& info) {
    if (!info.settings.is_object()) return false;
    const auto it = info.settings.find("deskew");
    return it != info.settings.end() && it->is_boolean() && it->get<bool>();
}

void set_expects_deskewed(ModelInfo& info, bool deskew) {
    if (!info.settings.is_object()) info.settings = nlohmann::json::object();
    if (deskew) {
        info.settings["deskew"] = true;
    } else {
        info.settings.erase("deskew");
    }
}

}  // namespace mnistlr
