#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mnistlr/learning/kernels.hpp"
#include "test_util.hpp"

namespace {

struct Case {
    std::size_t P, K, n;
};

// Shapes around every boundary of the kernels: whole vectors and a tail of pixels (784 = 49 x 16;
// 100 and 7 leave a tail at either width), class groups of 10 plus a remainder (1 .. 9), an odd
// image or pixel-vector count (the pair loops' single leftovers).
const Case kCases[] = {
    {784, 10, 64}, {784, 10, 1}, {784, 10, 3},  {784, 26, 64}, {784, 47, 5}, {784, 1, 2},
    {100, 13, 7},  {7, 3, 4},    {16, 10, 2},   {48, 9, 9},    {784, 62, 3}, {33, 20, 1},
};

struct Data {
    std::vector<std::uint8_t> pixels;  // n images of P bytes
    std::vector<const std::uint8_t*> rows;
    std::vector<float> W, b, G;
};

Data make(const Case& c, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    Data d;
    d.pixels.resize(c.P * c.n);
    for (auto& v : d.pixels) v = static_cast<std::uint8_t>(byte(rng) < 128 ? 0 : byte(rng));  // half ink, like digits
    // Images in reverse order, to show the kernels follow the pointers rather than assume a stride.
    for (std::size_t j = 0; j < c.n; ++j) d.rows.push_back(d.pixels.data() + (c.n - 1 - j) * c.P);
    d.W.resize(c.P * c.K);
    for (auto& v : d.W) v = normal(rng);
    d.b.resize(c.K);
    for (auto& v : d.b) v = normal(rng);
    d.G.resize(c.K * c.n);
    for (auto& v : d.G) v = normal(rng);
    return d;
}

// Every variant this build has and this CPU runs (one in a native build; AVX-512, AVX2 and
// baseline in a portable one), then the dispatched entry points.
std::vector<mnistlr::KernelSet> variants() {
    const mnistlr::KernelSet* sets[8];
    const std::size_t n = mnistlr::kernel_sets(sets, 8);
    std::vector<mnistlr::KernelSet> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(*sets[i]);
    v.push_back({"dispatched", mnistlr::logits_u8, mnistlr::outer_u8, mnistlr::eval_blocks, nullptr});
    return v;
}

TEST(Kernels, logits_match_a_double_precision_product) {
    for (const auto& ks : variants())
    for (const auto& c : kCases) {
        SCOPED_TRACE(ks.name);
        const auto d = make(c, 1);
        std::vector<float> Z(c.K * c.n, -1.0f);
        ks.logits_u8(d.W.data(), d.b.data(), c.P, c.K, d.rows.data(), c.n, 1.0f / 255.0f, Z.data());
        for (std::size_t j = 0; j < c.n; ++j)
            for (std::size_t k = 0; k < c.K; ++k) {
                double s = 0, mag = 0;
                for (std::size_t p = 0; p < c.P; ++p) {
                    const double x = d.rows[j][p] / 255.0;
                    s += double(d.W[k * c.P + p]) * x;
                    mag += std::abs(double(d.W[k * c.P + p]) * x);
                }
                s += d.b[k];
                ASSERT_NEAR(Z[j * c.K + k], s, 1e-5 * (mag + 1.0))
                    << "P " << c.P << " K " << c.K << " n " << c.n << " image " << j << " class " << k;
            }
    }
}

TEST(Kernels, outer_product_matches_a_double_precision_product) {
    for (const auto& ks : variants())
    for (const auto& c : kCases) {
        SCOPED_TRACE(ks.name);
        const auto d = make(c, 2);
        std::vector<float> dW(c.P * c.K, 123.0f);  // overwritten, not added to
        ks.outer_u8(d.rows.data(), c.n, d.G.data(), c.P, c.K, 0.5f, dW.data());
        for (std::size_t k = 0; k < c.K; ++k)
            for (std::size_t p = 0; p < c.P; ++p) {
                double s = 0, mag = 0;
                for (std::size_t j = 0; j < c.n; ++j) {
                    s += double(d.G[j * c.K + k]) * d.rows[j][p];
                    mag += std::abs(double(d.G[j * c.K + k]) * d.rows[j][p]);
                }
                ASSERT_NEAR(dW[k * c.P + p], 0.5 * s, 1e-5 * (mag + 1.0))
                    << "P " << c.P << " K " << c.K << " n " << c.n << " pixel " << p << " class " << k;
            }
    }
}

TEST(Kernels, same_inputs_give_the_same_bits) {
    const Case c{784, 10, 64};
    const auto d = make(c, 3);
    std::vector<float> Z1(c.K * c.n), Z2(c.K * c.n), W1(c.P * c.K), W2(c.P * c.K);
    mnistlr::logits_u8(d.W.data(), d.b.data(), c.P, c.K, d.rows.data(), c.n, 1.0f / 255.0f, Z1.data());
    mnistlr::logits_u8(d.W.data(), d.b.data(), c.P, c.K, d.rows.data(), c.n, 1.0f / 255.0f, Z2.data());
    mnistlr::outer_u8(d.rows.data(), c.n, d.G.data(), c.P, c.K, 1.0f / 255.0f, W1.data());
    mnistlr::outer_u8(d.rows.data(), c.n, d.G.data(), c.P, c.K, 1.0f / 255.0f, W2.data());
    EXPECT_EQ(std::memcmp(Z1.data(), Z2.data(), Z1.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(W1.data(), W2.data(), W1.size() * sizeof(float)), 0);
}

TEST(Kernels, an_image_scores_the_same_alone_or_in_a_batch) {
    // The pair loop and the single-image loop must agree exactly: an image's logits may not depend
    // on its neighbours in the batch.
    const Case c{784, 26, 5};
    const auto d = make(c, 4);
    for (const auto& ks : variants()) {
        std::vector<float> all(c.K * c.n), one(c.K);
        ks.logits_u8(d.W.data(), d.b.data(), c.P, c.K, d.rows.data(), c.n, 1.0f / 255.0f, all.data());
        for (std::size_t j = 0; j < c.n; ++j) {
            ks.logits_u8(d.W.data(), d.b.data(), c.P, c.K, d.rows.data() + j, 1, 1.0f / 255.0f, one.data());
            EXPECT_EQ(std::memcmp(one.data(), all.data() + j * c.K, c.K * sizeof(float)), 0)
                << ks.name << " image " << j;
        }
    }
}

TEST(Kernels, evaluation_blocks_match_a_double_precision_loss_and_arg_max_in_every_variant) {
    // Two blocks of 16 images (the second half full), 784 pixels stored as rows of 16 bytes with
    // every fourth row left out (as if empty), 10 classes.
    const std::size_t P = 784, K = 10, count = 24, blocks = 2;
    std::mt19937 rng(5);
    std::vector<std::uint8_t> img(count * P);
    for (auto& v : img) v = static_cast<std::uint8_t>(rng() % 3 == 0 ? rng() % 256 : 0);
    std::vector<float> w(P * K), bias(K);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (auto& v : w) v = normal(rng);
    for (auto& v : bias) v = normal(rng);
    std::vector<std::uint8_t> labels(count);
    for (auto& v : labels) v = static_cast<std::uint8_t>(rng() % K);
    std::vector<std::uint8_t> rows;
    std::vector<std::uint16_t> pixel;
    std::vector<std::size_t> begin, end;
    for (std::size_t b = 0; b < blocks; ++b) {
        begin.push_back(pixel.size());
        for (std::size_t p = 0; p < P; ++p) {
            if (p % 4 == 3) continue;
            pixel.push_back(static_cast<std::uint16_t>(p));
            for (std::size_t l = 0; l < 16; ++l) rows.push_back(b * 16 + l < count ? img[(b * 16 + l) * P + p] : 0);
        }
        end.push_back(pixel.size());
    }
    // Reference over the stored pixels only.
    double want_loss[2] = {0, 0};
    std::uint32_t want_correct[2] = {0, 0};
    std::vector<std::uint32_t> want_predicted(count);
    for (std::size_t i = 0; i < count; ++i) {
        double z[K];
        for (std::size_t k = 0; k < K; ++k) {
            z[k] = bias[k];
            for (std::size_t p = 0; p < P; ++p)
                if (p % 4 != 3) z[k] += double(w[p * K + k]) * img[i * P + p];
        }
        std::size_t best = 0;
        for (std::size_t k = 1; k < K; ++k)
            if (z[k] > z[best]) best = k;
        double s = 0;
        for (double v : z) s += std::exp(v - z[best]);
        want_loss[i / 16] += std::log(s) - (z[labels[i]] - z[best]);
        want_correct[i / 16] += best == labels[i];
        want_predicted[i] = static_cast<std::uint32_t>(best);
    }
    // Not vacuous: the images are not all given the same class.
    EXPECT_NE(std::count(want_predicted.begin(), want_predicted.end(), want_predicted[0]), std::ptrdiff_t(count));
    for (const auto& ks : variants()) {
        double loss[2] = {-1, -1};
        std::uint32_t correct[2] = {99, 99}, predicted[32];
        std::fill(std::begin(predicted), std::end(predicted), 999u);  // lanes past the count stay untouched
        mnistlr::EvalBlocks e;
        e.rows = rows.data();
        e.pixel = pixel.data();
        e.block_begin = begin.data();
        e.block_end = end.data();
        e.w = w.data();
        e.bias = bias.data();
        e.K = K;
        e.labels = labels.data();
        e.count = count;
        e.block_loss = loss;
        e.block_correct = correct;
        e.predicted = predicted;
        ks.eval_blocks(e, 0, blocks);
        for (std::size_t b = 0; b < blocks; ++b) {
            EXPECT_NEAR(loss[b], want_loss[b], 1e-4) << ks.name << " block " << b;
            EXPECT_EQ(correct[b], want_correct[b]) << ks.name << " block " << b;
        }
        for (std::size_t i = 0; i < count; ++i) EXPECT_EQ(predicted[i], want_predicted[i]) << ks.name << " image " << i;
        for (std::size_t i = count; i < 32; ++i) EXPECT_EQ(predicted[i], 999u) << ks.name << " padding lane " << i;
        // Without a predicted array the same sums come out (the pointer is optional).
        double loss_only[2] = {-1, -1};
        std::uint32_t correct_only[2] = {99, 99};
        e.block_loss = loss_only;
        e.block_correct = correct_only;
        e.predicted = nullptr;
        ks.eval_blocks(e, 0, blocks);
        EXPECT_EQ(std::memcmp(loss_only, loss, sizeof loss), 0) << ks.name;
        EXPECT_EQ(std::memcmp(correct_only, correct, sizeof correct), 0) << ks.name;
    }
}

TEST(Kernels, evaluation_refuses_labels_and_class_counts_its_sums_cannot_hold) {
    // Checked before any row is read: rows, weights and outputs are left null.
    std::uint8_t labels[20] = {};
    labels[17] = 10;
    mnistlr::EvalBlocks e;
    e.K = 10;
    e.labels = labels;
    e.count = 20;
    EXPECT_EQ(testutil::error_of([&] { mnistlr::eval_blocks(e, 0, 2); }),
              "evaluation kernel: label 10 at index 17 is not below the class count 10");
    labels[17] = 200;  // past the kernel's kEvalMaxClasses sums
    EXPECT_EQ(testutil::error_of([&] { mnistlr::eval_blocks(e, 1, 2); }),
              "evaluation kernel: label 200 at index 17 is not below the class count 10");
    e.K = mnistlr::kEvalMaxClasses + 1;
    EXPECT_EQ(testutil::error_of([&] { mnistlr::eval_blocks(e, 0, 2); }),
              "evaluation kernel: 65 classes (expected 1 to 64)");
    e.K = 0;
    EXPECT_EQ(testutil::error_of([&] { mnistlr::eval_blocks(e, 0, 2); }),
              "evaluation kernel: 0 classes (expected 1 to 64)");
}

TEST(Kernels, variant_and_lanes_are_reported) {
    const std::string v = mnistlr::kernel_variant();
    EXPECT_TRUE(v == "native" || v == "avx512" || v == "avx2" || v == "base") << v;
    const auto l = mnistlr::kernel_lanes();
    EXPECT_TRUE(l == 4 || l == 8 || l == 16) << l;
}

}  // namespace
