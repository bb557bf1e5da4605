#include "mnistlr/pictures/evidence.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "mnistlr/error.hpp"

namespace mnistlr {

std::vector<Evidence> evidence_of(const SoftmaxModel& model, const Matrix& X) {
    const std::size_t P = model.pixels();
    const std::uint32_t K = model.classes();
    if (static_cast<std::size_t>(X.rows()) != P)
        throw Error("inputs hold " + std::to_string(X.rows()) + " pixels, the model expects " + std::to_string(P));
    const auto n = static_cast<std::size_t>(X.cols());
    Matrix Z(K, X.cols());
    compute_logits(model, X, n, Z);  // K x n, predict's product
    const Matrix logits = Z;
    // Turns Z into probabilities in place; the loss against placeholder labels is not used.
    const std::vector<std::uint8_t> no_labels(n, 0);
    softmax_cross_entropy(Z, no_labels.data(), n);

    std::vector<Evidence> out(n);
    std::vector<float> e(P);
    for (std::size_t j = 0; j < n; ++j) {
        Evidence& ev = out[j];
        const auto col = static_cast<Eigen::Index>(j);
        const float* x = X.col(col).data();
        ev.logit.assign(logits.col(col).data(), logits.col(col).data() + K);
        ev.probability.assign(Z.col(col).data(), Z.col(col).data() + K);
        ev.map_sum.resize(K);
        for (std::uint32_t k = 0; k < K; ++k) {
            evidence_map(model, x, k, e.data());
            ev.map_sum[k] = map_total(e.data(), P);
        }
        ev.order.resize(K);
        std::iota(ev.order.begin(), ev.order.end(), 0u);
        // Most probable first, the lower index first on ties: the order a stable sort of 0..K-1 gives
        // (std::sort with the tie made explicit: libstdc++ 12's stable_sort buffer trips ASan's
        // alloc-dealloc-mismatch check).
        std::sort(ev.order.begin(), ev.order.end(), [&](std::uint32_t a, std::uint32_t c) {
            return ev.probability[a] != ev.probability[c] ? ev.probability[a] > ev.probability[c] : a < c;
        });
    }
    return out;
}

void evidence_map(const SoftmaxModel& model, const float* x, std::uint32_t k, float* out) {
    const std::size_t P = model.pixels();
    const float* w = model.W.data() + std::size_t{k} * P;  // column k (column-major: contiguous)
    for (std::size_t p = 0; p < P; ++p) out[p] = w[p] * x[p];
}

void evidence_difference(const SoftmaxModel& model, const float* x, std::uint32_t a, std::uint32_t c, float* out) {
    // Both maps are stored first and then subtracted, so that d is exactly e_a - e_c: written as
    // one expression, wa * x - wc * x would be contracted into a fused multiply-add (-march=native)
    // and round differently.
    const std::size_t P = model.pixels();
    std::vector<float> ec(P);
    evidence_map(model, x, a, out);
    evidence_map(model, x, c, ec.data());
    for (std::size_t p = 0; p < P; ++p) out[p] -= ec[p];
}

double map_total(const float* v, std::size_t n) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(v[i]);
    return s;
}

VersusChoice parse_versus(const std::string& spec, const std::vector<std::string>& class_names) {
    VersusChoice vs;
    if (spec == "runner-up") {
        vs.kind = VersusChoice::Kind::runner_up;
        return vs;
    }
    const std::size_t K = class_names.size();
    for (std::size_t k = 0; k < K; ++k)
        if (class_names[k] == spec) {
            vs.kind = VersusChoice::Kind::cls;
            vs.cls = static_cast<std::uint32_t>(k);
            return vs;
        }
    if (!spec.empty() && spec.size() <= 9 && std::all_of(spec.begin(), spec.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        const unsigned long v = std::stoul(spec);
        if (v < K) {
            vs.kind = VersusChoice::Kind::cls;
            vs.cls = static_cast<std::uint32_t>(v);
            return vs;
        }
    }
    throw Error("--vs: unknown class '" + spec + "' (expected an index 0.." + std::to_string(K == 0 ? 0 : K - 1) +
                ", a class name or runner-up)");
}

std::uint32_t versus_class(const VersusChoice& vs, const Evidence& ev) {
    if (vs.kind == VersusChoice::Kind::cls && vs.cls != ev.top()) return vs.cls;
    return ev.runner_up();
}

}  // namespace mnistlr
