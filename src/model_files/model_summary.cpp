#include "mnistlr/model_files/model_summary.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <vector>

#include "mnistlr/error.hpp"
#include "mnistlr/model_files/model_info.hpp"

namespace mnistlr {
namespace {

template <class T>
std::string shortest(T v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    return r.ec == std::errc() ? std::string(buf, r.ptr) : std::string("?");
}

// The training settings stored as floats (TrainingRecord): the JSON holds the double each float
// converted to, which prints as 0.004999999888241291 for a given 0.005.
constexpr const char* kFloatSettings[] = {"lr", "l2", "momentum", "smooth"};

// A JSON value as text: strings as they are (printable), numbers in their shortest form.
std::string value_text(const nlohmann::json& v) {
    if (v.is_string()) return printable(v.get<std::string>());
    if (v.is_number_float()) return shortest(v.get<double>());
    return printable(v.dump());
}

// Lines "label  text" with the texts aligned; `items` (key value pairs) filled to about 100 columns.
void add_line(std::string& out, const std::string& label, const std::string& text) {
    constexpr std::size_t kLabel = 15;
    out += label + std::string(label.size() < kLabel ? kLabel - label.size() : 1, ' ') + text + "\n";
}

void add_items(std::string& out, const std::string& label, const std::vector<std::string>& items) {
    std::string line;
    bool first = true;
    for (const auto& it : items) {
        if (!line.empty() && line.size() + 2 + it.size() > 84) {
            add_line(out, first ? label : "", line);
            first = false;
            line.clear();
        }
        line += (line.empty() ? "" : "  ") + it;
    }
    if (!line.empty() || first) add_line(out, first ? label : "", line.empty() ? "none" : line);
}

}  // namespace

std::string shortest_text(float v) { return shortest(v); }
std::string shortest_text(double v) { return shortest(v); }

nlohmann::json model_summary(const WeightsFile& wf) {
    const std::uint32_t K = wf.model.classes();
    nlohmann::json names = nlohmann::json::array();
    for (std::uint32_t k = 0; k < K; ++k) names.push_back(class_name(wf.info, k));
    nlohmann::json settings = wf.info.settings.is_object() ? wf.info.settings : nlohmann::json::object();
    for (const char* key : kFloatSettings) {
        const auto it = settings.find(key);
        if (it == settings.end() || !it->is_number()) continue;
        // The float it was, then the double nearest to that float's shortest decimal: 0.005.
        const float f = static_cast<float>(it->get<double>());
        *it = std::strtod(shortest(f).c_str(), nullptr);
    }
    const auto ds = settings.find("dataset");
    nlohmann::json j = {{"format", wf.format_version ? "mnistlr weights" : "npy"},
                        {"classes", K},
                        {"class_names", names},
                        {"image_rows", wf.model.rows},
                        {"image_cols", wf.model.cols},
                        {"dataset", ds != settings.end() && ds->is_string() && !ds->get<std::string>().empty()
                                        ? *ds
                                        : nlohmann::json()},
                        {"preprocessing", expects_deskewed(wf.info) ? "deskew" : "none"},
                        {"settings", settings},
                        {"metrics", wf.info.metrics.is_object() ? wf.info.metrics : nlohmann::json::object()}};
    if (wf.format_version) j["format_version"] = wf.format_version;
    return j;
}

std::string model_summary_text(const nlohmann::json& s, const std::string& name) {
    std::string out;
    const std::string format = s.value("format", "");
    add_line(out, "model", printable(name) + "  (" +
                               (s.contains("format_version")
                                    ? format + " file, format version " + value_text(s["format_version"])
                                    : std::string("W.npy and b.npy")) +
                               ")");
    std::string names;
    for (const auto& n : s["class_names"]) names += (names.empty() ? "" : ", ") + value_text(n);
    add_line(out, "classes", value_text(s["classes"]) + ": " + names);
    add_line(out, "image", value_text(s["image_rows"]) + " x " + value_text(s["image_cols"]) + " pixels");
    const nlohmann::json& st = s["settings"];
    std::string data = s["dataset"].is_null() ? "unknown" : value_text(s["dataset"]);
    if (st.contains("train_count")) data += " (" + value_text(st["train_count"]) + " training images)";
    add_line(out, "data set", data);
    add_line(out, "preprocessing", value_text(s["preprocessing"]));
    // The settings in the order of train's flags; any other recorded key after them.
    const char* order[] = {"recipe",   "optimizer", "lr",         "batch",     "steps",     "seed",
                           "schedule", "momentum",  "nesterov",   "average",   "l2",        "smooth",
                           "validation", "zero_blank", "transposed", "interrupted"};
    std::vector<std::string> items;
    for (const char* key : order)
        if (st.contains(key)) items.push_back(std::string(key) + " " + value_text(st[key]));
    for (const auto& [key, v] : st.items()) {
        bool known = key == "dataset" || key == "train_count" || key == "deskew";
        for (const char* k : order) known = known || key == k;
        if (!known) items.push_back(printable(key) + " " + value_text(v));
    }
    add_items(out, "settings", items);
    const nlohmann::json& m = s["metrics"];
    std::vector<std::string> metrics;
    char buf[64];
    for (const char* key : {"test_accuracy", "test_loss", "validation_accuracy", "validation_loss"}) {
        if (!m.contains(key) || !m[key].is_number()) continue;
        std::snprintf(buf, sizeof buf, "%.4f", m[key].get<double>());
        std::string label = key;
        label[label.find('_')] = ' ';
        metrics.push_back(label + " " + buf);
    }
    if (m.contains("test_count")) metrics.push_back("(" + value_text(m["test_count"]) + " test images)");
    add_items(out, "metrics", metrics);
    return out;
}

}  // namespace mnistlr
