#include "mnistlr/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "mnistlr/error.hpp"

namespace mnistlr {
namespace {
constexpr std::size_t kLanes = 16;

// One vector of 16 floats = 16 images (GCC/Clang vector extension: one zmm register with
// AVX-512, two ymm with AVX2).
using v16f = float __attribute__((vector_size(64)));

// 16 bytes -> 16 floats. GCC 12 turns a generic vector conversion into scalar inserts, so the
// widening uses the instruction set's own zero-extension where there is one.
// (Written through a pointer: returning a 64-byte vector by value draws GCC's -Wpsabi note on
// builds without AVX-512.)
inline void load16(const std::uint8_t* p, v16f* result) {
    v16f& out = *result;
#if defined(__AVX512F__)
    const __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    std::memcpy(&out, &f, sizeof out);
#elif defined(__AVX2__)
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8))));
    std::memcpy(&out, &lo, sizeof lo);
    std::memcpy(reinterpret_cast<char*>(&out) + sizeof lo, &hi, sizeof hi);
#else
    for (int l = 0; l < 16; ++l) out[l] = static_cast<float>(p[l]);
#endif
}

// acc[k] = b_k + sum over the block's stored rows r of w[p_r * K + k] * x_r, where x_r is the 16
// bytes at xp + 16 r and p_r = pixel[r] (pixel == nullptr: p_r = r, all rows stored).
// KC > 0 fixes the class count at compile time; KC = 0 reads it from K.
template <std::uint32_t KC>
void accumulate(v16f* acc_out, const std::uint8_t* xp, const std::uint16_t* pixel, std::size_t rows,
                std::uint32_t K_runtime, const float* w, const float* bias) {
    const std::uint32_t K = KC ? KC : K_runtime;
    v16f acc[KC ? KC : Evaluator::kMaxKernelClasses];
    for (std::uint32_t k = 0; k < K; ++k) acc[k] = v16f{} + bias[k];
    for (std::size_t r = 0; r < rows; ++r, xp += kLanes) {
        const float* wp = w + (pixel ? std::size_t{pixel[r]} : r) * K;
        v16f x;
        load16(xp, &x);
        for (std::uint32_t k = 0; k < K; ++k) acc[k] += wp[k] * x;  // z_k += (W_pk / 255) x_p
    }
    for (std::uint32_t k = 0; k < K; ++k) acc_out[k] = acc[k];
}

using v16i = std::int32_t __attribute__((vector_size(64)));

// exp(x) for each lane, x <= 0 (Cephes' expf: x = n ln2 + r, |r| <= ln2 / 2, a degree-7 polynomial
// in r, times 2^n built in the exponent bits). Relative error ~2 ulp; below -87 it returns
// exp(-87) ~ 1.6e-38 instead of a smaller number, which no sum of a softmax notices.
inline void exp_lanes(const v16f* in, v16f* result) {
    const v16f x0 = *in;
    const v16f lo = v16f{} - 87.0f;
    const v16f x = x0 < lo ? lo : x0;
    const v16f shifter = v16f{} + 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    const v16f t = x * 1.44269504088896341f + shifter;
    const v16f n = t - shifter;
    v16f r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    v16f p = v16f{} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const v16i e = (__builtin_convertvector(n, v16i) + 127) << 23;  // 2^n, n in [-126, 0]
    v16f scale;
    std::memcpy(&scale, &e, sizeof scale);
    *result = p * scale;
}

}  // namespace

Evaluator::Evaluator(std::size_t pixels, std::uint32_t classes, unsigned threads)
    : pixels_(pixels),
      classes_(classes),
      threads_(threads ? threads : std::max(1u, std::min(2u, std::thread::hardware_concurrency()))) {}

void Evaluator::prepare(const SoftmaxModel& model, const Split& split) {
    const std::size_t P = pixels_, K = classes_;
    if (cached_pixels_ != split.pixels.data() || cached_count_ != split.count) {
        padded_ = (split.count + kLanes - 1) / kLanes * kLanes;
        const std::size_t blocks = padded_ / kLanes;
        compact_ = P <= 65536;
        // Rows kept per block (two passes: count, then copy), so the copy is allocated once.
        block_row_.assign(blocks + 1, 0);
        std::vector<std::uint8_t> any(P);
        std::size_t kept = 0;
        for (std::size_t blk = 0; blk < blocks; ++blk) {
            block_row_[blk] = kept;
            if (!compact_) {
                kept += P;
                continue;
            }
            std::fill(any.begin(), any.end(), std::uint8_t{0});
            for (std::size_t i = blk * kLanes; i < std::min(split.count, (blk + 1) * kLanes); ++i) {
                const std::uint8_t* img = split.image(i);
                for (std::size_t p = 0; p < P; ++p) any[p] |= img[p];
            }
            for (std::size_t p = 0; p < P; ++p) kept += any[p] != 0;
        }
        block_row_[blocks] = kept;
        transposed_.assign(kept * kLanes, 0);
        row_pixel_.assign(compact_ ? kept : 0, 0);
        for (std::size_t blk = 0; blk < blocks; ++blk) {
            const std::size_t first = blk * kLanes, last = std::min(split.count, first + kLanes);
            std::fill(any.begin(), any.end(), static_cast<std::uint8_t>(compact_ ? 0 : 1));
            for (std::size_t i = first; i < last && compact_; ++i) {
                const std::uint8_t* img = split.image(i);
                for (std::size_t p = 0; p < P; ++p) any[p] |= img[p];
            }
            std::size_t r = block_row_[blk];
            for (std::size_t p = 0; p < P; ++p) {
                if (any[p] == 0) continue;
                for (std::size_t i = first; i < last; ++i) transposed_[r * kLanes + (i - first)] = split.image(i)[p];
                if (compact_) row_pixel_[r] = static_cast<std::uint16_t>(p);
                ++r;
            }
        }
        block_loss_.assign(blocks, 0.0);
        block_correct_.assign(blocks, 0);
        predicted_.assign(padded_, 0);
        cached_pixels_ = split.pixels.data();
        cached_count_ = split.count;
    }
    bias_.assign(model.b.data(), model.b.data() + K);
    w_scaled_.resize(P * K);
    for (std::size_t p = 0; p < P; ++p)
        for (std::size_t k = 0; k < K; ++k)
            w_scaled_[p * K + k] = model.W(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(k)) / 255.0f;
}

void Evaluator::run_blocks(std::size_t first, std::size_t last, const Split& split, std::uint32_t K, bool confusion) {
    v16f acc[kMaxKernelClasses];
    for (std::size_t blk = first; blk < last; ++blk) {
        const std::size_t base = blk * kLanes;
        const std::size_t row0 = block_row_[blk], rows = block_row_[blk + 1] - row0;
        const std::uint8_t* xp = transposed_.data() + row0 * kLanes;
        const std::uint16_t* pixel = compact_ ? row_pixel_.data() + row0 : nullptr;
        // A class count known at compile time lets the accumulators live in registers.
        switch (K) {
            case 10: accumulate<10>(acc, xp, pixel, rows, K, w_scaled_.data(), bias_.data()); break;
            case 26: accumulate<26>(acc, xp, pixel, rows, K, w_scaled_.data(), bias_.data()); break;
            default: accumulate<0>(acc, xp, pixel, rows, K, w_scaled_.data(), bias_.data()); break;
        }
        // Per lane: max over classes, arg-max (the first class reaching it), sum of exp(z - max).
        v16f mx = acc[0];
        for (std::uint32_t k = 1; k < K; ++k) mx = acc[k] > mx ? acc[k] : mx;
        v16i best = v16i{} + static_cast<std::int32_t>(K - 1);
        for (std::uint32_t k = K; k-- > 0;) best = acc[k] == mx ? v16i{} + static_cast<std::int32_t>(k) : best;
        v16f sum = v16f{};
        for (std::uint32_t k = 0; k < K; ++k) {
            const v16f d = acc[k] - mx;
            v16f e;
            exp_lanes(&d, &e);
            sum += e;
        }
        double loss = 0.0;
        std::uint32_t correct = 0;
        const std::size_t lanes = std::min(kLanes, split.count - std::min(split.count, base));
        for (std::size_t l = 0; l < lanes; ++l) {
            const std::uint8_t y = split.label(base + l);
            const auto b = static_cast<std::uint32_t>(best[l]);
            loss += static_cast<double>(std::log(sum[l])) - static_cast<double>(acc[y][l] - mx[l]);  // lse - (z_y - max)
            correct += (b == y);
            if (confusion) predicted_[base + l] = b;
        }
        block_loss_[blk] = loss;
        block_correct_[blk] = correct;
    }
}

Metrics Evaluator::run(const SoftmaxModel& model, const Split& split, bool confusion) {
    const std::uint32_t K = model.classes();
    Metrics m;
    m.count = split.count;
    m.classes = K;
    if (confusion) m.confusion.assign(std::size_t{K} * K, 0);
    if (split.count == 0) return m;

    if (K > kMaxKernelClasses) {  // rare: many classes; the straightforward Eigen path
        const std::size_t chunk = 1000, P = model.pixels();
        Matrix X(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(chunk)), Z(K, static_cast<Eigen::Index>(chunk));
        double total = 0.0;
        for (std::size_t first = 0; first < split.count; first += chunk) {
            const std::size_t n = std::min(chunk, split.count - first);
            load_columns_range(split.pixels.data(), P, first, n, X);
            compute_logits(model, X, n, Z);
            if (confusion)
                for (std::size_t j = 0; j < n; ++j)
                    ++m.confusion[std::size_t{split.label(first + j)} * K + argmax_column(Z, j)];
            total += softmax_cross_entropy(Z, split.labels.data() + first, n, &m.correct);
        }
        m.loss = total / static_cast<double>(split.count);
        m.accuracy = static_cast<double>(m.correct) / static_cast<double>(split.count);
        return m;
    }

    prepare(model, split);
    const std::size_t blocks = padded_ / kLanes;
    const unsigned T = blocks >= 64 ? threads_ : 1;  // small splits are not worth a thread
    if (T <= 1) {
        run_blocks(0, blocks, split, K, confusion);
    } else {
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < T; ++t)
            pool.emplace_back([=, &split] { run_blocks(blocks * t / T, blocks * (t + 1) / T, split, K, confusion); });
        run_blocks(0, blocks / T, split, K, confusion);
        for (auto& th : pool) th.join();
    }
    double total = 0.0;
    for (std::size_t blk = 0; blk < blocks; ++blk) {
        total += block_loss_[blk];
        m.correct += block_correct_[blk];
    }
    if (confusion)
        for (std::size_t i = 0; i < split.count; ++i) ++m.confusion[std::size_t{split.label(i)} * K + predicted_[i]];
    m.loss = total / static_cast<double>(split.count);
    m.accuracy = static_cast<double>(m.correct) / static_cast<double>(split.count);
    return m;
}

Metrics evaluate(const SoftmaxModel& model, const Split& split, unsigned threads) {
    if (split.pixels_per_image() != model.pixels())
        throw Error(split.images_path, "images are " + std::to_string(split.rows) + " x " +
                                           std::to_string(split.cols) + " but the model expects " +
                                           std::to_string(model.rows) + " x " + std::to_string(model.cols));
    check_labels(split, model.classes());
    Evaluator ev(model.pixels(), model.classes(), threads);
    return ev.run(model, split, /*confusion=*/true);
}

}  // namespace mnistlr
