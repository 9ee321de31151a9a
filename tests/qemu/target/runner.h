// A tiny CMocka-shaped test runner for the Cortex-M images (CMocka itself needs malloc,
// stdio and setjmp from a hosted libc, and Debian ships no arm-none-eabi build of it).
//
// A test is a function void(TestState&); LOCUS_CHECK records a failure and returns from the
// test. run_tests() prints CMocka-style lines on the board UART and returns the number of
// failed tests, which the reset handler hands to QEMU as its exit status (semihosting).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "locus/status.h"

namespace locus::target {

struct TestState {
  bool failed = false;
};
struct TestCase {
  const char* name;
  void (*fn)(TestState&);
};

void check_failed(TestState& st, const char* file, int line, const char* expr);
void status_failed(TestState& st, const char* file, int line, const char* expr, uint16_t code);
bool bytes_equal(const uint8_t* a, const uint8_t* b, size_t n);
// Hex string (no separators, even length) into out; returns the byte count or 0 on error.
size_t from_hex(const char* hex, uint8_t* out, size_t cap);
int run_tests(const char* suite, const TestCase* cases, size_t n);

}  // namespace locus::target

#define LOCUS_CHECK(st, cond)                                         \
  do {                                                                \
    if (!(cond)) {                                                    \
      ::locus::target::check_failed((st), __FILE__, __LINE__, #cond); \
      return;                                                         \
    }                                                                 \
  } while (0)

// Checks that a locus::Status expression is OK; on failure prints the status code.
#define LOCUS_CHECK_OK(st, expr)                                                        \
  do {                                                                                  \
    const ::locus::Status locus_s_ = (expr);                                            \
    if (!locus_s_.ok()) {                                                               \
      ::locus::target::status_failed((st), __FILE__, __LINE__, #expr, locus_s_.code()); \
      return;                                                                           \
    }                                                                                   \
  } while (0)
