// The weights file: a trained model plus what produced it.
//
// Format versions 1 and 3, all integers and floats little-endian, the same layout:
//   offset  size        field
//   0       8           magic "MNISTLRW"
//   8       4           u32 format version: 3 when the model expects preprocessed inputs
//                       (settings.deskew is true: its inputs must be deskewed, deskew.hpp), else 1.
//                       A reader of version 1 alone would ignore that key and score raw inputs
//                       wrongly; it refuses a version-3 file instead. Models without preprocessing
//                       are written as version 1, byte for byte as before. Version 2 was the same
//                       for development builds whose deskew sheared without centring the ink; such
//                       a model would now be fed other inputs than it was trained on, so it is
//                       refused with a message that says so.
//   12      4           u32 rows           (1 .. 4096)
//   16      4           u32 cols           (1 .. 4096)
//   20      4           u32 classes K      (2 .. 65535)
//   24      4           u32 meta_bytes M   (0 .. 16 MiB)
//   28      4*P*K       f32 W, class-major: W[k][p] for k in 0..K, p in 0..P (P = rows*cols), i.e.
//                       class k's picture, rows x cols row-major, is contiguous
//   ..      4*K         f32 b
//   ..      M           UTF-8 JSON object: {"class_names": [...], "settings": {...}, "metrics": {...}}
//                       (settings and metrics: the training record, model_info.hpp);
//                       class_names is empty or holds K strings, each at most 64 bytes
//                       (kMaxClassNameBytes, catalog.hpp) of strict UTF-8 without control
//                       characters, the rules of a --classes file; "" means "call it by its index"
//   end-4   4           u32 CRC-32 (zlib's crc32) of every preceding byte
// Loading checks magic, version, sizes, the exact file length (before allocating), the CRC, that
// every weight is finite, that the JSON parses, that "deskew" in the settings is a boolean (and true
// only in version 3) and that every class name obeys the rules above
// (the names reach terminals: a name with "\r" or ESC could forge an output line). Writing refuses
// the names that loading would refuse.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mnistlr/learning/model.hpp"
#include "mnistlr/model_files/model_info.hpp"

namespace mnistlr {

constexpr std::uint32_t kWeightsVersion = 1;            // a model of raw inputs
constexpr std::uint32_t kWeightsVersionPreprocessed = 3;  // a model of deskewed inputs (deskew.hpp)
constexpr std::uint32_t kWeightsVersionShearOnly = 2;     // refused: deskewed without centring
constexpr std::uint32_t kMaxSide = 4096;
constexpr std::uint32_t kMaxClasses = 65535;
constexpr std::uint32_t kMaxMetaBytes = 16u << 20;

struct WeightsFile {
    SoftmaxModel model;
    ModelInfo info;
    std::uint32_t format_version = 0;  // of a weights file (1 or 3); 0 for a model read from .npy files
};

std::vector<std::uint8_t> encode_weights(const SoftmaxModel& model, const ModelInfo& info);
// `name` appears in error messages.
WeightsFile decode_weights(const std::uint8_t* data, std::size_t size, const std::string& name);

void save_weights(const std::string& path, const SoftmaxModel& model, const ModelInfo& info);
WeightsFile load_weights(const std::string& path);

}  // namespace mnistlr
