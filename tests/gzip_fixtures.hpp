// Hostile gzip IDX files, made in the test: a header that lies about the payload, and a valid bomb
// (a few MB that inflate to gigabytes of zero images).
#pragma once

#include <cstdint>
#include <vector>

#include <zlib.h>

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace testutil {

// One gzip member at a chosen level (0: stored blocks, for random bytes that would not shrink anyway).
inline std::vector<std::uint8_t> gzip_level(const std::vector<std::uint8_t>& raw, int level) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 64);
    zs.next_in = const_cast<Bytef*>(raw.data());
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// The usual gzip file of `raw` (zlib's default level, as gzip(1) writes).
inline std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& raw) { return gzip_level(raw, 6); }

// The images the lying file promises, and the random bytes it holds.
constexpr std::uint32_t kLyingCount = 10000000;      // x 28 x 28 = 7.84 GB, within kMaxIdxPayload
constexpr std::size_t kLyingHeld = std::size_t{8} << 20;

// A complete gzip stream: an IDX header promising kLyingCount images of 28 x 28, then only
// kLyingHeld random bytes. At 8 MiB the file is big enough that the compression-ratio check cannot
// refuse it up front (the payload is under 1100 x its size): only inflating shows that it lies.
inline std::vector<std::uint8_t> lying_gzip() {
    std::vector<std::uint8_t> raw = make_idx({kLyingCount, 28, 28}, {});
    raw.reserve(raw.size() + kLyingHeld);
    std::uint32_t x = 12345;
    for (std::size_t i = 0; i < kLyingHeld; ++i) {
        x = x * 1664525u + 1013904223u;
        raw.push_back(static_cast<std::uint8_t>(x >> 24));
    }
    return gzip_level(raw, 0);
}

// A valid gzip IDX file of `members` x 20000 all-zero 28 x 28 images: one member with the header,
// then `members` copies of one member of 20000 zero images (15.68 MB each, about 15 KB compressed).
// Concatenated members are one valid gzip file (as `cat a.gz b.gz` makes), so a bomb of gigabytes
// costs the test one small deflate.
constexpr std::uint32_t kBombImagesPerMember = 20000;
inline std::vector<std::uint8_t> zero_image_bomb(std::uint32_t members) {
    std::vector<std::uint8_t> out = gzip_level(make_idx({members * kBombImagesPerMember, 28, 28}, {}), 9);
    const auto zeros = gzip_level(std::vector<std::uint8_t>(std::size_t{kBombImagesPerMember} * 784, 0), 9);
    out.reserve(out.size() + members * zeros.size());
    for (std::uint32_t m = 0; m < members; ++m) out.insert(out.end(), zeros.begin(), zeros.end());
    return out;
}

}  // namespace testutil
