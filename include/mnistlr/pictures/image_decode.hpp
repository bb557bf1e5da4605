// Image files to pixels: the only module that calls stb_image (Debian's libstb, version 2.27).
//
// decode_image turns PNG/JPEG/BMP/GIF/TGA/PNM/PSD/HDR/PIC bytes into 8-bit grey (luma = (77 R + 150 G
// + 29 B + 128) / 256) plus alpha when the image has any transparency. The bytes are hostile: before
// stb sees them, the header's size is checked against the limits below, and the known stb 2.27 faults
// that fuzzing found are refused (JPEG Huffman tables over 256 symbols or running past their segment,
// PNG chunks longer than the file, PGM/PPM header numbers over INT_MAX).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mnistlr {

// An 8-bit single-channel picture, row-major.
struct GrayImage {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::vector<std::uint8_t> value;  // width * height grey levels, 0 = black
    std::vector<std::uint8_t> alpha;  // width * height opacities; empty when the image is opaque
};

// Largest image decode_image accepts (pixels), checked from the header before decoding.
constexpr std::uint64_t kMaxDecodedPixels = std::uint64_t{1} << 26;
// Plausibility of the header against the file: an image may declare at most
// max(kFreeImagePixels, kMaxPixelsPerByte * file size) pixels. stb_image fills missing pixel data
// with zeros (HDR, BMP, TGA, PSD, PIC), so without this a 90-byte file decodes to 35 M pixels.
// 1100 covers deflate's best ratio (1032:1, PNG), JPEG's (~85 pixels per byte) and run-length codes.
constexpr std::uint64_t kFreeImagePixels = std::uint64_t{1} << 20;
constexpr std::uint64_t kMaxPixelsPerByte = 1100;

// Decodes an image file's bytes with stb_image. `name` appears in error messages.
GrayImage decode_image(const std::uint8_t* data, std::size_t size, const std::string& name);
// Reads (Bytes::map_file) and decodes.
GrayImage load_image(const std::string& path);

}  // namespace mnistlr
