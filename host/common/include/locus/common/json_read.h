// locus/common/json_read.h: JSON text (RFC 8259) into nlohmann::json, for request bodies.
//
// The same document nlohmann::json::parse(text) builds, from the same accepted inputs, only
// faster: a string is scanned for its closing quote and copied at once (nlohmann's lexer
// appends it byte by byte; an attestation body is ~8.5 KB of base64 strings, and lexing it was
// the verifier's largest JSON cost). Same rules: a leading UTF-8 BOM skipped, whitespace
// space/tab/LF/CR, UTF-8 validated by the Unicode well-formed-sequence table, escapes
// including surrogate pairs (a lone surrogate is refused), control characters refused inside
// strings, integers as unsigned / signed 64-bit (larger ones as double), other numbers as
// double (a non-finite one refused), duplicate keys: the last one wins, nothing after the
// value but whitespace. Two deliberate differences: nesting deeper than kJsonMaxDepth is
// refused (nlohmann has no limit), and so is a NUL byte anywhere (nlohmann takes one outside
// a string for the end of the input, so `{"a":1}` NUL `garbage` passed as `{"a":1}`). The
// differential fuzz target json_read checks the rest.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace locus::host {

inline constexpr int kJsonMaxDepth = 64;

// True with *out set, or false with *why (when non-null) naming the first problem and its
// byte offset; *out is then left a discarded value.
bool read_json(std::string_view text, nlohmann::json* out, std::string* why = nullptr);

// The parsed value, or a discarded value (is_discarded()) when text is not JSON: the form of
// nlohmann::json::parse(text, nullptr, false), which every host reader of JSON text uses
// instead (one JSON codec on the host side).
nlohmann::json parse_json(std::string_view text);

}  // namespace locus::host
