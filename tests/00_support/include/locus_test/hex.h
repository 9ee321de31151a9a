// locus_test/hex.h: hex test vectors to bytes and back (host tests only).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

namespace locus_test {

// Parses a hex vector. Whitespace is skipped (long vectors may be wrapped); any other
// character, or an odd number of digits, fails the running CMocka test.
std::vector<uint8_t> hex(const std::string& h);

// Lower-case hex of n bytes at p.
std::string to_hex(const uint8_t* p, size_t n);
inline std::string to_hex(const std::vector<uint8_t>& b) {
  return to_hex(b.data(), b.size());
}

}  // namespace locus_test
