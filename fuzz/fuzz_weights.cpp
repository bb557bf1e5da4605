// decode_weights on arbitrary bytes; then the same bytes with their CRC-32 made right, so that the
// fuzzer gets past the checksum to the sizes, the values and the JSON metadata; and, for every file
// that loads, encode -> decode must load again (a round trip).
#include <algorithm>

#include <zlib.h>

#include "fuzz_common.hpp"
#include "mnistlr/model_files/weights_io.hpp"

namespace {

void check(const std::vector<std::uint8_t>& bytes) {
    mnistlr::WeightsFile wf;
    if (!fuzz::parses([&] { wf = mnistlr::decode_weights(bytes.data(), bytes.size(), fuzz::kName); })) return;
    const auto& m = wf.model;
    fuzz::require(m.rows >= 1 && m.cols >= 1 && m.classes() >= 2, "model sizes out of range");
    fuzz::require(static_cast<std::size_t>(m.W.rows()) == m.pixels(), "W rows != pixels");
    fuzz::require(m.b.size() == m.W.cols(), "b size != classes");
    fuzz::require(m.W.allFinite() && m.b.allFinite(), "non-finite weights accepted");
    fuzz::require(wf.info.class_names.empty() || wf.info.class_names.size() == m.classes(),
                  "class-name count != classes");
    const auto again = mnistlr::encode_weights(m, wf.info);
    mnistlr::WeightsFile wf2;
    fuzz::require(fuzz::parses([&] { wf2 = mnistlr::decode_weights(again.data(), again.size(), fuzz::kName); }),
                  "re-encoded weights do not load");
    fuzz::require(wf2.model.W == m.W && wf2.model.b == m.b && wf2.info.class_names == wf.info.class_names,
                  "weights changed in a round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto bytes = fuzz::copy(data, size);
    check(bytes);
    if (size >= 32) {
        const auto crc = static_cast<std::uint32_t>(crc32(0L, bytes.data(), static_cast<uInt>(size - 4)));
        for (int i = 0; i < 4; ++i) bytes[size - 4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
        if (!std::equal(bytes.begin(), bytes.end(), data)) check(bytes);
    }
    return 0;
}
