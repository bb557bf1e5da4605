// Reads a PNG back with stb_image (libstb ships the implementation) for tests that check pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <stb_image.h>

#include "mnistlr/pictures/image.hpp"

namespace testutil {

struct DecodedPng {
    int w = 0, h = 0;  // 0 x 0 when the file does not decode
    std::vector<std::uint8_t> rgb;
    mnistlr::Rgb at(int x, int y) const {
        const std::size_t o = 3 * (std::size_t(y) * std::size_t(w) + std::size_t(x));
        return {rgb[o], rgb[o + 1], rgb[o + 2]};
    }
    int count(mnistlr::Rgb c) const {
        int n = 0;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) n += at(x, y) == c ? 1 : 0;
        return n;
    }
};

inline DecodedPng decode_png_file(const std::string& path) {
    DecodedPng d;
    int n = 0;
    unsigned char* p = stbi_load(path.c_str(), &d.w, &d.h, &n, 3);
    if (p) {
        d.rgb.assign(p, p + 3 * std::size_t(d.w) * std::size_t(d.h));
        stbi_image_free(p);
    }
    return d;
}

}  // namespace testutil
