// Test helper: builds map bodies field by field so that each test can omit one field, give
// one field a wrong value, or add an unknown key, and checks the decoder's specific error.
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// locus headers before cmocka.h: cmocka defines function-like macros (skip, fail).
#include "locus/crypto/cbor.h"
#include "locus/protocol/errors.h"
#include "locus_test/cmocka.h"
#include "locus_test/mutate.h"

namespace schema_test {

using Writer = void (*)(locus::cbor::Encoder&);
using Decode = locus::Status (*)(locus::ByteSpan);

struct Bad {
  Writer write = nullptr;
  locus::Status want;
};

struct Field {
  int64_t key{};
  Writer good{};
  Bad bad[3];  // a wrong CBOR type first, then wrong sizes / ranges
};

constexpr size_t kBufSize = 4096;

inline void write_key(locus::cbor::Encoder& e, int64_t key) {
  if (key >= 0) {
    e.uint(static_cast<uint64_t>(key));
  } else {
    e.int64(key);
  }
}

// Encodes the map; omit / bad_field are field indices or -1; bad_variant picks Bad[].
// extra_key != 0 appends that key (caller picks one that sorts last) with value 0.
inline size_t build(const Field* f, size_t n, int omit, int bad_field, int bad_variant,
                    int64_t extra_key, uint8_t* buf) {
  locus::cbor::Encoder e(buf, kBufSize);
  e.map(n - (omit >= 0 ? 1 : 0) + (extra_key != 0 ? 1 : 0));
  for (size_t i = 0; i < n; ++i) {
    if (static_cast<int>(i) == omit) continue;
    write_key(e, f[i].key);
    if (static_cast<int>(i) == bad_field) {
      f[i].bad[bad_variant].write(e);
    } else {
      f[i].good(e);
    }
  }
  if (extra_key != 0) {
    write_key(e, extra_key);
    e.uint(0);
  }
  locus::Result<size_t> r = e.finish();
  assert_true(r.ok());
  return *r;
}

// Runs every variant: all good -> OK; each field omitted -> kMissingField; each bad value ->
// its error; an unknown key -> kUnknownField; the body as an array -> kBodyWrongType (or
// kFieldWrongType for payloads that are not message bodies: pass it as not_a_map_error).
inline void check_schema(const Field* f, size_t n, Decode decode, int64_t extra_key,
                         locus::Status not_a_map_error) {
  using locus::protocol::ProtocolError;
  static uint8_t buf[kBufSize];
  size_t len = build(f, n, -1, -1, 0, 0, buf);
  assert_int_equal(decode(locus::ByteSpan(buf, len)).code(), 0);
  for (size_t i = 0; i < n; ++i) {
    len = build(f, n, static_cast<int>(i), -1, 0, 0, buf);
    uint16_t got = decode(locus::ByteSpan(buf, len)).code();
    if (got != locus::Status(ProtocolError::kMissingField).code()) {
      print_message("omitting key %lld gave 0x%04x\n", static_cast<long long>(f[i].key), got);
    }
    assert_int_equal(got, locus::Status(ProtocolError::kMissingField).code());
    for (int v = 0; v < 3; ++v) {
      if (f[i].bad[v].write == nullptr) continue;
      len = build(f, n, -1, static_cast<int>(i), v, 0, buf);
      got = decode(locus::ByteSpan(buf, len)).code();
      if (got != f[i].bad[v].want.code()) {
        print_message("key %lld bad variant %d gave 0x%04x\n", static_cast<long long>(f[i].key), v,
                      got);
      }
      assert_int_equal(got, f[i].bad[v].want.code());
    }
  }
  len = build(f, n, -1, -1, 0, extra_key, buf);
  assert_int_equal(decode(locus::ByteSpan(buf, len)).code(),
                   locus::Status(ProtocolError::kUnknownField).code());
  // A non-integer key is an unknown field too.
  {
    locus::cbor::Encoder e(buf, kBufSize);
    e.map(1).text("a").uint(1);
    assert_int_equal(decode(locus::ByteSpan(buf, *e.finish())).code(),
                     locus::Status(ProtocolError::kUnknownField).code());
  }
  {
    locus::cbor::Encoder e(buf, kBufSize);
    e.array(0);
    assert_int_equal(decode(locus::ByteSpan(buf, *e.finish())).code(), not_a_map_error.code());
  }
}

// The one seeded generator of the test suites (locus_test/mutate.h: xorshift64).
using Rng = locus_test::Rng;

}  // namespace schema_test
