#include "mnistlr/model_files/model_io.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include <sys/stat.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"
#include "mnistlr/model_files/npy.hpp"

namespace mnistlr {
namespace {

bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// floor(sqrt(n)) exactly, for any n a .npy file can describe.
std::uint64_t isqrt(std::uint64_t n) {
    auto r = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(n)));
    while (r > 0 && r * r > n) --r;
    while ((r + 1) * (r + 1) <= n) ++r;
    return r;
}

// mkdir -p: creates every missing component of dir.
void make_dirs(const std::string& dir) {
    if (dir.empty()) throw Error("output directory is empty");
    for (std::size_t pos = dir.find('/', 1);; pos = dir.find('/', pos + 1)) {
        const std::string part = pos == std::string::npos ? dir : dir.substr(0, pos);
        if (!part.empty() && ::mkdir(part.c_str(), 0777) != 0 && errno != EEXIST)
            throw Error(part, std::string("cannot create directory: ") + std::strerror(errno));
        if (pos == std::string::npos) break;
    }
    if (!is_directory(dir)) throw Error(dir, "exists and is not a directory");
}

// CRC-32 (zlib) of a byte range, fed in chunks that fit zlib's uInt.
std::uint32_t crc_of(const std::uint8_t* p, std::size_t n) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        const auto chunk = static_cast<uInt>(std::min<std::size_t>(n, std::numeric_limits<uInt>::max()));
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return static_cast<std::uint32_t>(crc);
}

constexpr const char* kManifestFormat = "mnistlr npy model";
constexpr std::size_t kMaxManifestBytes = 64 << 10;

nlohmann::json member_entry(const std::vector<std::uint8_t>& bytes) {
    return {{"bytes", bytes.size()}, {"crc32", crc_of(bytes.data(), bytes.size())}};
}

// Checks one member against the manifest's record of it.
void check_member(const nlohmann::json& m, const char* name, const Bytes& b, const std::string& dir,
                  const std::string& manifest_path) {
    const auto it = m.find(name);
    if (it == m.end() || !it->is_object() || !it->contains("bytes") || !it->contains("crc32") ||
        !(*it)["bytes"].is_number_unsigned() || !(*it)["crc32"].is_number_unsigned())
        throw Error(manifest_path, std::string("has no valid record of ") + name + "; re-run mnistlr export");
    if ((*it)["bytes"].get<std::uint64_t>() != b.size() || (*it)["crc32"].get<std::uint64_t>() != crc_of(b.data(), b.size()))
        throw Error(dir, std::string(name) + " is not the one " + kManifestName +
                             " records (W.npy and b.npy come from different exports?); re-run mnistlr export");
}

const char* const kPairHint = " (a model directory holds W.npy and b.npy, as mnistlr export --npy DIR writes them)";

}  // namespace

SoftmaxModel load_npy_model(const std::string& dir, bool* deskew) {
    if (deskew) *deskew = false;
    const std::string w_path = dir + "/W.npy", b_path = dir + "/b.npy";
    for (const auto* p : {&w_path, &b_path})
        if (!exists(*p)) throw Error(dir, "no " + p->substr(dir.size() + 1) + " in this directory" + kPairHint);
    const Bytes w_bytes = Bytes::map_file(w_path), b_bytes = Bytes::map_file(b_path);
    const std::string manifest_path = dir + "/" + kManifestName;
    std::uint32_t rows = 0, cols = 0;  // from the manifest; 0: square
    if (file_id(manifest_path)) {
        const Bytes mb = Bytes::map_file(manifest_path);
        if (mb.size() > kMaxManifestBytes) throw Error(manifest_path, "is larger than 64 KiB");
        const auto m = nlohmann::json::parse(mb.data(), mb.data() + mb.size(), nullptr, false);
        if (!m.is_object() || m.value("format", std::string()) != kManifestFormat)
            throw Error(manifest_path, std::string("is not an mnistlr manifest (expected a JSON object with \"format\": \"") +
                                           kManifestFormat + "\")");
        check_member(m, "W.npy", w_bytes, dir, manifest_path);
        check_member(m, "b.npy", b_bytes, dir, manifest_path);
        if (m.contains("rows") && m.contains("cols") && m["rows"].is_number_unsigned() && m["cols"].is_number_unsigned() &&
            m["rows"].get<std::uint64_t>() <= kMaxSide && m["cols"].get<std::uint64_t>() <= kMaxSide) {
            rows = m["rows"].get<std::uint32_t>();
            cols = m["cols"].get<std::uint32_t>();
        }
        if (const auto it = m.find("deskew"); it != m.end()) {
            if (!it->is_boolean())
                throw Error(manifest_path, "\"deskew\" must be true or false; re-run mnistlr export");
            if (deskew) *deskew = it->get<bool>();
        }
    }
    const NpyArray W = decode_npy(w_bytes.data(), w_bytes.size(), w_path);
    const NpyArray b = decode_npy(b_bytes.data(), b_bytes.size(), b_path);

    if (b.shape.size() != 1)
        throw Error(b_path, "shape " + shape_repr(b.shape) + " is not a vector (expected (classes,))");
    const std::uint64_t K = b.shape[0];
    if (K < 2 || K > kMaxClasses)
        throw Error(b_path, "class count " + std::to_string(K) + " is out of range (2 to " +
                                std::to_string(kMaxClasses) + ")");
    if (W.shape.size() != 2)
        throw Error(w_path, "shape " + shape_repr(W.shape) + " is not a matrix (expected (classes, pixels) = (" +
                                std::to_string(K) + ", rows*cols))");
    if (W.shape[0] != K) {
        if (W.shape[1] == K)
            throw Error(w_path, "shape " + shape_repr(W.shape) + " looks transposed: b.npy has " + std::to_string(K) +
                                    " classes, so W.npy must be (classes, pixels) = (" + std::to_string(K) + ", " +
                                    std::to_string(W.shape[0]) + "); save W.T");
        throw Error(w_path, "shape " + shape_repr(W.shape) + " has " + std::to_string(W.shape[0]) +
                                " rows but b.npy has " + std::to_string(K) + " classes");
    }
    const std::uint64_t P = W.shape[1];
    const std::uint64_t side = isqrt(P);
    if (rows != 0 && std::uint64_t{rows} * cols != P)
        throw Error(w_path, std::to_string(P) + " pixels per class do not make the " + std::to_string(rows) + " x " +
                                std::to_string(cols) + " images " + kManifestName + " records");
    if (rows == 0 && (P == 0 || side * side != P || side > kMaxSide))
        throw Error(w_path, std::to_string(P) + " pixels per class is not a square image of 1 x 1 to " +
                                std::to_string(kMaxSide) + " x " + std::to_string(kMaxSide) +
                                " (a .npy model holds square images, e.g. 784 = 28 x 28)");
    for (float v : W.data)
        if (!std::isfinite(v)) throw Error(w_path, "holds non-finite values (NaN or infinity)");
    for (float v : b.data)
        if (!std::isfinite(v)) throw Error(b_path, "holds non-finite values (NaN or infinity)");

    if (rows == 0) rows = cols = static_cast<std::uint32_t>(side);
    SoftmaxModel m = SoftmaxModel::zeros(rows, cols, static_cast<std::uint32_t>(K));
    // W.npy is class-major (row k = class k), which is exactly the column-major storage of the
    // pixels x classes matrix.
    std::memcpy(m.W.data(), W.data.data(), W.data.size() * sizeof(float));
    std::memcpy(m.b.data(), b.data.data(), b.data.size() * sizeof(float));
    return m;
}

std::vector<std::string> model_files(const std::string& path) {
    if (!is_directory(path)) return {path};
    return {path + "/W.npy", path + "/b.npy", path + "/" + kManifestName};
}

WeightsFile load_model(const std::string& path) {
    if (is_directory(path)) {
        WeightsFile wf;
        bool deskew = false;
        wf.model = load_npy_model(path, &deskew);
        set_expects_deskewed(wf.info, deskew);
        return wf;
    }
    if (ends_with(path, ".npy") && exists(path))
        throw Error(path, "a single .npy file is not a model; pass the directory that holds W.npy and b.npy");
    return load_weights(path);
}

NpyPaths export_npy(const SoftmaxModel& model, const std::string& dir, const std::vector<std::string>& inputs,
                    bool deskew) {
    make_dirs(dir);
    const std::string base = ends_with(dir, "/") ? dir : dir + "/";
    NpyPaths out{base + "W.npy", base + "b.npy", base + kManifestName};
    const std::uint64_t K = model.classes(), P = model.pixels();
    // Column-major pixels x classes storage is class-major: it is W.npy's (classes, pixels) row-major.
    const auto w = encode_npy(model.W.data(), {K, P});
    const auto b = encode_npy(model.b.data(), {K});
    nlohmann::json manifest = {{"format", kManifestFormat}, {"version", 1},      {"rows", model.rows},
                               {"cols", model.cols},        {"classes", K},      {"W.npy", member_entry(w)},
                               {"b.npy", member_entry(b)}};
    if (deskew) manifest["deskew"] = true;  // absent otherwise: the manifest of a raw model is as before
    const std::string mtext = manifest.dump(2) + "\n";
    // The manifest is renamed first: whichever later rename fails, the directory then holds a pair
    // that the manifest does not describe, which load_npy_model refuses.
    OutputSet outputs;
    outputs.add(out.manifest).write(mtext.data(), mtext.size());
    outputs.add(out.W).write(w.data(), w.size());
    outputs.add(out.b).write(b.data(), b.size());
    for (const auto& in : inputs) outputs.add_input(in);
    outputs.commit();
    return out;
}

}  // namespace mnistlr
