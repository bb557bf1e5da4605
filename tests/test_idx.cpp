#include <zlib.h>

#include <gtest/gtest.h>

#include "mnistlr/error.hpp"
#include "mnistlr/data/idx.hpp"
#include "gzip_fixtures.hpp"
#include "test_util.hpp"

using mnistlr::Bytes;
using mnistlr::parse_idx;
using testutil::gzip;
using testutil::make_idx;

namespace {

// The message of the Error thrown by parsing `bytes`, or "" when it parses.
std::string error_of(const std::vector<std::uint8_t>& bytes) {
    try {
        parse_idx(Bytes(bytes), "f.idx");
    } catch (const mnistlr::Error& e) {
        return e.what();
    }
    return "";
}

std::vector<std::uint8_t> tiny_images() {
    std::vector<std::uint8_t> px(2 * 3 * 4);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i * 10);
    return make_idx({2, 3, 4}, px);
}

}  // namespace

TEST(Idx, parses_raw_images) {
    const auto a = parse_idx(Bytes(tiny_images()), "f");
    ASSERT_EQ(a.dims, (std::vector<std::uint32_t>{2, 3, 4}));
    ASSERT_EQ(a.payload.size(), 24u);
    EXPECT_EQ(a.payload.data()[5], 50);
    EXPECT_EQ(a.count(), 2u);
}

TEST(Idx, parses_gzip_by_magic_not_name) {
    const auto raw = tiny_images();
    const auto a = parse_idx(Bytes(gzip(raw)), "plain-name-without-gz");
    ASSERT_EQ(a.dims, (std::vector<std::uint32_t>{2, 3, 4}));
    EXPECT_TRUE(std::equal(a.payload.data(), a.payload.data() + 24, raw.begin() + 16));
}

TEST(Idx, parses_concatenated_gzip_members) {
    const auto raw = tiny_images();
    const std::vector<std::uint8_t> head(raw.begin(), raw.begin() + 10), tail(raw.begin() + 10, raw.end());
    auto two = gzip(head);
    const auto second = gzip(tail);
    two.insert(two.end(), second.begin(), second.end());
    EXPECT_EQ(parse_idx(Bytes(two), "f").payload.data()[23], 230);
}

TEST(Idx, rejects_wrong_magic) {
    auto b = tiny_images();
    b[0] = 0x50;
    EXPECT_NE(error_of(b).find("not an IDX file"), std::string::npos) << error_of(b);
}

TEST(Idx, rejects_other_element_types_by_name) {
    EXPECT_NE(error_of(make_idx({1}, {0, 0, 0, 0}, 0x0D)).find("float32 (0x0D) is not supported"), std::string::npos);
    EXPECT_NE(error_of(make_idx({1}, {0, 0, 0, 0}, 0x0C)).find("int32 (0x0C)"), std::string::npos);
}

TEST(Idx, rejects_zero_dimensions) {
    EXPECT_NE(error_of({0, 0, 8, 0}).find("declares 0 dimensions"), std::string::npos);
}

TEST(Idx, rejects_truncated_header) {
    EXPECT_NE(error_of({0, 0, 8}).find("truncated IDX header (3 bytes"), std::string::npos);
    auto b = tiny_images();
    b.resize(10);
    EXPECT_NE(error_of(b).find("truncated IDX header (10 bytes, expected 16"), std::string::npos) << error_of(b);
}

TEST(Idx, rejects_truncated_payload) {
    auto b = tiny_images();
    b.pop_back();
    EXPECT_NE(error_of(b).find("truncated IDX payload (expected 24 bytes for 2 x 3 x 4, got 23)"), std::string::npos)
        << error_of(b);
}

TEST(Idx, rejects_trailing_bytes) {
    auto b = tiny_images();
    b.push_back(1);
    b.push_back(2);
    EXPECT_NE(error_of(b).find("2 unexpected bytes after the IDX payload"), std::string::npos) << error_of(b);
}

TEST(Idx, rejects_size_overflow) {
    const auto b = make_idx({0xFFFFFFFFu, 0xFFFFFFFFu}, {1, 2, 3});
    EXPECT_NE(error_of(b).find("4294967295 x 4294967295 are too large"), std::string::npos) << error_of(b);
}

TEST(Idx, rejects_corrupt_gzip) {
    auto gz = gzip(tiny_images());
    for (std::size_t i = 12; i < gz.size() - 8; ++i) gz[i] ^= 0x5A;
    EXPECT_NE(error_of(gz).find("gzip"), std::string::npos) << error_of(gz);
}

TEST(Idx, rejects_truncated_gzip) {
    auto gz = gzip(tiny_images());
    gz.resize(gz.size() - 12);
    EXPECT_NE(error_of(gz).find("truncated"), std::string::npos) << error_of(gz);
}

TEST(Idx, rejects_gzip_longer_than_promised) {
    auto raw = tiny_images();
    raw.insert(raw.end(), 1000, 7);  // header promises 24 payload bytes, stream holds 1024
    EXPECT_NE(error_of(gzip(raw)).find("longer than the IDX header promises"), std::string::npos)
        << error_of(gzip(raw));
}

TEST(Idx, refuses_gzip_promising_more_than_it_can_hold_before_allocating) {
    // A 40-byte gzip file whose header claims 60000 x 28 x 28 images (47 MB): refused up front.
    const auto gz = gzip(make_idx({60000, 28, 28}, {}));
    EXPECT_NE(error_of(gz).find("more than a"), std::string::npos) << error_of(gz);
}

TEST(Idx, rejects_garbage_after_gzip_stream) {
    auto gz = gzip(tiny_images());
    gz.push_back(0x00);
    gz.push_back(0x42);
    EXPECT_NE(error_of(gz).find("after the end of the gzip stream"), std::string::npos) << error_of(gz);
}

TEST(Idx, read_idx_names_the_file_and_refuses_non_files) {
    testutil::TempDir dir;
    try {
        mnistlr::read_idx(dir.path());
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), dir.path() + ": is a directory, not a file");
    }
    testutil::write_file(dir / "empty", {});
    EXPECT_THROW(mnistlr::read_idx(dir / "empty"), mnistlr::Error);
    try {
        mnistlr::read_idx(dir / "missing");
        FAIL();
    } catch (const mnistlr::Error& e) {
        EXPECT_EQ(std::string(e.what()), dir / "missing" + ": No such file or directory");
    }
}

TEST(Idx, lying_gzip_header_is_refused_after_inflating_what_the_file_holds) {
    const auto gz = testutil::lying_gzip();
    ASSERT_GT(gz.size(), 7840000000u / 1100);  // past the up-front ratio check
    // The stream ends cleanly, but 7.84 GB short.
    EXPECT_EQ(error_of(gz), "f.idx: truncated IDX payload inside gzip (expected 7840000000 bytes for 10000000 x 28 x 28, "
                            "got 8388608)");
    // Cut off in the middle of the deflate data.
    auto cut = gz;
    cut.resize(cut.size() - 1000);  // still past the ratio check
    EXPECT_EQ(error_of(cut), "f.idx: truncated gzip stream (it ends before the IDX data is complete)");
    // A wrong CRC-32 at the end: only inflating everything tells.
    auto flipped = gz;
    flipped[flipped.size() - 8] ^= 0x01;
    EXPECT_EQ(error_of(flipped), "f.idx: corrupt gzip stream (zlib: incorrect data check)");
}

TEST(Idx, growing_buffer_gives_the_exact_payload) {
    // Payloads on both sides of the first buffer (8 x the compressed size) and of its doublings.
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{65535}, std::size_t{65536},
                                std::size_t{65537}, std::size_t{3} << 20}) {
        std::vector<std::uint8_t> px(n);
        for (std::size_t i = 0; i < n; ++i) px[i] = static_cast<std::uint8_t>((i * 7) ^ (i >> 9));
        const auto a = parse_idx(Bytes(gzip(make_idx({static_cast<std::uint32_t>(n)}, px))), "f");
        ASSERT_EQ(a.payload.size(), n);
        EXPECT_TRUE(std::equal(px.begin(), px.end(), a.payload.data())) << n;
    }
}

TEST(Idx, file_header_is_read_before_the_payload) {
    const auto raw = tiny_images();
    for (const auto& bytes : {raw, gzip(raw)}) {
        mnistlr::IdxFile f(Bytes(bytes), "f");
        EXPECT_EQ(f.dims(), (std::vector<std::uint32_t>{2, 3, 4}));
        EXPECT_EQ(f.count(), 2u);
        EXPECT_EQ(f.item_bytes(), 12u);
        EXPECT_EQ(f.gzip(), bytes != raw);
        EXPECT_EQ(f.read_all().payload.data()[23], 230);
        EXPECT_THROW(f.read_all(), std::logic_error);  // the payload is read once
    }
}

TEST(Idx, read_items_returns_the_requested_images_in_order) {
    std::vector<std::uint8_t> px(50 * 4);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(i / 4);  // image i is all i
    const auto raw = make_idx({50, 2, 2}, px);
    for (const auto& bytes : {raw, gzip(raw)}) {
        mnistlr::IdxFile f(Bytes(bytes), "f");
        const auto items = f.read_items({7, 0, 49, 7});
        ASSERT_EQ(items.size(), 16u);
        EXPECT_EQ(items, (std::vector<std::uint8_t>{7, 7, 7, 7, 0, 0, 0, 0, 49, 49, 49, 49, 7, 7, 7, 7}));
    }
    mnistlr::IdxFile f(Bytes(raw), "f");
    EXPECT_EQ(testutil::error_of([&] { f.read_items({50}); }), "f: item 50 is out of range (the file holds 50)");
}

TEST(Idx, read_items_inflates_only_up_to_the_largest_index) {
    // A stream cut after about a quarter: image 3 is there, image 999 is not.
    std::vector<std::uint8_t> raw = make_idx({1000, 16, 16}, {});
    std::uint32_t x = 1;
    for (std::size_t i = 0; i < 1000 * 256; ++i) {
        x = x * 1664525u + 1013904223u;
        raw.push_back(static_cast<std::uint8_t>(x >> 24));
    }
    auto gz = testutil::gzip_level(raw, 0);  // stored blocks: byte k of the payload is near byte k of the file
    gz.resize(gz.size() / 4);      // about 250 of the 1000 images
    const std::vector<std::uint8_t> image3(raw.begin() + 16 + 3 * 256, raw.begin() + 16 + 4 * 256);
    EXPECT_EQ(mnistlr::IdxFile(Bytes(gz), "f").read_items({3}), image3);
    EXPECT_EQ(testutil::error_of([&] { mnistlr::IdxFile(Bytes(gz), "f").read_items({999}); }),
              "f: truncated gzip stream (it ends before the IDX data is complete)");
    EXPECT_EQ(testutil::error_of([&] { mnistlr::parse_idx(Bytes(gz), "f"); }),
              "f: truncated gzip stream (it ends before the IDX data is complete)");
}

TEST(Idx, read_items_of_a_zero_bomb_inflates_only_what_is_asked) {
    // 8,000,000 images (6.27 GB) in a few MB: valid, within kMaxIdxPayload and the ratio check.
    const auto gz = testutil::zero_image_bomb(400);
    EXPECT_LT(gz.size(), 8u << 20);
    mnistlr::IdxFile f(Bytes(gz), "bomb.gz");
    EXPECT_EQ(f.count(), 8000000u);
    const auto items = f.read_items({30000, 0, 20000});
    ASSERT_EQ(items.size(), 3u * 784u);
    EXPECT_TRUE(std::all_of(items.begin(), items.end(), [](std::uint8_t v) { return v == 0; }));
}
