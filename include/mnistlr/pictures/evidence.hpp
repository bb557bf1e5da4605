// Evidence maps: a linear model's decision, pixel by pixel, with nothing approximated.
//
// For an input x (P pixels in [0, 1], model.hpp's layout) the score of class k is a sum over pixels:
//   z_k = sum_p e_k[p] + b_k,    e_k[p] = W(p, k) * x[p]            (the evidence map of class k)
// so e_k[p] > 0 is a pixel voting for class k, e_k[p] < 0 one voting against it, and a pixel with
// x[p] = 0 contributes exactly 0. Between two classes a and c:
//   z_a - z_c = sum_p d[p] + (b_a - b_c),   d[p] = e_a[p] - e_c[p] = (W(p, a) - W(p, c)) x[p]
// the pixels that decided between them ("4 or 9?").
//
// The logits z and probabilities p are computed the way predict computes them (compute_logits:
// Eigen's W^T X + b in float; stable softmax), so they are exactly predict's numbers; the map sums
// are computed separately, in double, from the float map values, and agree with z - b to float
// rounding (tests check it for every class).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mnistlr/learning/model.hpp"

namespace mnistlr {

struct Evidence {
    std::vector<float> logit;         // K: z_k, as predict computes it
    std::vector<float> probability;   // K: softmax(z)
    std::vector<double> map_sum;      // K: sum_p e_k[p], in double
    std::vector<std::uint32_t> order; // the K classes, most probable first (lower index first on ties)

    std::uint32_t top() const { return order.front(); }
    std::uint32_t runner_up() const { return order.size() > 1 ? order[1] : order.front(); }
};

// The evidence of each column of X (P x n) under the model. Throws Error when X's row count is not
// the model's pixel count.
std::vector<Evidence> evidence_of(const SoftmaxModel& model, const Matrix& X);

// e_k = W(:, k) .* x into out[0..P). Precondition: k < K, x and out hold P values.
void evidence_map(const SoftmaxModel& model, const float* x, std::uint32_t k, float* out);
// d = e_a - e_c (each e computed as evidence_map does, then subtracted) into out[0..P).
void evidence_difference(const SoftmaxModel& model, const float* x, std::uint32_t a, std::uint32_t c, float* out);

// sum_p v[p] in double.
double map_total(const float* v, std::size_t n);

// What --vs asks for: nothing, the runner-up, or a given class.
struct VersusChoice {
    enum class Kind { none, runner_up, cls } kind = Kind::none;
    std::uint32_t cls = 0;  // with Kind::cls
};

// The class `spec` names among the model's K classes: an index ("4") or a class name ("Shirt"),
// names first when a name is itself a number; "runner-up" gives Kind::runner_up. Throws Error
// "--vs: unknown class 'x' (expected an index 0..K-1, a class name or runner-up)".
VersusChoice parse_versus(const std::string& spec, const std::vector<std::string>& class_names);

// The class the top class is compared with: the runner-up, or the chosen class, except that a
// chosen class which is itself the top class is compared with the runner-up (so the picture is
// never "7 vs 7"; the title always says which pair it is).
std::uint32_t versus_class(const VersusChoice& vs, const Evidence& ev);

}  // namespace mnistlr
