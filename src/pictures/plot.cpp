#include "mnistlr/pictures/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "mnistlr/pictures/chart.hpp"
#include "mnistlr/error.hpp"

namespace mnistlr {
namespace {

constexpr Rgb kLabelColour = {0x33, 0x33, 0x33};
constexpr Rgb kTitleColour = {0x1a, 0x1a, 0x1a};
// Same area limit as the weight grid (render.hpp): 2^27 pixels, 384 MiB of RGB.
constexpr std::int64_t kMaxPlotPixels = std::int64_t{1} << 27;

// Sizes at scale 1, in pixels.
constexpr float kPlotTitlePx = 20.0f;
constexpr float kPanelTitlePx = 15.0f;
constexpr float kLegendPx = 14.0f;
constexpr float kTickPx = 13.0f;
constexpr float kAxisLabelPx = 14.0f;
constexpr int kPad = 14;         // image border
constexpr int kPanelGap = 40;    // between the two panels
constexpr int kTickLen = 5;      // tick marks, outside the frame
constexpr int kTickGap = 4;      // tick mark to its label
constexpr float kXPadding = 0.02f;  // of the span, on each side
constexpr float kYPadding = 0.03f;

// Where the centre of a line of digits lies above the baseline: DejaVu's digits are 0.73 em tall and
// its ascent (what Font::ascent returns, per px) is 0.93 em, so the middle of a digit is at about
// 0.39 ascent.
float digit_middle(const Font& font, float px) { return 0.39f * font.ascent(px); }

int ceil_px(float v) { return static_cast<int>(std::ceil(v)); }

struct SeriesStyle {
    const std::vector<double>* loss;
    const std::vector<double>* accuracy;
    Rgb colour;
    float width;  // at scale 1
    std::string name;  // "" = not in the legend
};

// What is drawn, in drawing order (see plot.hpp). `smoothed` holds the moving averages so the
// pointers stay valid.
std::vector<SeriesStyle> series_of(const Curves& c, const CurvesPlotOptions& opt,
                                   std::vector<std::vector<double>>& smoothed) {
    std::vector<SeriesStyle> s;
    if (opt.smooth > 1) {
        smoothed.push_back(moving_average(c.batch_loss, opt.smooth));
        smoothed.push_back(moving_average(c.batch_accuracy, opt.smooth));
        s.push_back({&c.batch_loss, &c.batch_accuracy, kMinibatchRawColour, 1.5f, ""});
        s.push_back({&smoothed[0], &smoothed[1], kMinibatchAverageColour, 2.0f,
                     "minibatch, moving average of " + std::to_string(opt.smooth)});
    } else {
        s.push_back({&c.batch_loss, &c.batch_accuracy, kMinibatchColour, 1.5f, "minibatch"});
    }
    if (c.has_train) s.push_back({&c.train_loss, &c.train_accuracy, kTrainColour, 2.0f, "training set"});
    s.push_back({&c.test_loss, &c.test_accuracy, kTestColour, 2.5f, "test set"});
    return s;
}


// The y axis of one panel: nice ticks over [dlo, dhi], the range widened to whole steps (within
// [floor_limit, ceil_limit]) and then padded.
Axis y_axis(double dlo, double dhi, double floor_limit, double ceil_limit, float frame_px, float min_spacing) {
    if (!(dhi > dlo)) {
        const double half = dlo == 0.0 ? 0.5 : 0.05 * std::max(1.0, std::abs(dlo));
        dlo = std::max(floor_limit, dlo - half);
        dhi = std::min(ceil_limit, dhi + half);
    }
    const int max_ticks = std::max(2, static_cast<int>(frame_px / (1.0f + 2 * kYPadding) / min_spacing) + 1);
    Axis a;
    a.step = nice_step(dlo, dhi, max_ticks, true);
    const double lo = std::max(floor_limit, whole_down(dlo, a.step) * a.step);
    const double hi = std::min(ceil_limit, whole_up(dhi, a.step) * a.step);
    a.ticks = ticks_in(lo, hi, a.step);
    a.lo = lo - kYPadding * (hi - lo);
    a.hi = hi + kYPadding * (hi - lo);
    return a;
}

void min_max(const std::vector<double>& v, double& lo, double& hi) {
    for (const double x : v) {
        lo = std::min(lo, x);
        hi = std::max(hi, x);
    }
}


// The vertical bands of the image, top to bottom (shared by curves_layout and render_curves).
struct Bands {
    int title_baseline = 0;   // 0: no title
    int legend_baseline = 0;
    int panel_title_baseline = 0;
    int frame_top = 0, frame_bottom = 0;
    int x_label_baseline = 0, axis_label_baseline = 0;  // below the frame
};

Bands bands_of(const CurvesPlotOptions& opt, const Font& font, int H) {
    const float S = static_cast<float>(opt.scale);
    Bands b;
    float y = kPad * S;
    if (!opt.title.empty()) {
        b.title_baseline = static_cast<int>(std::lround(y + font.ascent(kPlotTitlePx * S)));
        y += font.line_height(kPlotTitlePx * S) + 8 * S;
    }
    b.legend_baseline = static_cast<int>(std::lround(y + font.ascent(kLegendPx * S)));
    y += font.line_height(kLegendPx * S) + 12 * S;
    b.panel_title_baseline = static_cast<int>(std::lround(y + font.ascent(kPanelTitlePx * S)));
    y += font.line_height(kPanelTitlePx * S) + 6 * S;
    b.frame_top = ceil_px(y);

    // From the bottom up: border, axis label, gap, tick labels, gap, ticks, frame line.
    const float bottom = static_cast<float>(H) - kPad * S;
    b.axis_label_baseline = static_cast<int>(std::lround(bottom - font.descent(kAxisLabelPx * S)));
    const float x_labels_bottom = bottom - font.line_height(kAxisLabelPx * S) - 2 * S;
    b.x_label_baseline = static_cast<int>(std::lround(x_labels_bottom - font.descent(kTickPx * S)));
    b.frame_bottom = static_cast<int>(std::floor(x_labels_bottom - font.ascent(kTickPx * S) -
                                                 static_cast<float>(kTickGap + kTickLen + 1) * S));
    return b;
}

void check_options(const Curves& c, const CurvesPlotOptions& opt) {
    if (opt.width < kMinPlotWidth || opt.width > kMaxPlotWidth)
        throw Error("plot width " + std::to_string(opt.width) + " is out of range (expected " +
                    std::to_string(kMinPlotWidth) + ".." + std::to_string(kMaxPlotWidth) + ")");
    if (opt.height < kMinPlotHeight || opt.height > kMaxPlotHeight)
        throw Error("plot height " + std::to_string(opt.height) + " is out of range (expected " +
                    std::to_string(kMinPlotHeight) + ".." + std::to_string(kMaxPlotHeight) + ")");
    if (opt.scale < 1 || opt.scale > kMaxPlotScale)
        throw Error("plot scale " + std::to_string(opt.scale) + " is out of range (expected 1.." +
                    std::to_string(kMaxPlotScale) + ")");
    const std::int64_t pixels = std::int64_t{opt.width} * opt.scale * std::int64_t{opt.height} * opt.scale;
    if (pixels > kMaxPlotPixels)
        throw Error("image of " + std::to_string(opt.width * opt.scale) + " x " + std::to_string(opt.height * opt.scale) +
                    " pixels is larger than the limit of " + std::to_string(kMaxPlotPixels) +
                    " pixels; use a smaller size or scale");
    const std::size_t n = c.rows();
    if (n == 0) throw Error("the curves have no rows");
    const bool consistent = c.batch_loss.size() == n && c.batch_accuracy.size() == n && c.test_loss.size() == n &&
                            c.test_accuracy.size() == n &&
                            (!c.has_train || (c.train_loss.size() == n && c.train_accuracy.size() == n));
    if (!consistent) throw Error("the curves' columns have different lengths");
}


void draw_panel(RgbImage& img, const Font& font, const PanelLayout& p, const std::vector<SeriesStyle>& series,
                const Curves& c, bool loss, const std::string& title, const Bands& b, int S) {
    const float Sf = static_cast<float>(S);
    const int fw = p.right - p.left, fh = p.bottom - p.top;
    // Grid lines at the ticks, under everything.
    for (const double t : p.y.ticks) {
        const int row = static_cast<int>(std::floor(p.y_px(t))) - (S - 1) / 2;
        img.fill_rect(p.left + 1, row, fw - 1, S, kPlotGridColour);
    }
    for (const double t : p.x.ticks) {
        const int col = static_cast<int>(std::floor(p.x_px(t))) - (S - 1) / 2;
        img.fill_rect(col, p.top + 1, S, fh - 1, kPlotGridColour);
    }
    // The curves, strictly inside the frame.
    const RectI inside{p.left + 1, p.top + 1, fw - 1, fh - 1};
    std::vector<PointF> pts(c.rows());
    for (const SeriesStyle& s : series) {
        const std::vector<double>& v = loss ? *s.loss : *s.accuracy;
        for (std::size_t i = 0; i < pts.size(); ++i) pts[i] = {p.x_px(c.step[i]), p.y_px(v[i])};
        draw_polyline(img, pts, s.width * Sf, s.colour, inside);
    }
    // Frame, S pixels thick, growing outwards from the documented lines.
    img.fill_rect(p.left - S + 1, p.top - S + 1, fw + 2 * S - 1, S, kPlotFrameColour);
    img.fill_rect(p.left - S + 1, p.bottom, fw + 2 * S - 1, S, kPlotFrameColour);
    img.fill_rect(p.left - S + 1, p.top, S, fh, kPlotFrameColour);
    img.fill_rect(p.right, p.top, S, fh, kPlotFrameColour);

    // Ticks and their labels.
    const float tick_px = kTickPx * Sf;
    const int tick_len = kTickLen * S;
    for (const double t : p.y.ticks) {
        const float y = p.y_px(t);
        img.fill_rect(p.left - S + 1 - tick_len, static_cast<int>(std::floor(y)) - (S - 1) / 2, tick_len, S,
                      kPlotFrameColour);
        const int baseline = static_cast<int>(std::lround(y + digit_middle(font, tick_px)));
        font.draw(img, tick_label(t, p.y.step), static_cast<float>(p.left - S + 1 - tick_len - kTickGap * S), baseline,
                  tick_px, kLabelColour, Align::right);
    }
    for (const double t : p.x.ticks) {
        const float x = p.x_px(t);
        img.fill_rect(static_cast<int>(std::floor(x)) - (S - 1) / 2, p.bottom + S, S, tick_len, kPlotFrameColour);
        font.draw(img, tick_label(t, p.x.step), x, b.x_label_baseline, tick_px, kLabelColour, Align::center);
    }
    const float centre = static_cast<float>(p.left + p.right) / 2.0f + 0.5f;
    font.draw(img, "step", centre, b.axis_label_baseline, kAxisLabelPx * Sf, kLabelColour, Align::center);
    font.draw(img, font.elide(title, kPanelTitlePx * Sf, static_cast<float>(fw)), centre, b.panel_title_baseline,
              kPanelTitlePx * Sf, kTitleColour, Align::center);
}


}  // namespace





float PanelLayout::x_px(double v) const noexcept {
    return static_cast<float>(left + 0.5 + (v - x.lo) / (x.hi - x.lo) * (right - left));
}

float PanelLayout::y_px(double v) const noexcept {
    return static_cast<float>(bottom + 0.5 - (v - y.lo) / (y.hi - y.lo) * (bottom - top));
}

namespace {

// One panel: its y axis from the data range [dlo, dhi] (within the limits), its frame inside the
// columns [panel_x, panel_x + panel_w), and the shared x axis over the steps.
PanelLayout panel_layout(const Curves& c, int panel_x, int panel_w, const Bands& b, double dlo, double dhi,
                         double floor_limit, double ceil_limit, const Font& font, int S) {
    const float Sf = static_cast<float>(S);
    const float tick_px = kTickPx * Sf;
    PanelLayout p;
    p.top = b.frame_top;
    p.bottom = b.frame_bottom;
    // y labels at least 2.4 line heights apart.
    p.y = y_axis(dlo, dhi, floor_limit, ceil_limit, static_cast<float>(p.bottom - p.top), 2.4f * tick_px);
    float label_w = 0;
    for (const double t : p.y.ticks) label_w = std::max(label_w, font.text_width(tick_label(t, p.y.step), tick_px));
    p.left = panel_x + ceil_px(label_w) + (kTickLen + kTickGap) * S + S;

    // x: the last step's label is the widest; half of it may stick out right of the frame.
    const double first = c.step.front(), last = c.step.back();
    const float x_label_w = font.text_width(tick_label(std::max(std::abs(first), std::abs(last)), 1.0), tick_px);
    p.right = panel_x + panel_w - 1 - std::max(4 * S, ceil_px(x_label_w / 2));
    if (last > first) {
        p.x.lo = first - kXPadding * (last - first);
        p.x.hi = last + kXPadding * (last - first);
        // Labels at least their width plus 2 em apart.
        const float spacing = x_label_w + 2 * tick_px;
        const float span_px = static_cast<float>(p.right - p.left) / (1.0f + 2 * kXPadding);
        const int max_ticks = std::max(2, static_cast<int>(span_px / spacing) + 1);
        p.x.step = nice_step(first, last, max_ticks, false, true);
        p.x.ticks = ticks_in(first, last, p.x.step);
    } else {
        p.x.lo = first - 1.0;
        p.x.hi = first + 1.0;
        p.x.step = 1.0;
        p.x.ticks = {first};
    }
    return p;
}

}  // namespace

CurvesLayout curves_layout(const Curves& c, const CurvesPlotOptions& opt, const Font& font) {
    check_options(c, opt);
    const int S = opt.scale;
    CurvesLayout L;
    L.width = opt.width * S;
    L.height = opt.height * S;
    L.scale = S;
    const Bands b = bands_of(opt, font, L.height);
    std::vector<std::vector<double>> smoothed;
    const std::vector<SeriesStyle> series = series_of(c, opt, smoothed);

    // The ranges of everything drawn (the raw minibatch series too, when it is smoothed).
    double loss_lo = 0.0, loss_hi = 0.0, acc_lo = 1.0, acc_hi = 0.0;  // loss_lo unused: the loss axis starts at 0
    for (const SeriesStyle& s : series) {
        min_max(*s.loss, loss_lo, loss_hi);
        min_max(*s.accuracy, acc_lo, acc_hi);
    }
    const int panel_w = (L.width - 2 * kPad * S - kPanelGap * S) / 2;
    L.loss = panel_layout(c, kPad * S, panel_w, b, 0.0, loss_hi, 0.0, HUGE_VAL, font, S);
    L.accuracy = panel_layout(c, kPad * S + panel_w + kPanelGap * S, panel_w, b, acc_lo, acc_hi, 0.0, 1.0, font, S);
    return L;
}

RgbImage render_curves(const Curves& c, const CurvesPlotOptions& opt, const Font& font) {
    const CurvesLayout L = curves_layout(c, opt, font);
    const int S = L.scale;
    const float Sf = static_cast<float>(S);
    const Bands b = bands_of(opt, font, L.height);
    std::vector<std::vector<double>> smoothed;
    const std::vector<SeriesStyle> series = series_of(c, opt, smoothed);

    RgbImage img(L.width, L.height, kPlotBackground);
    draw_panel(img, font, L.loss, series, c, true, "Loss (cross-entropy)", b, S);
    draw_panel(img, font, L.accuracy, series, c, false, "Accuracy", b, S);
    std::vector<LegendEntry> legend;
    for (const auto& se : series) legend.push_back({se.name, se.colour, se.width});
    draw_legend(img, font, legend, b.legend_baseline, S, kLegendPx, static_cast<float>(kPad), kLabelColour);
    if (!opt.title.empty()) {
        const float avail = static_cast<float>(L.width) - 2 * kPad * Sf;
        font.draw(img, font.elide(opt.title, kPlotTitlePx * Sf, avail), static_cast<float>(L.width) / 2,
                  b.title_baseline, kPlotTitlePx * Sf, kTitleColour, Align::center);
    }
    return img;
}

std::string default_curves_title(const Curves& c) {
    if (c.rows() == 0 || c.test_accuracy.empty()) return "Learning curves";
    return "Learning curves: test accuracy " + format_fixed(c.test_accuracy.back(), 4) + " at step " +
           format_fixed(c.step.back(), 0);
}

}  // namespace mnistlr
