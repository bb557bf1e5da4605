#include "mnistlr/learning/deskew.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include <sys/mman.h>

namespace mnistlr {
namespace {

__extension__ typedef __int128 Int128;

// One output row of the shear: out[c] = (1 - f) in[c + k] + f in[c + k + 1] with k = floor(shift),
// f = shift - k, zero outside the frame. `put(c, v)` receives every output value v of the row (in
// the source's scale).
template <typename Put>
void shear_row(const float* in, std::uint32_t cols, double shift, Put put) {
    const auto n = static_cast<long>(cols);
    if (!(std::fabs(shift) < static_cast<double>(cols) + 1.0)) {  // every sample outside (or NaN): blank
        for (long c = 0; c < n; ++c) put(c, 0.0f);
        return;
    }
    const double fk = std::floor(shift);
    const auto k = static_cast<long>(fk);
    const auto f = static_cast<float>(shift - fk);
    const float g = 1.0f - f;
    // Columns whose both samples c + k and c + k + 1 lie inside [0, n): [lo, hi).
    const long lo = std::clamp(-k, 0L, n), hi = std::clamp(n - 1 - k, lo, n);
    const auto at = [&](long j) { return j >= 0 && j < n ? in[j] : 0.0f; };
    for (long c = 0; c < lo; ++c) put(c, g * at(c + k) + f * at(c + k + 1));
    for (long c = lo; c < hi; ++c) put(c, g * in[c + k] + f * in[c + k + 1]);
    for (long c = hi; c < n; ++c) put(c, g * at(c + k) + f * at(c + k + 1));
}

// The whole resampling: output row r is source row y = r + (rbar - r0), a constant fraction
// between two source rows, blended into `line` (cols floats, zero for rows outside the frame),
// then sheared sideways by shift(r) = (cbar - c0) + alpha (r - r0). Because the sideways shift is
// the same for both source rows, this is exactly bilinear sampling at (y, c + shift(r)).
// put_row(r, c, v) receives every output value.
template <typename T, typename Put>
void resample(const T* src, std::uint32_t rows, std::uint32_t cols, const Shear& s, float* line, Put put) {
    const double r0 = 0.5 * (rows - 1.0), c0 = 0.5 * (cols - 1.0);
    const double dy = s.row_centroid - r0;
    const double fky = std::floor(dy);
    const bool blank = !(std::fabs(dy) < static_cast<double>(rows) + 1.0);  // never for a centroid inside
    const long ky = blank ? 0 : static_cast<long>(fky);
    const auto fy = static_cast<float>(dy - fky);
    const float gy = 1.0f - fy;
    const auto nrows = static_cast<long>(rows);
    for (std::uint32_t r = 0; r < rows; ++r) {
        const long y0 = static_cast<long>(r) + ky, y1 = y0 + 1;
        const T* a = !blank && y0 >= 0 && y0 < nrows ? src + static_cast<std::size_t>(y0) * cols : nullptr;
        const T* b = !blank && y1 >= 0 && y1 < nrows ? src + static_cast<std::size_t>(y1) * cols : nullptr;
        // gy a + fy 0 is gy a exactly (and so on), so the four cases give the same values as one
        // loop with zeros would; the tests stay out of the loops.
        if (a && b)
            for (std::uint32_t c = 0; c < cols; ++c) line[c] = gy * static_cast<float>(a[c]) + fy * static_cast<float>(b[c]);
        else if (a)
            for (std::uint32_t c = 0; c < cols; ++c) line[c] = gy * static_cast<float>(a[c]);
        else if (b)
            for (std::uint32_t c = 0; c < cols; ++c) line[c] = fy * static_cast<float>(b[c]);
        else
            std::fill(line, line + cols, 0.0f);
        const double shift = (s.col_centroid - c0) + s.alpha * (static_cast<double>(r) - r0);
        shear_row(line, cols, shift, [&](long c, float v) { put(r, c, v); });
    }
}

bool is_identity(const Shear& s, std::uint32_t rows, std::uint32_t cols) {
    return s.alpha == 0.0 && s.row_centroid == 0.5 * (rows - 1.0) && s.col_centroid == 0.5 * (cols - 1.0);
}

// The one deskew behind the public forms: `line` is a scratch of cols floats, `convert(v)` turns a
// sample (in the source's scale) into an output value. A blank image, or one already upright and
// centred, is converted pixel for pixel (for uint8 and float outputs: copied exactly).
template <typename T, typename Out, typename Convert>
void deskew_with(const T* src, std::uint32_t rows, std::uint32_t cols, Out* dst, float* line, Convert convert) {
    const Shear s = deskew_shear(src, rows, cols);
    if (s.mass_is_zero || is_identity(s, rows, cols)) {
        for (std::size_t p = 0; p < std::size_t{rows} * cols; ++p) dst[p] = convert(static_cast<float>(src[p]));
        return;
    }
    resample(src, rows, cols, s, line, [&](std::uint32_t r, long c, float v) {
        dst[std::size_t{r} * cols + static_cast<std::size_t>(c)] = convert(v);
    });
}

// v is a convex combination of levels, so v + 0.5 is in [0.5, 255.5]: rounds to 0..255.
std::uint8_t to_level(float v) { return static_cast<std::uint8_t>(v + 0.5f); }

}  // namespace

Shear deskew_shear(const std::uint8_t* image, std::uint32_t rows, std::uint32_t cols) {
    // Exact integer sums: S = sum I, Sr = sum r I, Sc = sum c I, Srr = sum r^2 I, Src = sum r c I.
    // Then var(r) S^2 = S Srr - Sr^2 and cov(r, c) S^2 = S Src - Sr Sc, computed in 128 bits (for
    // 4096 x 4096 images the products reach ~2^90), so alpha = (S Src - Sr Sc) / (S Srr - Sr^2)
    // has no cancellation error and a one-row image gives exactly 0.
    std::uint64_t S = 0, Sr = 0, Sc = 0, Srr = 0, Src = 0;
    for (std::uint32_t r = 0; r < rows; ++r) {
        const std::uint8_t* row = image + std::size_t{r} * cols;
        std::uint64_t sum = 0, csum = 0;  // this row's mass and column moment
        for (std::uint32_t c = 0; c < cols; ++c) {
            sum += row[c];
            csum += std::uint64_t{c} * row[c];
        }
        S += sum;
        Sr += r * sum;
        Srr += std::uint64_t{r} * r * sum;
        Sc += csum;
        Src += r * csum;
    }
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
    std::vector<float> line(cols);
    deskew_with(src, rows, cols, dst, line.data(), to_level);
}

void deskew_image_unrounded(const std::uint8_t* src, std::uint32_t rows, std::uint32_t cols, float* dst) {
    std::vector<float> line(cols);
    deskew_with(src, rows, cols, dst, line.data(), [](float v) { return v / 255.0f; });
}

void deskew_image(const float* src, std::uint32_t rows, std::uint32_t cols, float* dst) {
    std::vector<float> line(cols);
    deskew_with(src, rows, cols, dst, line.data(), [](float v) { return v; });
}

void deskew_split(Split& split, unsigned threads) {
    const std::size_t P = split.pixels_per_image(), n = split.count, bytes = n * P;
    // The output is not zero-filled (every byte is written below) and, where the kernel allows,
    // lies on transparent huge pages: 2 MiB pages take 1/512 of the first-touch page faults. The
    // zero-fill and the faults of a std::vector cost as much as the deskew itself (55 MB for MNIST).
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t capacity = std::max(kHuge, (bytes + kHuge - 1) / kHuge * kHuge);
    void* raw = std::aligned_alloc(kHuge, capacity);
    if (!raw) throw std::bad_alloc();
    std::shared_ptr<std::uint8_t> out(static_cast<std::uint8_t*>(raw), [](std::uint8_t* p) { std::free(p); });
    if (bytes >= kHuge) ::madvise(raw, capacity, MADV_HUGEPAGE);  // advice only: its failure changes nothing
    const unsigned T = std::max(1u, threads ? threads : std::min(2u, std::thread::hardware_concurrency()));
    const auto run = [&](std::size_t first, std::size_t last) {
        std::vector<float> line(split.cols);  // one scratch line per thread, not per image
        for (std::size_t i = first; i < last; ++i) deskew_with(split.image(i), split.rows, split.cols, out.get() + i * P, line.data(), to_level);
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
