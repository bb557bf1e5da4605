#include "mnistlr/pictures/png.hpp"

#include <limits>

#include <stb_image_write.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/file_io.hpp"

namespace mnistlr {
namespace {

void append(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* p = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), p, p + size);
}

}  // namespace

std::vector<std::uint8_t> encode_png(const RgbImage& img) {
    if (img.width <= 0 || img.height <= 0) throw Error("cannot encode an empty image as PNG");
    if (img.rgb.size() != 3 * std::size_t(img.width) * std::size_t(img.height))
        throw Error("image buffer holds " + std::to_string(img.rgb.size()) + " bytes, expected 3 x " +
                    std::to_string(img.width) + " x " + std::to_string(img.height));
    if (std::size_t(img.width) * 3 > std::size_t(std::numeric_limits<int>::max()) / std::size_t(img.height))
        throw Error("image too large for the PNG encoder");
    // Speed over size. stb's deflate spends its time matching long runs, and by default it also tries
    // all five PNG row filters on every row. For the MNIST picture (1192 x 608) that is ~87 ms and
    // 51 KB; with no filter and its lowest effort (quality 5, its floor) ~15 ms and 64 KB. The
    // settings are stb globals, so they are set on every call.
    stbi_write_png_compression_level = 5;
    stbi_write_force_png_filter = 0;
    std::vector<std::uint8_t> out;
    out.reserve(img.rgb.size() / 16);
    if (!stbi_write_png_to_func(append, &out, img.width, img.height, 3, img.rgb.data(), img.width * 3))
        throw Error("PNG encoding failed");
    return out;
}

void write_png(const std::string& path, const RgbImage& img) {
    const auto bytes = encode_png(img);
    write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace mnistlr
