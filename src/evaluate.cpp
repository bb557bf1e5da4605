#include "mnistlr/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
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
    bool ready = false;            // every block copied
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
    void copy_and_score(const Split& split, std::size_t first, std::size_t last, std::uint8_t* scratch,
                        const EvalBlocks& e);
};

// Copies blocks [first, last) and scores each one right after copying it, while its rows are in
// cache. scratch: P * 16 bytes for a transposed block, then P zero bytes (the missing images of
// the last block).
void Evaluator::Layout::copy_and_score(const Split& split, std::size_t first, std::size_t last,
                                       std::uint8_t* scratch, const EvalBlocks& e) {
    std::uint8_t* const block = scratch;
    const std::uint8_t* const zeros = scratch + P * kLanes;
    std::size_t r = first * P;
    for (std::size_t blk = first; blk < last; ++blk) {
        const std::uint8_t* img[kLanes];
        for (std::size_t l = 0; l < kLanes; ++l) {
            const std::size_t i = blk * kLanes + l;
            img[l] = i < count ? split.image(i) : zeros;
        }
        begin[blk] = r;
        // Transpose the 16 images (16 x 16 bytes at a time): into place when every row is kept,
        // else into `block`, keeping its non-zero rows.
        std::uint8_t* const out = compact ? block : rows.get() + r * kLanes;
        std::size_t p = 0;
        for (; p + kLanes <= P; p += kLanes) transpose16(img, p, out + p * kLanes);
        for (; p < P; ++p)
            for (std::size_t l = 0; l < kLanes; ++l) out[p * kLanes + l] = img[l][p];
        if (!compact) {
            r += P;
        } else {
            for (p = 0; p < P; ++p) {
                const std::uint8_t* row = block + p * kLanes;
                std::uint64_t half[2];
                std::memcpy(half, row, sizeof half);
                if ((half[0] | half[1]) == 0) continue;  // no ink in any of the 16 images
                pixel[r] = static_cast<std::uint16_t>(p);
                std::memcpy(rows.get() + r * kLanes, row, kLanes);
                ++r;
            }
        }
        end[blk] = r;
        eval_blocks(e, blk, blk + 1);
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
    if (confusion) m.confusion.assign(std::size_t{K} * K, 0);
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
                for (std::size_t j = 0; j < n; ++j)
                    ++m.confusion[std::size_t{split.label(first + j)} * K + argmax_column(Z, j)];
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

    const bool copy = !L.ready;
    if (copy) {
        L.rows.reset(new std::uint8_t[L.blocks * P * kLanes]);  // not zero-filled (see Layout)
        if (L.compact) L.pixel.reset(new std::uint16_t[L.blocks * P]);
        L.begin.assign(L.blocks, 0);
        L.end.assign(L.blocks, 0);
        L.block_loss.assign(L.blocks, 0.0);
        L.block_correct.assign(L.blocks, 0);
        ++preparations_;
    }
    if (confusion && L.predicted.empty()) L.predicted.assign(L.blocks * kLanes, 0);

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
    const std::size_t stride = P * kLanes + P;       // per thread: a transposed block, P zero bytes
    std::vector<std::uint8_t> scratch(copy ? T * stride : 0);
    std::vector<std::exception_ptr> failed(T);
    const auto work = [&](unsigned t) {
        try {
            const std::size_t first = blocks * t / T, last = blocks * (t + 1) / T;
            if (copy)
                L.copy_and_score(split, first, last, scratch.data() + t * stride, e);
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
    L.ready = true;

    double total = 0.0;
    for (std::size_t blk = 0; blk < blocks; ++blk) {
        total += L.block_loss[blk];
        m.correct += L.block_correct[blk];
    }
    if (confusion)
        for (std::size_t i = 0; i < split.count; ++i) ++m.confusion[std::size_t{split.label(i)} * K + L.predicted[i]];
    m.loss = total / static_cast<double>(split.count);
    m.accuracy = static_cast<double>(m.correct) / static_cast<double>(split.count);
    return m;
}

Metrics evaluate(const SoftmaxModel& model, const Split& split, unsigned threads) {
    Evaluator ev(model.pixels(), model.classes(), threads);  // run checks image size and labels
    return ev.run(model, split, /*confusion=*/true);
}

}  // namespace mnistlr
