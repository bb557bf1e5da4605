// A model trained once per test process by the real binary (ctest runs every TEST in a process of
// its own, so each test that asks for it trains it once, about 0.1 s), with the reference recipe (lr 0.5, batch
// 64, 1000 steps, seed 0) on real MNIST, for the end-to-end tests of eval, predict and export.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace testutil {

// Path of the weights file; empty (after reporting the failure) when MNIST is missing or training
// failed. Callers ASSERT_FALSE(path.empty()).
inline const std::string& reference_model() {
    static TempDir dir;  // removed at exit
    static const std::string path = [] {
        const std::string out = dir / "reference.bin";
        if (!mnist_present()) {
            ADD_FAILURE() << mnist_present().message();
            return std::string();
        }
        const RunResult r = run_mnistlr({"train", "--data", mnist_dir(), "-q", "-o", out});
        if (r.code != 0) {
            ADD_FAILURE() << "mnistlr train failed (" << r.code << "): " << r.err;
            return std::string();
        }
        return out;
    }();
    return path;
}

// The bytes of image i of the MNIST test set (28 x 28) and its label.
inline std::vector<std::uint8_t> mnist_test_image(std::size_t i) {
    const auto all = read_file(mnist_dir() + "/t10k-images-idx3-ubyte");
    const std::size_t at = 16 + i * 784;
    if (all.size() < at + 784) return {};
    return {all.begin() + static_cast<std::ptrdiff_t>(at), all.begin() + static_cast<std::ptrdiff_t>(at + 784)};
}

inline int mnist_test_label(std::size_t i) {
    const auto all = read_file(mnist_dir() + "/t10k-labels-idx1-ubyte");
    return all.size() > 8 + i ? all[8 + i] : -1;
}

}  // namespace testutil
