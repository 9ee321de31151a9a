// locus_test/cmocka.h: CMocka for the C++ test suites (host only). Include it after the
// C++ library headers: cmocka defines macros (fail, skip) that clash with them.
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}
#undef skip  // cmocka's skip() macro would hide Decoder::skip()

// The locus::Status (or Result) of expr must be OK; on failure the message names expr and
// the status code.
#define ASSERT_OK(expr)                                                              \
  do {                                                                               \
    const auto& r_ = (expr);                                                         \
    if (r_.code() != ::locus::Status::Ok().code())                                   \
      fail_msg("%s failed: status 0x%04x", #expr, static_cast<unsigned>(r_.code())); \
  } while (0)

// The status of expr must be exactly the error err (an enum value of some module).
#define ASSERT_ERR(expr, err) assert_int_equal((expr).code(), ::locus::Status(err).code())
