#include "locus_test/hex.h"

// cmocka last: it defines macros that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>

#include "locus_test/cmocka.h"

namespace locus_test {

namespace {
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}
}  // namespace

std::vector<uint8_t> hex(const std::string& h) {
  std::vector<uint8_t> out;
  out.reserve(h.size() / 2);
  int hi = -1;
  for (char c : h) {
    if (is_space(c)) continue;
    const int v = nibble(c);
    if (v < 0) fail_msg("bad hex digit '%c' in test vector", c);
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>((hi << 4) | v));
      hi = -1;
    }
  }
  if (hi >= 0) fail_msg("odd number of hex digits in test vector");
  return out;
}

std::string to_hex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[p[i] >> 4]);
    s.push_back(kDigits[p[i] & 15]);
  }
  return s;
}

}  // namespace locus_test
