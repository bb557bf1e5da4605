#include "mnistlr/kernels.hpp"

#include <cstring>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace mnistlr {
namespace {

#if defined(__AVX512F__)
constexpr std::size_t L = 16;  // floats per vector
constexpr std::size_t kPair = 2;       // images (forward) or pixel vectors (backward) per pass: 2 x 10 accumulators
#elif defined(__AVX2__)
constexpr std::size_t L = 8;
constexpr std::size_t kPair = 1;  // 16 ymm registers: 10 accumulators, one pass at a time
#else
constexpr std::size_t L = 8;
constexpr std::size_t kPair = 1;
#endif
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
    } else {
        v4f a, c;
        std::memcpy(&a, v, sizeof a);
        std::memcpy(&c, reinterpret_cast<const char*>(v) + sizeof a, sizeof c);
        q = a + c;
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

template <std::size_t NI>
void logits_images(const float* W, const float* b, std::size_t P, std::size_t K, const std::uint8_t* const* images,
                   std::size_t j0, float scale, float* Z) {
    std::size_t k0 = 0;
    for (; k0 + kGroup <= K; k0 += kGroup) logits_group<NI, kGroup>(W, b, P, K, k0, images, j0, scale, Z);
    switch (K - k0) {
        case 0: break;
        case 1: logits_group<NI, 1>(W, b, P, K, k0, images, j0, scale, Z); break;
        case 2: logits_group<NI, 2>(W, b, P, K, k0, images, j0, scale, Z); break;
        case 3: logits_group<NI, 3>(W, b, P, K, k0, images, j0, scale, Z); break;
        case 4: logits_group<NI, 4>(W, b, P, K, k0, images, j0, scale, Z); break;
        case 5: logits_group<NI, 5>(W, b, P, K, k0, images, j0, scale, Z); break;
        case 6: logits_group<NI, 6>(W, b, P, K, k0, images, j0, scale, Z); break;
        case 7: logits_group<NI, 7>(W, b, P, K, k0, images, j0, scale, Z); break;
        case 8: logits_group<NI, 8>(W, b, P, K, k0, images, j0, scale, Z); break;
        default: logits_group<NI, 9>(W, b, P, K, k0, images, j0, scale, Z); break;
    }
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
    std::size_t k0 = 0;
    for (; k0 + kGroup <= K; k0 += kGroup) outer_group<NV, kGroup>(images, n, Gm, P, K, k0, p0, scale, dW);
    switch (K - k0) {
        case 0: break;
        case 1: outer_group<NV, 1>(images, n, Gm, P, K, k0, p0, scale, dW); break;
        case 2: outer_group<NV, 2>(images, n, Gm, P, K, k0, p0, scale, dW); break;
        case 3: outer_group<NV, 3>(images, n, Gm, P, K, k0, p0, scale, dW); break;
        case 4: outer_group<NV, 4>(images, n, Gm, P, K, k0, p0, scale, dW); break;
        case 5: outer_group<NV, 5>(images, n, Gm, P, K, k0, p0, scale, dW); break;
        case 6: outer_group<NV, 6>(images, n, Gm, P, K, k0, p0, scale, dW); break;
        case 7: outer_group<NV, 7>(images, n, Gm, P, K, k0, p0, scale, dW); break;
        case 8: outer_group<NV, 8>(images, n, Gm, P, K, k0, p0, scale, dW); break;
        default: outer_group<NV, 9>(images, n, Gm, P, K, k0, p0, scale, dW); break;
    }
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

std::size_t kernel_lanes() noexcept { return L; }

}  // namespace mnistlr
