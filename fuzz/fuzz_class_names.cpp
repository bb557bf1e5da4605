// parse_class_names (read_class_names without the file) on arbitrary bytes. Accepted names end up in
// the weights file's JSON metadata, so each must be something nlohmann::json can write (strict UTF-8).
#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"
#include "mnistlr/data/catalog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const mnistlr::Bytes bytes(fuzz::copy(data, size));
    std::vector<std::string> names;
    if (!fuzz::parses([&] { names = mnistlr::parse_class_names(bytes, fuzz::kName); })) return 0;
    fuzz::require(names.size() >= 2 && names.size() <= 65535, "class count out of range");
    for (const auto& n : names) {
        fuzz::require(!n.empty() && n.size() <= 64, "name empty or longer than 64 bytes");
        for (char c : n) fuzz::require(static_cast<unsigned char>(c) >= 0x20 || c == '\t', "control character in a name");
    }
    try {
        (void)nlohmann::json(names).dump();
    } catch (const nlohmann::json::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        fuzz::require(false, "accepted class names cannot be stored in a weights file (JSON)");
    }
    return 0;
}
