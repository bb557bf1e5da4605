#include "mnistlr/pictures/explain_figure.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "mnistlr/data/file_io.hpp"
#include "mnistlr/error.hpp"
#include "mnistlr/pictures/render.hpp"

namespace mnistlr {
namespace {

// The values panel q of an input shows (not for the input panel) into out.
void panel_values(const SoftmaxModel& model, const float* x, const ExplainPanel& panel, std::vector<float>& out) {
    out.resize(model.pixels());
    if (panel.kind == ExplainPanel::Kind::versus) evidence_difference(model, x, panel.cls, panel.other, out.data());
    else evidence_map(model, x, panel.cls, out.data());
}

// Two title lines centred over a panel: a name (larger) and the numbers, each elided to the width.
void draw_title(RgbImage& img, const Font& font, float cx, int top, float width, const std::string& name,
                const std::string& numbers) {
    const int name_base = top + static_cast<int>(std::lround(6 + font.ascent(kExplainNamePx)));
    const int num_base = name_base + static_cast<int>(std::lround(font.descent(kExplainNamePx) + 4 +
                                                                  font.ascent(kExplainNumbersPx)));
    font.draw(img, font.elide(name, kExplainNamePx, width), cx, name_base, kExplainNamePx, kTextColour, Align::center);
    font.draw(img, font.elide(numbers, kExplainNumbersPx, width), cx, num_base, kExplainNumbersPx, kTextColour,
              Align::center);
}

}  // namespace

// The gray input tile: t = 1 - 2x through the gray map gives x = 0 white, x = 1 black.
void draw_input_tile(RgbImage& img, const float* x, std::uint32_t rows, std::uint32_t cols, int S, int x0, int y0) {
    std::vector<float> u(std::size_t{rows} * cols);
    for (std::size_t p = 0; p < u.size(); ++p) u[p] = 0.5f - std::clamp(x[p], 0.0f, 1.0f);
    draw_value_tile(img, u.data(), rows, cols, S, x0, y0, 0.5f, Colormap::gray);
}

std::string format_probability(double p) {
    char buf[32];
    if (p >= 0.01) std::snprintf(buf, sizeof buf, "%.3f", p);
    else std::snprintf(buf, sizeof buf, "%.2g", p);
    return buf;
}

std::string format_logit(double z) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", z);
    std::string s = buf;
    if (s == "-0.00") s = "0.00";
    // A real minus sign reads better on a slide than a hyphen.
    if (!s.empty() && s[0] == '-') s = "\u2212" + s.substr(1);
    return s;
}

std::vector<ExplainPanel> explain_panels(const Evidence& ev, const ExplainFigureOptions& opt) {
    std::vector<ExplainPanel> out;
    out.push_back({ExplainPanel::Kind::input, 0, 0});
    const std::size_t k = std::min(opt.top_k, ev.order.size());
    for (std::size_t r = 0; r < k; ++r) out.push_back({ExplainPanel::Kind::cls, ev.order[r], 0});
    if (opt.versus.kind != VersusChoice::Kind::none)
        out.push_back({ExplainPanel::Kind::versus, ev.top(), versus_class(opt.versus, ev)});
    return out;
}

int ExplainLayout::tile_x(int q) const noexcept { return kGutter + q * (panel_w + kGutter) + (panel_w - tile_w) / 2; }
int ExplainLayout::tile_y(int i) const noexcept { return kGutter + kExplainTitleBand + i * (kExplainTitleBand + tile_h + kGutter); }

ExplainLayout explain_layout(std::uint32_t rows, std::uint32_t cols, std::size_t n, std::uint32_t classes,
                             const ExplainFigureOptions& opt) {
    if (opt.scale < 1) throw Error("scale must be at least 1, got " + std::to_string(opt.scale));
    if (n == 0 || rows == 0 || cols == 0 || classes == 0) throw Error("nothing to draw: no inputs or empty images");
    if (opt.top_k < 1) throw Error("top-k must be at least 1");
    const std::int64_t S = opt.scale;
    const std::int64_t tile_w = std::int64_t{cols} * S, tile_h = std::int64_t{rows} * S;
    const std::int64_t panel_w = std::max<std::int64_t>(tile_w, kExplainMinPanel);
    const std::int64_t Q = 1 + static_cast<std::int64_t>(std::min<std::size_t>(opt.top_k, classes)) +
                           (opt.versus.kind != VersusChoice::Kind::none ? 1 : 0);
    const std::int64_t N = static_cast<std::int64_t>(std::min<std::size_t>(n, std::size_t{1} << 30));
    const std::int64_t width = Q * panel_w + (Q + 1) * kGutter;
    const std::int64_t height = kGutter + N * (kExplainTitleBand + tile_h + kGutter) + kExplainColorbarBand;
    if (width > kMaxRenderedSide || height > kMaxRenderedSide || width * height > kMaxRenderedPixels)
        throw Error("the image would be " + std::to_string(width) + " x " + std::to_string(height) +
                    " pixels, more than the limit (" + std::to_string(kMaxRenderedSide) + " per side, " +
                    std::to_string(kMaxRenderedPixels) + " in all); use a smaller --scale or fewer images");
    ExplainLayout g;
    g.tile_w = static_cast<int>(tile_w);
    g.tile_h = static_cast<int>(tile_h);
    g.panel_w = static_cast<int>(panel_w);
    g.panels = static_cast<int>(Q);
    g.rows = static_cast<int>(N);
    g.width = static_cast<int>(width);
    g.height = static_cast<int>(height);
    return g;
}

float explain_scale(const SoftmaxModel& model, const ModelInputs& inputs, const std::vector<Evidence>& ev,
                    const ExplainFigureOptions& opt) {
    float s = 0.0f;
    std::vector<float> v;
    for (std::size_t j = 0; j < ev.size(); ++j) {
        const float* x = inputs.X.col(static_cast<Eigen::Index>(j)).data();
        for (const ExplainPanel& panel : explain_panels(ev[j], opt)) {
            if (panel.kind == ExplainPanel::Kind::input) continue;
            panel_values(model, x, panel, v);
            s = std::max(s, symmetric_scale(v.data(), v.size(), 100.0));
        }
    }
    return s;
}

void render_explanation_bands(const SoftmaxModel& model, const ModelInfo& info, const ModelInputs& inputs,
                              const std::vector<Evidence>& ev, const ExplainFigureOptions& opt, const Font& font,
                              const std::function<void(RgbImage&)>& sink) {
    if (ev.size() != inputs.items.size() || static_cast<std::size_t>(inputs.X.cols()) != ev.size())
        throw Error("explain: " + std::to_string(ev.size()) + " evidence records for " +
                    std::to_string(inputs.items.size()) + " inputs");
    const ExplainLayout g = explain_layout(model.rows, model.cols, ev.size(), model.classes(), opt);
    const float s = explain_scale(model, inputs, ev, opt);
    const float title_w = static_cast<float>(g.panel_w + kGutter - 6);
    // Row i of inputs is the band [row_top(i), row_top(i + 1)); the first band starts at the top
    // gutter, the last one ends with the colorbar. Bands of whole rows, about opt.band_bytes each.
    const int row_h = kExplainTitleBand + g.tile_h + kGutter;
    const auto row_top = [&](int i) { return i == 0 ? 0 : i == g.rows ? g.height : kGutter + i * row_h; };
    const std::size_t row_bytes = 3 * std::size_t(g.width) * std::size_t(row_h);
    const int rows_per_band = static_cast<int>(std::clamp<std::size_t>(opt.band_bytes / row_bytes, 1, std::size_t(g.rows)));
    RgbImage band;
    std::vector<float> v;
    for (int i0 = 0; i0 < g.rows; i0 += rows_per_band) {
        const int i1 = std::min(g.rows, i0 + rows_per_band);
        band.width = g.width;
        band.top = row_top(i0);
        band.height = row_top(i1) - band.top;
        // The raster's old content is not cleared: the background is filled only where no tile goes
        // (tiles are opaque and cover about three quarters of the figure), row by row below.
        band.rgb.resize(3 * std::size_t(band.width) * std::size_t(band.height));
        for (int i = i0; i < i1; ++i) {
            const std::size_t j = static_cast<std::size_t>(i);
            const float* x = inputs.X.col(static_cast<Eigen::Index>(j)).data();
            const InputItem& item = inputs.items[j];
            const auto panels = explain_panels(ev[j], opt);
            {  // this row's background: above and below its tiles, and between them
                const int y0 = g.tile_y(i), y1 = y0 + g.tile_h;
                band.fill_rect(0, row_top(i), g.width, y0 - row_top(i), kGutterColour);
                int gap = 0;  // where the gap before the next tile starts
                for (std::size_t q = 0; q < panels.size(); ++q) {
                    band.fill_rect(gap, y0, g.tile_x(static_cast<int>(q)) - gap, g.tile_h, kGutterColour);
                    gap = g.tile_x(static_cast<int>(q)) + g.tile_w;
                }
                band.fill_rect(gap, y0, g.width - gap, g.tile_h, kGutterColour);
                band.fill_rect(0, y1, g.width, row_top(i + 1) - y1, kGutterColour);
            }
            for (std::size_t qq = 0; qq < panels.size(); ++qq) {
                const int q = static_cast<int>(qq);
                const ExplainPanel& panel = panels[qq];
                const int x0 = g.tile_x(q), y0 = g.tile_y(i);
                const float cx = static_cast<float>(x0) + static_cast<float>(g.tile_w) / 2.0f;
                const int title_top = y0 - kExplainTitleBand;
                if (panel.kind == ExplainPanel::Kind::input) {
                    draw_input_tile(band, x, model.rows, model.cols, opt.scale, x0, y0);
                    const std::string name = item.index >= 0 ? item.name : base_name(item.name);  // "test[3]", or the file name
                    draw_title(band, font, cx, title_top, title_w, name,
                               item.label >= 0 ? "label " + class_name(info, static_cast<std::uint32_t>(item.label))
                                               : "model input");
                    continue;
                }
                panel_values(model, x, panel, v);
                draw_value_tile(band, v.data(), model.rows, model.cols, opt.scale, x0, y0, s, Colormap::rdbu);
                if (panel.kind == ExplainPanel::Kind::cls) {
                    draw_title(band, font, cx, title_top, title_w, class_name(info, panel.cls),
                               "z = " + format_logit(ev[j].logit[panel.cls]) +
                                   "   p = " + format_probability(ev[j].probability[panel.cls]));
                } else {
                    const double dz = static_cast<double>(ev[j].logit[panel.cls]) - static_cast<double>(ev[j].logit[panel.other]);
                    draw_title(band, font, cx, title_top, title_w,
                               class_name(info, panel.cls) + " vs " + class_name(info, panel.other),
                               "\u0394z = " + format_logit(dz));
                }
            }
        }
        if (i1 == g.rows) {  // the colorbar and what its colours mean
            const int grid_bottom = kGutter + g.rows * row_h;
            RenderOptions ro;  // rdbu, shared, no clip: labels -s, 0, +s
            draw_colorbar(band, font, grid_bottom + 4, s, ro);
            const int legend_base = grid_bottom + 4 + 16 + 1 + 5 + 3 + static_cast<int>(std::lround(font.ascent(kLabelPx))) +
                                    static_cast<int>(std::lround(font.line_height(kLabelPx))) + 6;
            std::string legend = "evidence w\u00b7x per pixel: blue votes for the class, red against; each map sums to z \u2212 b";
            if (opt.versus.kind != VersusChoice::Kind::none) legend += " (A vs B: blue favours A, red B)";
            const float max_w = static_cast<float>(g.width - 2 * kGutter);
            float px = kLabelPx;
            if (font.text_width(legend, px) > max_w) px = std::max(0.75f * kLabelPx, kLabelPx * max_w / font.text_width(legend, px));
            font.draw(band, font.elide(legend, px, max_w), static_cast<float>(g.width) / 2.0f, legend_base, px, kTextColour,
                      Align::center);
        }
        sink(band);
    }
}

RgbImage render_explanation(const SoftmaxModel& model, const ModelInfo& info, const ModelInputs& inputs,
                            const std::vector<Evidence>& ev, const ExplainFigureOptions& opt, const Font& font) {
    const ExplainLayout g = explain_layout(model.rows, model.cols, ev.size(), model.classes(), opt);
    RgbImage img;
    img.width = g.width;
    img.rgb.reserve(3 * std::size_t(g.width) * std::size_t(g.height));
    render_explanation_bands(model, info, inputs, ev, opt, font, [&](RgbImage& band) {
        img.rgb.insert(img.rgb.end(), band.rgb.begin(), band.rgb.end());
        img.height += band.height;
    });
    return img;
}

}  // namespace mnistlr
