#include "mnistlr/model_files/weights_io.hpp"

#include <cmath>
#include <cstring>

#include <zlib.h>

#include "mnistlr/data/catalog.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr {
namespace {

constexpr char kMagic[8] = {'M', 'N', 'I', 'S', 'T', 'L', 'R', 'W'};
constexpr std::size_t kHeader = 28;
const char* const kRetrain = "; re-run mnistlr train to make a new one";

// Writes v little-endian at p; returns p + 4.
std::uint8_t* put32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
    return p + 4;
}

std::uint8_t* put_f32(std::uint8_t* p, float f) {
    std::uint32_t v;
    std::memcpy(&v, &f, 4);
    return put32(p, v);
}

std::uint32_t get32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
}

float get_f32(const std::uint8_t* p) {
    const std::uint32_t v = get32(p);
    float f;
    std::memcpy(&f, &v, 4);
    return f;
}

std::uint32_t crc_of(const std::uint8_t* p, std::size_t n) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        const auto chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return static_cast<std::uint32_t>(crc);
}

}  // namespace

std::vector<std::uint8_t> encode_weights(const SoftmaxModel& model, const ModelInfo& info) {
    // What decode_weights would refuse is never written.
    for (std::size_t k = 0; k < info.class_names.size(); ++k)
        if (const std::string problem = class_name_problem(info.class_names[k]); !problem.empty())
            throw Error("cannot write a weights file: class name " + std::to_string(k) + " " + problem);
    nlohmann::json meta = {{"class_names", info.class_names}, {"settings", info.settings}, {"metrics", info.metrics}};
    const std::string text = meta.dump();
    const std::size_t P = model.pixels();
    const std::uint32_t K = model.classes();
    std::vector<std::uint8_t> out(kHeader + 4 * (P * K + K) + text.size() + 4);
    std::memcpy(out.data(), kMagic, 8);
    std::uint8_t* p = out.data() + 8;
    p = put32(p, expects_deskewed(info) ? kWeightsVersionPreprocessed : kWeightsVersion);
    p = put32(p, model.rows);
    p = put32(p, model.cols);
    p = put32(p, K);
    p = put32(p, static_cast<std::uint32_t>(text.size()));
    for (std::uint32_t k = 0; k < K; ++k)
        for (std::size_t i = 0; i < P; ++i) p = put_f32(p, model.W(static_cast<Eigen::Index>(i), k));
    for (std::uint32_t k = 0; k < K; ++k) p = put_f32(p, model.b(k));
    if (!text.empty()) std::memcpy(p, text.data(), text.size());
    p += text.size();
    put32(p, crc_of(out.data(), out.size() - 4));
    return out;
}

WeightsFile decode_weights(const std::uint8_t* data, std::size_t size, const std::string& name) {
    if (size < kHeader + 4)
        throw Error(name, "truncated weights file (" + std::to_string(size) + " bytes, the header alone is " +
                              std::to_string(kHeader + 4) + ")" + kRetrain);
    if (std::memcmp(data, kMagic, 8) != 0)
        throw Error(name, "not an mnistlr weights file (bad magic; expected \"MNISTLRW\")");
    const std::uint32_t version = get32(data + 8);
    if (version == kWeightsVersionShearOnly)
        throw Error(name, "weights format version 2 is a deskewed model of an earlier development build, whose deskew "
                          "did not centre the ink: this mnistlr would feed it other inputs than it was trained on" +
                              std::string(kRetrain));
    if (version != kWeightsVersion && version != kWeightsVersionPreprocessed)
        throw Error(name, "weights format version " + std::to_string(version) + " is not supported (expected " +
                              std::to_string(kWeightsVersion) + " or " + std::to_string(kWeightsVersionPreprocessed) +
                              ")" + kRetrain);
    const std::uint32_t rows = get32(data + 12), cols = get32(data + 16), K = get32(data + 20),
                        meta_bytes = get32(data + 24);
    if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide)
        throw Error(name, "image size " + std::to_string(rows) + " x " + std::to_string(cols) +
                              " is out of range (1 to " + std::to_string(kMaxSide) + " per side)" + kRetrain);
    if (K < 2 || K > kMaxClasses)
        throw Error(name, "class count " + std::to_string(K) + " is out of range (2 to " +
                              std::to_string(kMaxClasses) + ")" + kRetrain);
    if (meta_bytes > kMaxMetaBytes)
        throw Error(name, "metadata length " + std::to_string(meta_bytes) + " is out of range" + kRetrain);
    const std::uint64_t P = std::uint64_t{rows} * cols;
    const std::uint64_t expected = kHeader + 4 * (P * K + K) + meta_bytes + 4;  // all factors bounded above
    if (size != expected)
        throw Error(name, std::string(size < expected ? "truncated" : "oversized") + " weights file (expected " +
                              std::to_string(expected) + " bytes for " + std::to_string(rows) + " x " +
                              std::to_string(cols) + " x " + std::to_string(K) + ", got " +
                              std::to_string(size) + ")" + kRetrain);
    const std::uint32_t stored = get32(data + size - 4);
    const std::uint32_t actual = crc_of(data, size - 4);
    if (stored != actual) throw Error(name, "corrupt weights file (CRC-32 mismatch)" + std::string(kRetrain));

    WeightsFile wf;
    wf.format_version = version;
    wf.model = SoftmaxModel::zeros(rows, cols, K);
    const std::uint8_t* p = data + kHeader;
    for (std::uint32_t k = 0; k < K; ++k)
        for (std::uint64_t i = 0; i < P; ++i, p += 4) wf.model.W(static_cast<Eigen::Index>(i), k) = get_f32(p);
    for (std::uint32_t k = 0; k < K; ++k, p += 4) wf.model.b(k) = get_f32(p);
    if (!wf.model.W.allFinite() || !wf.model.b.allFinite())
        throw Error(name, "weights file holds non-finite values (NaN or infinity)" + std::string(kRetrain));

    const auto meta = nlohmann::json::parse(p, p + meta_bytes, nullptr, /*allow_exceptions=*/false);
    if (meta.is_discarded() || !meta.is_object())
        throw Error(name, "weights file metadata is not a JSON object" + std::string(kRetrain));
    if (auto it = meta.find("class_names"); it != meta.end() && it->is_array()) {
        if (it->size() != 0 && it->size() != K)
            throw Error(name, "weights file names " + std::to_string(it->size()) + " classes but holds " +
                                  std::to_string(K));
        for (const auto& n : *it) {
            if (!n.is_string()) throw Error(name, "weights file class names must be strings");
            const auto& s = n.get_ref<const std::string&>();
            if (const std::string problem = class_name_problem(s); !problem.empty())
                throw Error(name, "class name " + std::to_string(wf.info.class_names.size()) + " " + problem);
            wf.info.class_names.push_back(s);
        }
    }
    if (auto it = meta.find("settings"); it != meta.end() && it->is_object()) wf.info.settings = *it;
    // The preprocessing decides what every command feeds the model: it must be unambiguous.
    if (auto it = wf.info.settings.find("deskew"); it != wf.info.settings.end() && !it->is_boolean())
        throw Error(name, "weights file setting \"deskew\" must be true or false" + std::string(kRetrain));
    if (expects_deskewed(wf.info) != (version == kWeightsVersionPreprocessed))
        throw Error(name, "weights format version " + std::to_string(version) +
                              (version == kWeightsVersion ? " cannot record deskewed inputs" : " records no preprocessing") +
                              kRetrain);
    if (auto it = meta.find("metrics"); it != meta.end() && it->is_object()) wf.info.metrics = *it;
    return wf;
}

void save_weights(const std::string& path, const SoftmaxModel& model, const ModelInfo& info) {
    const auto bytes = encode_weights(model, info);
    write_file_atomic(path, bytes.data(), bytes.size());
}

WeightsFile load_weights(const std::string& path) {
    const Bytes b = Bytes::map_file(path);
    return decode_weights(b.data(), b.size(), path);
}

}  // namespace mnistlr
