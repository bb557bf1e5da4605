// decode_npy (the .npy reader behind load_npy and `.npy`-directory models) on arbitrary bytes; every
// array that loads must survive encode -> decode unchanged.
#include "fuzz_common.hpp"
#include "mnistlr/model_files/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto bytes = fuzz::copy(data, size);  // exactly size bytes, so ASan sees any over-read
    mnistlr::NpyArray a;
    if (!fuzz::parses([&] { a = mnistlr::decode_npy(bytes.data(), bytes.size(), fuzz::kName); })) return 0;
    fuzz::require(a.shape.size() == 1 || a.shape.size() == 2, "shape is not 1-D or 2-D");
    std::uint64_t n = 1;
    for (auto d : a.shape) n *= d;
    fuzz::require(a.data.size() == n, "value count != product(shape)");
    const auto again = mnistlr::encode_npy(a.data.data(), a.shape);
    mnistlr::NpyArray b;
    fuzz::require(fuzz::parses([&] { b = mnistlr::decode_npy(again.data(), again.size(), fuzz::kName); }),
                  "re-encoded .npy does not load");
    fuzz::require(b.shape == a.shape, "shape changed in a round trip");
    fuzz::require(b.data.size() == a.data.size() &&
                      (a.data.empty() || std::memcmp(b.data.data(), a.data.data(), a.data.size() * sizeof(float)) == 0),
                  "values changed in a round trip");
    return 0;
}
