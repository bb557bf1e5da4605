#include "mnistlr/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mnistlr/error.hpp"
#include "mnistlr/kernels.hpp"

namespace mnistlr {
namespace {
constexpr std::size_t kLanes = 16;  // images per block (kernels.hpp: eval_blocks)

// out[c * 16 + l] = img[l][col + c] for c, l < 16: a 16 x 16 byte transpose. With SSE2 (every
// x86-64), four rounds of interleaving rows k and k + 8 (unpack lo/hi) transpose the block.
void transpose16(const std::uint8_t* const* img, std::size_t col, std::uint8_t* out) {
#if defined(__SSE2__)
    __m128i a[16], b[16];
    for (std::size_t l = 0; l < 16; ++l) a[l] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(img[l] + col));
    for (int round = 0; round < 4; ++round) {
        for (std::size_t k = 0; k < 8; ++k) {
            b[2 * k] = _mm_unpacklo_epi8(a[k], a[k + 8]);
            b[2 * k + 1] = _mm_unpackhi_epi8(a[k], a[k + 8]);
        }
        std::memcpy(a, b, sizeof a);
    }
    for (std::size_t c = 0; c < 16; ++c) _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c * 16), a[c]);
#else
    for (std::size_t c = 0; c < 16; ++c)
        for (std::size_t l = 0; l < 16; ++l) out[c * 16 + l] = img[l][col + c];
#endif
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
        // Transpose each block of 16 images (16 x 16 bytes at a time), then keep its non-zero rows.
        std::vector<std::uint8_t> block(P * kLanes);
        const std::vector<std::uint8_t> zeros(P, 0);
        for (std::size_t blk = 0; blk < blocks; ++blk) {
            const std::uint8_t* img[kLanes];
            for (std::size_t l = 0; l < kLanes; ++l) {
                const std::size_t i = blk * kLanes + l;
                img[l] = i < split.count ? split.image(i) : zeros.data();
            }
            std::size_t p = 0;
            for (; p + kLanes <= P; p += kLanes) transpose16(img, p, block.data() + p * kLanes);
            for (; p < P; ++p)
                for (std::size_t l = 0; l < kLanes; ++l) block[p * kLanes + l] = img[l][p];
            std::size_t r = block_row_[blk];
            for (p = 0; p < P; ++p) {
                const std::uint8_t* row = block.data() + p * kLanes;
                if (compact_) {
                    std::uint64_t half[2];
                    std::memcpy(half, row, sizeof half);
                    if ((half[0] | half[1]) == 0) continue;  // no ink in any of the 16 images
                    row_pixel_[r] = static_cast<std::uint16_t>(p);
                }
                std::memcpy(transposed_.data() + r * kLanes, row, kLanes);
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
    EvalBlocks e;
    e.rows = transposed_.data();
    e.pixel = compact_ ? row_pixel_.data() : nullptr;
    e.block_row = block_row_.data();
    e.w = w_scaled_.data();
    e.bias = bias_.data();
    e.K = K;
    e.labels = split.labels.data();
    e.count = split.count;
    e.block_loss = block_loss_.data();
    e.block_correct = block_correct_.data();
    e.predicted = confusion ? predicted_.data() : nullptr;
    eval_blocks(e, first, last);
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
