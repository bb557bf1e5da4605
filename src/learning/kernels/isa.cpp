// The hot loops, compiled once per instruction set (CMakeLists.txt: "kernels"): with
// MNISTLR_NATIVE for this machine only, otherwise for AVX-512, AVX2 + FMA and baseline x86-64, in
// namespaces named by MNISTLR_KERNEL_NS; src/learning/kernels.cpp picks one at run time. The code is the
// same for all; vector widths and the byte-to-float widening follow the compiler's target.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "mnistlr/learning/kernels.hpp"

#ifndef MNISTLR_KERNEL_NS
#error "MNISTLR_KERNEL_NS must name the variant (see CMakeLists.txt)"
#endif

namespace mnistlr::kernels::MNISTLR_KERNEL_NS {
namespace {

// ---- training step: forward and backward products -------------------------

#if defined(__AVX512F__)
constexpr std::size_t L = 16;     // floats per vector (one register)
constexpr std::size_t kPair = 2;  // images (forward) or pixel vectors (backward) per pass: 2 x 10 accumulators
#elif defined(__AVX2__)
constexpr std::size_t L = 8;
constexpr std::size_t kPair = 1;  // 16 ymm registers: 10 accumulators, one pass at a time
#elif defined(__SSE2__)
constexpr std::size_t L = 4;      // 16 xmm registers, as for AVX2
constexpr std::size_t kPair = 1;
#else
constexpr std::size_t L = 8;
constexpr std::size_t kPair = 1;
#endif
static_assert(L == 4 || L == 8 || L == 16, "vector width");
constexpr std::size_t kGroup = 10;  // classes per group (accumulators per image or pixel vector)

using vf = float __attribute__((vector_size(L * sizeof(float))));

// L bytes -> L floats (the instruction set's zero-extension and conversion where there is one).
// Results are written through pointers: passing vectors by value draws GCC's -Wpsabi note.
__attribute__((always_inline)) inline void widen(const std::uint8_t* p, vf* out) {
#if defined(__AVX512F__)
    const __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    std::memcpy(out, &f, sizeof f);
#elif defined(__AVX2__)
    const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
    std::memcpy(out, &f, sizeof f);
#elif defined(__SSE2__)
    std::int32_t four;
    std::memcpy(&four, p, sizeof four);
    const __m128i zero = _mm_setzero_si128();
    const __m128i w16 = _mm_unpacklo_epi8(_mm_cvtsi32_si128(four), zero);
    const __m128 f = _mm_cvtepi32_ps(_mm_unpacklo_epi16(w16, zero));
    std::memcpy(out, &f, sizeof f);
#else
    vf v;
    for (std::size_t l = 0; l < L; ++l) v[l] = static_cast<float>(p[l]);
    *out = v;
#endif
}

__attribute__((always_inline)) inline void load(const float* p, vf* out) { std::memcpy(out, p, sizeof(vf)); }
__attribute__((always_inline)) inline void store(float* p, const vf* v) { std::memcpy(p, v, sizeof(vf)); }

// Sum of a vector's lanes, halving the width each time (a fixed order): add the upper half to the
// lower one until four lanes are left (vextract + add), then two scalar rounds.
using v8f = float __attribute__((vector_size(8 * sizeof(float))));
using v4f = float __attribute__((vector_size(4 * sizeof(float))));
__attribute__((always_inline)) inline float lane_sum(const vf* v) {
    v4f q;
    if constexpr (L == 16) {
        v8f lo, hi;
        std::memcpy(&lo, v, sizeof lo);
        std::memcpy(&hi, reinterpret_cast<const char*>(v) + sizeof lo, sizeof hi);
        const v8f h = lo + hi;
        v4f a, c;
        std::memcpy(&a, &h, sizeof a);
        std::memcpy(&c, reinterpret_cast<const char*>(&h) + sizeof a, sizeof c);
        q = a + c;
    } else if constexpr (L == 8) {
        v4f a, c;
        std::memcpy(&a, v, sizeof a);
        std::memcpy(&c, reinterpret_cast<const char*>(v) + sizeof a, sizeof c);
        q = a + c;
    } else {
        std::memcpy(&q, v, sizeof q);  // L == 4
    }
    return (q[0] + q[2]) + (q[1] + q[3]);
}

// Forward for NI images (NI <= kPair) and G classes (G <= kGroup) starting at class k0.
template <std::size_t NI, std::size_t G>
void logits_group(const float* W, const float* b, std::size_t P, std::size_t K, std::size_t k0,
                  const std::uint8_t* const* images, std::size_t j0, float scale, float* Z) {
    vf acc[NI][G];
    for (std::size_t i = 0; i < NI; ++i)
        for (std::size_t g = 0; g < G; ++g) acc[i][g] = vf{};
    const std::size_t whole = P - P % L;
    const float* w0 = W + k0 * P;
    for (std::size_t p = 0; p < whole; p += L) {
        vf x[NI];
        for (std::size_t i = 0; i < NI; ++i) widen(images[j0 + i] + p, &x[i]);
        for (std::size_t g = 0; g < G; ++g) {
            vf w;
            load(w0 + g * P + p, &w);
            for (std::size_t i = 0; i < NI; ++i) acc[i][g] += x[i] * w;
        }
    }
    for (std::size_t i = 0; i < NI; ++i) {
        const std::uint8_t* x = images[j0 + i];
        float* z = Z + (j0 + i) * K + k0;
        for (std::size_t g = 0; g < G; ++g) {
            const float* w = w0 + g * P;
            float s = lane_sum(&acc[i][g]);
            for (std::size_t p = whole; p < P; ++p) s += static_cast<float>(x[p]) * w[p];
            z[g] = scale * s + b[k0 + g];
        }
    }
}

// Calls f(std::integral_constant<std::size_t, G>{}, k0) for each group of classes [k0, k0 + G):
// groups of kGroup, then the remainder, so that every group's size is known at compile time.
template <class F>
void by_class_groups(std::size_t K, F&& f) {
    std::size_t k0 = 0;
    for (; k0 + kGroup <= K; k0 += kGroup) f(std::integral_constant<std::size_t, kGroup>{}, k0);
    switch (K - k0) {
        case 0: break;
        case 1: f(std::integral_constant<std::size_t, 1>{}, k0); break;
        case 2: f(std::integral_constant<std::size_t, 2>{}, k0); break;
        case 3: f(std::integral_constant<std::size_t, 3>{}, k0); break;
        case 4: f(std::integral_constant<std::size_t, 4>{}, k0); break;
        case 5: f(std::integral_constant<std::size_t, 5>{}, k0); break;
        case 6: f(std::integral_constant<std::size_t, 6>{}, k0); break;
        case 7: f(std::integral_constant<std::size_t, 7>{}, k0); break;
        case 8: f(std::integral_constant<std::size_t, 8>{}, k0); break;
        default: f(std::integral_constant<std::size_t, 9>{}, k0); break;
    }
}
static_assert(kGroup == 10, "by_class_groups spells out the remainders 1 .. kGroup - 1");

template <std::size_t NI>
void logits_images(const float* W, const float* b, std::size_t P, std::size_t K, const std::uint8_t* const* images,
                   std::size_t j0, float scale, float* Z) {
    by_class_groups(K, [&](auto group, std::size_t k0) {
        logits_group<NI, decltype(group)::value>(W, b, P, K, k0, images, j0, scale, Z);
    });
}

// Backward for NV pixel vectors starting at pixel p0 and G classes starting at class k0.
template <std::size_t NV, std::size_t G>
void outer_group(const std::uint8_t* const* images, std::size_t n, const float* Gm, std::size_t P, std::size_t K,
                 std::size_t k0, std::size_t p0, float scale, float* dW) {
    vf acc[NV][G];
    for (std::size_t v = 0; v < NV; ++v)
        for (std::size_t g = 0; g < G; ++g) acc[v][g] = vf{};
    for (std::size_t j = 0; j < n; ++j) {
        vf x[NV];
        for (std::size_t v = 0; v < NV; ++v) widen(images[j] + p0 + v * L, &x[v]);
        const float* gj = Gm + j * K + k0;
        for (std::size_t g = 0; g < G; ++g) {
            const float c = gj[g];
            for (std::size_t v = 0; v < NV; ++v) acc[v][g] += c * x[v];
        }
    }
    for (std::size_t g = 0; g < G; ++g)
        for (std::size_t v = 0; v < NV; ++v) {
            const vf r = scale * acc[v][g];
            store(dW + (k0 + g) * P + p0 + v * L, &r);
        }
}

template <std::size_t NV>
void outer_vectors(const std::uint8_t* const* images, std::size_t n, const float* Gm, std::size_t P, std::size_t K,
                   std::size_t p0, float scale, float* dW) {
    by_class_groups(K, [&](auto group, std::size_t k0) {
        outer_group<NV, decltype(group)::value>(images, n, Gm, P, K, k0, p0, scale, dW);
    });
}

// ---- evaluation: 16 images per block ----------------------------------------

constexpr std::size_t kLanes = 16;
static_assert(kLanes % L == 0, "vectors of the kernels' width make one block of 16 lanes");
// A block's 16 images are scored as kGroups groups of L lanes (one native vector each: one group
// with AVX-512, two with AVX2, four with SSE2). A single 16-float vector type would be split by
// GCC into native pieces moved through the stack on every operation (10x slower with AVX2).
constexpr std::size_t kGroups = kLanes / L;

using vi = std::int32_t __attribute__((vector_size(L * sizeof(std::int32_t))));

// acc[k] = b_k + sum over the block's stored rows r of w[p_r * K + k] * x_r, where x_r is the L
// bytes at xp + 16 r (this group's lanes of row r) and p_r = pixel[r] (pixel == nullptr: p_r = r,
// all rows stored). KC > 0 fixes the class count at compile time (the accumulators then live in
// registers); KC = 0 reads it from K.
template <std::uint32_t KC>
void accumulate(vf* acc_out, const std::uint8_t* xp, const std::uint16_t* pixel, std::size_t rows,
                std::uint32_t K_runtime, const float* w, const float* bias) {
    const std::uint32_t K = KC ? KC : K_runtime;
    vf acc[KC ? KC : kEvalMaxClasses];
    for (std::uint32_t k = 0; k < K; ++k) acc[k] = vf{} + bias[k];
    for (std::size_t r = 0; r < rows; ++r, xp += kLanes) {
        const float* wp = w + (pixel ? std::size_t{pixel[r]} : r) * K;
        vf x;
        widen(xp, &x);
        for (std::uint32_t k = 0; k < K; ++k) acc[k] += wp[k] * x;  // z_k += (W_pk / 255) x_p
    }
    for (std::uint32_t k = 0; k < K; ++k) acc_out[k] = acc[k];
}

// exp(x) for each lane, x <= 0 (Cephes' expf: x = n ln2 + r, |r| <= ln2 / 2, a degree-7 polynomial
// in r, times 2^n built in the exponent bits). Relative error ~2 ulp; below -87 it returns
// exp(-87) ~ 1.6e-38 instead of a smaller number, which no sum of a softmax notices.
inline void exp_lanes(const vf* in, vf* result) {
    const vf x0 = *in;
    const vf lo = vf{} - 87.0f;
    const vf x = x0 < lo ? lo : x0;
    const vf shifter = vf{} + 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    const vf t = x * 1.44269504088896341f + shifter;
    const vf n = t - shifter;
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vf p = vf{} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const vi e = (__builtin_convertvector(n, vi) + 127) << 23;  // 2^n, n in [-126, 0]
    vf scale;
    std::memcpy(&scale, &e, sizeof scale);
    *result = p * scale;
}

}  // namespace

void logits_u8(const float* W, const float* b, std::size_t P, std::size_t K, const std::uint8_t* const* images,
               std::size_t n, float scale, float* Z) {
    std::size_t j = 0;
    if constexpr (kPair == 2)
        for (; j + 2 <= n; j += 2) logits_images<2>(W, b, P, K, images, j, scale, Z);
    for (; j < n; ++j) logits_images<1>(W, b, P, K, images, j, scale, Z);
}

void outer_u8(const std::uint8_t* const* images, std::size_t n, const float* G, std::size_t P, std::size_t K,
              float scale, float* dW) {
    const std::size_t whole = P - P % L;
    std::size_t p = 0;
    if constexpr (kPair == 2)
        for (; p + 2 * L <= whole; p += 2 * L) outer_vectors<2>(images, n, G, P, K, p, scale, dW);
    for (; p < whole; p += L) outer_vectors<1>(images, n, G, P, K, p, scale, dW);
    for (; p < P; ++p)  // the pixels past the last whole vector
        for (std::size_t k = 0; k < K; ++k) {
            float s = 0.0f;
            for (std::size_t j = 0; j < n; ++j) s += G[j * K + k] * static_cast<float>(images[j][p]);
            dW[k * P + p] = scale * s;
        }
}

std::size_t lanes() noexcept { return L; }

void eval_blocks(const EvalBlocks& e, std::size_t first, std::size_t last) {
    const std::uint32_t K = e.K;
    vf acc[kEvalMaxClasses];
    for (std::size_t blk = first; blk < last; ++blk) {
        const std::size_t base = blk * kLanes;
        const std::size_t row0 = e.block_begin[blk], rows = e.block_end[blk] - row0;
        const std::uint16_t* pixel = e.pixel ? e.pixel + row0 : nullptr;
        double loss = 0.0;
        std::uint32_t correct = 0;
        for (std::size_t g = 0; g < kGroups; ++g) {
            const std::uint8_t* xp = e.rows + row0 * kLanes + g * L;
            switch (K) {
                case 10: accumulate<10>(acc, xp, pixel, rows, K, e.w, e.bias); break;
                case 26: accumulate<26>(acc, xp, pixel, rows, K, e.w, e.bias); break;
                default: accumulate<0>(acc, xp, pixel, rows, K, e.w, e.bias); break;
            }
            // Per lane: max over classes, arg-max (the first class reaching it), sum of exp(z - max).
            vf mx = acc[0];
            for (std::uint32_t k = 1; k < K; ++k) mx = acc[k] > mx ? acc[k] : mx;
            vi best = vi{} + static_cast<std::int32_t>(K - 1);
            for (std::uint32_t k = K; k-- > 0;) best = acc[k] == mx ? vi{} + static_cast<std::int32_t>(k) : best;
            vf sum = vf{};
            for (std::uint32_t k = 0; k < K; ++k) {
                const vf d = acc[k] - mx;
                vf ex;
                exp_lanes(&d, &ex);
                sum += ex;
            }
            const std::size_t first_image = base + g * L;
            const std::size_t lanes = std::min(L, e.count - std::min(e.count, first_image));
            for (std::size_t l = 0; l < lanes; ++l) {  // images in order: the same sum for every width
                const std::uint8_t y = e.labels[first_image + l];
                const auto b = static_cast<std::uint32_t>(best[l]);
                loss += static_cast<double>(std::log(sum[l])) - static_cast<double>(acc[y][l] - mx[l]);  // lse - (z_y - max)
                correct += (b == y);
                if (e.predicted) e.predicted[first_image + l] = b;
            }
        }
        e.block_loss[blk] = loss;
        e.block_correct[blk] = correct;
    }
}

}  // namespace mnistlr::kernels::MNISTLR_KERNEL_NS
