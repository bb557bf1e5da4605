// Seeded shuffled epochs with the reference's next_batch semantics.
//
// Epoch e is a permutation of 0..n-1. Batches are consecutive slices of it; a batch that would run
// past the end takes the rest of the current epoch and then the start of a freshly shuffled one
// (TensorFlow's mnist.train.next_batch, and the peers in ../shared/peers). Every sample is seen
// exactly once per epoch.
//
// The permutations are NumPy's: numpy.random.RandomState(seed).permutation(n), drawn again for each
// epoch, exactly as the NumPy and PyTorch peers draw them. That is MT19937 seeded by init_genrand
// (std::mt19937's standard seeding), a Fisher-Yates pass from the top index down, and NumPy's
// legacy bounded draw: the smallest all-ones bit mask covering the bound, 32-bit draws masked and
// rejected until <= bound. So a seed selects the same batches here as in the peers, on any
// platform and standard library (std::shuffle and std::uniform_int_distribution are unspecified).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace mnistlr {

// Largest seed accepted (NumPy's RandomState takes 32-bit seeds).
constexpr std::uint64_t kMaxSeed = 0xFFFFFFFFu;

// Uniform integer in [0, max] by NumPy's legacy masked rejection (random_interval).
std::uint32_t numpy_interval(std::mt19937& rng, std::uint32_t max);

// Sets v to 0..v.size()-1 and shuffles it as RandomState.permutation(v.size()) does.
void numpy_permutation(std::vector<std::uint32_t>& v, std::mt19937& rng);

class EpochBatcher {
public:
    EpochBatcher(std::size_t n, std::uint32_t seed);

    // Writes the next `batch` sample indices to out[0..batch). Requires 0 < batch <= n.
    // Does not allocate.
    void next(std::size_t batch, std::uint32_t* out);

    std::size_t epochs_started() const noexcept { return epoch_ + 1; }
    std::size_t size() const noexcept { return perm_.size(); }

private:
    std::mt19937 rng_;
    std::vector<std::uint32_t> perm_;
    std::size_t pos_ = 0;
    std::size_t epoch_ = 0;
};

}  // namespace mnistlr
