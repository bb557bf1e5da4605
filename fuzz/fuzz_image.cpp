// The image path of `mnistlr predict`: decode_image (stb_image: PNG, JPEG, BMP, GIF, ...) then
// preprocess_image into a 28 x 28 frame, and into a small odd frame (1..7 x 1..9, chosen by the input
// length) for the general-size arithmetic. Every frame that comes out must be finite and in [0, 1].
#include <cmath>

#include "fuzz_common.hpp"
#include "mnistlr/learning/preprocess.hpp"

namespace {

void check_frame(const mnistlr::GrayImage& img, std::uint32_t rows, std::uint32_t cols) {
    mnistlr::InkImage f;
    if (!fuzz::parses([&] { f = mnistlr::preprocess_image(img, rows, cols, fuzz::kName); })) return;
    fuzz::require(f.width == cols && f.height == rows && f.v.size() == std::size_t{rows} * cols, "frame size");
    bool ink = false;
    for (float v : f.v) {
        fuzz::require(std::isfinite(v) && v >= 0.0f && v <= 1.0f, "frame value not finite or outside [0, 1]");
        ink = ink || v > 0.0f;
    }
    fuzz::require(ink, "blank frame returned instead of an error");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto bytes = fuzz::copy(data, size);
    mnistlr::GrayImage img;
    if (!fuzz::parses([&] { img = mnistlr::decode_image(bytes.data(), bytes.size(), fuzz::kName); })) return 0;
    const std::size_t n = std::size_t{img.width} * img.height;
    fuzz::require(n > 0 && img.value.size() == n && (img.alpha.empty() || img.alpha.size() == n), "image sizes");
    check_frame(img, 28, 28);
    check_frame(img, static_cast<std::uint32_t>(1 + size % 7), static_cast<std::uint32_t>(1 + size / 7 % 9));
    return 0;
}
