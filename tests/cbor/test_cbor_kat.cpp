// Known-answer tests: every example of RFC 8949 Appendix A.
//   - Examples within the supported types (integers, strings, arrays, maps, tags, false/true/
//     null) must encode to exactly the published bytes, pass validate(), and decode back to
//     the published value with the pull decoder.
//   - Examples outside them (floats, undefined, simple(16), simple(255), indefinite lengths)
//     must be rejected by validate() with the specific error.
// Limit: integers outside int64 are reached through the raw API (Encoder::uint /
// Encoder::negative, Decoder::read_uint / read_negative); read_int reports kIntegerOverflow.
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "locus/crypto/cbor.h"
#include "locus_test/cmocka.h"
#include "locus_test/hex.h"

using locus::ByteSpan;
using locus::Status;
using locus::cbor::CborError;
using locus::cbor::Decoder;
using locus::cbor::Encoder;
using locus_test::hex;

namespace {

ByteSpan text_span(const char* s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s), strlen(s));
}

void expect_text(Decoder& d, const char* want) {
  ByteSpan t;
  ASSERT_OK(d.read_text(&t));
  assert_int_equal(t.size, strlen(want));
  if (t.size != 0) assert_memory_equal(t.data, want, t.size);
}

void expect_bytes(Decoder& d, const std::vector<uint8_t>& want) {
  ByteSpan b;
  ASSERT_OK(d.read_bytes(&b));
  assert_int_equal(b.size, want.size());
  if (b.size != 0) assert_memory_equal(b.data, want.data(), b.size);
}

void expect_uint(Decoder& d, uint64_t want) {
  uint64_t v = 0;
  ASSERT_OK(d.read_uint(&v));
  assert_true(v == want);
}

void expect_int(Decoder& d, int64_t want) {
  int64_t v = 0;
  ASSERT_OK(d.read_int(&v));
  assert_true(v == want);
}

struct Kat {
  const char* diag;
  const char* hex;
  void (*enc)(Encoder&);
  void (*dec)(Decoder&);
};

const Kat kKats[] = {
    {"0", "00", [](Encoder& e) { e.uint(0); }, [](Decoder& d) { expect_uint(d, 0); }},
    {"1", "01", [](Encoder& e) { e.uint(1); }, [](Decoder& d) { expect_uint(d, 1); }},
    {"10", "0a", [](Encoder& e) { e.uint(10); }, [](Decoder& d) { expect_uint(d, 10); }},
    {"23", "17", [](Encoder& e) { e.uint(23); }, [](Decoder& d) { expect_uint(d, 23); }},
    {"24", "1818", [](Encoder& e) { e.uint(24); }, [](Decoder& d) { expect_uint(d, 24); }},
    {"25", "1819", [](Encoder& e) { e.int64(25); }, [](Decoder& d) { expect_int(d, 25); }},
    {"100", "1864", [](Encoder& e) { e.uint(100); }, [](Decoder& d) { expect_uint(d, 100); }},
    {"1000", "1903e8", [](Encoder& e) { e.uint(1000); }, [](Decoder& d) { expect_uint(d, 1000); }},
    {"1000000", "1a000f4240", [](Encoder& e) { e.uint(1000000); },
     [](Decoder& d) { expect_uint(d, 1000000); }},
    {"1000000000000", "1b000000e8d4a51000", [](Encoder& e) { e.int64(1000000000000LL); },
     [](Decoder& d) { expect_int(d, 1000000000000LL); }},
    {"18446744073709551615", "1bffffffffffffffff", [](Encoder& e) { e.uint(UINT64_MAX); },
     [](Decoder& d) {
       // Beyond int64: read_int must refuse without consuming, read_uint gives the value.
       int64_t i = 0;
       ASSERT_ERR(d.read_int(&i), CborError::kIntegerOverflow);
       expect_uint(d, UINT64_MAX);
     }},
    {"18446744073709551616 (bignum tag 2)", "c249010000000000000000",
     [](Encoder& e) { e.tag(2).bytes(hex("010000000000000000")); },
     [](Decoder& d) {
       ASSERT_OK(d.expect_tag(2));
       expect_bytes(d, hex("010000000000000000"));
     }},
    {"-18446744073709551616", "3bffffffffffffffff", [](Encoder& e) { e.negative(UINT64_MAX); },
     [](Decoder& d) {
       int64_t i = 0;
       ASSERT_ERR(d.read_int(&i), CborError::kIntegerOverflow);
       uint64_t n = 0;
       ASSERT_OK(d.read_negative(&n));
       assert_true(n == UINT64_MAX);
     }},
    {"-18446744073709551617 (bignum tag 3)", "c349010000000000000000",
     [](Encoder& e) { e.tag(3).bytes(hex("010000000000000000")); },
     [](Decoder& d) {
       ASSERT_OK(d.expect_tag(3));
       expect_bytes(d, hex("010000000000000000"));
     }},
    {"-1", "20", [](Encoder& e) { e.int64(-1); }, [](Decoder& d) { expect_int(d, -1); }},
    {"-10", "29", [](Encoder& e) { e.int64(-10); }, [](Decoder& d) { expect_int(d, -10); }},
    {"-100", "3863", [](Encoder& e) { e.int64(-100); }, [](Decoder& d) { expect_int(d, -100); }},
    {"-1000", "3903e7", [](Encoder& e) { e.int64(-1000); },
     [](Decoder& d) { expect_int(d, -1000); }},
    {"false", "f4", [](Encoder& e) { e.boolean(false); },
     [](Decoder& d) {
       bool b = true;
       ASSERT_OK(d.read_bool(&b));
       assert_false(b);
     }},
    {"true", "f5", [](Encoder& e) { e.boolean(true); },
     [](Decoder& d) {
       bool b = false;
       ASSERT_OK(d.read_bool(&b));
       assert_true(b);
     }},
    {"null", "f6", [](Encoder& e) { e.null(); }, [](Decoder& d) { ASSERT_OK(d.read_null()); }},
    {"0(\"2013-03-21T20:04:00Z\")", "c074323031332d30332d32315432303a30343a30305a",
     [](Encoder& e) { e.tag(0).text("2013-03-21T20:04:00Z"); },
     [](Decoder& d) {
       uint64_t t = 99;
       ASSERT_OK(d.read_tag(&t));
       assert_int_equal(t, 0);
       expect_text(d, "2013-03-21T20:04:00Z");
     }},
    {"1(1363896240)", "c11a514b67b0", [](Encoder& e) { e.tag(1).uint(1363896240); },
     [](Decoder& d) {
       ASSERT_OK(d.expect_tag(1));
       expect_uint(d, 1363896240);
     }},
    {"23(h'01020304')", "d74401020304", [](Encoder& e) { e.tag(23).bytes(hex("01020304")); },
     [](Decoder& d) {
       ASSERT_OK(d.expect_tag(23));
       expect_bytes(d, hex("01020304"));
     }},
    {"24(h'6449455446')", "d818456449455446",
     [](Encoder& e) { e.tag(24).bytes(hex("6449455446")); },
     [](Decoder& d) {
       ASSERT_OK(d.expect_tag(24));
       ByteSpan inner;
       ASSERT_OK(d.read_bytes(&inner));
       // Tag 24: the content is itself encoded CBOR ("IETF"); decode it too.
       ASSERT_OK(locus::cbor::validate(inner));
       Decoder id(inner);
       expect_text(id, "IETF");
       assert_true(id.at_end());
     }},
    {"32(\"http://www.example.com\")", "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
     [](Encoder& e) { e.tag(32).text("http://www.example.com"); },
     [](Decoder& d) {
       ASSERT_OK(d.expect_tag(32));
       expect_text(d, "http://www.example.com");
     }},
    {"h''", "40", [](Encoder& e) { e.bytes(ByteSpan()); }, [](Decoder& d) { expect_bytes(d, {}); }},
    {"h'01020304'", "4401020304", [](Encoder& e) { e.bytes(hex("01020304")); },
     [](Decoder& d) { expect_bytes(d, hex("01020304")); }},
    {"\"\"", "60", [](Encoder& e) { e.text(""); }, [](Decoder& d) { expect_text(d, ""); }},
    {"\"a\"", "6161", [](Encoder& e) { e.text("a"); }, [](Decoder& d) { expect_text(d, "a"); }},
    {"\"IETF\"", "6449455446", [](Encoder& e) { e.text(text_span("IETF")); },
     [](Decoder& d) { expect_text(d, "IETF"); }},
    {"\"\\\"\\\\\"", "62225c", [](Encoder& e) { e.text("\"\\"); },
     [](Decoder& d) { expect_text(d, "\"\\"); }},
    {"\"\\u00fc\"", "62c3bc", [](Encoder& e) { e.text("\xc3\xbc"); },
     [](Decoder& d) { expect_text(d, "\xc3\xbc"); }},
    {"\"\\u6c34\"", "63e6b0b4", [](Encoder& e) { e.text("\xe6\xb0\xb4"); },
     [](Decoder& d) { expect_text(d, "\xe6\xb0\xb4"); }},
    {"\"\\ud800\\udd51\"", "64f0908591", [](Encoder& e) { e.text("\xf0\x90\x85\x91"); },
     [](Decoder& d) { expect_text(d, "\xf0\x90\x85\x91"); }},
    {"[]", "80", [](Encoder& e) { e.array(0); },
     [](Decoder& d) {
       uint64_t n = 9;
       ASSERT_OK(d.read_array(&n));
       assert_int_equal(n, 0);
     }},
    {"[1, 2, 3]", "83010203", [](Encoder& e) { e.array(3).uint(1).uint(2).uint(3); },
     [](Decoder& d) {
       uint64_t n = 0;
       ASSERT_OK(d.read_array(&n));
       assert_int_equal(n, 3);
       for (uint64_t i = 1; i <= 3; ++i) expect_uint(d, i);
     }},
    {"[1, [2, 3], [4, 5]]", "8301820203820405",
     [](Encoder& e) { e.array(3).uint(1).array(2).uint(2).uint(3).array(2).uint(4).uint(5); },
     [](Decoder& d) {
       uint64_t n = 0;
       ASSERT_OK(d.read_array(&n));
       assert_int_equal(n, 3);
       expect_uint(d, 1);
       ASSERT_OK(d.read_array(&n));
       assert_int_equal(n, 2);
       expect_uint(d, 2);
       expect_uint(d, 3);
       ASSERT_OK(d.read_array(&n));
       assert_int_equal(n, 2);
       expect_uint(d, 4);
       expect_uint(d, 5);
     }},
    {"[1, 2, ..., 25]", "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
     [](Encoder& e) {
       e.array(25);
       for (uint64_t i = 1; i <= 25; ++i) e.uint(i);
     },
     [](Decoder& d) {
       uint64_t n = 0;
       ASSERT_OK(d.read_array(&n));
       assert_int_equal(n, 25);
       for (uint64_t i = 1; i <= 25; ++i) expect_uint(d, i);
     }},
    {"{}", "a0", [](Encoder& e) { e.map(0); },
     [](Decoder& d) {
       uint64_t n = 9;
       ASSERT_OK(d.read_map(&n));
       assert_int_equal(n, 0);
     }},
    {"{1: 2, 3: 4}", "a201020304", [](Encoder& e) { e.map(2).uint(1).uint(2).uint(3).uint(4); },
     [](Decoder& d) {
       uint64_t n = 0;
       ASSERT_OK(d.read_map(&n));
       assert_int_equal(n, 2);
       for (uint64_t i = 1; i <= 4; ++i) expect_uint(d, i);
     }},
    {"{\"a\": 1, \"b\": [2, 3]}", "a26161016162820203",
     [](Encoder& e) { e.map(2).text("a").uint(1).text("b").array(2).uint(2).uint(3); },
     [](Decoder& d) {
       uint64_t n = 0;
       ASSERT_OK(d.read_map(&n));
       assert_int_equal(n, 2);
       expect_text(d, "a");
       expect_uint(d, 1);
       expect_text(d, "b");
       ASSERT_OK(d.read_array(&n));
       assert_int_equal(n, 2);
       expect_uint(d, 2);
       expect_uint(d, 3);
     }},
    {"[\"a\", {\"b\": \"c\"}]", "826161a161626163",
     [](Encoder& e) { e.array(2).text("a").map(1).text("b").text("c"); },
     [](Decoder& d) {
       uint64_t n = 0;
       ASSERT_OK(d.read_array(&n));
       assert_int_equal(n, 2);
       expect_text(d, "a");
       ASSERT_OK(d.read_map(&n));
       assert_int_equal(n, 1);
       expect_text(d, "b");
       expect_text(d, "c");
     }},
    {"{\"a\": \"A\", ..., \"e\": \"E\"}", "a56161614161626142616361436164614461656145",
     [](Encoder& e) {
       e.map(5);
       const char* kv[] = {"a", "A", "b", "B", "c", "C", "d", "D", "e", "E"};
       for (const char* s : kv) e.text(s);
     },
     [](Decoder& d) {
       uint64_t n = 0;
       ASSERT_OK(d.read_map(&n));
       assert_int_equal(n, 5);
       const char* kv[] = {"a", "A", "b", "B", "c", "C", "d", "D", "e", "E"};
       for (const char* s : kv) expect_text(d, s);
     }},
};

// Every supported Appendix A example: the encoder writes exactly the published bytes,
// finish() reports their length, validate() accepts them, the decoder reads back the value
// and ends exactly at the end of the input, and skip() spans the whole item.
void test_appendix_a_supported(void** /*state*/) {
  for (const Kat& k : kKats) {
    const std::vector<uint8_t> want = hex(k.hex);
    uint8_t buf[128];
    Encoder e(buf, sizeof buf);
    k.enc(e);
    auto r = e.finish();
    if (!r.ok() || r.value() != want.size() || memcmp(buf, want.data(), want.size()) != 0) {
      print_error("encode mismatch for %s: got %s want %s\n", k.diag,
                  locus_test::to_hex(buf, e.size()).c_str(), k.hex);
      fail();
    }
    if (!locus::cbor::validate(want).ok()) {
      print_error("validate rejected %s\n", k.diag);
      fail();
    }
    Decoder d{ByteSpan(want)};
    k.dec(d);
    assert_true(d.at_end());
    Decoder s{ByteSpan(want)};
    ByteSpan item;
    ASSERT_OK(s.skip(&item));
    assert_int_equal(item.size, want.size());
    assert_true(s.at_end());
  }
}

struct Reject {
  const char* diag;
  const char* hex;
  CborError err;
};

const Reject kRejects[] = {
    {"0.0", "f90000", CborError::kUnsupportedType},
    {"-0.0", "f98000", CborError::kUnsupportedType},
    {"1.0", "f93c00", CborError::kUnsupportedType},
    {"1.1", "fb3ff199999999999a", CborError::kUnsupportedType},
    {"1.5", "f93e00", CborError::kUnsupportedType},
    {"65504.0", "f97bff", CborError::kUnsupportedType},
    {"100000.0", "fa47c35000", CborError::kUnsupportedType},
    {"3.4028234663852886e+38", "fa7f7fffff", CborError::kUnsupportedType},
    {"1.0e+300", "fb7e37e43c8800759c", CborError::kUnsupportedType},
    {"5.960464477539063e-8", "f90001", CborError::kUnsupportedType},
    {"0.00006103515625", "f90400", CborError::kUnsupportedType},
    {"-4.0", "f9c400", CborError::kUnsupportedType},
    {"-4.1", "fbc010666666666666", CborError::kUnsupportedType},
    {"Infinity (half)", "f97c00", CborError::kUnsupportedType},
    {"NaN (half)", "f97e00", CborError::kUnsupportedType},
    {"-Infinity (half)", "f9fc00", CborError::kUnsupportedType},
    {"Infinity (single)", "fa7f800000", CborError::kUnsupportedType},
    {"NaN (single)", "fa7fc00000", CborError::kUnsupportedType},
    {"-Infinity (single)", "faff800000", CborError::kUnsupportedType},
    {"Infinity (double)", "fb7ff0000000000000", CborError::kUnsupportedType},
    {"NaN (double)", "fb7ff8000000000000", CborError::kUnsupportedType},
    {"-Infinity (double)", "fbfff0000000000000", CborError::kUnsupportedType},
    {"undefined", "f7", CborError::kUnsupportedType},
    {"simple(16)", "f0", CborError::kUnsupportedType},
    {"simple(255)", "f8ff", CborError::kUnsupportedType},
    {"1(1363896240.5)", "c1fb41d452d9ec200000", CborError::kUnsupportedType},
    {"(_ h'0102', h'030405')", "5f42010243030405ff", CborError::kIndefiniteLength},
    {"(_ \"strea\", \"ming\")", "7f657374726561646d696e67ff", CborError::kIndefiniteLength},
    {"[_ ]", "9fff", CborError::kIndefiniteLength},
    {"[_ 1, [2, 3], [_ 4, 5]]", "9f018202039f0405ffff", CborError::kIndefiniteLength},
    {"[_ 1, [2, 3], [4, 5]]", "9f01820203820405ff", CborError::kIndefiniteLength},
    {"[1, [2, 3], [_ 4, 5]]", "83018202039f0405ff", CborError::kIndefiniteLength},
    {"[1, [_ 2, 3], [4, 5]]", "83019f0203ff820405", CborError::kIndefiniteLength},
    {"[_ 1, ..., 25]", "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
     CborError::kIndefiniteLength},
    {"{_ \"a\": 1, \"b\": [_ 2, 3]}", "bf61610161629f0203ffff", CborError::kIndefiniteLength},
    {"[\"a\", {_ \"b\": \"c\"}]", "826161bf61626163ff", CborError::kIndefiniteLength},
    {"{_ \"Fun\": true, \"Amt\": -2}", "bf6346756ef563416d7421ff", CborError::kIndefiniteLength},
};

// Every Appendix A example outside the supported set: validate() must reject it with the
// specific error (kUnsupportedType for floats and simple values, kIndefiniteLength for
// indefinite lengths), and skip() must refuse it too.
void test_appendix_a_rejected(void** /*state*/) {
  for (const Reject& r : kRejects) {
    const std::vector<uint8_t> in = hex(r.hex);
    Status s = locus::cbor::validate(in);
    if (s != Status(r.err)) {
      print_error("%s: got code %u want %u\n", r.diag, s.code(), Status(r.err).code());
      fail();
    }
    Decoder d{ByteSpan(in)};
    assert_false(d.skip().ok());
    assert_int_equal(d.position(), 0);
  }
}

// Every error code has a distinct, non-generic description.
void test_error_strings(void** /*state*/) {
  std::vector<std::string> seen;
  for (unsigned c = 1; c <= 17; ++c) {
    const char* s = locus::cbor::to_string(static_cast<CborError>(c));
    assert_non_null(s);
    assert_string_not_equal(s, "unknown CBOR error");
    for (const auto& o : seen) assert_string_not_equal(o.c_str(), s);
    seen.emplace_back(s);
  }
  assert_string_equal(locus::cbor::to_string(static_cast<CborError>(200)), "unknown CBOR error");
  // Codes carry the CBOR module.
  assert_int_equal(static_cast<int>(Status(CborError::kTruncated).module()),
                   static_cast<int>(locus::Module::kCbor));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_appendix_a_supported),
      cmocka_unit_test(test_appendix_a_rejected),
      cmocka_unit_test(test_error_strings),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
