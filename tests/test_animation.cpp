// The animation module (animation.hpp): frames recorded beside train(), the palette, and the GIF
// decoded back with stb_image's GIF loader.
#include "mnistlr/pictures/animation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "decoded_gif.hpp"
#include "mnistlr/learning/trainer.hpp"
#include "mnistlr/pictures/render.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

const Font& font() {
    static const Font f = Font::load_default();
    return f;
}

// K separable Gaussian blobs on 6 x 5 images: class k is bright on the pixels p with p % K == k.
Split blobs(std::size_t n, std::uint32_t K) {
    const std::uint32_t rows = 6, cols = 5;
    const std::size_t P = rows * cols;
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.0f, 25.0f);
    std::vector<std::uint8_t> px(n * P), ys(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint32_t>(i % K);
        ys[i] = static_cast<std::uint8_t>(k);
        for (std::size_t p = 0; p < P; ++p)
            px[i * P + p] = static_cast<std::uint8_t>(std::clamp((p % K == k ? 200.0f : 40.0f) + noise(rng), 0.0f, 255.0f));
    }
    return testutil::split_of(rows, cols, std::move(px), std::move(ys), "blobs-images", "blobs-labels");
}

struct AnimatedRun {
    TrainResult result;
    TemplateAnimation anim;
};

// Trains on blobs with the animation recording as train --animate does.
AnimatedRun train_animated(std::size_t steps, const AnimationOptions& opt, std::uint32_t K = 3) {
    static const Split data = blobs(600, 3);
    TrainConfig cfg;
    cfg.steps = steps;
    cfg.batch = 16;
    TemplateAnimation anim(data.rows, data.cols, K, steps, opt);
    TrainResult tr = train(data, K, cfg, [&](const StepInfo& s) {
        anim.record(s.step, *s.model, s.batch_loss);
        return true;
    });
    anim.finish(tr.steps_done, tr.model, tr.last_batch_loss, 0.5);
    return {std::move(tr), std::move(anim)};
}

testutil::DecodedGif decode(const TemplateAnimation& anim, const ModelInfo& info = {}) {
    return testutil::decode_gif(anim.encode_gif(info, font()));
}

int channel_gap(Rgb a, Rgb b) {
    return std::max({std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)});
}

// The tiles' rectangles of the grid `anim` draws.
GridLayout layout_of(std::uint32_t rows, std::uint32_t cols, std::uint32_t K, int scale) {
    RenderOptions ro;
    ro.scale = scale;
    return weight_grid_layout(rows, cols, K, ro);
}

}  // namespace

TEST(Animation, frame_count_follows_the_formula) {
    EXPECT_EQ(default_frame_every(1000), 10u);
    EXPECT_EQ(default_frame_every(1001), 11u);
    EXPECT_EQ(default_frame_every(50), 1u);
    EXPECT_EQ(animation_frame_count(1000, 10), 101u);
    EXPECT_EQ(animation_frame_count(1000, 300), 5u);  // 0, 300, 600, 900, 1000
    EXPECT_EQ(animation_frame_count(7, 7), 2u);
    EXPECT_EQ(animation_frame_count(7, 100), 2u);  // 0 and 7
    EXPECT_EQ(animation_frame_count(1, 1), 2u);
}

TEST(Animation, decoded_gif_has_the_documented_frames_for_several_settings) {
    struct Case {
        std::size_t steps, every;
    };
    for (const Case c : {Case{20, 0}, Case{20, 3}, Case{20, 5}, Case{7, 100}, Case{250, 0}}) {
        AnimationOptions opt;
        opt.frame_every = c.every;
        const AnimatedRun run = train_animated(c.steps, opt);
        const std::size_t every = c.every ? c.every : default_frame_every(c.steps);
        const std::size_t expected = animation_frame_count(c.steps, every);
        ASSERT_EQ(run.anim.frames(), expected) << c.steps << " / " << c.every;
        const auto gif = decode(run.anim);
        ASSERT_EQ(gif.count(), expected) << c.steps << " / " << c.every;
        for (std::size_t f = 0; f + 1 < expected; ++f) EXPECT_EQ(run.anim.frame_step(f), f * every);
        EXPECT_EQ(run.anim.frame_step(expected - 1), c.steps);
        // Step 0 is held 0.5 s, the last frame 2 s, the others 60 ms (stb reports milliseconds).
        EXPECT_EQ(gif.delays_ms.front(), 10 * kFirstDelayCs);
        EXPECT_EQ(gif.delays_ms.back(), 10 * kLastDelayCs);
        if (expected > 2) {
            EXPECT_EQ(gif.delays_ms[1], 10 * kFrameDelayCs);
        }
    }
}

TEST(Animation, first_frame_tiles_are_all_white_and_the_size_is_the_grid_plus_caption) {
    const AnimatedRun run = train_animated(30, {});
    const auto gif = decode(run.anim);
    ASSERT_GT(gif.count(), 1u);
    const GridLayout g = layout_of(6, 5, 3, 4);
    EXPECT_EQ(gif.w, g.width);
    EXPECT_EQ(gif.h, g.height + kCaptionBand);
    for (std::size_t k = 0; k < 3; ++k)
        for (int y = 0; y < g.tile_h; ++y)
            for (int x = 0; x < g.tile_w; ++x)
                ASSERT_EQ(gif.at(0, g.tile_x(k) + x, g.tile_y(k) + y), (Rgb{255, 255, 255})) << k << " " << x << "," << y;
    // ...and the next frame has grown colours.
    int coloured = 0;
    for (int y = 0; y < g.tile_h; ++y)
        for (int x = 0; x < g.tile_w; ++x) coloured += gif.at(1, g.tile_x(0) + x, g.tile_y(0) + y) != Rgb{255, 255, 255};
    EXPECT_GT(coloured, 0);
}

TEST(Animation, last_frame_is_plot_weights_render_of_the_final_weights_through_the_palette) {
    for (const AnimationRange range : {AnimationRange::shared, AnimationRange::per_frame}) {
        AnimationOptions opt;
        opt.range = range;
        const AnimatedRun run = train_animated(40, opt);
        const auto gif = decode(run.anim);
        ASSERT_EQ(gif.count(), run.anim.frames());
        // Weights only grow from 0 here, so the shared scale is the final model's, as plot-weights draws it.
        const float s = symmetric_scale(run.result.model.W.data(), std::size_t(run.result.model.W.size()), 100.0);
        ASSERT_EQ(run.anim.frame_scale(run.anim.frames() - 1), s);
        RenderOptions ro;
        ro.scale = 4;
        const RgbImage png = render_weight_grid(run.result.model, {}, ro, font());
        const GridLayout g = layout_of(6, 5, 3, 4);
        const auto palette = animation_palette(Colormap::rdbu);
        const std::size_t last = gif.count() - 1;
        int worst_tile = 0, worst_chrome = 0;
        std::vector<std::uint8_t> tile(std::size_t(g.width) * std::size_t(g.height), 0);
        for (std::size_t k = 0; k < 3; ++k)
            for (int y = 0; y < g.tile_h; ++y)
                for (int x = 0; x < g.tile_w; ++x) {
                    const int px = g.tile_x(k) + x, py = g.tile_y(k) + y;
                    tile[std::size_t(py) * std::size_t(g.width) + std::size_t(px)] = 1;
                    // Exactly the palette level of the weight, as plot-weights divides it by s.
                    const float w = run.result.model.W(Eigen::Index(y / 4 * 5 + x / 4), Eigen::Index(k));
                    ASSERT_EQ(gif.at(last, px, py), palette[palette_level(w / s)]) << px << "," << py;
                    worst_tile = std::max(worst_tile, channel_gap(gif.at(last, px, py), png.at(px, py)));
                }
        for (int y = 0; y < g.height; ++y)
            for (int x = 0; x < g.width; ++x)
                if (!tile[std::size_t(y) * std::size_t(g.width) + std::size_t(x)]) {
                    const Rgb c = png.at(x, y);
                    if (c == kGutterColour) {
                        ASSERT_EQ(gif.at(last, x, y), kGutterColour) << x << "," << y;
                    }
                    worst_chrome = std::max(worst_chrome, channel_gap(gif.at(last, x, y), c));
                }
        EXPECT_LE(worst_tile, 2);  // the colormap's slope times half a level
        EXPECT_LE(worst_chrome, 8);  // text anti-aliasing on 14 grays: half of 174 / 13
    }
}

TEST(Animation, shared_scale_is_the_largest_over_the_frames_and_per_frame_each_its_own) {
    AnimationOptions opt;
    opt.frame_every = 5;
    const AnimatedRun shared = train_animated(20, opt);
    float largest = 0.0f;
    for (std::size_t f = 0; f < shared.anim.frames(); ++f) {
        const SoftmaxModel m = shared.anim.frame_model(f);
        largest = std::max(largest, symmetric_scale(m.W.data(), std::size_t(m.W.size()), 100.0));
    }
    for (std::size_t f = 0; f < shared.anim.frames(); ++f) EXPECT_EQ(shared.anim.frame_scale(f), largest);

    opt.range = AnimationRange::per_frame;
    const AnimatedRun own = train_animated(20, opt);
    EXPECT_EQ(own.anim.frame_scale(0), 0.0f);
    for (std::size_t f = 1; f < own.anim.frames(); ++f) {
        const SoftmaxModel m = own.anim.frame_model(f);
        EXPECT_EQ(own.anim.frame_scale(f), symmetric_scale(m.W.data(), std::size_t(m.W.size()), 100.0));
    }
    EXPECT_LT(own.anim.frame_scale(1), own.anim.frame_scale(own.anim.frames() - 1));
    EXPECT_EQ(animation_range_from_name("per-frame"), AnimationRange::per_frame);
    EXPECT_EQ(testutil::error_of([] { animation_range_from_name("both"); }),
              "unknown animation range 'both' (expected shared or per-frame)");
}

TEST(Animation, same_frames_give_byte_identical_gifs) {
    const AnimatedRun a = train_animated(30, {});
    const AnimatedRun b = train_animated(30, {});
    const auto x = a.anim.encode_gif({}, font());
    EXPECT_EQ(x, b.anim.encode_gif({}, font()));
    EXPECT_EQ(x, a.anim.encode_gif({}, font()));
    // GIF89a, looping forever (NETSCAPE2.0, loop count 0).
    ASSERT_GT(x.size(), 13u);
    EXPECT_EQ(std::string(x.begin(), x.begin() + 6), "GIF89a");
    const std::string app = "NETSCAPE2.0\x03\x01";
    const auto at = std::search(x.begin(), x.end(), app.begin(), app.end());
    ASSERT_NE(at, x.end());
    EXPECT_EQ(at[13], 0);
    EXPECT_EQ(at[14], 0);
}

TEST(Animation, recording_frames_leaves_training_bit_identical) {
    static const Split data = blobs(600, 3);
    TrainConfig cfg;
    cfg.steps = 50;
    cfg.batch = 16;
    const TrainResult plain = train(data, 3, cfg);
    AnimationOptions opt;
    opt.frame_every = 1;
    const AnimatedRun run = train_animated(50, opt);
    ASSERT_EQ(plain.model.W.size(), run.result.model.W.size());
    EXPECT_EQ(std::memcmp(plain.model.W.data(), run.result.model.W.data(), sizeof(float) * std::size_t(plain.model.W.size())), 0);
    EXPECT_EQ(std::memcmp(plain.model.b.data(), run.result.model.b.data(), sizeof(float) * std::size_t(plain.model.b.size())), 0);
}

TEST(Animation, palette_holds_exact_white_gutter_and_text_and_the_rdbu_anchors_within_2_levels) {
    const auto p = animation_palette(Colormap::rdbu);
    EXPECT_EQ(p[palette_level(0.0f)], (Rgb{255, 255, 255}));
    EXPECT_EQ(palette_level(0.0f), 120);
    EXPECT_NE(std::find(p.begin(), p.end(), kGutterColour), p.end());
    EXPECT_NE(std::find(p.begin(), p.end(), kTextColour), p.end());
    // ColorBrewer's RdBu anchors (colormap.hpp), the centre white.
    const Rgb anchors[11] = {{0x67, 0x00, 0x1f}, {0xb2, 0x18, 0x2b}, {0xd6, 0x60, 0x4d}, {0xf4, 0xa5, 0x82},
                             {0xfd, 0xdb, 0xc7}, {0xff, 0xff, 0xff}, {0xd1, 0xe5, 0xf0}, {0x92, 0xc5, 0xde},
                             {0x43, 0x93, 0xc3}, {0x21, 0x66, 0xac}, {0x05, 0x30, 0x61}};
    for (int j = 0; j < 11; ++j) {
        int best = 255;
        for (int i = 0; i < kPaletteLevels; ++i) best = std::min(best, channel_gap(p[std::size_t(i)], anchors[j]));
        EXPECT_LE(best, 2) << "anchor " << j;
    }
    EXPECT_EQ(palette_level(-1.0f), 0);
    EXPECT_EQ(palette_level(-7.0f), 0);
    EXPECT_EQ(palette_level(1.0f), 240);
    EXPECT_EQ(palette_level(std::nanf("")), 120);
}

TEST(Animation, captions_name_the_step_the_loss_and_the_test_accuracy) {
    AnimationOptions opt;
    opt.frame_every = 10;
    TemplateAnimation anim(6, 5, 2, 25, opt);
    EXPECT_EQ(anim.caption(0), "step 0 of 25, minibatch loss 0.693");  // ln 2
    SoftmaxModel m = SoftmaxModel::zeros(6, 5, 2);
    anim.record(5, m, 0.5f);  // not a frame step: ignored
    EXPECT_EQ(anim.frames(), 1u);
    anim.record(10, m, 0.25f, 0.875);
    EXPECT_EQ(anim.caption(1), "step 10 of 25, minibatch loss 0.250, test accuracy 0.8750");
    anim.record(20, m, 0.125f);
    EXPECT_EQ(anim.caption(2), "step 20 of 25, minibatch loss 0.125");
    anim.finish(25, m, 0.1f, 0.9);
    ASSERT_EQ(anim.frames(), 4u);
    EXPECT_EQ(anim.caption(3), "step 25 of 25, minibatch loss 0.100, test accuracy 0.9000");
}

TEST(Animation, a_run_that_stops_early_ends_with_its_last_step) {
    TemplateAnimation anim(6, 5, 2, 100, {});  // every 1
    SoftmaxModel m = SoftmaxModel::zeros(6, 5, 2);
    m.W(0, 0) = 1.0f;
    for (std::size_t s = 1; s <= 37; ++s) anim.record(s, m, 1.0f);
    anim.finish(37, m, 1.0f, std::nullopt);
    EXPECT_EQ(anim.frames(), 38u);
    EXPECT_EQ(anim.frame_step(37), 37u);
    EXPECT_EQ(testutil::decode_gif(anim.encode_gif({}, font())).count(), 38u);
}

TEST(Animation, too_many_frames_are_refused_before_training) {
    AnimationOptions opt;
    opt.frame_every = 1;
    EXPECT_EQ(testutil::error_of([&] { TemplateAnimation(28, 28, 10, 20000, opt); }),
              "a frame every 1 of 20000 steps makes 20001 frames, more than the animation can hold (at most 10000 "
              "frames and 1024 MiB of weights); use a larger frame interval");
    opt.scale = 0;
    EXPECT_EQ(testutil::error_of([&] { TemplateAnimation(28, 28, 10, 100, opt); }), "scale must be at least 1, got 0");
}

TEST(Animation, class_names_title_the_tiles) {
    ModelInfo info;
    info.class_names = {"alpha", "beta", "gamma"};
    const AnimatedRun run = train_animated(10, {});
    const auto named = decode(run.anim, info);
    const auto plain = decode(run.anim);
    ASSERT_EQ(named.count(), plain.count());
    EXPECT_NE(named.frames.back(), plain.frames.back());
    // The tiles are the same; only the titles differ.
    const GridLayout g = layout_of(6, 5, 3, 4);
    for (int y = 0; y < g.tile_h; ++y)
        for (int x = 0; x < g.tile_w; ++x)
            ASSERT_EQ(named.at(named.count() - 1, g.tile_x(0) + x, g.tile_y(0) + y),
                      plain.at(plain.count() - 1, g.tile_x(0) + x, g.tile_y(0) + y));
}

TEST(Animation, every_frame_is_within_the_hold_tolerance_of_its_exact_levels_and_white_stays_exact) {
    AnimationOptions opt;
    opt.frame_every = 1;  // small steps: many pixels move by one level, so the holding is exercised
    const AnimatedRun run = train_animated(40, opt);
    const auto gif = decode(run.anim);
    ASSERT_EQ(gif.count(), run.anim.frames());
    const GridLayout g = layout_of(6, 5, 3, 4);
    const auto palette = animation_palette(Colormap::rdbu);
    std::vector<int> level_of(1 << 24, -1);
    for (int i = 0; i < kPaletteLevels; ++i) {
        const Rgb c = palette[std::size_t(i)];
        level_of[std::size_t(c.r) << 16 | std::size_t(c.g) << 8 | c.b] = i;
    }
    int worst = 0, held = 0;
    for (std::size_t f = 0; f < gif.count(); ++f) {
        const SoftmaxModel m = run.anim.frame_model(f);
        const float s = run.anim.frame_scale(f);
        for (std::size_t k = 0; k < 3; ++k)
            for (int y = 0; y < g.tile_h; y += 4)
                for (int x = 0; x < g.tile_w; x += 4) {
                    const Rgb c = gif.at(f, g.tile_x(k) + x, g.tile_y(k) + y);
                    const int shown = level_of[std::size_t(c.r) << 16 | std::size_t(c.g) << 8 | c.b];
                    ASSERT_GE(shown, 0) << "frame " << f << ": a tile pixel that is not a colormap level";
                    const float w = m.W(Eigen::Index(y / 4 * 5 + x / 4), Eigen::Index(k));
                    const int exact = s > 0.0f ? palette_level(w / s) : palette_level(0.0f);
                    const int gap = std::abs(shown - exact);
                    worst = std::max(worst, gap);
                    held += gap != 0 ? 1 : 0;
                    if (exact == palette_level(0.0f) || f == 0 || f + 1 == gif.count()) {
                        ASSERT_EQ(shown, exact) << "frame " << f;  // white, the first and the last frame: exact
                    }
                }
    }
    EXPECT_EQ(worst, kHoldLevels);
    EXPECT_GT(held, 0);  // not vacuous: some pixels were held at the level shown
}
