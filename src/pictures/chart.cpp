#include "mnistlr/pictures/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "mnistlr/error.hpp"

namespace mnistlr {

double whole_down(double v, double step) { return std::floor(v / step + 1e-9); }
double whole_up(double v, double step) { return std::ceil(v / step - 1e-9); }

std::string format_fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

void blend_pixel(RgbImage& img, int x, int y, Rgb c, float coverage) {
    const std::size_t o = img.offset(x, y);
    const std::uint8_t fg[3] = {c.r, c.g, c.b};
    for (std::size_t ch = 0; ch < 3; ++ch) {
        const float bg = img.rgb[o + ch];
        img.rgb[o + ch] = static_cast<std::uint8_t>(std::lround(bg + (static_cast<float>(fg[ch]) - bg) * coverage));
    }
}

double nice_step(double lo, double hi, int max_ticks, bool expand, bool integer_only) {
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) throw Error("nice_step: empty or non-finite range");
    max_ticks = std::max(max_ticks, 2);
    const double raw = (hi - lo) / (max_ticks - 1);
    int k = static_cast<int>(std::floor(std::log10(raw))) - 1;
    if (integer_only) k = std::max(k, 0);
    for (;; ++k) {
        for (const double m : {1.0, 2.0, 5.0}) {
            const double step = m * std::pow(10.0, k);
            const double count = expand ? whole_up(hi, step) - whole_down(lo, step) + 1
                                        : whole_down(hi, step) - whole_up(lo, step) + 1;
            if (count <= max_ticks) return step;
        }
    }
}

std::vector<double> ticks_in(double lo, double hi, double step) {
    std::vector<double> out;
    const double first = whole_up(lo, step), last = whole_down(hi, step);
    for (double k = first; k <= last && out.size() < 10000; k += 1.0) out.push_back(k * step);
    return out;
}

std::string tick_label(double v, double step) {
    if (std::abs(v) < step * 1e-6) v = 0.0;  // no "-0.0"
    if (step >= 1e7 || step < 1e-6) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v);
        return buf;
    }
    // step = m x 10^k with m in {1, 2, 5}: -k decimals.
    const int k = static_cast<int>(std::floor(std::log10(step) + 1e-9));
    return format_fixed(v, std::max(0, -k));
}

void draw_polyline(RgbImage& img, const std::vector<PointF>& points, float width, Rgb colour, RectI clip) {
    // Clip to the image too; coverage is kept per pixel of the clip rectangle.
    const int x0 = std::max(clip.x, 0), y0 = std::max(clip.y, 0);
    const int x1 = std::min(clip.x + clip.w, img.width), y1 = std::min(clip.y + clip.h, img.height);
    if (points.empty() || x1 <= x0 || y1 <= y0 || !(width > 0)) return;
    const int cw = x1 - x0;
    std::vector<float> cover(std::size_t(cw) * std::size_t(y1 - y0), 0.0f);
    const float r = width / 2;
    // Points far outside the image are pulled in (keeps the int conversions below defined).
    auto bounded = [](float v) { return std::isfinite(v) ? std::clamp(v, -1e6f, 1e6f) : 0.0f; };
    for (std::size_t i = 0; i < points.size(); ++i) {
        const PointF a{bounded(points[i].x), bounded(points[i].y)};
        const PointF b = i + 1 < points.size() ? PointF{bounded(points[i + 1].x), bounded(points[i + 1].y)} : a;
        if (i + 1 == points.size() && points.size() > 1) break;  // the last point ends the previous segment
        const int bx0 = std::max(x0, static_cast<int>(std::floor(std::min(a.x, b.x) - r - 1)));
        const int bx1 = std::min(x1, static_cast<int>(std::ceil(std::max(a.x, b.x) + r + 1)));
        const int by0 = std::max(y0, static_cast<int>(std::floor(std::min(a.y, b.y) - r - 1)));
        const int by1 = std::min(y1, static_cast<int>(std::ceil(std::max(a.y, b.y) + r + 1)));
        // Distance from a pixel centre p to segment ab: t = clamp((p - a).(b - a) / |b - a|^2, 0, 1),
        // d = |p - (a + t (b - a))|.
        const float dx = b.x - a.x, dy = b.y - a.y;
        const float len2 = dx * dx + dy * dy;
        for (int y = by0; y < by1; ++y) {
            for (int x = bx0; x < bx1; ++x) {
                const float px = static_cast<float>(x) + 0.5f - a.x, py = static_cast<float>(y) + 0.5f - a.y;
                const float t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0f, 1.0f) : 0.0f;
                const float ex = px - t * dx, ey = py - t * dy;
                const float cov = std::clamp(r + 0.5f - std::sqrt(ex * ex + ey * ey), 0.0f, 1.0f);
                float& c = cover[std::size_t(y - y0) * std::size_t(cw) + std::size_t(x - x0)];
                c = std::max(c, cov);
            }
        }
    }
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
            const float c = cover[std::size_t(y - y0) * std::size_t(cw) + std::size_t(x - x0)];
            if (c > 0) blend_pixel(img, x, y, colour, c);
        }
}

void draw_legend(RgbImage& img, const Font& font, const std::vector<LegendEntry>& entries, int baseline, int S,
                 float text_px, float side_pad, Rgb text_colour) {
    const float Sf = static_cast<float>(S);
    const float sample = 28 * Sf, sample_gap = 7 * Sf, item_gap = 28 * Sf;
    const float avail = static_cast<float>(img.width) - 2 * side_pad * Sf;
    std::vector<const LegendEntry*> items;
    for (const auto& e : entries)
        if (!e.name.empty()) items.push_back(&e);
    std::vector<std::string> names;
    for (const auto* s : items) names.push_back(s->name);
    const float n = static_cast<float>(items.size());
    auto row_width = [&](float size) {
        float w = (n - 1) * item_gap + n * (sample + sample_gap);
        for (const auto& name : names) w += font.text_width(name, size);
        return w;
    };
    float px = text_px * Sf;
    if (row_width(px) > avail) px = std::max(0.75f * px, px * avail / row_width(px));
    // Still too wide: shorten the longest names first, each by what is still missing.
    std::vector<std::size_t> order(names.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return font.text_width(names[a], px) > font.text_width(names[b], px);
    });
    for (const std::size_t i : order) {
        const float excess = row_width(px) - avail;
        if (excess <= 0) break;
        names[i] = font.elide(names[i], px, std::max(0.0f, font.text_width(names[i], px) - excess));
    }
    float x = std::round((static_cast<float>(img.width) - row_width(px)) / 2);
    // The middle of the lower-case letters, on a pixel centre so the sample line is crisp.
    const float mid = std::floor(static_cast<float>(baseline) - 0.3f * px) + 0.5f;
    for (std::size_t i = 0; i < items.size(); ++i) {
        draw_polyline(img, {{x, mid}, {x + sample, mid}}, items[i]->width * Sf, items[i]->colour,
                      {0, 0, img.width, img.height});
        x = font.draw(img, names[i], x + sample + sample_gap, baseline, px, text_colour) + item_gap;
    }
}

}  // namespace mnistlr
