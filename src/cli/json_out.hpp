// The one way the subcommands print --json: a single line of valid JSON, whatever bytes the paths
// and names in it hold.
//
// JSON text is UTF-8, but a path on Linux is any bytes. Rather than throw (nlohmann's default) or
// silently substitute U+FFFD, every byte that is not part of valid UTF-8 is written as the four
// characters \xNN (in JSON: "\\xNN"); valid UTF-8, e.g. "ü", is kept as it is. So
// a path of the bytes 61 FF 62 appears as "a\\xFFb".
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mnistlr::cli {

// `s` with each byte that is not part of a strict UTF-8 sequence (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF; mnistlr::utf8_length_at) replaced by "\xNN" (two upper-case
// hex digits). Control characters are left to JSON's own escapes; text for a terminal goes through
// mnistlr::printable instead.
std::string escape_invalid_utf8(std::string_view s);

// `j` as one line of JSON (no trailing newline), every string in it (keys too) passed through
// escape_invalid_utf8. Never throws on the bytes of a string.
std::string json_line(const nlohmann::json& j);

}  // namespace mnistlr::cli
