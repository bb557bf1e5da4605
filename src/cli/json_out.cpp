#include "cli/json_out.hpp"

#include <cstddef>
#include <cstdint>

namespace mnistlr::cli {
namespace {

// Length (1 to 4) of the strict UTF-8 sequence starting at s[i], or 0 when none starts there.
std::size_t utf8_sequence_at(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
    const std::uint8_t c = b(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    std::uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;  // no overlong forms
        if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;  // no overlong forms
        if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
    return n;
}

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

std::string escape_invalid_utf8(std::string_view s, bool escape_controls) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<std::uint8_t>(s[i]);
        const std::size_t n = utf8_sequence_at(s, i);
        if (n == 0 || (escape_controls && (c < 0x20 || c == 0x7F))) {
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
