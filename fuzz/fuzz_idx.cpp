// parse_idx on arbitrary bytes (raw IDX, or gzip when they start with 1F 8B), and the same bytes
// gzip-compressed, so that the gzip path also sees every header the fuzzer invents inside a valid
// stream, not only corrupt streams.
#include <zlib.h>

#include "fuzz_common.hpp"
#include "mnistlr/data/idx.hpp"

namespace {

void check(const mnistlr::Bytes& bytes) {
    mnistlr::IdxArray a;
    if (!fuzz::parses([&] { a = mnistlr::parse_idx(bytes, fuzz::kName); })) return;
    fuzz::require(!a.dims.empty() && a.dims.size() <= 8, "dims out of range");
    std::uint64_t n = 1;
    for (auto d : a.dims) n *= d;
    fuzz::require(a.payload.size() == n, "payload size != product(dims)");
    fuzz::require(a.count() == a.dims[0], "count() != dims[0]");
    // Touch every byte so that ASan checks the whole payload (a mapped slice or an owned buffer).
    unsigned sum = 0;
    for (std::size_t i = 0; i < a.payload.size(); ++i) sum += a.payload.data()[i];
    (void)sum;
}

std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
    std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(size)));
    zs.next_in = const_cast<Bytef*>(data);
    zs.avail_in = static_cast<uInt>(size);
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    check(mnistlr::Bytes(fuzz::copy(data, size)));
    if (size < (1u << 16) && !(size >= 2 && data[0] == 0x1F && data[1] == 0x8B))
        check(mnistlr::Bytes(gzip(data, size)));
    return 0;
}
