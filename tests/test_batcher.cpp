#include <algorithm>
#include <numeric>

#include <gtest/gtest.h>

#include "mnistlr/learning/batcher.hpp"

using mnistlr::EpochBatcher;

namespace {

// The reference semantics written naively: a list of epoch permutations, each drawn fresh;
// batch k takes items [64k, 64k + 64) of their concatenation.
std::vector<std::uint32_t> naive_stream(std::size_t n, std::uint32_t seed, std::size_t total) {
    std::mt19937 rng(seed);
    std::vector<std::uint32_t> all, perm(n);
    while (all.size() < total) {
        mnistlr::numpy_permutation(perm, rng);
        all.insert(all.end(), perm.begin(), perm.end());
    }
    all.resize(total);
    return all;
}

}  // namespace

TEST(Batcher, matches_numpy_randomstate_permutation) {
    // numpy.random.RandomState(0).permutation(10) == [2 8 4 9 1 6 7 3 0 5]
    std::mt19937 rng(0);
    std::vector<std::uint32_t> v(10);
    mnistlr::numpy_permutation(v, rng);
    EXPECT_EQ(v, (std::vector<std::uint32_t>{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
    // numpy.random.RandomState(0).permutation(60000)[:5] == [3048 19563 58303 8870 40228]
    std::mt19937 rng2(0);
    std::vector<std::uint32_t> w(60000);
    mnistlr::numpy_permutation(w, rng2);
    EXPECT_EQ(std::vector<std::uint32_t>(w.begin(), w.begin() + 5),
              (std::vector<std::uint32_t>{3048, 19563, 58303, 8870, 40228}));
}

TEST(Batcher, epoch_crossing_matches_naive_reference) {
    const std::size_t n = 10, batch = 4, steps = 9;  // crosses epoch boundaries mid-batch
    EpochBatcher b(n, 3);
    const auto expected = naive_stream(n, 3, batch * steps);
    std::vector<std::uint32_t> got(batch * steps);
    for (std::size_t s = 0; s < steps; ++s) b.next(batch, got.data() + s * batch);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(b.epochs_started(), 4u);
}

TEST(Batcher, every_sample_once_per_epoch) {
    const std::size_t n = 60000, batch = 64;
    EpochBatcher b(n, 7);
    std::vector<std::uint32_t> seen(n, 0), idx(batch);
    for (std::size_t s = 0; s < n / batch; ++s) {
        b.next(batch, idx.data());
        for (auto i : idx) ++seen[i];
    }
    const std::size_t covered = static_cast<std::size_t>(std::count(seen.begin(), seen.end(), 1u));
    EXPECT_EQ(covered, (n / batch) * batch);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 2u), 0);
}

TEST(Batcher, same_seed_same_batches_other_seed_differs) {
    EpochBatcher a(1000, 5), b(1000, 5), c(1000, 6);
    std::vector<std::uint32_t> x(64), y(64), z(64);
    for (int s = 0; s < 30; ++s) {
        a.next(64, x.data());
        b.next(64, y.data());
        c.next(64, z.data());
        ASSERT_EQ(x, y);
    }
    EXPECT_NE(x, z);
}

TEST(Batcher, interval_is_bounded_and_covers_range) {
    std::mt19937 rng(1);
    std::vector<int> hits(6, 0);
    for (int i = 0; i < 6000; ++i) {
        const auto v = mnistlr::numpy_interval(rng, 5);
        ASSERT_LE(v, 5u);
        ++hits[v];
    }
    for (int h : hits) EXPECT_GT(h, 800);
    EXPECT_EQ(mnistlr::numpy_interval(rng, 0), 0u);
}
