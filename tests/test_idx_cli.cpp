// IDX input through the real binary under a 1 GiB address-space cap: a gzip file whose header
// promises 7.84 GB but holds 8 MiB is refused for what it is (truncated, corrupt), not with
// "out of memory", because the buffer grows with the data instead of being allocated up front.
#include <algorithm>

#include <gtest/gtest.h>

#include "capped_run.hpp"
#include "gzip_fixtures.hpp"
#include "test_util.hpp"

using testutil::kOneGiB;
using testutil::make_idx;
using testutil::run_mnistlr_capped;
using testutil::TempDir;
using testutil::write_file;

namespace {

// A data directory whose training images are `images_gz` and whose other files are consistent
// with its header (kLyingCount training labels), so that only the images' payload is wrong.
void write_data(const std::string& dir, const std::vector<std::uint8_t>& images_gz) {
    ::mkdir(dir.c_str(), 0755);
    write_file(dir + "/train-images-idx3-ubyte.gz", images_gz);
    write_file(dir + "/train-labels-idx1-ubyte",
               make_idx({testutil::kLyingCount}, std::vector<std::uint8_t>(testutil::kLyingCount, 0)));
    write_file(dir + "/t10k-images-idx3-ubyte", make_idx({2, 28, 28}, std::vector<std::uint8_t>(2 * 784, 1)));
    write_file(dir + "/t10k-labels-idx1-ubyte", make_idx({2}, {0, 1}));
}

}  // namespace

TEST(IdxCli, the_cap_itself_leaves_the_binary_working) {
    const auto r = run_mnistlr_capped(kOneGiB, {"--version"});
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST(IdxCli, lying_gzip_under_a_1_GiB_cap_gives_the_gzip_error_not_out_of_memory) {
    TempDir d;
    const auto gz = testutil::lying_gzip();
    auto cut = gz;
    cut.resize(cut.size() - 1000);  // still past the ratio check
    auto bad_crc = gz;
    bad_crc[bad_crc.size() - 8] ^= 0x01;
    const struct {
        const char* name;
        const std::vector<std::uint8_t>* bytes;
        std::string problem;
    } cases[] = {
        {"short", &gz, "truncated IDX payload inside gzip (expected 7840000000 bytes for 10000000 x 28 x 28, got 8388608)"},
        {"cut", &cut, "truncated gzip stream (it ends before the IDX data is complete)"},
        {"bad_crc", &bad_crc, "corrupt gzip stream (zlib: incorrect data check)"},
    };
    for (const auto& c : cases) {
        const std::string dir = d / c.name;
        write_data(dir, *c.bytes);
        const auto r = run_mnistlr_capped(kOneGiB, {"train", "--data", dir, "--steps", "1", "-o", d / "w.bin"});
        EXPECT_EQ(r.code, 2) << c.name << ": " << r.err;
        EXPECT_EQ(r.err, "mnistlr: error: " + dir + "/train-images-idx3-ubyte.gz: " + c.problem + "\n") << c.name;
        EXPECT_FALSE(testutil::file_exists(d / "w.bin"));
    }
}
