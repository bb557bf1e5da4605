// PNG output: lossless round trip through stb_image, atomic writing, and the golden picture.
#include <cstdint>
#include <cstdlib>

#include <cstring>
#include <random>

#include <stb_image.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/png.hpp"
#include "mnistlr/pictures/render.hpp"
#include "test_util.hpp"

using namespace mnistlr;

namespace {

struct Decoded {
    int w = 0, h = 0, channels = 0;
    PageBytes rgb;
};

Decoded decode(const std::vector<std::uint8_t>& png) {
    Decoded d;
    unsigned char* p = stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &d.w, &d.h, &d.channels, 3);
    if (p) {
        d.rgb.assign(p, p + 3 * std::size_t(d.w) * std::size_t(d.h));
        stbi_image_free(p);
    }
    return d;
}

std::uint64_t fnv1a(const PageBytes& bytes) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
    return h;
}

RgbImage pattern(int w, int h) {
    RgbImage img(w, h, Rgb{});
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.set(x, y, Rgb{std::uint8_t(x * 7 + y), std::uint8_t(x ^ y), std::uint8_t(255 - x)});
    return img;
}

}  // namespace

TEST(Png, encodes_losslessly) {
    const RgbImage img = pattern(37, 11);
    const auto png = encode_png(img);
    ASSERT_GE(png.size(), 8u);
    EXPECT_EQ(std::vector<std::uint8_t>(png.begin(), png.begin() + 8),
              (std::vector<std::uint8_t>{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a}));
    const Decoded d = decode(png);
    EXPECT_EQ(d.w, 37);
    EXPECT_EQ(d.h, 11);
    EXPECT_EQ(d.channels, 3);
    EXPECT_EQ(d.rgb, img.rgb);
}

TEST(Png, lossless_for_repeated_rows_flat_runs_noise_and_one_pixel_wide) {
    std::mt19937 rng(7);
    RgbImage noise(300, 300, Rgb{});  // ~270 KB compressed: the output grows past one 64 KiB piece
    for (auto& v : noise.rgb) v = static_cast<std::uint8_t>(rng());
    RgbImage blocks(64, 40, Rgb{255, 255, 255});  // upscaled pixels: rows repeat (Up), runs are flat (Sub)
    for (int y = 0; y < 40; ++y)
        for (int x = 0; x < 64; ++x)
            if ((x / 8 + y / 8) % 2) blocks.set(x, y, Rgb{33, 102, 172});
    const RgbImage narrow = pattern(1, 9), single = pattern(1, 1);
    for (const RgbImage* img : std::vector<const RgbImage*>{&noise, &blocks, &narrow, &single}) {
        const Decoded d = decode(encode_png(*img));
        EXPECT_EQ(d.w, img->width);
        EXPECT_EQ(d.h, img->height);
        EXPECT_EQ(d.rgb, img->rgb) << img->width << " x " << img->height;
    }
}

// Reads the file as the spec lays it out: signature, then chunks (length, type, data, CRC-32 of type and
// data); IHDR first, IEND last; the IDAT data inflates (zlib checks the Adler-32 trailer) to height rows
// of 1 filter byte + 3 x width. The large image is deflated in bands of ~1 MiB joined into one stream.
TEST(Png, chunks_have_valid_crcs_and_idat_inflates_to_filtered_rows) {
    RgbImage large(1200, 900, Rgb{255, 255, 255});  // 3.2 MB of pixels: three bands
    std::mt19937 rng(3);
    for (int y = 0; y < 900; ++y)
        for (int x = 0; x < 1200; ++x)
            if ((x / 40 + y / 30) % 3 == 0) large.set(x, y, Rgb{std::uint8_t(rng()), 40, std::uint8_t(y)});
    for (const RgbImage& img : {pattern(37, 11), large}) {
        const auto png = encode_png(img);
        const auto u32 = [&](std::size_t at) {
            return std::uint32_t(png[at]) << 24 | std::uint32_t(png[at + 1]) << 16 | std::uint32_t(png[at + 2]) << 8 |
                   std::uint32_t(png[at + 3]);
        };
        std::vector<std::string> types;
        std::vector<std::uint8_t> idat;
        std::size_t at = 8;
        while (at + 12 <= png.size()) {
            const std::uint32_t len = u32(at);
            ASSERT_LE(at + 12 + len, png.size());
            const std::string type(png.begin() + std::ptrdiff_t(at + 4), png.begin() + std::ptrdiff_t(at + 8));
            types.push_back(type);
            const auto crc = crc32(crc32(0L, Z_NULL, 0), png.data() + at + 4, len + 4);
            EXPECT_EQ(u32(at + 8 + len), static_cast<std::uint32_t>(crc)) << type;
            if (type == "IHDR") {
                EXPECT_EQ(len, 13u);
                EXPECT_EQ(u32(at + 8), std::uint32_t(img.width));
                EXPECT_EQ(u32(at + 12), std::uint32_t(img.height));
                EXPECT_EQ(png[at + 16], 8);  // bit depth
                EXPECT_EQ(png[at + 17], 2);  // RGB
            }
            if (type == "IDAT")
                idat.insert(idat.end(), png.begin() + std::ptrdiff_t(at + 8), png.begin() + std::ptrdiff_t(at + 8 + len));
            at += 12 + len;
        }
        EXPECT_EQ(at, png.size());
        EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
        const std::size_t line = 1 + 3 * std::size_t(img.width);
        std::vector<std::uint8_t> raw(std::size_t(img.height) * line + 1);
        uLongf n = raw.size();
        ASSERT_EQ(uncompress(raw.data(), &n, idat.data(), idat.size()), Z_OK) << img.width;
        EXPECT_EQ(n, std::size_t(img.height) * line);
        for (std::size_t y = 0; y < std::size_t(img.height); ++y) EXPECT_LE(raw[y * line], 2) << y;  // None/Sub/Up
        const Decoded d = decode(png);
        EXPECT_EQ(d.rgb, img.rgb) << img.width;
        // The same bytes every time (the band count and the threads do not change them).
        EXPECT_EQ(encode_png(img), png);
    }
}

// The IDAT data of a PNG (its chunks concatenated), inflated by zlib, which checks the deflate codes,
// the back-references and the Adler-32 trailer: size + 1 bytes of room, so a longer stream shows.
std::vector<std::uint8_t> inflate_idat(const std::vector<std::uint8_t>& png, std::size_t expected) {
    std::vector<std::uint8_t> idat;
    for (std::size_t at = 8; at + 12 <= png.size();) {
        const std::size_t len = std::size_t(png[at]) << 24 | std::size_t(png[at + 1]) << 16 |
                                std::size_t(png[at + 2]) << 8 | png[at + 3];
        if (std::memcmp(png.data() + at + 4, "IDAT", 4) == 0)
            idat.insert(idat.end(), png.begin() + std::ptrdiff_t(at + 8), png.begin() + std::ptrdiff_t(at + 8 + len));
        at += 12 + len;
    }
    std::vector<std::uint8_t> raw(expected + 1);
    uLongf n = raw.size();
    if (uncompress(raw.data(), &n, idat.data(), idat.size()) != Z_OK) return {};
    raw.resize(n);
    return raw;
}

// Runs of rows equal to the row above are written as hand-made deflate blocks (4 rows or more) and
// shorter ones through zlib: runs of 1 to 9 rows, at the start, the middle and the end of the picture
// and of its ~1 MiB pieces, for widths whose rows split into copies of every remainder (1 and 2
// pixels: too few zeros for a copy; 87: 260 zeros, a remainder of 2 after 258).
TEST(Png, runs_of_repeated_rows_inflate_with_zlib_and_decode_exactly) {
    std::mt19937 rng(11);
    for (const int w : {1, 2, 3, 86, 87, 172, 400}) {
        for (const int h : {1, 4, 5, 61, 1000}) {
            RgbImage img(w, h, Rgb{});
            for (int y = 0; y < h;) {
                const int run = 1 + int(rng() % 9);
                const Rgb c{std::uint8_t(rng()), std::uint8_t(rng()), std::uint8_t(rng())};
                for (int r = 0; r < run && y < h; ++r, ++y)
                    for (int x = 0; x < w; ++x) img.set(x, y, x % 5 == 0 ? Rgb{255, 255, 255} : c);
            }
            const auto png = encode_png(img);
            const std::size_t line = 1 + 3 * std::size_t(w);
            const auto raw = inflate_idat(png, line * std::size_t(h));
            EXPECT_EQ(raw.size(), line * std::size_t(h)) << w << " x " << h;
            const Decoded d = decode(png);
            EXPECT_EQ(d.rgb, img.rgb) << w << " x " << h;
        }
    }
}

TEST(Png, empty_or_inconsistent_images_are_refused) {
    EXPECT_THROW(encode_png(RgbImage{}), Error);
    RgbImage bad = pattern(4, 4);
    bad.rgb.pop_back();
    EXPECT_THROW(encode_png(bad), Error);
}

TEST(Png, write_png_replaces_the_file_atomically_and_reports_failure_with_the_path) {
    testutil::TempDir d;
    const std::string path = d / "x.png";
    testutil::write_file(path, {1, 2, 3});
    write_png(path, pattern(5, 5));
    EXPECT_EQ(decode(testutil::read_file(path)).rgb, pattern(5, 5).rgb);
    EXPECT_EQ(testutil::list_dir(d.path()), std::vector<std::string>{"x.png"});  // no temp file left
    try {
        write_png(d / "no/such/dir.png", pattern(2, 2));
        FAIL() << "no throw";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(d / "no/such/dir.png", 0), 0u) << e.what();
    }
}

// A tiny deterministic model drawn with every element of the look (tiles, titles, colorbar labels)
// and compared by a checksum of the decoded pixels. A deliberate change of the look updates the
// constant; an accidental one fails here. (It depends on the exact DejaVu Sans and stb_truetype
// versions of the Debian release the project builds on.)
TEST(Png, golden_weight_grid) {
    SoftmaxModel m = SoftmaxModel::zeros(4, 3, 3);
    for (Eigen::Index k = 0; k < 3; ++k)
        for (Eigen::Index p = 0; p < 12; ++p)
            m.W(p, k) = static_cast<float>((p * 7 + k * 5) % 11 - 5) / 10.0f;  // -0.5 .. +0.5
    ModelInfo info;
    info.class_names = {"zero", "one", "two"};
    RenderOptions opt;
    opt.scale = 16;
    opt.grid_cols = 3;
    const RgbImage img = render_weight_grid(m, info, opt, Font::load_default());
    const Decoded d = decode(encode_png(img));
    ASSERT_EQ(d.w, 3 * 48 + 4 * 12);
    ASSERT_EQ(d.h, 12 + (32 + 64 + 12) + 60);
    if (const char* dump = std::getenv("MNISTLR_GOLDEN_DUMP")) write_png(dump, img);  // to look at it
    ASSERT_EQ(d.rgb, img.rgb);
    EXPECT_EQ(fnv1a(d.rgb), 1931387033284875247ull) << "render changed: if deliberate, update the checksum (and look at it)";
}

// PngStream: a picture handed over in bands of uneven height (1 row, many rows, repeated rows so
// that Up rows straddle a band cut) decodes to exactly the pixels of the whole picture.
TEST(PngStream, bands_decode_to_the_whole_pictures_pixels) {
    RgbImage whole = pattern(301, 97);
    for (int y = 40; y < 60; ++y)  // rows equal to the one above, across the cut at 45
        for (int x = 0; x < whole.width; ++x) whole.set(x, y, whole.at(x, 39));
    const int cuts[] = {0, 1, 2, 45, 46, 90, 97};
    PngStream stream(whole.width, whole.height);
    for (std::size_t c = 0; c + 1 < std::size(cuts); ++c) {
        RgbImage band(whole.width, cuts[c + 1] - cuts[c], Rgb{}, cuts[c]);
        for (int y = cuts[c]; y < cuts[c + 1]; ++y)
            for (int x = 0; x < whole.width; ++x) band.set(x, y, whole.at(x, y));
        stream.add(band);
    }
    const Decoded d = decode(stream.finish());
    EXPECT_EQ(d.w, whole.width);
    EXPECT_EQ(d.h, whole.height);
    EXPECT_EQ(d.rgb, whole.rgb);
}

TEST(PngStream, taken_bands_give_the_bytes_of_copied_ones) {
    // One raster drawn again for each of 40 bands and handed over without a copy: the buffer it
    // gets back is a used one (after the first few bands), so every band must be reset and redrawn.
    const RgbImage whole = pattern(211, 400);
    const auto draw = [&](RgbImage& band, int top, int height) {
        band.width = whole.width;
        band.top = top;
        band.height = height;
        band.reset(Rgb{9, 9, 9});
        for (int y = top; y < top + height; ++y)
            for (int x = 0; x < whole.width; ++x) band.set(x, y, whole.at(x, y));
    };
    PngStream copied(whole.width, whole.height), taken(whole.width, whole.height);
    RgbImage a, b;
    for (int top = 0; top < whole.height; top += 10) {
        draw(a, top, 10);
        copied.add(a);
        draw(b, top, 10);
        taken.take(b);
    }
    std::vector<std::uint8_t> bytes;  // handed over span by span this time
    int spans = 0;
    taken.finish([&](const std::uint8_t* d, std::size_t n) {
        bytes.insert(bytes.end(), d, d + n);
        ++spans;
    });
    EXPECT_GT(spans, 40);  // header, one span per band, trailer: never joined first
    EXPECT_EQ(bytes, copied.finish());
    EXPECT_EQ(decode(bytes).rgb, whole.rgb);
}

TEST(PngStream, one_band_gives_encode_pngs_bytes) {
    const RgbImage img = pattern(64, 16);  // well under 1 MiB: encode_png makes one piece too
    PngStream stream(img.width, img.height);
    stream.add(img);
    EXPECT_EQ(stream.finish(), encode_png(img));
}

TEST(PngStream, refuses_a_band_that_does_not_continue_the_picture_and_an_early_finish) {
    PngStream stream(10, 8);
    EXPECT_THROW(stream.add(RgbImage(9, 2, Rgb{})), Error);            // wrong width
    EXPECT_THROW(stream.add(RgbImage(10, 2, Rgb{}, 3)), Error);        // does not start at row 0
    EXPECT_THROW(stream.add(RgbImage(10, 9, Rgb{})), Error);           // runs past the height
    stream.add(RgbImage(10, 3, Rgb{}));
    EXPECT_THROW(stream.add(RgbImage(10, 2, Rgb{}, 2)), Error);        // overlaps
    EXPECT_THROW(stream.finish(), Error);                              // 3 of 8 rows
    EXPECT_THROW(PngStream(0, 5), Error);
}
