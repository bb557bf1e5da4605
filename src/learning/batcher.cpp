#include "mnistlr/learning/batcher.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace mnistlr {

std::uint32_t numpy_interval(std::mt19937& rng, std::uint32_t max) {
    if (max == 0) return 0;
    std::uint32_t mask = max;  // smallest 2^k - 1 >= max
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    std::uint32_t value;
    do {
        value = static_cast<std::uint32_t>(rng()) & mask;
    } while (value > max);
    return value;
}

void numpy_permutation(std::vector<std::uint32_t>& v, std::mt19937& rng) {
    std::iota(v.begin(), v.end(), std::uint32_t{0});
    for (std::size_t i = v.size(); i-- > 1;) {
        const std::uint32_t j = numpy_interval(rng, static_cast<std::uint32_t>(i));
        std::swap(v[i], v[j]);
    }
}

EpochBatcher::EpochBatcher(std::size_t n, std::uint32_t seed) : rng_(seed), perm_(n) {
    numpy_permutation(perm_, rng_);
}

void EpochBatcher::next(std::size_t batch, std::uint32_t* out) {
    const std::size_t n = perm_.size();
    if (pos_ + batch <= n) {
        std::copy_n(perm_.begin() + static_cast<std::ptrdiff_t>(pos_), batch, out);
        pos_ += batch;
        return;
    }
    // Rest of this epoch, then the start of a new one.
    const std::size_t rest = n - pos_;
    std::copy_n(perm_.begin() + static_cast<std::ptrdiff_t>(pos_), rest, out);
    numpy_permutation(perm_, rng_);
    ++epoch_;
    const std::size_t k = batch - rest;
    std::copy_n(perm_.begin(), k, out + rest);
    pos_ = k;
}

}  // namespace mnistlr
