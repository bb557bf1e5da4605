// Chooses among the kernel variants compiled from src/learning/kernels/isa.cpp (see kernels.hpp).
#include "mnistlr/learning/kernels.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "mnistlr/error.hpp"

namespace mnistlr {

#define MNISTLR_DECLARE_VARIANT(ns)                                                                               \
    namespace kernels::ns {                                                                                       \
    void logits_u8(const float*, const float*, std::size_t, std::size_t, const std::uint8_t* const*, std::size_t, \
                   float, float*);                                                                                \
    void outer_u8(const std::uint8_t* const*, std::size_t, const float*, std::size_t, std::size_t, float, float*); \
    void eval_blocks(const EvalBlocks&, std::size_t, std::size_t);                                                \
    std::size_t lanes() noexcept;                                                                                 \
    }
#define MNISTLR_VARIANT(ns) \
    KernelSet { #ns, kernels::ns::logits_u8, kernels::ns::outer_u8, kernels::ns::eval_blocks, kernels::ns::lanes }

#if defined(MNISTLR_KERNELS_NATIVE)
MNISTLR_DECLARE_VARIANT(native)
#else
MNISTLR_DECLARE_VARIANT(avx512)
MNISTLR_DECLARE_VARIANT(avx2)
MNISTLR_DECLARE_VARIANT(base)
#endif

namespace {

struct Available {
    KernelSet sets[3];
    std::size_t count = 0;
};

const Available& available() {
    static const Available a = [] {
        Available r{};
#if defined(MNISTLR_KERNELS_NATIVE)
        r.sets[r.count++] = MNISTLR_VARIANT(native);
#else
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) r.sets[r.count++] = MNISTLR_VARIANT(avx512);
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) r.sets[r.count++] = MNISTLR_VARIANT(avx2);
        r.sets[r.count++] = MNISTLR_VARIANT(base);
#endif
        return r;
    }();
    return a;
}

const KernelSet& chosen() {
    static const KernelSet& k = []() -> const KernelSet& {
        const Available& a = available();
        if (const char* want = std::getenv("MNISTLR_KERNELS"))
            for (std::size_t i = 0; i < a.count; ++i)
                if (std::strcmp(a.sets[i].name, want) == 0) return a.sets[i];
        return a.sets[0];
    }();
    return k;
}

}  // namespace

void logits_u8(const float* W, const float* b, std::size_t P, std::size_t K, const std::uint8_t* const* images,
               std::size_t n, float scale, float* Z) {
    chosen().logits_u8(W, b, P, K, images, n, scale, Z);
}

void outer_u8(const std::uint8_t* const* images, std::size_t n, const float* G, std::size_t P, std::size_t K,
              float scale, float* dW) {
    chosen().outer_u8(images, n, G, P, K, scale, dW);
}

void eval_blocks(const EvalBlocks& e, std::size_t first, std::size_t last) {
    // The variants index their kEvalMaxClasses accumulators by class and by label.
    if (e.K == 0 || e.K > kEvalMaxClasses)
        throw Error("evaluation kernel: " + std::to_string(e.K) + " classes (expected 1 to " +
                    std::to_string(kEvalMaxClasses) + ")");
    for (std::size_t i = first * 16; i < std::min(e.count, last * 16); ++i)
        if (e.labels[i] >= e.K)
            throw Error("evaluation kernel: label " + std::to_string(e.labels[i]) + " at index " + std::to_string(i) +
                        " is not below the class count " + std::to_string(e.K));
    chosen().eval_blocks(e, first, last);
}

const char* kernel_variant() noexcept { return chosen().name; }
std::size_t kernel_lanes() noexcept { return chosen().lanes(); }

std::size_t kernel_sets(const KernelSet** out, std::size_t max) {
    const Available& a = available();
    std::size_t n = 0;
    for (; n < a.count && n < max; ++n) out[n] = &a.sets[n];
    return n;
}

}  // namespace mnistlr
