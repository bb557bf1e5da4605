#include "mnistlr/pictures/animation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>  // std::abs(int)
#include <limits>
#include <unordered_map>

#include <gif_lib.h>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/render.hpp"

namespace mnistlr {
namespace {

constexpr int kCentreLevel = (kPaletteLevels - 1) / 2;  // 120: t = 0
static_assert(kPaletteLevels + kPaletteGrays + 1 == 256, "levels + grays + transparent fill the table");

float finite_max_abs(const float* w, std::size_t n) noexcept {
    float m = 0.0f;
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(w[i])) m = std::max(m, std::fabs(w[i]));
    return m;
}

// A tile pixel shown at level `shown` keeps it when its new level is within `tol` of it (neither
// being white: white is exactly the zero weight, in and out).
bool keeps_level(std::uint8_t shown, std::uint8_t next, int tol) noexcept {
    return shown < kPaletteLevels && next < kPaletteLevels && shown != kCentreLevel && next != kCentreLevel &&
           std::abs(int{next} - int{shown}) <= tol;
}

// Nearest palette entry (0 .. 254, squared RGB distance, the first on ties) of the colours in the
// rendered chrome; a frame has a few hundred distinct ones, so each is searched once.
class Quantiser {
public:
    explicit Quantiser(const std::array<Rgb, 256>& palette) : palette_(palette) {}
    std::uint8_t operator()(const std::uint8_t* p) {
        const std::uint32_t key = std::uint32_t{p[0]} << 16 | std::uint32_t{p[1]} << 8 | p[2];
        if (key == last_key_) return last_index_;
        auto it = cache_.find(key);
        if (it == cache_.end()) it = cache_.emplace(key, nearest(p)).first;
        last_key_ = key;
        last_index_ = it->second;
        return last_index_;
    }

private:
    std::uint8_t nearest(const std::uint8_t* p) const {
        int best = 0;
        long best_d = std::numeric_limits<long>::max();
        for (int i = 0; i < kTransparentIndex; ++i) {
            const Rgb c = palette_[static_cast<std::size_t>(i)];
            const long dr = long{p[0]} - c.r, dg = long{p[1]} - c.g, db = long{p[2]} - c.b;
            const long d = dr * dr + dg * dg + db * db;
            if (d < best_d) best_d = d, best = i;
        }
        return static_cast<std::uint8_t>(best);
    }
    const std::array<Rgb, 256>& palette_;
    std::unordered_map<std::uint32_t, std::uint8_t> cache_;
    std::uint32_t last_key_ = 0xFFFFFFFFu;
    std::uint8_t last_index_ = 0;
};

// A GIF89a stream into memory through giflib: screen, loop, then one image per frame.
class GifWriter {
public:
    GifWriter(int width, int height, const std::array<Rgb, 256>& palette) : width_(width), height_(height) {
        int err = 0;
        gif_ = EGifOpen(&bytes_, &append, &err);
        if (!gif_) fail(err);
        EGifSetGifVersion(gif_, true);
        GifColorType colours[256];
        for (std::size_t i = 0; i < 256; ++i) colours[i] = {palette[i].r, palette[i].g, palette[i].b};
        ColorMapObject* map = GifMakeMapObject(256, colours);
        if (!map) fail(E_GIF_ERR_NOT_ENOUGH_MEM);
        // The background index only matters for pixels no frame draws (none): the gutter.
        const int rc = EGifPutScreenDesc(gif_, width, height, 8, kPaletteLevels, map);  // copies the map
        GifFreeMapObject(map);
        check(rc);
        // NETSCAPE2.0 application extension: loop count 0 = forever.
        static const char kApp[] = "NETSCAPE2.0";
        const GifByteType loop[3] = {1, 0, 0};
        check(EGifPutExtensionLeader(gif_, APPLICATION_EXT_FUNC_CODE));
        check(EGifPutExtensionBlock(gif_, 11, kApp));
        check(EGifPutExtensionBlock(gif_, 3, loop));
        check(EGifPutExtensionTrailer(gif_));
    }
    GifWriter(const GifWriter&) = delete;
    GifWriter& operator=(const GifWriter&) = delete;
    ~GifWriter() {
        if (gif_) {
            int err = 0;
            EGifCloseFile(gif_, &err);
        }
    }

    // The whole frame.
    void put_full(std::vector<std::uint8_t>& frame, int delay_cs) {
        put_control(delay_cs, false);
        check(EGifPutImageDesc(gif_, 0, 0, width_, height_, false, nullptr));
        for (int y = 0; y < height_; ++y) check(EGifPutLine(gif_, row(frame, y), width_));
    }

    // The smallest rectangle holding the pixels of `frame` that differ from `prev`, unchanged pixels
    // transparent (a 1 x 1 transparent image when nothing changed, so the frame still counts).
    void put_changes(const std::vector<std::uint8_t>& prev, std::vector<std::uint8_t>& frame, int delay_cs, int tol) {
        for (std::size_t i = 0; i < frame.size(); ++i)
            if (frame[i] != prev[i] && keeps_level(prev[i], frame[i], tol)) frame[i] = prev[i];
        int x0 = width_, x1 = -1, y0 = height_, y1 = -1;
        for (int y = 0; y < height_; ++y) {
            const std::size_t o = std::size_t(y) * std::size_t(width_);
            if (std::memcmp(prev.data() + o, frame.data() + o, std::size_t(width_)) == 0) continue;
            y0 = std::min(y0, y), y1 = y;
            int l = 0, r = width_ - 1;
            while (prev[o + std::size_t(l)] == frame[o + std::size_t(l)]) ++l;
            while (prev[o + std::size_t(r)] == frame[o + std::size_t(r)]) --r;
            x0 = std::min(x0, l), x1 = std::max(x1, r);
        }
        put_control(delay_cs, true);
        if (y1 < 0) {
            GifPixelType clear = kTransparentIndex;
            check(EGifPutImageDesc(gif_, 0, 0, 1, 1, false, nullptr));
            check(EGifPutLine(gif_, &clear, 1));
            return;
        }
        const int w = x1 - x0 + 1;
        line_.resize(std::size_t(w));
        check(EGifPutImageDesc(gif_, x0, y0, w, y1 - y0 + 1, false, nullptr));
        for (int y = y0; y <= y1; ++y) {
            const std::size_t o = std::size_t(y) * std::size_t(width_) + std::size_t(x0);
            for (std::size_t i = 0; i < std::size_t(w); ++i)
                line_[i] = frame[o + i] == prev[o + i] ? kTransparentIndex : frame[o + i];
            check(EGifPutLine(gif_, line_.data(), w));
        }
    }

    std::vector<std::uint8_t> finish() {
        int err = 0;
        const int rc = EGifCloseFile(gif_, &err);  // frees gif_ whatever the result
        gif_ = nullptr;
        if (rc != GIF_OK) fail(err);
        return std::move(bytes_);
    }

private:
    static int append(GifFileType* gif, const GifByteType* data, int n) {
        auto* out = static_cast<std::vector<std::uint8_t>*>(gif->UserData);
        out->insert(out->end(), data, data + n);
        return n;
    }
    GifPixelType* row(std::vector<std::uint8_t>& frame, int y) const {
        return frame.data() + std::size_t(y) * std::size_t(width_);
    }
    void put_control(int delay_cs, bool transparent) {
        GraphicsControlBlock gcb;
        gcb.DisposalMode = DISPOSE_DO_NOT;
        gcb.UserInputFlag = false;
        gcb.DelayTime = delay_cs;
        gcb.TransparentColor = transparent ? kTransparentIndex : NO_TRANSPARENT_COLOR;
        GifByteType ext[4];
        const auto n = EGifGCBToExtension(&gcb, ext);
        check(EGifPutExtension(gif_, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(n), ext));
    }
    void check(int rc) const {
        if (rc != GIF_OK) fail(gif_ ? gif_->Error : 0);
    }
    [[noreturn]] static void fail(int err) {
        const char* why = GifErrorString(err);
        throw Error(std::string("GIF encoder (giflib): ") + (why ? why : "unknown error"));
    }

    GifFileType* gif_ = nullptr;
    int width_, height_;
    std::vector<std::uint8_t> bytes_;
    std::vector<GifPixelType> line_;
};

RenderOptions grid_options(const AnimationOptions& opt) {
    RenderOptions ro;
    ro.cmap = opt.cmap;
    ro.range = ScaleRange::shared;
    ro.scale = opt.scale;
    ro.grid_cols = opt.grid_cols;
    ro.colorbar = true;
    return ro;
}

}  // namespace

AnimationRange animation_range_from_name(const std::string& name) {
    if (name == "shared") return AnimationRange::shared;
    if (name == "per-frame") return AnimationRange::per_frame;
    throw Error("unknown animation range '" + name + "' (expected shared or per-frame)");
}

std::array<Rgb, 256> animation_palette(Colormap cmap) {
    std::array<Rgb, 256> p{};
    for (int i = 0; i < kPaletteLevels; ++i)
        p[std::size_t(i)] = colormap_color(cmap, static_cast<float>(i - kCentreLevel) / static_cast<float>(kCentreLevel));
    const auto mix = [](std::uint8_t a, std::uint8_t b, int j) {
        return static_cast<std::uint8_t>(std::lround(a + (b - a) * static_cast<double>(j) / (kPaletteGrays - 1)));
    };
    for (int j = 0; j < kPaletteGrays; ++j)
        p[std::size_t(kPaletteLevels + j)] = {mix(kTextColour.r, kGutterColour.r, j),
                                              mix(kTextColour.g, kGutterColour.g, j),
                                              mix(kTextColour.b, kGutterColour.b, j)};
    p[kTransparentIndex] = kGutterColour;
    return p;
}

std::uint8_t palette_level(float t) noexcept {
    if (!(t == t)) return kCentreLevel;  // NaN, as colormap_color
    const float u = std::round((t + 1.0f) * static_cast<float>(kCentreLevel));
    return static_cast<std::uint8_t>(std::clamp(u, 0.0f, static_cast<float>(kPaletteLevels - 1)));
}

std::size_t default_frame_every(std::size_t steps) noexcept { return std::max<std::size_t>(1, (steps + 99) / 100); }

std::size_t animation_frame_count(std::size_t steps, std::size_t every) noexcept {
    return steps / every + 1 + (steps % every != 0 ? 1 : 0);
}

TemplateAnimation::TemplateAnimation(std::uint32_t rows, std::uint32_t cols, std::uint32_t classes,
                                     std::size_t steps, const AnimationOptions& opt)
    : rows_(rows), cols_(cols), classes_(classes), steps_(steps),
      every_(opt.frame_every ? opt.frame_every : default_frame_every(steps)), opt_(opt) {
    const GridLayout g = weight_grid_layout(rows, cols, classes, grid_options(opt));  // throws beyond the limits
    if (std::int64_t{g.width} * (g.height + kCaptionBand) > kMaxRenderedPixels)
        throw Error("an animation frame would be " + std::to_string(g.width) + " x " +
                    std::to_string(g.height + kCaptionBand) + " pixels, more than the limit (" +
                    std::to_string(kMaxRenderedPixels) + "); use a smaller scale");
    capacity_ = animation_frame_count(steps, every_);
    const std::size_t per_frame = std::size_t{rows} * cols * classes;
    if (capacity_ > kMaxAnimationFrames || per_frame * sizeof(float) > kMaxAnimationBytes / capacity_)
        throw Error("a frame every " + std::to_string(every_) + " of " + std::to_string(steps) + " steps makes " +
                    std::to_string(capacity_) + " frames, more than the animation can hold (at most " +
                    std::to_string(kMaxAnimationFrames) + " frames and " + std::to_string(kMaxAnimationBytes >> 20) +
                    " MiB of weights); use a larger frame interval");
    weights_.assign(capacity_ * per_frame, 0.0f);
    info_.resize(capacity_);
    info_[0].batch_loss = static_cast<float>(std::log(static_cast<double>(classes)));  // zero model: ln K
    count_ = 1;
}

bool TemplateAnimation::wants(std::size_t step) const noexcept { return step % every_ == 0 || step == steps_; }

void TemplateAnimation::keep(std::size_t slot, std::size_t step, const SoftmaxModel& model, float batch_loss,
                             std::optional<double> test_accuracy) {
    const std::size_t n = std::size_t{rows_} * cols_ * classes_;
    float* dst = weights_.data() + slot * n;
    std::copy(model.W.data(), model.W.data() + n, dst);
    info_[slot] = {step, batch_loss, test_accuracy, finite_max_abs(dst, n)};
}

void TemplateAnimation::record(std::size_t step, const SoftmaxModel& model, float batch_loss,
                               std::optional<double> test_accuracy) {
    if (!wants(step) || static_cast<std::size_t>(model.W.size()) != std::size_t{rows_} * cols_ * classes_) return;
    if (step == 0) {
        keep(0, 0, model, batch_loss, test_accuracy);
        return;
    }
    if (count_ >= capacity_ || step <= info_[count_ - 1].step) return;
    keep(count_++, step, model, batch_loss, test_accuracy);
}

void TemplateAnimation::finish(std::size_t steps_done, const SoftmaxModel& result, float batch_loss,
                               std::optional<double> test_accuracy) {
    if (static_cast<std::size_t>(result.W.size()) != std::size_t{rows_} * cols_ * classes_) return;
    std::size_t slot = count_ - 1;
    if (info_[slot].step != steps_done) {
        if (count_ >= capacity_ || steps_done < info_[slot].step) return;
        slot = count_++;
    }
    keep(slot, steps_done, result, batch_loss, test_accuracy);
}

float TemplateAnimation::frame_scale(std::size_t f) const noexcept {
    if (opt_.range == AnimationRange::per_frame) return info_[f].max_abs;
    float s = 0.0f;
    for (std::size_t i = 0; i < count_; ++i) s = std::max(s, info_[i].max_abs);
    return s;
}

std::string TemplateAnimation::caption(std::size_t f) const {
    const FrameInfo& fi = info_[f];
    char buf[160];
    int n = std::snprintf(buf, sizeof buf, "step %zu of %zu, minibatch loss %.3f", fi.step, steps_,
                          static_cast<double>(fi.batch_loss));
    if (fi.test_accuracy && n > 0 && std::size_t(n) < sizeof buf)
        std::snprintf(buf + n, sizeof buf - std::size_t(n), ", test accuracy %.4f", *fi.test_accuracy);
    return buf;
}

SoftmaxModel TemplateAnimation::frame_model(std::size_t f) const {
    SoftmaxModel m = SoftmaxModel::zeros(rows_, cols_, classes_);
    const std::size_t n = std::size_t{rows_} * cols_ * classes_;
    std::copy(weights_.data() + f * n, weights_.data() + (f + 1) * n, m.W.data());
    return m;
}

std::vector<std::uint8_t> TemplateAnimation::encode_gif(const ModelInfo& info, const Font& font) const {
    const RenderOptions ro = grid_options(opt_);
    const GridLayout g = weight_grid_layout(rows_, cols_, classes_, ro);
    const int width = g.width, height = g.height + kCaptionBand;
    const std::size_t W = std::size_t(width), P = std::size_t{rows_} * cols_, S = std::size_t(opt_.scale);
    const std::array<Rgb, 256> palette = animation_palette(opt_.cmap);
    Quantiser quantise(palette);

    // Which pixels of the grid are tiles (their indices come from the weights, not the render).
    std::vector<std::uint8_t> is_tile(W * std::size_t(g.height), 0);
    for (std::uint32_t k = 0; k < classes_; ++k)
        for (int y = 0; y < g.tile_h; ++y)
            std::fill_n(is_tile.begin() + static_cast<std::ptrdiff_t>(std::size_t(g.tile_y(k) + y) * W +
                                                                       std::size_t(g.tile_x(k))),
                        g.tile_w, std::uint8_t{1});

    // The chrome (gutter, titles, colorbar) of the grid drawn at scale s: the render of the frame
    // whose max |W| is s (for the shared scale, the frame with the largest), quantised once per scale.
    std::vector<std::uint8_t> chrome(W * std::size_t(g.height));
    float chrome_scale = -1.0f;
    const auto draw_chrome = [&](std::size_t source) {
        const RgbImage img = render_weight_grid(frame_model(source), info, ro, font);
        for (std::size_t i = 0; i < chrome.size(); ++i)
            if (!is_tile[i]) chrome[i] = quantise(img.rgb.data() + 3 * i);
    };
    std::size_t largest = 0;
    for (std::size_t f = 1; f < count_; ++f)
        if (info_[f].max_abs > info_[largest].max_abs) largest = f;

    GifWriter gif(width, height, palette);
    std::vector<std::uint8_t> prev(W * std::size_t(height)), frame(W * std::size_t(height));
    std::vector<std::uint8_t> line(std::size_t(g.tile_w));
    RgbImage band(width, kCaptionBand, kGutterColour);
    const int baseline = (kCaptionBand + static_cast<int>(std::lround(font.ascent(kCaptionPx) - font.descent(kCaptionPx)))) / 2;
    const float caption_width = static_cast<float>(width - 2 * kGutter);
    for (std::size_t f = 0; f < count_; ++f) {
        const float s = frame_scale(f);
        if (s != chrome_scale) {
            draw_chrome(opt_.range == AnimationRange::shared ? largest : f);
            chrome_scale = s;
        }
        std::copy(chrome.begin(), chrome.end(), frame.begin());

        // Tiles: weight w -> level of t = w / s (a division, as plot-weights draws it), S x S blocks.
        const float* wf = weights_.data() + f * P * classes_;
        for (std::uint32_t k = 0; k < classes_; ++k) {
            const float* w = wf + std::size_t(k) * P;
            for (std::uint32_t r = 0; r < rows_; ++r) {
                for (std::uint32_t c = 0; c < cols_; ++c) {
                    const float v = w[std::size_t(r) * cols_ + c];
                    std::fill_n(line.begin() + static_cast<std::ptrdiff_t>(c * S), S, palette_level(s > 0 ? v / s : 0.0f));
                }
                for (std::size_t y = 0; y < S; ++y)
                    std::copy(line.begin(), line.end(),
                              frame.begin() + static_cast<std::ptrdiff_t>((std::size_t(g.tile_y(k)) + r * S + y) * W +
                                                                          std::size_t(g.tile_x(k))));
            }
        }

        // Caption band under the grid.
        band.fill_rect(0, 0, width, kCaptionBand, kGutterColour);
        font.draw(band, font.elide(caption(f), kCaptionPx, caption_width), static_cast<float>(kGutter), baseline,
                  kCaptionPx, kTextColour);
        std::uint8_t* dst = frame.data() + W * std::size_t(g.height);
        for (std::size_t i = 0; i < W * std::size_t(kCaptionBand); ++i) dst[i] = quantise(band.rgb.data() + 3 * i);

        const int delay = f + 1 == count_ ? kLastDelayCs : f == 0 ? kFirstDelayCs : kFrameDelayCs;
        if (f == 0)
            gif.put_full(frame, delay);
        else
            gif.put_changes(prev, frame, delay, f + 1 == count_ ? 0 : kHoldLevels);
        std::swap(prev, frame);
    }
    return gif.finish();
}

}  // namespace mnistlr
