// PNG output, the only PNG encoder: IHDR, one IDAT of zlib deflate over Up/Sub-filtered rows, IEND.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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

// A PNG made band by band: a figure too tall to hold in memory at once is drawn into one band-sized
// raster (image.hpp: RgbImage::top) and each band handed over as soon as it is drawn. Each band is
// deflated as its own piece of the stream on a worker thread (at most two at a time) while the caller
// draws the next, and the pieces are joined as encode_png joins its own. The pixels decode exactly as
// encode_png's of the whole picture; the bytes depend on where the bands are cut (the caller's
// choice, so the same on every machine).
class PngStream {
public:
    // Throws Error for an empty picture or one too wide for the encoder.
    PngStream(int width, int height);
    ~PngStream();
    PngStream(const PngStream&) = delete;
    PngStream& operator=(const PngStream&) = delete;

    // The next band: band.width == width, band.top == the rows handed over so far, and it must not
    // run past the picture's height. The band's pixels are copied; the raster can be reused at once.
    void add(const RgbImage& band);
    // The same without the copy: the band's pixels are taken, and band.rgb is left holding a buffer
    // of unspecified size and content (a used one when there is one), to be reset before drawing.
    void take(RgbImage& band);
    // The PNG file bytes, once every row has been handed over (else throws Error).
    std::vector<std::uint8_t> finish();
    // The same bytes handed to write(data, size) in order, piece by piece, without joining them.
    void finish(const std::function<void(const std::uint8_t*, std::size_t)>& write);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mnistlr
