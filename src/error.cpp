#include "mnistlr/error.hpp"

namespace mnistlr {

std::size_t utf8_length_at(std::string_view s, std::size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;                   // continuation bytes
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c >= 0xE0 && c <= 0xEF) n = 2;
    else if (c >= 0xF0 && c <= 0xF4) n = 3;
    else return 0;
    if (c == 0xE0) lo = 0xA0;       // overlong below U+0800
    else if (c == 0xED) hi = 0x9F;  // surrogates
    else if (c == 0xF0) lo = 0x90;  // overlong below U+10000
    else if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    if (n >= s.size() - i) return 0;
    for (std::size_t k = 1; k <= n; ++k) {
        const auto d = static_cast<unsigned char>(s[i + k]);
        if (k == 1 ? (d < lo || d > hi) : (d & 0xC0) != 0x80) return 0;
    }
    return n + 1;
}

std::string printable(std::string_view s) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    auto escape = [&](unsigned char b) {
        out += "\\x";
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
    };
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = utf8_length_at(s, i);
        if (n == 0) {  // not UTF-8: this byte alone
            escape(c);
            i += 1;
        } else if (c == '\n') {
            out += "\\n", i += 1;
        } else if (c == '\r') {
            out += "\\r", i += 1;
        } else if (c == '\t') {
            out += "\\t", i += 1;
        } else if (c < 0x20 || c == 0x7F) {
            escape(c), i += 1;
        } else if (c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
            // U+0080..U+009F, the C1 controls (U+009B is CSI to some terminals)
            escape(c), escape(static_cast<unsigned char>(s[i + 1]));
            i += 2;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

}  // namespace mnistlr
