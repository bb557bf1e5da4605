// image_decode: stb_image behind the checks that keep stb 2.27's known faults out (fuzz findings).
#include <algorithm>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>
#include <stb_image_write.h>

#include "mnistlr/error.hpp"
#include "mnistlr/pictures/image_decode.hpp"
#include "test_util.hpp"

namespace {

std::vector<std::uint8_t> from_hex(const std::string& hex) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

std::string decode_error(const std::vector<std::uint8_t>& bytes, const std::string& name) {
    try {
        mnistlr::decode_image(bytes.data(), bytes.size(), name);
    } catch (const mnistlr::Error& e) {
        return e.what();
    }
    return "(no error)";
}

void append_bytes(void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
}

}  // namespace

// Found by fuzz_image (UBSan: index 257 out of bounds in stbi__build_huffman): a JPEG whose fourth
// Huffman table (AC 1) claims 1163 symbols; stb_image 2.27 wrote past its 256-entry arrays.

TEST(ImageDecode, decodes_grey_rgb_and_alpha_pngs) {
    testutil::TempDir dir;
    const std::uint8_t rgb[2 * 3] = {255, 0, 0, 10, 20, 30};
    ASSERT_TRUE(stbi_write_png((dir / "rgb.png").c_str(), 2, 1, 3, rgb, 6));
    const auto g = mnistlr::load_image(dir / "rgb.png");
    ASSERT_EQ(g.width, 2u);
    ASSERT_EQ(g.height, 1u);
    EXPECT_EQ(g.value[0], (77 * 255 + 128) >> 8);                    // luma of pure red
    EXPECT_EQ(g.value[1], (77 * 10 + 150 * 20 + 29 * 30 + 128) >> 8);  // 18
    EXPECT_TRUE(g.alpha.empty());

    const std::uint8_t ga[2 * 2] = {0, 255, 0, 40};
    ASSERT_TRUE(stbi_write_png((dir / "ga.png").c_str(), 2, 1, 2, ga, 4));
    const auto a = mnistlr::load_image(dir / "ga.png");
    EXPECT_EQ(a.alpha, (std::vector<std::uint8_t>{255, 40}));

    const std::uint8_t opaque[2 * 2] = {0, 255, 9, 255};  // alpha everywhere 255: treated as opaque
    ASSERT_TRUE(stbi_write_png((dir / "op.png").c_str(), 2, 1, 2, opaque, 4));
    EXPECT_TRUE(mnistlr::load_image(dir / "op.png").alpha.empty());
}

TEST(ImageDecode, rejects_undecodable_files) {
    const std::vector<std::uint8_t> junk = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
    try {
        mnistlr::decode_image(junk.data(), junk.size(), "x.png");
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), "x.png: cannot decode image: unknown image type (expected a PNG, JPEG, BMP, "
                                         "GIF, TGA, PSD, HDR, PIC or PNM image)");
    }
    testutil::TempDir dir;
    try {
        mnistlr::load_image(dir / "missing.png");
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), dir / "missing.png" + ": No such file or directory");
    }
}

TEST(ImageDecode, refuses_huge_images_before_decoding) {
    // A PNG signature and an IHDR chunk claiming 20000 x 20000 pixels, and nothing else.
    const std::vector<std::uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                           0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    try {
        mnistlr::decode_image(png.data(), png.size(), "big.png");
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), "big.png: image of 20000 x 20000 pixels is out of range (at most 67108864 pixels)");
    }
}

TEST(ImageDecode, fuzz_jpeg_huffman_table_over_256_symbols_is_refused) {
    const auto crash = from_hex(
        "ffd8ffe000104a46494600010100000100010000ffdb00840006040506050406060506070706080a100a0a09090a140e0f0c101714181817"
        "1416161a1d251f1a1b231c1616202c20232627292a29191f2d302d283025282928010707070a080a130a0a13281a161a2828282828282828"
        "282828282828282828282828282828282828282828282828282828282828282828282828282828282828ffc0001108000e000c0301220002"
        "1101031101ffc401a20000010501010101010100000000000000000102030405060708090a0b100002010303020403050504040000017d01"
        "020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a"
        "434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8"
        "a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa01000301010101"
        "01010101010000000000000102030405060708090a0b11f6fdfefd0404030407050404000102770001020311040521310612415107617113"
        "22328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a53545556575859"
        "5a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4"
        "c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f00f74f8cde2bbef047c3"
        "5d63c43a5456d35ed9f93e5a5cab34677cc88721483d18f7eb8aed6b95f8a5e11ff84efc09a9f86feddf60fb6f95fe91e579bb364a927ddd"
        "cb9cecc751d6baaa00ffd9");
    ASSERT_EQ(crash.size(), 683u);
    EXPECT_EQ(decode_error(crash, "x.jpg"),
              "x.jpg: cannot decode image: corrupt JPEG Huffman table (expected at most 256 symbols, got 1163)");
    // The smallest such file: SOI, then a DHT segment whose 16 counts are all 255 (4080 symbols),
    // after fill bytes as stb allows them.
    std::vector<std::uint8_t> tiny = {0xFF, 0xD8, 0xFF, 0xFF, 0xC4, 0x00, 0x13, 0x10};
    tiny.insert(tiny.end(), 16, 0xFF);
    EXPECT_EQ(decode_error(tiny, "t.jpg"),
              "t.jpg: cannot decode image: corrupt JPEG Huffman table (expected at most 256 symbols, got 4080)");
    // Real JPEGs (their tables hold 12 and 162 symbols) still decode.
    std::vector<std::uint8_t> px(16 * 16, 255), jpg;
    for (int y = 3; y < 13; ++y) px[static_cast<std::size_t>(y * 16 + 7)] = 0;
    ASSERT_TRUE(stbi_write_jpg_to_func(append_bytes, &jpg, 16, 16, 1, px.data(), 90));
    const auto img = mnistlr::decode_image(jpg.data(), jpg.size(), "ok.jpg");
    EXPECT_EQ(img.width, 16u);
    EXPECT_EQ(img.height, 16u);
}

// Found by fuzz_image again after the first fix (UBSan: index 257 out of bounds in
// stbi__build_huffman): the DHT segment's length ends inside a table's counts, which stb reads
// whole anyway. The check now reads tables the way stb does.
TEST(ImageDecode, fuzz_jpeg_huffman_table_running_past_its_segment_is_refused) {
    const auto crash = from_hex(
        "ffd8ffe000104a46494600010100000100010000ffdb00840006040506050406060506070706080a100a0a09090a140e0f0c101714181817"
        "1416161a1d251f1a1b231c1616202c20232627292a29191f2d302d283025282928010707070a080a49484452281a161a2828282828282828"
        "282828282828282828282828282828282828282828282828282828282828282828282828282828282828ffc0001108000e000c0301220002"
        "1101031101ffc401a20000010501010101010100000000000000000102030405060708090a0b100002010303020403050504040000017d01"
        "020300041105122131410613516107227114328191a1082342b1c11552d1ffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff767778797a82838485868788898a92"
        "939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b86feddf60fb6f95fe91e579bb364a927dddcb9cecc751d6baaa00ffd9");
    ASSERT_EQ(crash.size(), 388u);
    EXPECT_EQ(decode_error(crash, "y.jpg"),
              "y.jpg: cannot decode image: corrupt JPEG Huffman table (expected at most 256 symbols, got 472)");
}

// Found by fuzz_image (out-of-memory: malloc of 2 GB): an 89-byte PNG whose second IDAT chunk
// declares 1.9 GB; stb_image sized its buffer from the declared length before reading.
TEST(ImageDecode, fuzz_png_chunk_longer_than_the_file_is_refused_before_allocating) {
    const auto oom = from_hex(
        "89504e470d0a1a0a0000000d494844520000000c0000000e08000000003ed6a2300000001e49444154785e63fccf80004c0c04388c8c"
        "20050495414ca158196eb7010023d8d1021ba50a3072000094494441544e44ae426082");
    ASSERT_EQ(oom.size(), 89u);
    EXPECT_EQ(decode_error(oom, "o.png"),
              "o.png: truncated or corrupt PNG: chunk 'IDAT' at byte 75 declares 1912602772 bytes of data but only 2 "
              "remain");
    // A PNG cut short inside its data, and one whose last chunk header is cut short.
    std::vector<std::uint8_t> px(28 * 28, 0), png;
    ASSERT_TRUE(stbi_write_png_to_func(append_bytes, &png, 28, 28, 1, px.data(), 28));
    const std::vector<std::uint8_t> cut(png.begin(), png.end() - 20);
    EXPECT_NE(decode_error(cut, "cut.png").find("cut.png: truncated or corrupt PNG: chunk 'IDAT'"), std::string::npos)
        << decode_error(cut, "cut.png");
    EXPECT_EQ(mnistlr::decode_image(png.data(), png.size(), "whole.png").width, 28u);
}

// Found by fuzz_image (UBSan: signed integer overflow in stbi__pnm_getinteger): a PGM header
// whose width has 22 digits. stb_image 2.27 multiplies by 10 in an int without a check.
TEST(ImageDecode, fuzz_pnm_header_number_over_int_max_is_refused) {
    const auto crash = from_hex(
        "50350a38353535353535353535353535353535353535353520380a020a0202020202020202020202020489504e470d0a1a0a0000000d4948"
        "4452000000090000000c0806000000b05c970000000202020202020202020202020202020202020222e1053800c6090805a3000000194944"
        "4154785e631860f01f0a909dc1448c9b86ac22e1053800c60908056331168c00415402020202020202ffffff0000ffffffffffff0000ffff"
        "ffa3ffff0000ff6331168c0000000049454e44ae426082ffffffffff0000ffffffffffff0000ffffffffffffffffffff");
    ASSERT_EQ(crash.size(), 216u);
    EXPECT_EQ(decode_error(crash, "p.pgm"), "p.pgm: cannot decode image: PNM header's width is too large");
    const std::string tall = "P5 # comment\n3\n#\n99999999999 255\n";
    EXPECT_EQ(decode_error(std::vector<std::uint8_t>(tall.begin(), tall.end()), "t.pgm"),
              "t.pgm: cannot decode image: PNM header's height is too large");
    const std::string max = "P6 3 2 2147483647";
    EXPECT_EQ(decode_error(std::vector<std::uint8_t>(max.begin(), max.end()), "m.ppm").find("too large"),
              std::string::npos);  // INT_MAX itself does not overflow (stb then refuses it for other reasons)
    std::string ok = "P5\n2 2\n255\n";
    ok += std::string("\x00\xff\xff\x00", 4);
    const auto img = mnistlr::decode_image(reinterpret_cast<const std::uint8_t*>(ok.data()), ok.size(), "ok.pgm");
    EXPECT_EQ(img.width, 2u);
    EXPECT_EQ(img.height, 2u);
}

// Found by fuzz_image (timeout): a 90-byte run-length TGA declaring 23040 x 1546 pixels. stb_image
// fills the missing pixel data with zeros, so it used to decode 35.6 M pixels (0.9 s, 210 MB) from
// nothing. Declared pixels are now bounded by the file's size before anything is decoded.
TEST(ImageDecode, fuzz_tiny_file_declaring_a_huge_image_is_refused_before_decoding) {
    const auto tga = from_hex(
        "00000b000000000000000000005a0a06100887464f524d41543d33322d6269745f726c655f726783000081ffff81000083000081ffff"
        "81000083000081ffff810000830400c7ffff81000083000081ffff810000870000870000");
    ASSERT_EQ(tga.size(), 90u);
    EXPECT_EQ(decode_error(tga, "t.tga"),
              "t.tga: image header declares 23040 x 1546 pixels but the file has only 90 bytes (truncated or corrupt "
              "image)");
    // A legitimately well-compressed image above the free allowance still decodes: a blank 2048 x 1024
    // PNG (2 M pixels) is a few kilobytes.
    std::vector<std::uint8_t> px(std::size_t{2048} * 1024, 255), png;
    ASSERT_TRUE(stbi_write_png_to_func(append_bytes, &png, 2048, 1024, 1, px.data(), 2048));
    ASSERT_LT(png.size(), std::size_t{2048} * 1024 / 50);
    const auto img = mnistlr::decode_image(png.data(), png.size(), "blank.png");
    EXPECT_EQ(img.width, 2048u);
    EXPECT_EQ(img.height, 1024u);
}
