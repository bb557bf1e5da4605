// The templates forming during training, as an animated GIF (train --animate): frame collection,
// the palette, and the GIF file's bytes (giflib encodes; no I/O here).
//
// Frames. A run of T steps with one frame every N steps has frames at steps 0, N, 2N, ... and at T
// when T is not a multiple of N:
//   frames = floor(T / N) + 1 + (T mod N != 0 ? 1 : 0)
// The default N is ceil(T / 100), so about 100 frames (101 for the reference's 1000 steps). Step 0
// is the untrained model (train() starts from W = 0, trainer.hpp); the last frame is the model
// train() returns (the tail average with --average). A run that stops early (divergence) ends with
// the frame of the last step done.
//
// Each frame is the plot-weights grid (render_weight_grid, range shared: tiles, titles, gutter,
// colorbar; render.hpp), and under it a caption band kCaptionBand pixels high:
//   "step s of T, minibatch loss l[, test accuracy a]"
// l is the minibatch loss the progress line shows at step s (before that step's update; ln K at
// step 0, the untrained model's loss on any minibatch), a the test accuracy recorded at s (train
// --eval-every), and on the last frame always the final model's.
// Colour scale, t = w / s as in plot-weights:
//   shared    (default) one s for every frame: the largest max |W| over the frames drawn, so white is
//             always exactly 0 and growth is visible; the colorbar (±s) is the same in every frame;
//   per_frame s_f = max |W| of frame f: each frame is the plot-weights picture of its own weights.
// Non-finite weights (a diverged run kept with --keep-diverged) do not count towards s.
//
// Palette (256 entries, one global colour table, no dithering):
//   0 .. 240   the colormap at t_i = (i - 120) / 120: white (t = 0, i = 120) and the 11 anchors
//              (i = 24 j) are levels, so they are exact up to the colormap's own rounding;
//   241 .. 254 14 grays from kTextColour to kGutterColour (both exact): gutter, text and its
//              anti-aliasing, the colorbar's outline;
//   255        transparent: in frames after the first, a pixel equal to the previous frame's.
// Between the first and the last frame, a tile pixel whose level is within kHoldLevels of the level
// shown keeps the level shown (white excepted: it is always exact), so every frame is within one
// level (1/120 of s) of its exact picture and the reference run's GIF is 1.4 MB instead of 2.3 MB
// at scale 4; the first and the last frame are exact.
// A tile pixel of weight w is level round((w / s + 1) * 120), clamped (NaN as 0): the colour
// plot-weights draws for w within the colormap's slope times half a level (≤ 2 levels per channel
// for rdbu). Every other pixel of the rendered grid is mapped to its nearest entry (RGB distance).
//
// File: GIF89a, the frames' size, looping forever (NETSCAPE2.0), every frame after the first the
// smallest rectangle holding its changes (the others transparent, "do not dispose"). Delays:
// kFirstDelayCs for step 0, kFrameDelayCs per frame, kLastDelayCs for the last (held ~2 s). The
// same frames give the same bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mnistlr/learning/model.hpp"
#include "mnistlr/model_files/model_info.hpp"
#include "mnistlr/pictures/colormap.hpp"
#include "mnistlr/pictures/image.hpp"
#include "mnistlr/pictures/text.hpp"

namespace mnistlr {

enum class AnimationRange { shared, per_frame };

// "shared", "per-frame". Throws Error for any other name.
AnimationRange animation_range_from_name(const std::string& name);

constexpr int kCaptionBand = 32;
constexpr float kCaptionPx = 18.0f;
constexpr int kFrameDelayCs = 6;   // hundredths of a second
constexpr int kFirstDelayCs = 50;
constexpr int kLastDelayCs = 200;
constexpr int kPaletteLevels = 241;              // colormap levels, entries 0 .. 240
constexpr int kPaletteGrays = 14;                // entries 241 .. 254
constexpr std::uint8_t kTransparentIndex = 255;  // entry 255
constexpr int kHoldLevels = 1;
// At most this many frames, and this many bytes of weights kept for them (refused beyond: use a
// larger frame interval).
constexpr std::size_t kMaxAnimationFrames = 10000;
constexpr std::size_t kMaxAnimationBytes = std::size_t{1} << 30;

// The 256 colours above for a colormap.
std::array<Rgb, 256> animation_palette(Colormap cmap);
// The level (0 .. 240) of t = w / s, as a tile pixel's palette index.
std::uint8_t palette_level(float t) noexcept;

// ceil(steps / 100), at least 1.
std::size_t default_frame_every(std::size_t steps) noexcept;
// The formula above. Precondition: every >= 1.
std::size_t animation_frame_count(std::size_t steps, std::size_t every) noexcept;

struct AnimationOptions {
    Colormap cmap = Colormap::rdbu;
    AnimationRange range = AnimationRange::shared;
    int scale = 4;                 // pixels per weight, as plot-weights' --scale
    int grid_cols = 0;             // 0: automatic (render.hpp)
    std::size_t frame_every = 0;   // 0: default_frame_every(steps)
};

// The frames of one run: keeps a copy of W for each frame step (all memory allocated in the
// constructor, so recording in the step loop never allocates), then encodes them.
class TemplateAnimation {
public:
    // For a run of `steps` steps on rows x cols images and `classes` classes. Throws Error when the
    // frame would be beyond render.hpp's size limits, or the frames beyond kMaxAnimationFrames or
    // kMaxAnimationBytes. Records the step-0 frame (W = 0).
    TemplateAnimation(std::uint32_t rows, std::uint32_t cols, std::uint32_t classes, std::size_t steps,
                      const AnimationOptions& opt);

    // True for the steps that get a frame (multiples of the interval, and the last step).
    bool wants(std::size_t step) const noexcept;
    // Keeps the frame of `step` (1 .. steps, increasing; step 0 replaces the untrained frame).
    // Does nothing for a step that wants() refuses. Does not allocate.
    void record(std::size_t step, const SoftmaxModel& model, float batch_loss,
                std::optional<double> test_accuracy = std::nullopt);
    // The run's result after `steps_done` steps: becomes the last frame (replacing the one recorded
    // at that step, or added after the last one when the run stopped early), with the final test
    // accuracy in its caption.
    void finish(std::size_t steps_done, const SoftmaxModel& result, float batch_loss,
                std::optional<double> test_accuracy);

    std::size_t frames() const noexcept { return count_; }
    std::size_t frame_step(std::size_t f) const noexcept { return info_[f].step; }
    std::size_t frame_every() const noexcept { return every_; }
    // The colour scale of frame f (shared: the same for all).
    float frame_scale(std::size_t f) const noexcept;
    // The caption of frame f.
    std::string caption(std::size_t f) const;
    // Frame f's weights as a model (b = 0; only W is drawn).
    SoftmaxModel frame_model(std::size_t f) const;

    // The GIF file. Titles are class_name(info, k). Throws Error when giflib fails.
    std::vector<std::uint8_t> encode_gif(const ModelInfo& info, const Font& font) const;

private:
    struct FrameInfo {
        std::size_t step = 0;
        float batch_loss = 0.0f;
        std::optional<double> test_accuracy;
        float max_abs = 0.0f;  // largest finite |w| of the frame
    };
    void keep(std::size_t slot, std::size_t step, const SoftmaxModel& model, float batch_loss,
              std::optional<double> test_accuracy);

    std::uint32_t rows_, cols_, classes_;
    std::size_t steps_, every_, capacity_, count_ = 0;
    AnimationOptions opt_;
    std::vector<float> weights_;  // capacity_ frames of P x K floats, W's column-major layout
    std::vector<FrameInfo> info_;
};

}  // namespace mnistlr
