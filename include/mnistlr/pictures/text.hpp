// Text on an RgbImage: TrueType glyphs rasterised by stb_truetype, anti-aliased, blended over the
// pixels already there.
//
// Coordinates: x is the left end of the text's advance box (or its centre / right end, see Align),
// `baseline` is the row the glyphs sit on; sizes are in pixels ("px" = ascent - descent, as
// stb_truetype's ScaleForPixelHeight). Text is UTF-8; invalid bytes draw as U+FFFD, and code points
// the font lacks draw as its "missing glyph" box. Pixels outside the image are clipped.
// The baseline is snapped to whole pixels and each glyph origin to 1/4 pixel horizontally, which keeps
// stems sharp without visible spacing errors.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "mnistlr/pictures/image.hpp"

namespace mnistlr {

enum class Align { left, center, right };

class Font {
public:
    // Maps the font file (Bytes::map_file) and parses it. Throws Error "<path>: ..." when the file
    // is missing or is not a TrueType font. The font is trusted input (a system font): stb_truetype
    // does not guard against maliciously crafted font files.
    static Font load(const std::string& path);
    // The font the tool draws with: $MNISTLR_FONT when set and not empty, else DejaVu Sans where
    // Debian's fonts-dejavu-core installs it (MNISTLR_FONT_PATH, fixed at build time). A missing
    // file throws Error "<path>: font not found (...)", naming the path tried and how to fix it.
    static Font load_default();
    static std::string default_path();

    // Vertical metrics at size px, in pixels: ascent above the baseline (> 0), descent below it (> 0),
    // and the recommended distance between baselines.
    float ascent(float px) const;
    float descent(float px) const;
    float line_height(float px) const;

    // Width of the text's advance box (including kerning), in pixels. Linear in the text's length.
    float text_width(std::string_view utf8, float px) const;

    // The text itself when it fits in max_width at size px, else its longest prefix (whole code points,
    // trailing spaces dropped) followed by "…" that fits; "" when not even "…" fits. One pass over
    // the text: linear in its length, whatever the width.
    std::string elide(std::string_view utf8, float px, float max_width) const;

    // Draws the text; returns the x just after its advance box.
    float draw(RgbImage& img, std::string_view utf8, float x, int baseline, float px, Rgb colour,
               Align align = Align::left) const;

private:
    struct Impl;
    explicit Font(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

// Decodes UTF-8 into code points; each invalid or truncated sequence becomes U+FFFD.
std::u32string decode_utf8(std::string_view s);

}  // namespace mnistlr
