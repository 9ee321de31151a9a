// Helpers shared by the crypto tests (host only; tests may use the heap).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "locus/span.h"
#include "locus/status.h"
#include "locus_test/cmocka.h"
#include "locus_test/hex.h"

using locus_test::hex;

inline std::vector<uint8_t> bytes(const char* s) {
  return std::vector<uint8_t>(s, s + strlen(s));
}

inline std::vector<uint8_t> repeat(uint8_t b, size_t n) {
  return std::vector<uint8_t>(n, b);
}

template <typename A, typename B>
inline void assert_bytes_equal(const A& a, const B& b) {
  assert_int_equal(a.size(), b.size());
  assert_memory_equal(a.data(), b.data(), a.size());
}
