#include "mnistlr/pictures/colormap.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "mnistlr/error.hpp"

namespace mnistlr {
namespace {

constexpr std::size_t kAnchors = 11;
using Anchors = Rgb[kAnchors];

// ColorBrewer RdBu (11 classes), reversed so that index 0 is -1 (red); the centre is white (see header).
constexpr Anchors kRdBu = {
    {0x67, 0x00, 0x1f}, {0xb2, 0x18, 0x2b}, {0xd6, 0x60, 0x4d}, {0xf4, 0xa5, 0x82},
    {0xfd, 0xdb, 0xc7}, {0xff, 0xff, 0xff}, {0xd1, 0xe5, 0xf0}, {0x92, 0xc5, 0xde},
    {0x43, 0x93, 0xc3}, {0x21, 0x66, 0xac}, {0x05, 0x30, 0x61}};

// matplotlib viridis at 0, 0.1, ..., 1.
constexpr Anchors kViridis = {
    {0x44, 0x01, 0x54}, {0x48, 0x25, 0x76}, {0x41, 0x44, 0x87}, {0x35, 0x5f, 0x8d},
    {0x2a, 0x78, 0x8e}, {0x21, 0x91, 0x8c}, {0x22, 0xa8, 0x84}, {0x42, 0xbe, 0x71},
    {0x7a, 0xd1, 0x51}, {0xbd, 0xdf, 0x26}, {0xfd, 0xe7, 0x25}};

std::uint8_t lerp(std::uint8_t a, std::uint8_t b, float f) {
    return static_cast<std::uint8_t>(std::lround(static_cast<float>(a) + (static_cast<float>(b) - a) * f));
}

Rgb interpolate(const Anchors& a, float t) {
    // u in [0, 10]: anchor i sits at t = -1 + i / 5, so t = 0 lands exactly on anchor 5.
    const float u = (t + 1.0f) * 0.5f * static_cast<float>(kAnchors - 1);
    std::size_t i = static_cast<std::size_t>(u);
    if (i >= kAnchors - 1) return a[kAnchors - 1];
    const float f = u - static_cast<float>(i);
    return {lerp(a[i].r, a[i + 1].r, f), lerp(a[i].g, a[i + 1].g, f), lerp(a[i].b, a[i + 1].b, f)};
}

}  // namespace

Colormap colormap_from_name(const std::string& name) {
    if (name == "rdbu") return Colormap::rdbu;
    if (name == "gray") return Colormap::gray;
    if (name == "viridis") return Colormap::viridis;
    throw Error("unknown colormap '" + name + "' (expected rdbu, gray or viridis)");
}

const char* colormap_name(Colormap cmap) noexcept {
    switch (cmap) {
        case Colormap::rdbu: return "rdbu";
        case Colormap::gray: return "gray";
        case Colormap::viridis: return "viridis";
    }
    return "?";
}

Rgb colormap_color(Colormap cmap, float t) noexcept {
    if (!(t == t)) t = 0.0f;  // NaN
    t = t < -1.0f ? -1.0f : (t > 1.0f ? 1.0f : t);
    switch (cmap) {
        case Colormap::rdbu: return interpolate(kRdBu, t);
        case Colormap::viridis: return interpolate(kViridis, t);
        case Colormap::gray: {
            const auto v = static_cast<std::uint8_t>(std::lround((t + 1.0f) * 127.5f));
            return {v, v, v};
        }
    }
    return {};
}

}  // namespace mnistlr
