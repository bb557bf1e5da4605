#include "mnistlr/model_io.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>

#include <sys/stat.h>

#include "mnistlr/error.hpp"
#include "mnistlr/npy.hpp"

namespace mnistlr {
namespace {

bool is_dir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_text(const NpyArray& a) {
    std::string s = "(";
    for (std::size_t i = 0; i < a.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(a.shape[i]);
    return s + (a.shape.size() == 1 ? ",)" : ")");
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
    if (!is_dir(dir)) throw Error(dir, "exists and is not a directory");
}

const char* const kPairHint = " (a model directory holds W.npy and b.npy, as mnistlr export --npy DIR writes them)";

}  // namespace

SoftmaxModel load_npy_model(const std::string& dir) {
    const std::string w_path = dir + "/W.npy", b_path = dir + "/b.npy";
    for (const auto* p : {&w_path, &b_path})
        if (!exists(*p)) throw Error(dir, "no " + p->substr(dir.size() + 1) + " in this directory" + kPairHint);
    const NpyArray W = load_npy(w_path);
    const NpyArray b = load_npy(b_path);

    if (b.shape.size() != 1)
        throw Error(b_path, "shape " + shape_text(b) + " is not a vector (expected (classes,))");
    const std::uint64_t K = b.shape[0];
    if (K < 2 || K > kMaxClasses)
        throw Error(b_path, "class count " + std::to_string(K) + " is out of range (2 to " +
                                std::to_string(kMaxClasses) + ")");
    if (W.shape.size() != 2)
        throw Error(w_path, "shape " + shape_text(W) + " is not a matrix (expected (classes, pixels) = (" +
                                std::to_string(K) + ", rows*cols))");
    if (W.shape[0] != K) {
        if (W.shape[1] == K)
            throw Error(w_path, "shape " + shape_text(W) + " looks transposed: b.npy has " + std::to_string(K) +
                                    " classes, so W.npy must be (classes, pixels) = (" + std::to_string(K) + ", " +
                                    std::to_string(W.shape[0]) + "); save W.T");
        throw Error(w_path, "shape " + shape_text(W) + " has " + std::to_string(W.shape[0]) +
                                " rows but b.npy has " + std::to_string(K) + " classes");
    }
    const std::uint64_t P = W.shape[1];
    const std::uint64_t side = isqrt(P);
    if (P == 0 || side * side != P || side > kMaxSide)
        throw Error(w_path, std::to_string(P) + " pixels per class is not a square image of 1 x 1 to " +
                                std::to_string(kMaxSide) + " x " + std::to_string(kMaxSide) +
                                " (a .npy model holds square images, e.g. 784 = 28 x 28)");
    for (float v : W.data)
        if (!std::isfinite(v)) throw Error(w_path, "holds non-finite values (NaN or infinity)");
    for (float v : b.data)
        if (!std::isfinite(v)) throw Error(b_path, "holds non-finite values (NaN or infinity)");

    const auto s = static_cast<std::uint32_t>(side);
    SoftmaxModel m = SoftmaxModel::zeros(s, s, static_cast<std::uint32_t>(K));
    // W.npy is class-major (row k = class k), which is exactly the column-major storage of the
    // pixels x classes matrix.
    std::memcpy(m.W.data(), W.data.data(), W.data.size() * sizeof(float));
    std::memcpy(m.b.data(), b.data.data(), b.data.size() * sizeof(float));
    return m;
}

WeightsFile load_model(const std::string& path) {
    if (is_dir(path)) {
        WeightsFile wf;
        wf.model = load_npy_model(path);
        return wf;
    }
    if (ends_with(path, ".npy") && exists(path))
        throw Error(path, "a single .npy file is not a model; pass the directory that holds W.npy and b.npy");
    return load_weights(path);
}

NpyPaths export_npy(const SoftmaxModel& model, const std::string& dir) {
    make_dirs(dir);
    const std::string base = ends_with(dir, "/") ? dir : dir + "/";
    NpyPaths out{base + "W.npy", base + "b.npy"};
    const std::uint64_t K = model.classes(), P = model.pixels();
    // Column-major pixels x classes storage is class-major: it is W.npy's (classes, pixels) row-major.
    save_npy(out.W, model.W.data(), {K, P});
    save_npy(out.b, model.b.data(), {K});
    return out;
}

}  // namespace mnistlr
