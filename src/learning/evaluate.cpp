#include "mnistlr/learning/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "mnistlr/error.hpp"
#include "mnistlr/learning/kernels.hpp"

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

#if defined(__AVX2__)
constexpr std::size_t kTile = 32;  // pixels transposed at a time
// The same for 32 columns: AVX2's unpacks work in each 128-bit half, so one pass of the rounds
// above transposes columns col .. col + 15 (low halves) and col + 16 .. col + 31 (high halves).
void transpose_tile(const std::uint8_t* const* img, std::size_t col, std::uint8_t* out) {
    __m256i a[16], b[16];
    for (std::size_t l = 0; l < 16; ++l) a[l] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(img[l] + col));
    for (int round = 0; round < 4; ++round) {
        for (std::size_t k = 0; k < 8; ++k) {
            b[2 * k] = _mm256_unpacklo_epi8(a[k], a[k + 8]);
            b[2 * k + 1] = _mm256_unpackhi_epi8(a[k], a[k + 8]);
        }
        std::memcpy(a, b, sizeof a);
    }
    for (std::size_t c = 0; c < 16; ++c) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c * 16), _mm256_castsi256_si128(a[c]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (16 + c) * 16), _mm256_extracti128_si256(a[c], 1));
    }
}
#else
constexpr std::size_t kTile = 16;
void transpose_tile(const std::uint8_t* const* img, std::size_t col, std::uint8_t* out) { transpose16(img, col, out); }
#endif

// any[p] = OR over l < 16 of img[l][p], image by image (each one read front to back).
void ink_mask(const std::uint8_t* const* img, std::size_t P, std::uint8_t* any) {
    std::memcpy(any, img[0], P);
    for (std::size_t l = 1; l < kLanes; ++l) {
        const std::uint8_t* x = img[l];
        std::size_t q = 0;
#if defined(__SSE2__)
        for (; q + 16 <= P; q += 16) {
            const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(any + q));
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + q));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(any + q), _mm_or_si128(a, b));
        }
#endif
        for (; q < P; ++q) any[q] = static_cast<std::uint8_t>(any[q] | x[q]);
    }
}

// Bit c set when any[c] != 0, for c < n (n <= 32).
unsigned nonzero_mask(const std::uint8_t* any, std::size_t n) {
    unsigned mask = 0;
#if defined(__SSE2__)
    if (n == 16 || n == 32) {
        for (std::size_t h = 0; h < n; h += 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(any + h));
            const auto zero = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())));
            mask |= (~zero & 0xFFFFu) << h;
        }
        return mask;
    }
#endif
    for (std::size_t c = 0; c < n; ++c) mask |= (any[c] != 0 ? 1u : 0u) << c;
    return mask;
}

// One thread's buffers for transposing blocks: a block's kept rows and their pixel numbers (when
// they are not stored in the layout), P zero bytes for the missing images of the last block, the
// block's ink mask (P bytes) and a transposed tile.
struct Scratch {
    std::vector<std::uint8_t> rows, zeros, any, tile;
    std::vector<std::uint16_t> pixel;
    explicit Scratch(std::size_t P) : rows(P * kLanes), zeros(P), any(P), tile(kTile * kLanes), pixel(P) {}
};

}  // namespace

// The blocked copy of one split (evaluate.hpp). Block b's rows are [begin[b], end[b]) of `rows`
// (16 bytes each); the blocks that one thread copies lie in its own region, starting at row
// first * P, so threads never wait for each other's counts. Room for every row of every block is
// allocated but not written ahead: pages that no kept row reaches are never touched (the empty
// rows of MNIST leave half of them so), and nothing is zero-filled only to be overwritten.
struct Evaluator::Layout {
    Bytes pixels, labels;  // the split's bytes, held: the key's address cannot be reused while cached
    std::size_t count = 0, P = 0, blocks = 0;
    std::uint32_t label_span = 0;  // 1 + the largest label
    bool compact = false;          // rows indexed by pixel (P <= 65536), else all P rows stored
    bool ready = false;            // every block copied into `rows`
    std::size_t runs = 0;          // evaluations of this split so far
    std::size_t last_used = 0;
    std::unique_ptr<std::uint8_t[]> rows;    // blocks * P rows of 16 bytes, written as needed
    std::unique_ptr<std::uint16_t[]> pixel;  // compact: the pixel number of each stored row
    std::vector<std::size_t> begin, end;
    std::vector<double> block_loss;
    std::vector<std::uint32_t> block_correct;
    std::vector<std::uint32_t> predicted;  // per image, for the confusion matrix

    bool holds(const Split& s) const noexcept {
        return pixels.data() == s.pixels.data() && labels.data() == s.labels.data() && count == s.count;
    }
    void transpose_and_score(const Split& split, std::size_t first, std::size_t last, bool store,
                             Scratch& scratch, const EvalBlocks& e);
};

// Transposes blocks [first, last) and scores each one right after, while its rows are in cache:
// into the layout when `store`, else into `scratch` only (scored, then overwritten by the next).
// First the block's ink mask, any[p] = OR of pixel p over its 16 images, is computed reading each
// image front to back: a block's images are contiguous, and this sequential pass brings them into
// cache about 3x faster than the transposition's 16 interleaved streams would (which then read
// them from L1). Tiles without ink are then skipped, and only pixel rows with ink are kept
// (every row when not compact).
void Evaluator::Layout::transpose_and_score(const Split& split, std::size_t first, std::size_t last, bool store,
                                            Scratch& scratch, const EvalBlocks& e) {
    EvalBlocks here = e;
    if (!store) {
        here.rows = scratch.rows.data();
        here.pixel = compact ? scratch.pixel.data() : nullptr;
    }
    std::uint8_t* const dst_rows = store ? rows.get() : scratch.rows.data();
    std::uint16_t* const dst_pixel = store ? pixel.get() : scratch.pixel.data();
    std::uint8_t* const any = scratch.any.data();
    std::uint8_t* const tile = scratch.tile.data();
    std::size_t r = store ? first * P : 0;
    for (std::size_t blk = first; blk < last; ++blk) {
        const std::uint8_t* img[kLanes];
        for (std::size_t l = 0; l < kLanes; ++l) {
            const std::size_t i = blk * kLanes + l;
            img[l] = i < count ? split.image(i) : scratch.zeros.data();
        }
        if (!store) r = 0;
        begin[blk] = r;
        std::size_t p = 0;
        if (!compact) {
            for (; p + 16 <= P; p += 16, r += 16) transpose16(img, p, dst_rows + r * kLanes);
            for (; p < P; ++p, ++r)  // the pixels past the last whole tile
                for (std::size_t l = 0; l < kLanes; ++l) dst_rows[r * kLanes + l] = img[l][p];
        } else {
            ink_mask(img, P, any);
            for (; p < P; p += kTile) {
                const std::size_t n = std::min(kTile, P - p);
                unsigned mask = nonzero_mask(any + p, n);
                if (mask == 0) continue;  // no ink in any of the 16 images
                if (n == kTile) {
                    transpose_tile(img, p, tile);
                } else {
                    std::size_t c = 0;
                    for (; c + 16 <= n; c += 16) transpose16(img, p + c, tile + c * kLanes);
                    for (; c < n; ++c)
                        for (std::size_t l = 0; l < kLanes; ++l) tile[c * kLanes + l] = img[l][p + c];
                }
                for (; mask != 0; mask &= mask - 1) {
                    const auto c = static_cast<unsigned>(__builtin_ctz(mask));  // a pixel with ink
                    dst_pixel[r] = static_cast<std::uint16_t>(p + c);
                    std::memcpy(dst_rows + r * kLanes, tile + c * kLanes, kLanes);
                    ++r;
                }
            }
        }
        end[blk] = r;
        eval_blocks(here, blk, blk + 1);
    }
}

Evaluator::Evaluator(std::size_t pixels, std::uint32_t classes, unsigned threads)
    : pixels_(pixels),
      classes_(classes),
      threads_(threads ? threads : std::max(1u, std::min(2u, std::thread::hardware_concurrency()))) {
    layouts_.reserve(kMaxCachedSplits);
}

Evaluator::~Evaluator() = default;
Evaluator::Evaluator(Evaluator&&) noexcept = default;
Evaluator& Evaluator::operator=(Evaluator&&) noexcept = default;

void Evaluator::check_shapes(const SoftmaxModel& model, const Split& split) const {
    if (model.pixels() != pixels_ || model.classes() != classes_)
        throw Error("evaluation: the model is " + std::to_string(model.rows) + " x " + std::to_string(model.cols) +
                    " pixels with " + std::to_string(model.classes()) + " classes, but the evaluator was made for " +
                    std::to_string(pixels_) + " pixels and " + std::to_string(classes_) + " classes");
    if (classes_ == 0) throw Error("evaluation: the model has no classes");
    if (split.pixels_per_image() != pixels_)
        throw Error(split.images_path, "images are " + std::to_string(split.rows) + " x " +
                                           std::to_string(split.cols) + " but the model expects " +
                                           std::to_string(model.rows) + " x " + std::to_string(model.cols));
}

Evaluator::Layout& Evaluator::layout_for(const Split& split) {
    ++clock_;
    for (Layout& L : layouts_)
        if (L.holds(split)) {
            L.last_used = clock_;
            return L;
        }
    Layout fresh;
    fresh.pixels = split.pixels;
    fresh.labels = split.labels;
    fresh.count = split.count;
    fresh.P = pixels_;
    fresh.blocks = (split.count + kLanes - 1) / kLanes;
    fresh.label_span = split.label_span();
    fresh.compact = pixels_ <= 65536;
    fresh.last_used = clock_;
    Layout* slot = nullptr;
    if (layouts_.size() < kMaxCachedSplits) {
        slot = &layouts_.emplace_back();
    } else {
        slot = &*std::min_element(layouts_.begin(), layouts_.end(),
                                  [](const Layout& a, const Layout& b) { return a.last_used < b.last_used; });
    }
    *slot = std::move(fresh);
    return *slot;
}

Metrics Evaluator::run(const SoftmaxModel& model, const Split& split, bool confusion) {
    check_shapes(model, split);
    const std::uint32_t K = model.classes();
    Metrics m;
    m.count = split.count;
    m.classes = K;
    if (confusion) {
        m.confusion.assign(std::size_t{K} * K, 0);
        m.predicted.resize(split.count);
    }
    if (split.count == 0) return m;

    if (K > kMaxKernelClasses) {  // rare: many classes; the straightforward Eigen path
        check_labels(split, K);
        const std::size_t chunk = 1000, P = model.pixels();
        Matrix X(static_cast<Eigen::Index>(P), static_cast<Eigen::Index>(chunk)), Z(K, static_cast<Eigen::Index>(chunk));
        double total = 0.0;
        for (std::size_t first = 0; first < split.count; first += chunk) {
            const std::size_t n = std::min(chunk, split.count - first);
            load_columns_range(split.pixels.data(), P, first, n, X);
            compute_logits(model, X, n, Z);
            if (confusion)
                for (std::size_t j = 0; j < n; ++j) {
                    m.predicted[first + j] = argmax_column(Z, j);
                    ++m.confusion[std::size_t{split.label(first + j)} * K + m.predicted[first + j]];
                }
            total += softmax_cross_entropy(Z, split.labels.data() + first, n, &m.correct);
        }
        m.loss = total / static_cast<double>(split.count);
        m.accuracy = static_cast<double>(m.correct) / static_cast<double>(split.count);
        return m;
    }

    Layout& L = layout_for(split);
    if (L.label_span > K) check_labels(split, K);  // throws: the kernel indexes its sums by label
    const std::size_t P = pixels_;
    bias_.assign(model.b.data(), model.b.data() + K);
    w_scaled_.resize(P * K);
    for (std::size_t p = 0; p < P; ++p)
        for (std::size_t k = 0; k < K; ++k)
            w_scaled_[p * K + k] = model.W(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(k)) / 255.0f;

    // The first evaluation of a split scores each block from a transposed copy in cache and keeps
    // nothing; the second also stores the copy; later ones only score it. A one-off evaluation
    // (train's final one) so never pays for fresh pages, which cost more than its arithmetic
    // (~2.4 us a page fault here: 2.5 ms for MNIST's test set against 1.2 ms of scoring).
    const bool transpose = !L.ready, store = transpose && L.runs >= 1;
    if (transpose) {
        if (store) {
            L.rows.reset(new std::uint8_t[L.blocks * P * kLanes]);  // not zero-filled (see Layout)
            if (L.compact) L.pixel.reset(new std::uint16_t[L.blocks * P]);
            ++preparations_;
        }
        L.begin.resize(L.blocks);
        L.end.resize(L.blocks);
        L.block_loss.resize(L.blocks);
        L.block_correct.resize(L.blocks);
    }
    if (confusion && L.predicted.empty()) L.predicted.resize(L.blocks * kLanes);

    EvalBlocks e;
    e.rows = L.rows.get();
    e.pixel = L.compact ? L.pixel.get() : nullptr;
    e.block_begin = L.begin.data();
    e.block_end = L.end.data();
    e.w = w_scaled_.data();
    e.bias = bias_.data();
    e.K = K;
    e.labels = split.labels.data();
    e.count = split.count;
    e.block_loss = L.block_loss.data();
    e.block_correct = L.block_correct.data();
    e.predicted = confusion ? L.predicted.data() : nullptr;

    const std::size_t blocks = L.blocks;
    const unsigned T = blocks >= 64 ? threads_ : 1;  // small splits are not worth a thread
    std::vector<Scratch> scratch;
    if (transpose) scratch.assign(T, Scratch(P));
    std::vector<std::exception_ptr> failed(T);
    const auto work = [&](unsigned t) {
        try {
            const std::size_t first = blocks * t / T, last = blocks * (t + 1) / T;
            if (transpose)
                L.transpose_and_score(split, first, last, store, scratch[t], e);
            else
                eval_blocks(e, first, last);
        } catch (...) {
            failed[t] = std::current_exception();
        }
    };
    {
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < T; ++t) pool.emplace_back(work, t);
        work(0);
        for (auto& th : pool) th.join();
    }
    for (const auto& f : failed)
        if (f) std::rethrow_exception(f);
    ++L.runs;
    if (store) L.ready = true;

    double total = 0.0;
    for (std::size_t blk = 0; blk < blocks; ++blk) {
        total += L.block_loss[blk];
        m.correct += L.block_correct[blk];
    }
    if (confusion)
        for (std::size_t i = 0; i < split.count; ++i) {
            m.predicted[i] = L.predicted[i];
            ++m.confusion[std::size_t{split.label(i)} * K + L.predicted[i]];
        }
    m.loss = total / static_cast<double>(split.count);
    m.accuracy = static_cast<double>(m.correct) / static_cast<double>(split.count);
    return m;
}

Metrics evaluate(const SoftmaxModel& model, const Split& split, unsigned threads) {
    Evaluator ev(model.pixels(), model.classes(), threads);  // run checks image size and labels
    return ev.run(model, split, /*confusion=*/true);
}

}  // namespace mnistlr
