// PNG output, the only PNG encoder: IHDR, one IDAT of zlib deflate over Up/Sub-filtered rows, IEND.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mnistlr/pictures/image.hpp"

namespace mnistlr {

// The PNG file bytes of an 8-bit RGB image. Throws Error for an empty or inconsistent image, or when
// the encoder fails.
std::vector<std::uint8_t> encode_png(const RgbImage& img);

// encode_png + write_file_atomic: `path` is either left as it was or holds the complete PNG.
// Throws Error "<path>: ..." on failure.
void write_png(const std::string& path, const RgbImage& img);

}  // namespace mnistlr
