// Unit tests of the CBOR encoder, validate() and Decoder on valid edge cases and on
// malformed input. Every malformed case must give its specific CborError, never OK and
// never a crash (the suite also runs under ASan+UBSan).
#include <stdint.h>
#include <string.h>

#include <vector>

#include "locus/crypto/cbor.h"
#include "locus_test/cmocka.h"
#include "locus_test/hex.h"

using locus::ByteSpan;
using locus::Status;
using locus::cbor::CborError;
using locus::cbor::Decoder;
using locus::cbor::Encoder;
using locus::cbor::Limits;
using locus::cbor::validate;
using locus_test::hex;

namespace {

void expect_invalid(const char* h, CborError err) {
  const std::vector<uint8_t> in = hex(h);
  Status s = validate(in);
  if (s != Status(err)) {
    print_error("%s: got code 0x%x want 0x%x\n", h, s.code(), Status(err).code());
    fail();
  }
}

// Valid encodings used for the truncation sweep: nested containers, tags, every head size,
// strings of every kind.
const char* const kValid[] = {
    "8301820203820405",
    "a26161016162820203",
    "d28443a10126a10442313154546869732069732074686520636f6e74656e742e4401020304",
    "1b000000e8d4a51000",
    "3bffffffffffffffff",
    "c249010000000000000000",
    "a3016161182a8201f5636b6579a1f6f4",
    "64f0908591",
    "58200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
    "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
    "a0",
};

// Every proper prefix of several valid encodings (cut at every byte offset) must be
// rejected by validate() as kTruncated (a head is cut) or kLengthTooLarge (a string or
// container announces more than is left); skip() must fail the same way and not move.
void test_truncated_every_offset(void** /*state*/) {
  for (const char* h : kValid) {
    const std::vector<uint8_t> full = hex(h);
    ASSERT_OK(validate(full));
    for (size_t cut = 0; cut < full.size(); ++cut) {
      ByteSpan prefix(full.data(), cut);
      Status s = validate(prefix);
      const bool ok = s == Status(CborError::kTruncated) || s == Status(CborError::kLengthTooLarge);
      if (!ok) {
        print_error("%s cut at %zu: got 0x%x\n", h, cut, s.code());
        fail();
      }
      Decoder d(prefix);
      Status k = d.skip();
      assert_true(k == Status(CborError::kTruncated) || k == Status(CborError::kLengthTooLarge));
      assert_int_equal(d.position(), 0);
    }
  }
}

// Specific truncation cases: where the input ends decides the error exactly.
void test_truncated_specific(void** /*state*/) {
  expect_invalid("", CborError::kTruncated);               // nothing at all
  expect_invalid("19", CborError::kTruncated);             // head needs 2 more bytes
  expect_invalid("1a0001", CborError::kTruncated);         // head needs 4 bytes, has 2
  expect_invalid("82 1901", CborError::kTruncated);        // second element's head cut
  expect_invalid("a1 1901", CborError::kTruncated);        // key's head cut
  expect_invalid("83 01 02", CborError::kLengthTooLarge);  // 3 elements, 2 bytes left
  expect_invalid("a1 01", CborError::kLengthTooLarge);     // 2 items, 1 byte left
  expect_invalid("c1", CborError::kTruncated);             // tag without content
  expect_invalid("43 0102", CborError::kLengthTooLarge);   // bstr of 3 with 2 bytes left
  expect_invalid("62 61", CborError::kLengthTooLarge);     // tstr of 2 with 1 byte left
}

// Lengths and counts beyond the input are refused before anything is read or allocated.
void test_overlong_lengths(void** /*state*/) {
  expect_invalid("5affffffff00", CborError::kLengthTooLarge);            // bstr 4 GiB
  expect_invalid("5bffffffffffffffff00", CborError::kLengthTooLarge);    // bstr 2^64-1
  expect_invalid("7b000000010000000061", CborError::kLengthTooLarge);    // tstr 2^32
  expect_invalid("9bffffffffffffffff00", CborError::kLengthTooLarge);    // array 2^64-1
  expect_invalid("bbffffffffffffffff0000", CborError::kLengthTooLarge);  // map 2^64-1
  expect_invalid("83 01 1900", CborError::kTruncated);                   // count fits, head cut
  expect_invalid("850102", CborError::kLengthTooLarge);                  // 5 items, 2 bytes
  expect_invalid("a2 01 02 1900", CborError::kTruncated);                // count fits, head cut
  expect_invalid("a3010203", CborError::kLengthTooLarge);                // 6 items, 4 bytes
  // The decoder refuses the same counts, so loops driven by them stay bounded.
  std::vector<uint8_t> a = hex("9bffffffffffffffff00");
  Decoder d{ByteSpan(a)};
  uint64_t n = 0;
  ASSERT_ERR(d.read_array(&n), CborError::kLengthTooLarge);
  std::vector<uint8_t> m = hex("bbffffffffffffffff0000");
  Decoder dm{ByteSpan(m)};
  ASSERT_ERR(dm.read_map(&n), CborError::kLengthTooLarge);
  std::vector<uint8_t> b = hex("5affffffff00");
  Decoder db{ByteSpan(b)};
  ByteSpan v;
  ASSERT_ERR(db.read_bytes(&v), CborError::kLengthTooLarge);
  assert_int_equal(db.position(), 0);
}

// Reading an item as another type gives kWrongType and does not consume anything.
void test_wrong_major_types(void** /*state*/) {
  std::vector<uint8_t> in = hex("6161");  // "a"
  Decoder d{ByteSpan(in)};
  uint64_t u = 0;
  int64_t i = 0;
  ByteSpan b;
  bool bo = false;
  ASSERT_ERR(d.read_uint(&u), CborError::kWrongType);
  ASSERT_ERR(d.read_int(&i), CborError::kWrongType);
  ASSERT_ERR(d.read_negative(&u), CborError::kWrongType);
  ASSERT_ERR(d.read_bytes(&b), CborError::kWrongType);
  ASSERT_ERR(d.read_array(&u), CborError::kWrongType);
  ASSERT_ERR(d.read_map(&u), CborError::kWrongType);
  ASSERT_ERR(d.read_tag(&u), CborError::kWrongType);
  ASSERT_ERR(d.expect_tag(18), CborError::kWrongType);
  ASSERT_ERR(d.read_bool(&bo), CborError::kWrongType);
  ASSERT_ERR(d.read_null(), CborError::kWrongType);
  assert_int_equal(d.position(), 0);
  auto p = d.peek();
  assert_true(p.ok());
  assert_int_equal(static_cast<int>(p.value()), static_cast<int>(locus::cbor::MajorType::kText));
  ASSERT_OK(d.read_text(&b));
  assert_true(d.at_end());
  // At the end of the input every read is kTruncated.
  ASSERT_ERR(d.read_uint(&u), CborError::kTruncated);
  ASSERT_ERR(d.peek().status(), CborError::kTruncated);
  ASSERT_ERR(d.read_null(), CborError::kTruncated);
  // read_text / read_bytes are distinct even though both are strings.
  std::vector<uint8_t> bs = hex("4161");
  Decoder d2{ByteSpan(bs)};
  ASSERT_ERR(d2.read_text(&b), CborError::kWrongType);
}

// Indefinite lengths of every kind, a lone break and reserved additional info.
void test_indefinite_and_reserved(void** /*state*/) {
  expect_invalid("5fff", CborError::kIndefiniteLength);
  expect_invalid("7fff", CborError::kIndefiniteLength);
  expect_invalid("9fff", CborError::kIndefiniteLength);
  expect_invalid("bfff", CborError::kIndefiniteLength);
  expect_invalid("ff", CborError::kIndefiniteLength);        // a break outside anything
  expect_invalid("8201ff", CborError::kIndefiniteLength);    // a break inside a definite array
  expect_invalid("1f", CborError::kReservedAdditionalInfo);  // uint with ai 31
  expect_invalid("3f", CborError::kReservedAdditionalInfo);
  expect_invalid("df00", CborError::kReservedAdditionalInfo);
  for (uint8_t major = 0; major < 8; ++major) {
    for (uint8_t ai = 28; ai <= 30; ++ai) {
      const uint8_t b[2] = {static_cast<uint8_t>((major << 5) | ai), 0};
      ASSERT_ERR(validate(ByteSpan(b, 2)), CborError::kReservedAdditionalInfo);
    }
  }
}

std::vector<uint8_t> repeat(const char* unit, size_t n, const char* tail) {
  std::vector<uint8_t> u = hex(unit), t = hex(tail), out;
  for (size_t i = 0; i < n; ++i) out.insert(out.end(), u.begin(), u.end());
  out.insert(out.end(), t.begin(), t.end());
  return out;
}

// Nesting bombs (10000 nested arrays, maps, tags) are refused with kTooDeep by validate()
// and by skip(), in bounded time and stack.
void test_nesting_bombs(void** /*state*/) {
  std::vector<uint8_t> arrays = repeat("81", 10000, "00");
  ASSERT_ERR(validate(arrays), CborError::kTooDeep);
  std::vector<uint8_t> maps = repeat("a100", 10000, "00");
  ASSERT_ERR(validate(maps), CborError::kTooDeep);
  std::vector<uint8_t> tags = repeat("c1", 10000, "00");
  ASSERT_ERR(validate(tags), CborError::kTooDeep);
  Decoder d{ByteSpan(arrays)};
  ASSERT_ERR(d.skip(), CborError::kTooDeep);
  Decoder dt{ByteSpan(tags)};
  ASSERT_ERR(dt.skip(), CborError::kTooDeep);
  // A bomb that is also truncated: the depth limit is hit before the end is noticed.
  std::vector<uint8_t> cut = repeat("81", 10000, "");
  ASSERT_ERR(validate(cut), CborError::kTooDeep);
}

// Depth limit is exact: max_depth nested containers pass, one more fails; a limit above
// the cap is clamped to kMaxDepthCap.
void test_depth_limit_exact(void** /*state*/) {
  std::vector<uint8_t> sixteen = repeat("81", 16, "00");
  std::vector<uint8_t> seventeen = repeat("81", 17, "00");
  ASSERT_OK(validate(sixteen));
  ASSERT_ERR(validate(seventeen), CborError::kTooDeep);
  Decoder d16{ByteSpan(sixteen)};
  ASSERT_OK(d16.skip());
  Decoder d17{ByteSpan(seventeen)};
  ASSERT_ERR(d17.skip(), CborError::kTooDeep);
  Limits l;
  l.max_depth = 255;
  std::vector<uint8_t> cap = repeat("81", locus::cbor::kMaxDepthCap, "00");
  std::vector<uint8_t> over = repeat("81", locus::cbor::kMaxDepthCap + 1, "00");
  ASSERT_OK(validate(cap, l));
  ASSERT_ERR(validate(over, l), CborError::kTooDeep);
  l.max_depth = 1;
  ASSERT_OK(validate(hex("83010203"), l));
  ASSERT_ERR(validate(hex("8181 00"), l), CborError::kTooDeep);
  l.max_depth = 0;
  ASSERT_OK(validate(hex("00"), l));  // a scalar needs no frame
  ASSERT_ERR(validate(hex("8100"), l), CborError::kTooDeep);
}

// Item-count limit: an array of 5000 zeros exceeds the default 4096 items; an exact limit
// passes and one less fails.
void test_item_limit(void** /*state*/) {
  std::vector<uint8_t> big = hex("991388");
  big.resize(big.size() + 5000, 0);
  ASSERT_ERR(validate(big), CborError::kTooManyItems);
  Limits l;
  l.max_items = 5001;  // the array head plus 5000 elements
  ASSERT_OK(validate(big, l));
  l.max_items = 5000;
  ASSERT_ERR(validate(big, l), CborError::kTooManyItems);
  l.max_items = 0;
  ASSERT_ERR(validate(hex("00"), l), CborError::kTooManyItems);
}

// Non-shortest heads of every size and major type are kNonCanonical.
void test_non_canonical_heads(void** /*state*/) {
  expect_invalid("1805", CborError::kNonCanonical);
  expect_invalid("1817", CborError::kNonCanonical);
  expect_invalid("190017", CborError::kNonCanonical);
  expect_invalid("1900ff", CborError::kNonCanonical);
  expect_invalid("1a0000ffff", CborError::kNonCanonical);
  expect_invalid("1b00000000ffffffff", CborError::kNonCanonical);
  expect_invalid("3800", CborError::kNonCanonical);
  expect_invalid("580141", CborError::kNonCanonical);
  expect_invalid("780161", CborError::kNonCanonical);
  expect_invalid("9800", CborError::kNonCanonical);
  expect_invalid("b800", CborError::kNonCanonical);
  expect_invalid("d80000", CborError::kNonCanonical);
  expect_invalid("82 1805 00", CborError::kNonCanonical);  // nested
  // Smallest values of each head size are canonical.
  for (const char* ok : {"1818", "190100", "1a00010000", "1b0000000100000000", "d81800"}) {
    ASSERT_OK(validate(hex(ok)));
  }
  std::vector<uint8_t> in = hex("1805");
  Decoder d{ByteSpan(in)};
  uint64_t v = 0;
  ASSERT_ERR(d.read_uint(&v), CborError::kNonCanonical);
}

// Map keys must be strictly increasing in bytewise order of their encodings.
void test_map_key_order(void** /*state*/) {
  expect_invalid("a2 02 00 01 00", CborError::kUnsortedMapKeys);
  expect_invalid("a2 01 00 01 00", CborError::kDuplicateMapKey);
  expect_invalid("a2 6161 00 6161 01", CborError::kDuplicateMapKey);
  expect_invalid("a2 8101 00 8101 00", CborError::kDuplicateMapKey);    // container keys
  expect_invalid("a2 c101 00 c101 00", CborError::kDuplicateMapKey);    // tagged keys
  expect_invalid("a2 20 00 1818 00", CborError::kUnsortedMapKeys);      // -1 before 24
  expect_invalid("a2 626161 00 6162 00", CborError::kUnsortedMapKeys);  // "aa" before "b"
  expect_invalid("a3 01 00 03 00 02 00", CborError::kUnsortedMapKeys);  // only the last is off
  expect_invalid("82 a0 a2 01 a1 02 00 01 00", CborError::kDuplicateMapKey);  // nested map
  // Bytewise order (RFC 8949 §4.2.1), not length-first: 24 (1818) < -1 (20), "b" < "aa".
  ASSERT_OK(validate(hex("a2 1818 00 20 00")));
  ASSERT_OK(validate(hex("a2 6162 00 626161 00")));
  ASSERT_OK(validate(hex("a3 00 00 40 00 4100 00")));      // 0 < h'' < h'00'
  ASSERT_OK(validate(hex("a2 01 a2 01 00 02 00 02 00")));  // nested maps each sorted
}

// Text strings must be valid UTF-8 (no stray continuation, overlong, surrogate, > U+10FFFF,
// cut sequence); byte strings carry anything.
void test_bad_utf8(void** /*state*/) {
  expect_invalid("6180", CborError::kBadUtf8);
  expect_invalid("61ff", CborError::kBadUtf8);
  expect_invalid("62c080", CborError::kBadUtf8);
  expect_invalid("62c1bf", CborError::kBadUtf8);
  expect_invalid("63e08080", CborError::kBadUtf8);
  expect_invalid("63eda080", CborError::kBadUtf8);
  expect_invalid("64f08f8080", CborError::kBadUtf8);
  expect_invalid("64f4908080", CborError::kBadUtf8);
  expect_invalid("62e6b0", CborError::kBadUtf8);
  expect_invalid("6261c3", CborError::kBadUtf8);
  expect_invalid("62c341", CborError::kBadUtf8);
  expect_invalid("a1 61ff 00", CborError::kBadUtf8);
  ASSERT_OK(validate(hex("64f48fbfbf")));  // U+10FFFF
  ASSERT_OK(validate(hex("63ed9fbf")));    // U+D7FF
  ASSERT_OK(validate(hex("41ff")));
  std::vector<uint8_t> in = hex("63eda080");
  Decoder d{ByteSpan(in)};
  ByteSpan t;
  ASSERT_ERR(d.read_text(&t), CborError::kBadUtf8);
  ASSERT_ERR(d.skip(), CborError::kBadUtf8);
  assert_int_equal(d.position(), 0);
}

// expect_tag: another tag number is kWrongTag, a non-tag is kWrongType; neither consumes.
void test_wrong_tags(void** /*state*/) {
  std::vector<uint8_t> in = hex("d1 80");  // 17([])
  Decoder d{ByteSpan(in)};
  ASSERT_ERR(d.expect_tag(18), CborError::kWrongTag);
  assert_int_equal(d.position(), 0);
  ASSERT_OK(d.expect_tag(17));
  ASSERT_ERR(d.expect_tag(18), CborError::kWrongType);
}

// Bytes after the single top-level item are kTrailingBytes; a sequence is not one item.
void test_trailing_bytes(void** /*state*/) {
  expect_invalid("0000", CborError::kTrailingBytes);
  expect_invalid("8100 00", CborError::kTrailingBytes);
  expect_invalid("a0 ff", CborError::kTrailingBytes);
}

// Unsupported simple values inside containers are found too.
void test_simple_values(void** /*state*/) {
  expect_invalid("82 f4 f7", CborError::kUnsupportedType);
  expect_invalid("f800", CborError::kUnsupportedType);
  expect_invalid("f820", CborError::kUnsupportedType);
  expect_invalid("e0", CborError::kUnsupportedType);
  expect_invalid("f3", CborError::kUnsupportedType);
  ASSERT_OK(validate(hex("83f4f5f6")));
}

// Encoder heads at every boundary, int64 extremes and the raw negative API.
void test_encoder_boundaries(void** /*state*/) {
  struct {
    uint64_t v;
    const char* h;
  } const cases[] = {{23, "17"},
                     {24, "1818"},
                     {255, "18ff"},
                     {256, "190100"},
                     {65535, "19ffff"},
                     {65536, "1a00010000"},
                     {0xFFFFFFFFULL, "1affffffff"},
                     {0x100000000ULL, "1b0000000100000000"}};
  for (const auto& c : cases) {
    uint8_t buf[9];
    Encoder e(buf, sizeof buf);
    e.uint(c.v);
    std::vector<uint8_t> want = hex(c.h);
    auto r = e.finish();
    assert_true(r.ok());
    assert_int_equal(r.value(), want.size());
    assert_memory_equal(buf, want.data(), want.size());
    Decoder d(ByteSpan(buf, r.value()));
    uint64_t got = 0;
    ASSERT_OK(d.read_uint(&got));
    assert_true(got == c.v);
  }
  uint8_t buf[32];
  Encoder e(buf, sizeof buf);
  e.int64(INT64_MIN).int64(INT64_MAX).negative(0);
  auto r = e.finish();
  assert_true(r.ok());
  std::vector<uint8_t> want = hex("3b7fffffffffffffff 1b7fffffffffffffff 20");
  assert_int_equal(r.value(), want.size());
  assert_memory_equal(buf, want.data(), want.size());
  Decoder d(ByteSpan(buf, r.value()));
  int64_t v = 0;
  ASSERT_OK(d.read_int(&v));
  assert_true(v == INT64_MIN);
  ASSERT_OK(d.read_int(&v));
  assert_true(v == INT64_MAX);
  ASSERT_OK(d.read_int(&v));
  assert_true(v == -1);
  // One below INT64_MIN does not fit.
  std::vector<uint8_t> below = hex("3b8000000000000000");
  Decoder db{ByteSpan(below)};
  ASSERT_ERR(db.read_int(&v), CborError::kIntegerOverflow);
}

// The first encoder error is sticky: later writes do nothing and finish() reports it.
void test_encoder_sticky_error(void** /*state*/) {
  uint8_t buf[4] = {0xAA, 0xAA, 0xAA, 0xAA};
  Encoder e(buf, 3);
  e.uint(1).uint(1000);  // 1 + 3 bytes > 3
  ASSERT_ERR(e.status(), CborError::kBufferFull);
  assert_int_equal(e.size(), 1);
  e.uint(0);  // would fit, but the error is sticky
  assert_int_equal(e.size(), 1);
  ASSERT_ERR(e.finish().status(), CborError::kBufferFull);
  assert_int_equal(buf[3], 0xAA);  // never written past cap
  // reserve_bytes: head plus content must fit.
  uint8_t b2[8];
  Encoder r(b2, sizeof b2);
  uint8_t* p = r.reserve_bytes(7);
  assert_non_null(p);
  assert_ptr_equal(p, b2 + 1);
  memset(p, 0x11, 7);
  assert_true(r.finish().ok());
  assert_int_equal(r.finish().value(), 8);
  Encoder r2(b2, sizeof b2);
  assert_null(r2.reserve_bytes(8));
  ASSERT_ERR(r2.status(), CborError::kBufferFull);
  // bytes/text with content that does not fit after the head.
  Encoder r3(b2, 4);
  r3.text("hello");
  ASSERT_ERR(r3.finish().status(), CborError::kBufferFull);
  // Zero-capacity encoder: everything fails cleanly.
  Encoder r4(nullptr, 0);
  r4.null();
  ASSERT_ERR(r4.finish().status(), CborError::kBufferFull);
  // raw() appends pre-encoded items.
  uint8_t b3[8];
  Encoder r5(b3, sizeof b3);
  std::vector<uint8_t> item = hex("820102");
  r5.array(2).raw(item).null();
  assert_true(r5.finish().ok());
  ASSERT_OK(validate(ByteSpan(b3, r5.size())));
  // A measuring encoder writes nothing and counts exactly what the same calls write.
  uint8_t b4[64];
  const uint8_t payload[30] = {};
  Encoder m = Encoder::measuring();
  Encoder w(b4, sizeof b4);
  for (Encoder* x : {&m, &w})
    x->map(2).text("k").bytes(ByteSpan(payload, sizeof payload)).uint(1000).int64(-70000);
  ASSERT_OK(m.status());
  ASSERT_OK(w.status());
  assert_int_equal(m.size(), w.size());
  assert_int_equal(m.size(), 1 + 2 + 2 + 30 + 3 + 5);
  assert_null(m.reserve_bytes(4));  // it has no memory to hand out
  ASSERT_ERR(m.status(), CborError::kBufferFull);
}

// skip() returns the exact bytes of the item and stops there; a decoder can walk a map
// skipping values it does not know.
void test_skip_and_walk(void** /*state*/) {
  std::vector<uint8_t> in = hex("a3 01 8201a1026178 02 c240 63 6b6579 f6");
  ASSERT_OK(validate(in));
  Decoder d{ByteSpan(in)};
  uint64_t n = 0;
  ASSERT_OK(d.read_map(&n));
  assert_int_equal(n, 3);
  uint64_t k = 0;
  ByteSpan item;
  ASSERT_OK(d.read_uint(&k));
  ASSERT_OK(d.skip(&item));
  std::vector<uint8_t> want = hex("8201a1026178");
  assert_int_equal(item.size, want.size());
  assert_memory_equal(item.data, want.data(), want.size());
  ASSERT_OK(d.read_uint(&k));
  ASSERT_OK(d.skip(&item));
  assert_int_equal(item.size, 2);
  ASSERT_OK(d.skip(&item));  // the text key
  ASSERT_OK(d.read_null());
  assert_true(d.at_end());
  assert_int_equal(d.rest().size, 0);
}

// read_bytes_exact: the right length reads, another length is kWrongLength and consumes
// nothing, a non-bstr is kWrongType.
void test_read_bytes_exact(void** /*state*/) {
  std::vector<uint8_t> in = hex("43010203 6161");
  Decoder d{ByteSpan(in)};
  ByteSpan v;
  ASSERT_ERR(d.read_bytes_exact(&v, 4), CborError::kWrongLength);
  ASSERT_ERR(d.read_bytes_exact(&v, 2), CborError::kWrongLength);
  assert_int_equal(d.position(), 0);
  ASSERT_OK(d.read_bytes_exact(&v, 3));
  assert_int_equal(v.size, 3);
  assert_int_equal(v.data[2], 3);
  ASSERT_ERR(d.read_bytes_exact(&v, 1), CborError::kWrongType);
  assert_int_equal(d.position(), 4);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_truncated_every_offset),
      cmocka_unit_test(test_truncated_specific),
      cmocka_unit_test(test_overlong_lengths),
      cmocka_unit_test(test_wrong_major_types),
      cmocka_unit_test(test_indefinite_and_reserved),
      cmocka_unit_test(test_nesting_bombs),
      cmocka_unit_test(test_depth_limit_exact),
      cmocka_unit_test(test_item_limit),
      cmocka_unit_test(test_non_canonical_heads),
      cmocka_unit_test(test_map_key_order),
      cmocka_unit_test(test_bad_utf8),
      cmocka_unit_test(test_wrong_tags),
      cmocka_unit_test(test_trailing_bytes),
      cmocka_unit_test(test_simple_values),
      cmocka_unit_test(test_encoder_boundaries),
      cmocka_unit_test(test_encoder_sticky_error),
      cmocka_unit_test(test_skip_and_walk),
      cmocka_unit_test(test_read_bytes_exact),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
