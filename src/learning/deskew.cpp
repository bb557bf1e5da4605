#include "mnistlr/learning/deskew.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include "mnistlr/data/page_memory.hpp"

namespace mnistlr {
namespace {

__extension__ typedef __int128 Int128;

// One thread's working buffers: the image blended vertically and then shifted sideways, as
// floats (rows * cols each). The loops below run over whole images or whole rows of floats, so
// that they vectorise: a loop over one 28-pixel row of uint8 is shorter than one AVX2 vector of
// bytes and would run as scalar code.
struct Scratch {
    std::vector<float> blended, shifted;
    explicit Scratch(std::size_t pixels) : blended(pixels), shifted(pixels) {}
};

// V row r = gy src row (r + ky) + fy src row (r + ky + 1), a source row outside the frame counting
// as zeros. Rows with both source rows inside are one flat loop; gy a + fy 0 is gy a exactly (and
// so on), so the other cases give the same values as that loop would with zeros.
template <typename T>
void blend_rows(const T* __restrict src, long R, long n, long ky, float gy, float fy, float* __restrict V) {
    const long rA = std::clamp(-ky, 0L, R), rB = std::clamp(R - 1 - ky, rA, R);
    const auto one_row = [&](long r) {
        const long y0 = r + ky, y1 = y0 + 1;
        const T* a = y0 >= 0 && y0 < R ? src + y0 * n : nullptr;
        const T* b = y1 >= 0 && y1 < R ? src + y1 * n : nullptr;
        float* v = V + r * n;
        if (a && b)
            for (long c = 0; c < n; ++c) v[c] = gy * static_cast<float>(a[c]) + fy * static_cast<float>(b[c]);
        else if (a)
            for (long c = 0; c < n; ++c) v[c] = gy * static_cast<float>(a[c]);
        else if (b)
            for (long c = 0; c < n; ++c) v[c] = fy * static_cast<float>(b[c]);
        else
            std::fill(v, v + n, 0.0f);
    };
    for (long r = 0; r < rA; ++r) one_row(r);
    if (rB > rA) {  // rows [rA, rB) read source rows [rA + ky, rB + ky + 1), all inside
        const T* __restrict a = src + (rA + ky) * n;
        const T* __restrict b = a + n;
        float* __restrict v = V + rA * n;
        for (long p = 0; p < (rB - rA) * n; ++p) v[p] = gy * static_cast<float>(a[p]) + fy * static_cast<float>(b[p]);
    }
    for (long r = rB; r < R; ++r) one_row(r);
}

// out[c] = (1 - f) in[c + k] + f in[c + k + 1] with k = floor(shift), f = shift - k, zero outside
// the row.
void shift_row(const float* __restrict in, long n, double shift, float* __restrict out) {
    if (!(std::fabs(shift) < static_cast<double>(n) + 1.0)) {  // every sample outside (or NaN): blank
        std::fill(out, out + n, 0.0f);
        return;
    }
    const double fk = std::floor(shift);
    const auto k = static_cast<long>(fk);
    const auto f = static_cast<float>(shift - fk);
    const float g = 1.0f - f;
    // Columns whose both samples c + k and c + k + 1 lie inside [0, n): [lo, hi).
    const long lo = std::clamp(-k, 0L, n), hi = std::clamp(n - 1 - k, lo, n);
    const auto at = [&](long j) { return j >= 0 && j < n ? in[j] : 0.0f; };
    for (long c = 0; c < lo; ++c) out[c] = g * at(c + k) + f * at(c + k + 1);
    if (hi > lo) {
        const float* __restrict p = in + (lo + k);  // p[j] = in[lo + j + k], inside for j < hi - lo + 1
        float* __restrict o = out + lo;
        for (long j = 0; j < hi - lo; ++j) o[j] = g * p[j] + f * p[j + 1];
    }
    for (long c = hi; c < n; ++c) out[c] = g * at(c + k) + f * at(c + k + 1);
}

// The whole resampling into sc.shifted: output row r is source row y = r + (rbar - r0), a constant
// fraction between two source rows (blend_rows), shifted sideways by shift(r) = (cbar - c0) +
// alpha (r - r0) (shift_row). Because the sideways shift is the same for both source rows, this is
// exactly bilinear sampling at (y, c + shift(r)).
template <typename T>
void resample(const T* src, std::uint32_t rows, std::uint32_t cols, const Shear& s, Scratch& sc) {
    const double r0 = 0.5 * (rows - 1.0), c0 = 0.5 * (cols - 1.0);
    const double dy = s.row_centroid - r0;
    const auto R = static_cast<long>(rows), n = static_cast<long>(cols);
    if (!(std::fabs(dy) < static_cast<double>(rows) + 1.0)) {  // never for a centroid inside
        std::fill(sc.shifted.begin(), sc.shifted.end(), 0.0f);
        return;
    }
    const double fky = std::floor(dy);
    const auto fy = static_cast<float>(dy - fky);
    blend_rows(src, R, n, static_cast<long>(fky), 1.0f - fy, fy, sc.blended.data());
    for (long r = 0; r < R; ++r)
        shift_row(sc.blended.data() + r * n, n, (s.col_centroid - c0) + s.alpha * (static_cast<double>(r) - r0),
                  sc.shifted.data() + r * n);
}

bool is_identity(const Shear& s, std::uint32_t rows, std::uint32_t cols) {
    return s.alpha == 0.0 && s.row_centroid == 0.5 * (rows - 1.0) && s.col_centroid == 0.5 * (cols - 1.0);
}

// The one deskew behind the public forms, given the image's shear: `convert(v)` turns a sample
// (in the source's scale) into an output value. A blank image, or one already upright and
// centred, is converted pixel for pixel (for uint8 and float outputs: copied exactly).
template <typename T, typename Out, typename Convert>
void deskew_with(const T* __restrict src, std::uint32_t rows, std::uint32_t cols, const Shear& s, Scratch& sc,
                 Out* __restrict dst, Convert convert) {
    const std::size_t P = std::size_t{rows} * cols;
    if (s.mass_is_zero || is_identity(s, rows, cols)) {
        for (std::size_t p = 0; p < P; ++p) dst[p] = convert(static_cast<float>(src[p]));
        return;
    }
    resample(src, rows, cols, s, sc);
    const float* __restrict v = sc.shifted.data();
    for (std::size_t p = 0; p < P; ++p) dst[p] = convert(v[p]);
}

// v is a convex combination of levels, so v + 0.5 is in [0.5, 255.5]: rounds to 0..255. (A
// functor, not a function, so that it is inlined into the loops and they vectorise.)
struct ToLevel {
    std::uint8_t operator()(float v) const { return static_cast<std::uint8_t>(static_cast<int>(v + 0.5f)); }
};

// The exact integer moments of a uint8 image, with per-row sums in Acc (each row's mass and
// column moment: at most 255 cols and 255 cols (cols - 1) / 2).
template <typename Acc>
void row_moments(const std::uint8_t* image, std::uint32_t rows, std::uint32_t cols, std::uint64_t m[5]) {
    for (std::uint32_t r = 0; r < rows; ++r) {
        const std::uint8_t* row = image + std::size_t{r} * cols;
        Acc sum = 0, csum = 0;  // this row's mass and column moment
        for (std::uint32_t c = 0; c < cols; ++c) {
            sum += row[c];
            csum += static_cast<Acc>(c) * row[c];
        }
        m[0] += sum;
        m[1] += std::uint64_t{r} * sum;
        m[2] += csum;
        m[3] += std::uint64_t{r} * r * sum;
        m[4] += std::uint64_t{r} * csum;
    }
}

// The shear from the exact sums m = {S, Sr, Sc, Srr, Src}.
Shear shear_from_sums(const std::uint64_t m[5]) {
    // var(r) S^2 = S Srr - Sr^2 and cov(r, c) S^2 = S Src - Sr Sc, computed in 128 bits (for
    // 4096 x 4096 images the products reach ~2^90), so alpha = (S Src - Sr Sc) / (S Srr - Sr^2)
    // has no cancellation error and a one-row image gives exactly 0.
    const std::uint64_t S = m[0], Sr = m[1], Sc = m[2], Srr = m[3], Src = m[4];
    Shear s;
    if (S == 0) return s;
    s.mass_is_zero = false;
    s.row_centroid = static_cast<double>(Sr) / static_cast<double>(S);
    s.col_centroid = static_cast<double>(Sc) / static_cast<double>(S);
    const Int128 var = static_cast<Int128>(S) * Srr - static_cast<Int128>(Sr) * Sr;
    const Int128 cov = static_cast<Int128>(S) * Src - static_cast<Int128>(Sr) * Sc;
    if (var > 0) s.alpha = static_cast<double>(cov) / static_cast<double>(var);
    return s;
}

// Deskews many uint8 images of one size. The moments are dot products of the whole image with
// per-pixel weight tables (r, c, r^2, r c), one flat loop that vectorises, in 32 bits when no sum
// can overflow them (every frame up to 84 x 84, so MNIST's 28 x 28): the same exact integers as
// deskew_shear's per-row sums, which are the fallback for larger frames.
class Deskewer {
public:
    Deskewer(std::uint32_t rows, std::uint32_t cols) : rows_(rows), cols_(cols), scratch_(std::size_t{rows} * cols) {
        // The largest sum is over r^2 or r c weights: 255 * sum of the weights.
        const double R = rows, C = cols;
        const double worst = 255.0 * std::max(C * (R - 1) * R * (2 * R - 1) / 6, (R - 1) * R / 2 * (C - 1) * C / 2);
        if (worst >= 4294967295.0 || 255.0 * R * C * std::max(R, C) >= 4294967295.0) return;
        const std::size_t P = std::size_t{rows} * cols;
        for (auto* t : {&wr_, &wc_, &wrr_, &wrc_}) t->resize(P);
        for (std::uint32_t r = 0; r < rows; ++r)
            for (std::uint32_t c = 0; c < cols; ++c) {
                const std::size_t p = std::size_t{r} * cols + c;
                wr_[p] = r;
                wc_[p] = c;
                wrr_[p] = r * r;
                wrc_[p] = r * c;
            }
    }

    Shear shear(const std::uint8_t* __restrict image) const {
        if (wr_.empty()) return deskew_shear(image, rows_, cols_);  // the per-row sums
        std::uint64_t m[5] = {0, 0, 0, 0, 0};
        const std::uint32_t* __restrict wr = wr_.data();
        const std::uint32_t* __restrict wc = wc_.data();
        const std::uint32_t* __restrict wrr = wrr_.data();
        const std::uint32_t* __restrict wrc = wrc_.data();
        std::uint32_t S = 0, Sr = 0, Sc = 0, Srr = 0, Src = 0;
        const std::size_t P = wr_.size();
        for (std::size_t p = 0; p < P; ++p) {
            const std::uint32_t v = image[p];
            S += v;
            Sr += wr[p] * v;
            Sc += wc[p] * v;
            Srr += wrr[p] * v;
            Src += wrc[p] * v;
        }
        m[0] = S, m[1] = Sr, m[2] = Sc, m[3] = Srr, m[4] = Src;
        return shear_from_sums(m);
    }

    template <typename Out, typename Convert>
    void run(const std::uint8_t* src, Out* dst, Convert convert) {
        deskew_with(src, rows_, cols_, shear(src), scratch_, dst, convert);
    }

private:
    std::uint32_t rows_, cols_;
    Scratch scratch_;
    std::vector<std::uint32_t> wr_, wc_, wrr_, wrc_;  // empty: sums could overflow 32 bits
};

}  // namespace

Shear deskew_shear(const std::uint8_t* image, std::uint32_t rows, std::uint32_t cols) {
    std::uint64_t m[5] = {0, 0, 0, 0, 0};
    // 32-bit row sums (they vectorise) while they cannot overflow: 255 * 4096 * 4095 / 2 < 2^32.
    if (cols <= 4096)
        row_moments<std::uint32_t>(image, rows, cols, m);
    else
        row_moments<std::uint64_t>(image, rows, cols, m);
    return shear_from_sums(m);
}

Shear deskew_shear(const float* image, std::uint32_t rows, std::uint32_t cols) {
    // Centred on the frame's middle to keep the subtraction small; double sums.
    const double r0 = 0.5 * (rows - 1.0), c0 = 0.5 * (cols - 1.0);
    double S = 0, Sr = 0, Sc = 0, Srr = 0, Src = 0;
    for (std::uint32_t r = 0; r < rows; ++r)
        for (std::uint32_t c = 0; c < cols; ++c) {
            const double v = image[std::size_t{r} * cols + c];
            if (!(v > 0.0)) continue;  // no ink (or NaN) adds nothing
            const double y = r - r0, x = c - c0;
            S += v;
            Sr += y * v;
            Sc += x * v;
            Srr += y * y * v;
            Src += y * x * v;
        }
    Shear s;
    if (!(S > 0.0)) return s;
    s.mass_is_zero = false;
    const double ybar = Sr / S, xbar = Sc / S;
    s.row_centroid = ybar + r0;
    s.col_centroid = xbar + c0;
    const double var = Srr / S - ybar * ybar, cov = Src / S - ybar * xbar;
    if (var > 1e-9) s.alpha = cov / var;  // ink in one row: var is 0 up to rounding
    return s;
}

void deskew_image(const std::uint8_t* src, std::uint32_t rows, std::uint32_t cols, std::uint8_t* dst) {
    deskew_images(src, 1, rows, cols, dst);
}

void deskew_images(const std::uint8_t* src, std::size_t n, std::uint32_t rows, std::uint32_t cols, std::uint8_t* dst) {
    if (n == 0) return;
    Deskewer d(rows, cols);
    const std::size_t P = std::size_t{rows} * cols;
    for (std::size_t i = 0; i < n; ++i) d.run(src + i * P, dst + i * P, ToLevel{});
}

void deskew_image_unrounded(const std::uint8_t* src, std::uint32_t rows, std::uint32_t cols, float* dst) {
    Deskewer(rows, cols).run(src, dst, [](float v) { return v / 255.0f; });
}

void deskew_image(const float* src, std::uint32_t rows, std::uint32_t cols, float* dst) {
    Scratch sc(std::size_t{rows} * cols);
    deskew_with(src, rows, cols, deskew_shear(src, rows, cols), sc, dst, [](float v) { return v; });
}

void deskew_split(Split& split, unsigned threads) {
    const std::size_t P = split.pixels_per_image(), n = split.count, bytes = n * P;
    // The output is not zero-filled (every byte is written below) and lies on huge pages where the
    // kernel allows (page_memory.hpp): the zero-fill and the 4 KiB first-touch faults of a std::vector
    // cost as much as the deskew itself (55 MB for MNIST).
    std::shared_ptr<std::uint8_t> out(static_cast<std::uint8_t*>(allocate_pages(bytes)),
                                      [](std::uint8_t* p) { release_pages(p); });
    const unsigned T = std::max(1u, threads ? threads : std::min(2u, std::thread::hardware_concurrency()));
    const auto run = [&](std::size_t first, std::size_t last) {  // one Deskewer per thread
        deskew_images(split.image(first), last - first, split.rows, split.cols, out.get() + first * P);
    };
    if (T == 1 || n < 1024) {
        run(0, n);
    } else {
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < T; ++t) pool.emplace_back(run, n * t / T, n * (t + 1) / T);
        run(0, n / T);
        for (auto& th : pool) th.join();
    }
    split.pixels = Bytes(std::shared_ptr<const std::uint8_t>(std::move(out)), bytes);
}

}  // namespace mnistlr
