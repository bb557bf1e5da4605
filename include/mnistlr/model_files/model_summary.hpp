// What `mnistlr info MODEL` shows of a model: everything a weights file (or a .npy directory) says
// about it, without the weights. One home for both forms: model_summary() builds the JSON object
// (`info --json`), model_summary_text() prints the same facts as aligned lines.
//
//   format          "mnistlr weights" or "npy" (a directory of W.npy and b.npy)
//   format_version  the weights file's format version (weights_io.hpp); absent for npy
//   classes, class_names (each class's name, its index when unnamed), image_rows, image_cols
//   dataset         the data set it was trained on (catalog.hpp names), or null when unknown
//   preprocessing   "deskew" or "none"
//   settings        the training record's settings (model_info.hpp), or {} for a model from
//                   elsewhere; the float settings (lr, l2, momentum, smooth) as the shortest
//                   decimal that reads back as the same float: 0.005, not 0.004999999888241291
//   metrics         the training record's metrics ({} when none)
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mnistlr/model_files/weights_io.hpp"

namespace mnistlr {

// The shortest decimal text that reads back as exactly v ("0.005", "1e-05", "0.5", "0").
std::string shortest_text(float v);
std::string shortest_text(double v);

nlohmann::json model_summary(const WeightsFile& wf);

// The summary as lines for a terminal (each ends in '\n'), `name` (the model's path) on the first.
// Every text from the file (names, recorded strings) is passed through printable().
std::string model_summary_text(const nlohmann::json& summary, const std::string& name);

}  // namespace mnistlr
