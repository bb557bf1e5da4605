#include "cli/json_out.hpp"

#include <cstddef>
#include <cstdint>

#include "mnistlr/error.hpp"

namespace mnistlr::cli {
namespace {

void append_hex_escape(std::string& out, std::uint8_t c) {
    static const char kHex[] = "0123456789ABCDEF";
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
}

nlohmann::json escaped(const nlohmann::json& j) {
    if (j.is_string()) return escape_invalid_utf8(j.get_ref<const std::string&>());
    if (j.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& v : j) out.push_back(escaped(v));
        return out;
    }
    if (j.is_object()) {
        nlohmann::json out = nlohmann::json::object();
        for (auto it = j.begin(); it != j.end(); ++it) out[escape_invalid_utf8(it.key())] = escaped(it.value());
        return out;
    }
    return j;
}

}  // namespace

std::string escape_invalid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<std::uint8_t>(s[i]);
        const std::size_t n = utf8_length_at(s, i);
        if (n == 0) {
            append_hex_escape(out, c);
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string json_line(const nlohmann::json& j) {
    // escaped() leaves no invalid UTF-8 behind; `replace` is a second guard, never needed today.
    return escaped(j).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mnistlr::cli
