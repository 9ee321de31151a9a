// Helpers shared by the crypto tests (host only; tests may use the heap).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

// CMocka needs these before its header.
#include <setjmp.h>
#include <stdarg.h>
extern "C" {
#include <cmocka.h>
}

#include "locus/span.h"
#include "locus/status.h"

inline std::vector<uint8_t> hex(const char* s) {
  std::vector<uint8_t> out;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  size_t n = strlen(s);
  for (size_t i = 0; i + 1 < n; i += 2) {
    int hi = nib(s[i]), lo = nib(s[i + 1]);
    if (hi < 0 || lo < 0) fail_msg("bad hex in test vector");
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

inline std::vector<uint8_t> bytes(const char* s) { return std::vector<uint8_t>(s, s + strlen(s)); }

inline std::vector<uint8_t> repeat(uint8_t b, size_t n) { return std::vector<uint8_t>(n, b); }

template <typename A, typename B>
inline void assert_bytes_equal(const A& a, const B& b) {
  assert_int_equal(a.size(), b.size());
  assert_memory_equal(a.data(), b.data(), a.size());
}

#define ASSERT_OK(expr)                                                     \
  do {                                                                      \
    ::locus::Status s_ = (expr);                                            \
    if (!s_.ok()) fail_msg("%s failed: status 0x%04x", #expr, s_.code());   \
  } while (0)

#define ASSERT_STATUS(expr, err) assert_int_equal((expr).code(), ::locus::Status(err).code())
