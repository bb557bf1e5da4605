// Reads an animated GIF back with stb_image's GIF loader (every frame composited, as a viewer shows
// it) for tests that check frames.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <stb_image.h>

#include "mnistlr/pictures/image.hpp"

namespace testutil {

struct DecodedGif {
    int w = 0, h = 0;  // 0 x 0 when the bytes do not decode
    std::vector<std::vector<std::uint8_t>> frames;  // RGB, w * h * 3 bytes each
    std::vector<int> delays_ms;
    std::size_t count() const { return frames.size(); }
    mnistlr::Rgb at(std::size_t f, int x, int y) const {
        const std::size_t o = 3 * (std::size_t(y) * std::size_t(w) + std::size_t(x));
        return {frames[f][o], frames[f][o + 1], frames[f][o + 2]};
    }
    mnistlr::RgbImage image(std::size_t f) const {
        mnistlr::RgbImage img;
        img.width = w;
        img.height = h;
        img.rgb.assign(frames[f].begin(), frames[f].end());
        return img;
    }
};

inline DecodedGif decode_gif(const std::vector<std::uint8_t>& bytes) {
    DecodedGif d;
    int* delays = nullptr;
    int z = 0, comp = 0;
    stbi_uc* p = stbi_load_gif_from_memory(bytes.data(), static_cast<int>(bytes.size()), &delays, &d.w, &d.h, &z,
                                           &comp, 3);
    if (!p) {
        d.w = d.h = 0;
        return d;
    }
    const std::size_t n = 3 * std::size_t(d.w) * std::size_t(d.h);
    for (int f = 0; f < z; ++f) {
        d.frames.emplace_back(p + std::size_t(f) * n, p + std::size_t(f + 1) * n);
        d.delays_ms.push_back(delays ? delays[f] : 0);
    }
    stbi_image_free(p);
    if (delays) stbi_image_free(delays);
    return d;
}

}  // namespace testutil
