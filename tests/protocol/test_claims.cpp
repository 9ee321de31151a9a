// Unit tests of protocol/claims.h: EAT claims, license, verifier-key rotation, dbound
// transcript and landmark record payloads.
#include "fixtures.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/p256.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/frame.h"
#include "schema_util.h"  // last: it includes cmocka.h

using namespace locus;
using namespace locus::protocol;
using cbor::Encoder;
using schema_test::Field;

namespace {

uint16_t code(Status s) {
  return s.code();
}
const uint8_t* U(const fixtures::Bytes& b) {
  return b.b;
}
template <typename T, size_t N>
void fill(std::array<T, N>& a, const fixtures::Bytes& b) {
  for (size_t i = 0; i < N; ++i) a[i] = b.b[i];
}
bool same(ByteSpan a, ByteSpan b) {
  return a.size == b.size && (a.size == 0 || memcmp(a.data, b.data, a.size) == 0);
}
ByteSpan txt(const char* s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s), strlen(s));
}

uint8_t g_buf[8192];

EatClaims sample_claims() {
  EatClaims c;
  c.nonce = ByteSpan(U(fixtures::kNonceBytes), 32);
  fill(c.ueid, fixtures::kUeidBytes);
  c.hwmodel = txt("locus-host-sim");
  c.dbgstat = 0;
  c.swname = txt(kSwName);
  fill(c.fwid, fixtures::kFwidBytes);
  c.svn = 3;
  c.boot_count = 17;
  c.mode = kModeFull;
  c.license_counter = 5;
  for (size_t i = 0; i < c.board_nonce.size(); ++i)
    c.board_nonce[i] = static_cast<uint8_t>(0xB0 + i);
  c.storage = kStorageRecovered;
  return c;
}

// Claims round-trip, and the encoding starts with the keys in deterministic order:
// map(13), 10, ..., 256 (0x19 0x0100), bootcount 267 and swname 270 (RFC 9711), -70001 is
// 0x3A 0x00011170, and the retired -70003 does not appear.
void test_claims_round_trip_and_order(void**) {
  EatClaims c = sample_claims();
  size_t n = 0;
  assert_true(encode_claims(c, MutByteSpan(g_buf, sizeof g_buf), &n).ok());
  assert_int_equal(g_buf[0], 0xAD);  // map of 13
  assert_int_equal(g_buf[1], 0x0A);  // key 10
  assert_int_equal(g_buf[2], 0x58);  // bstr, 1-byte length
  assert_int_equal(g_buf[3], 32);
  assert_int_equal(g_buf[36], 0x19);  // key 256
  assert_int_equal(g_buf[37], 0x01);
  assert_int_equal(g_buf[38], 0x00);
  const uint8_t k70001[] = {0x3A, 0x00, 0x01, 0x11, 0x70};
  bool found = false;
  for (size_t i = 0; i + 5 <= n; ++i) found |= memcmp(g_buf + i, k70001, 5) == 0;
  assert_true(found);
  const uint8_t k267[] = {0x19, 0x01, 0x0B}, k270[] = {0x19, 0x01, 0x0E},
                k70003[] = {0x3A, 0x00, 0x01, 0x11, 0x72};
  bool f267 = false, f270 = false, f70003 = false;
  for (size_t i = 0; i + 3 <= n; ++i) f267 |= memcmp(g_buf + i, k267, 3) == 0;
  for (size_t i = 0; i + 3 <= n; ++i) f270 |= memcmp(g_buf + i, k270, 3) == 0;
  for (size_t i = 0; i + 5 <= n; ++i) f70003 |= memcmp(g_buf + i, k70003, 5) == 0;
  assert_true(f267 && f270 && !f70003);
  assert_true(cbor::validate(ByteSpan(g_buf, n)).ok());  // sorted keys, canonical
  EatClaims o;
  assert_true(decode_claims(ByteSpan(g_buf, n), &o).ok());
  assert_true(same(o.nonce, c.nonce) && o.ueid == c.ueid && same(o.hwmodel, c.hwmodel));
  assert_true(same(o.swname, c.swname) && o.fwid == c.fwid);
  assert_int_equal(o.dbgstat, 0);
  assert_int_equal(o.svn, 3);
  assert_int_equal(o.boot_count, 17);
  assert_int_equal(o.mode, kModeFull);
  assert_int_equal(o.license_counter, 5);
  assert_true(o.board_nonce == c.board_nonce);
  assert_int_equal(o.storage, kStorageRecovered);
}

void w_nonce(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kNonceBytes), 32));
}
void w_nonce15(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kNonceBytes), 15));
}
void w_nonce65(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kNonceBytes), 65));
}
void w_ueid(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kUeidBytes), 33));
}
void w_ueid34(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kUeidBytes), 34));
}
void w_ueid_type2(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kPubBytes) + 1, 33));
}
void w_hw_b(Encoder& e) {
  e.bytes(txt("locus-host-sim"));
}
void w_hw_t(Encoder& e) {
  e.text("locus-host-sim");
}
void w_b0(Encoder& e) {
  e.bytes(ByteSpan());
}
void w_b65(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kNonceBytes), 65));
}
void w_t0(Encoder& e) {
  e.text("");
}
void w_t65(Encoder& e) {
  e.text(ByteSpan(U(fixtures::kNonceBytes) + 1, 65));
}
void w_u0(Encoder& e) {
  e.uint(0);
}
void w_u1(Encoder& e) {
  e.uint(1);
}
void w_u2(Encoder& e) {
  e.uint(2);
}
void w_u3(Encoder& e) {
  e.uint(3);
}
void w_u5(Encoder& e) {
  e.uint(5);
}
void w_u32over(Encoder& e) {
  e.uint(0x100000000ull);
}
void w_neg(Encoder& e) {
  e.int64(-5);
}
void w_null(Encoder& e) {
  e.null();
}
void w_true(Encoder& e) {
  e.boolean(true);
}
void w_profile(Encoder& e) {
  e.text(kEatProfile);
}
void w_profile_b(Encoder& e) {
  e.bytes(txt(kEatProfile));
}
void w_profile_other(Encoder& e) {
  e.text("tag:locus.dev,2026:eat/v2");
}
void w_swname(Encoder& e) {
  e.text(kSwName);
}
void w_fwid(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kFwidBytes), 32));
}
void w_fwid33(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kFwidBytes), 33));
}
void w_pub(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kPubBytes), 65));
}
void w_pub66(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kPubBytes), 66));
}
void w_pub_not04(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kUeidBytes), 65));
}
void w_site(Encoder& e) {
  e.text("site-sg-1");
}
void w_lease(Encoder& e) {
  e.uint(3600);
}
void w_lease_over(Encoder& e) {
  e.uint(86401);
}
void w_sid(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kSidBytes), 16));
}
void w_sid15(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kSidBytes), 15));
}
void w_rounds_arr(Encoder& e) {
  e.array(2);
  for (uint64_t i = 0; i < 2; ++i) {
    e.array(3)
        .uint(i)
        .bytes(ByteSpan(U(fixtures::kChalBytes), 12))
        .bytes(ByteSpan(U(fixtures::kAnsBytes), 12));
  }
}
void w_rounds_empty(Encoder& e) {
  e.array(0);
}
void w_rounds_swapped(Encoder& e) {
  e.array(2);
  for (uint64_t i = 0; i < 2; ++i) {
    e.array(3)
        .uint(1 - i)
        .bytes(ByteSpan(U(fixtures::kChalBytes), 12))
        .bytes(ByteSpan(U(fixtures::kAnsBytes), 12));
  }
}
void w_hash(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kFwidBytes), 32));
}
void w_lmid(Encoder& e) {
  e.text("lm-sin-1");
}
void w_rtt(Encoder& e) {
  e.uint(1234567);
}
void w_r64(Encoder& e) {
  e.uint(64);
}
void w_r65(Encoder& e) {
  e.uint(65);
}
void w_bn(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kFwidBytes), 32));
}
void w_bn31(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kFwidBytes), 31));
}
void w_bn33(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kFwidBytes), 33));
}
void w_u4(Encoder& e) {
  e.uint(4);
}

const Status kWT = ProtocolError::kFieldWrongType;
const Status kWS = ProtocolError::kFieldWrongSize;
const Status kOR = ProtocolError::kFieldOutOfRange;
const Status kNS = ProtocolError::kBadNonceSize;
const Status kBU = ProtocolError::kBadUeid;
const Status kBP = ProtocolError::kBadPublicKey;
const Status kNotMap = ProtocolError::kBodyWrongType;

// Every claim missing, mistyped, mis-sized or out of range is refused with its error; an
// unknown claim key is refused (strict profile); nonces of 15 and 65 bytes are refused.
void test_claims_schema(void**) {
  const Field f[] = {
      {kClaimNonce, w_nonce, {{w_hw_t, kWT}, {w_nonce15, kNS}, {w_nonce65, kNS}}},
      {kClaimUeid, w_ueid, {{w_u5, kWT}, {w_ueid34, kBU}, {w_ueid_type2, kBU}}},
      {kClaimHwmodel, w_hw_b, {{w_hw_t, kWT}, {w_b0, kWS}, {w_b65, kWS}}},
      {kClaimDbgstat, w_u0, {{w_neg, kWT}, {w_u5, kOR}, {w_true, kWT}}},
      {kClaimProfile,
       w_profile,
       {{w_profile_b, kWT}, {w_profile_other, ProtocolError::kBadProfile}, {}}},
      {kClaimBootCount, w_u5, {{w_null, kWT}, {w_u32over, kOR}, {}}},
      {kClaimSwname, w_swname, {{w_hw_b, kWT}, {w_t0, kWS}, {w_t65, kWS}}},
      {kClaimFwid, w_fwid, {{w_u5, kWT}, {w_fwid33, kWS}, {w_b0, kWS}}},
      {kClaimSvn, w_u5, {{w_neg, kWT}, {w_u32over, kOR}, {}}},
      {kClaimMode, w_u2, {{w_hw_t, kWT}, {w_u0, kOR}, {w_u3, kOR}}},
      {kClaimLicenseCounter, w_u0, {{w_neg, kWT}, {}, {}}},
      {kClaimBoardNonce, w_bn, {{w_u5, kWT}, {w_bn31, kWS}, {w_bn33, kWS}}},
      {kClaimStorage, w_u1, {{w_neg, kWT}, {w_u0, kOR}, {w_u4, kOR}}},
  };
  schema_test::check_schema(
      f, 13,
      [](ByteSpan b) {
        EatClaims c;
        return decode_claims(b, &c);
      },
      -80000, kNotMap);
}

// License: strict schema; only mode 2 is a grant; lease 1..86400 s.
void test_license(void**) {
  License l;
  fill(l.ueid, fixtures::kUeidBytes);
  l.nonce = ByteSpan(U(fixtures::kNonceBytes), 16);
  l.counter = 9;
  l.mode = kModeFull;
  l.lease_s = 86400;
  l.site = txt("site-sg-1");
  fill(l.fwid, fixtures::kFwidBytes);
  for (size_t i = 0; i < l.board_nonce.size(); ++i) l.board_nonce[i] = static_cast<uint8_t>(i * 3);
  size_t n = 0;
  assert_true(encode_license(l, MutByteSpan(g_buf, sizeof g_buf), &n).ok());
  License o;
  assert_true(decode_license(ByteSpan(g_buf, n), &o).ok());
  assert_true(o.ueid == l.ueid && same(o.nonce, l.nonce) && o.fwid == l.fwid &&
              same(o.site, l.site));
  assert_true(o.board_nonce == l.board_nonce);
  assert_int_equal(o.counter, 9);
  assert_int_equal(o.mode, 2);
  assert_int_equal(o.lease_s, 86400);
  const Status kBM = ProtocolError::kBadLicenseMode;
  const Status kBL = ProtocolError::kBadLeaseLength;
  l.mode = kModeRestricted;
  assert_int_equal(encode_license(l, MutByteSpan(g_buf, sizeof g_buf), &n).code(), code(kBM));
  l.mode = kModeFull;
  l.lease_s = 0;
  assert_int_equal(encode_license(l, MutByteSpan(g_buf, sizeof g_buf), &n).code(), code(kBL));
  // Mode and lease outside their range get their own codes (the firmware reports them).
  const Field f[] = {
      {1, w_ueid, {{w_nonce, kBU}, {w_u5, kWT}, {}}},
      {2, w_nonce, {{w_u5, kWT}, {w_nonce15, kNS}, {w_nonce65, kNS}}},
      {3, w_u5, {{w_neg, kWT}, {}, {}}},
      {4, w_u2, {{w_true, kWT}, {w_u1, kBM}, {w_u3, kBM}}},
      {5, w_lease, {{w_site, kWT}, {w_u0, kBL}, {w_lease_over, kBL}}},
      {6, w_site, {{w_hw_b, kWT}, {w_t0, kWS}, {w_t65, kWS}}},
      {7, w_fwid, {{w_site, kWT}, {w_fwid33, kWS}, {}}},
      {8, w_bn, {{w_u5, kWT}, {w_bn31, kWS}, {w_bn33, kWS}}},
  };
  schema_test::check_schema(
      f, 8,
      [](ByteSpan b) {
        License x;
        return decode_license(b, &x);
      },
      9, kNotMap);
}

// Verifier key rotation payload.
void test_rotation(void**) {
  VerifierKeyRotation r;
  fill(r.new_key, fixtures::kPub2Bytes);
  r.counter = 2;
  size_t n = 0;
  assert_true(encode_rotation(r, MutByteSpan(g_buf, sizeof g_buf), &n).ok());
  VerifierKeyRotation o;
  assert_true(decode_rotation(ByteSpan(g_buf, n), &o).ok());
  assert_true(o.new_key == r.new_key);
  assert_int_equal(o.counter, 2);
  const Field f[] = {
      {1, w_pub, {{w_u5, kWT}, {w_pub66, kBP}, {w_pub_not04, kBP}}},
      {2, w_u5, {{w_pub, kWT}, {w_neg, kWT}, {}}},
  };
  schema_test::check_schema(
      f, 2,
      [](ByteSpan b) {
        VerifierKeyRotation x;
        return decode_rotation(b, &x);
      },
      3, kNotMap);
}

DboundTranscript g_t;  // large: keep off the stack

void make_transcript(size_t rounds) {
  g_t = DboundTranscript();
  fill(g_t.session_id, fixtures::kSidBytes);
  g_t.lm_nonce = ByteSpan(U(fixtures::kLmNonceBytes), 64);
  g_t.verifier_nonce = ByteSpan(U(fixtures::kNonceBytes), 64);
  fill(g_t.lm_eph_pub, fixtures::kPubBytes);
  fill(g_t.dev_eph_pub, fixtures::kPub2Bytes);
  fill(g_t.ueid, fixtures::kUeidBytes);
  g_t.round_count = rounds;
  for (size_t i = 0; i < rounds; ++i) {
    g_t.rounds[i].round = static_cast<uint8_t>(i);
    fill(g_t.rounds[i].challenge, fixtures::kChalBytes);
    fill(g_t.rounds[i].answer, fixtures::kAnsBytes);
    g_t.rounds[i].challenge[0] = static_cast<uint8_t>(i);
  }
}

// A 64-round transcript with 64-byte nonces round-trips and fits kMaxTranscriptSize.
void test_transcript_round_trip(void**) {
  make_transcript(64);
  size_t n = 0;
  assert_true(encode_transcript(g_t, MutByteSpan(g_buf, sizeof g_buf), &n).ok());
  print_message("64-round transcript: %zu bytes\n", n);
  assert_true(n <= kMaxTranscriptSize);
  static DboundTranscript o;
  assert_true(decode_transcript(ByteSpan(g_buf, n), &o).ok());
  assert_int_equal(o.round_count, 64);
  for (size_t i = 0; i < 64; ++i) {
    assert_int_equal(o.rounds[i].round, i);
    assert_true(o.rounds[i].challenge == g_t.rounds[i].challenge);
    assert_true(o.rounds[i].answer == g_t.rounds[i].answer);
  }
  assert_true(o.session_id == g_t.session_id && o.ueid == g_t.ueid);
  assert_true(o.lm_eph_pub == g_t.lm_eph_pub && o.dev_eph_pub == g_t.dev_eph_pub);
  assert_true(same(o.lm_nonce, g_t.lm_nonce) && same(o.verifier_nonce, g_t.verifier_nonce));
  // The encoder refuses rounds out of order, zero rounds, and more than 64.
  make_transcript(3);
  g_t.rounds[1].round = 2;
  assert_int_equal(encode_transcript(g_t, MutByteSpan(g_buf, sizeof g_buf), &n).code(),
                   code(ProtocolError::kRoundOutOfOrder));
  make_transcript(0);
  assert_int_equal(encode_transcript(g_t, MutByteSpan(g_buf, sizeof g_buf), &n).code(),
                   code(ProtocolError::kWrongArity));
  make_transcript(64);
  g_t.round_count = 65;
  assert_int_equal(encode_transcript(g_t, MutByteSpan(g_buf, sizeof g_buf), &n).code(),
                   code(ProtocolError::kTooManyRounds));
  make_transcript(64);
  assert_int_equal(encode_transcript(g_t, MutByteSpan(g_buf, 100), &n).code(),
                   code(ProtocolError::kOutputTooSmall));
}

// Transcript schema: every field, plus the round list: empty, out of order, > 64 rounds,
// inner arrays of the wrong arity or with mis-sized challenge/answer.
void test_transcript_schema(void**) {
  const Field f[] = {
      {1, w_sid, {{w_u5, kWT}, {w_sid15, kWS}, {}}},
      {2, w_nonce, {{w_u5, kWT}, {w_nonce15, kNS}, {w_nonce65, kNS}}},
      {3, w_nonce, {{w_site, kWT}, {w_nonce15, kNS}, {w_nonce65, kNS}}},
      {4, w_pub, {{w_u5, kWT}, {w_pub66, kBP}, {w_pub_not04, kBP}}},
      {5, w_pub, {{w_null, kWT}, {w_pub66, kBP}, {w_pub_not04, kBP}}},
      {6, w_ueid, {{w_u5, kWT}, {w_ueid34, kBU}, {w_ueid_type2, kBU}}},
      {7,
       w_rounds_arr,
       {{w_u5, kWT},
        {w_rounds_empty, ProtocolError::kWrongArity},
        {w_rounds_swapped, ProtocolError::kRoundOutOfOrder}}},
  };
  schema_test::check_schema(
      f, 7, [](ByteSpan b) { return decode_transcript(b, &g_t); }, 8, kNotMap);

  auto with_rounds = [](void (*w)(Encoder&)) {
    Encoder e(g_buf, sizeof g_buf);
    e.map(7);
    e.uint(1);
    w_sid(e);
    e.uint(2);
    w_nonce(e);
    e.uint(3);
    w_nonce(e);
    e.uint(4);
    w_pub(e);
    e.uint(5);
    w_pub(e);
    e.uint(6);
    w_ueid(e);
    e.uint(7);
    w(e);
    return decode_transcript(ByteSpan(g_buf, *e.finish()), &g_t).code();
  };
  assert_int_equal(with_rounds([](Encoder& e) {
                     e.array(65);
                     for (uint64_t i = 0; i < 65; ++i) {
                       e.array(3)
                           .uint(i)
                           .bytes(ByteSpan(U(fixtures::kChalBytes), 12))
                           .bytes(ByteSpan(U(fixtures::kAnsBytes), 12));
                     }
                   }),
                   code(ProtocolError::kTooManyRounds));
  assert_int_equal(with_rounds([](Encoder& e) {
                     e.array(1).array(2).uint(0).bytes(ByteSpan(U(fixtures::kChalBytes), 12));
                   }),
                   code(ProtocolError::kWrongArity));
  assert_int_equal(with_rounds([](Encoder& e) {
                     e.array(1)
                         .array(3)
                         .uint(0)
                         .bytes(ByteSpan(U(fixtures::kChalBytes), 11))
                         .bytes(ByteSpan(U(fixtures::kAnsBytes), 12));
                   }),
                   code(kWS));
  assert_int_equal(with_rounds([](Encoder& e) {
                     e.array(1)
                         .array(3)
                         .uint(0)
                         .bytes(ByteSpan(U(fixtures::kChalBytes), 12))
                         .bytes(ByteSpan(U(fixtures::kAnsBytes), 13));
                   }),
                   code(kWS));
  assert_int_equal(with_rounds([](Encoder& e) { e.array(1).uint(0); }), code(kWT));
  assert_int_equal(with_rounds([](Encoder& e) {
                     e.array(1)
                         .array(3)
                         .text("0")
                         .bytes(ByteSpan(U(fixtures::kChalBytes), 12))
                         .bytes(ByteSpan(U(fixtures::kAnsBytes), 12));
                   }),
                   code(kWT));
  // A failed decode leaves no partial transcript behind.
  assert_int_equal(g_t.round_count, 0);
}

// Landmark record: round trip and strict schema.
void test_landmark_record(void**) {
  LandmarkRecord r;
  r.landmark_id = txt("lm-sin-1");
  fill(r.ueid, fixtures::kUeidBytes);
  r.verifier_nonce = ByteSpan(U(fixtures::kNonceBytes), 32);
  r.rtt_min_ns = 1234567;
  r.rounds = 32;
  fill(r.transcript_hash, fixtures::kFwidBytes);
  r.lm_nonce = ByteSpan(U(fixtures::kLmNonceBytes), 16);
  size_t n = 0;
  assert_true(encode_landmark_record(r, MutByteSpan(g_buf, sizeof g_buf), &n).ok());
  LandmarkRecord o;
  assert_true(decode_landmark_record(ByteSpan(g_buf, n), &o).ok());
  assert_true(same(o.landmark_id, r.landmark_id) && o.ueid == r.ueid &&
              same(o.verifier_nonce, r.verifier_nonce));
  assert_true(o.rtt_min_ns == 1234567 && o.rounds == 32 && o.transcript_hash == r.transcript_hash);
  assert_true(same(o.lm_nonce, r.lm_nonce));
  r.rounds = 65;
  assert_int_equal(encode_landmark_record(r, MutByteSpan(g_buf, sizeof g_buf), &n).code(),
                   code(kOR));
  const Field f[] = {
      {1, w_lmid, {{w_hw_b, kWT}, {w_t0, kWS}, {w_t65, kWS}}},
      {2, w_ueid, {{w_u5, kWT}, {w_ueid34, kBU}, {}}},
      {3, w_nonce, {{w_u5, kWT}, {w_nonce15, kNS}, {w_nonce65, kNS}}},
      {4, w_rtt, {{w_neg, kWT}, {}, {}}},
      {5, w_r64, {{w_site, kWT}, {w_u0, kOR}, {w_r65, kOR}}},
      {6, w_hash, {{w_u5, kWT}, {w_fwid33, kWS}, {}}},
      {7, w_nonce, {{w_u5, kWT}, {w_nonce15, kNS}, {w_nonce65, kNS}}},
  };
  schema_test::check_schema(
      f, 7,
      [](ByteSpan b) {
        LandmarkRecord x;
        return decode_landmark_record(b, &x);
      },
      8, kNotMap);
}

// The claim encoder refuses invalid inputs (bad nonce, dbgstat > 4, mode 0, empty swname).
void test_claims_encoder_refuses(void**) {
  size_t n = 0;
  MutByteSpan out(g_buf, sizeof g_buf);
  EatClaims c = sample_claims();
  c.nonce = ByteSpan(U(fixtures::kNonceBytes), 15);
  assert_int_equal(encode_claims(c, out, &n).code(), code(kNS));
  c = sample_claims();
  c.nonce = ByteSpan(U(fixtures::kNonceBytes), 65);
  assert_int_equal(encode_claims(c, out, &n).code(), code(kNS));
  c = sample_claims();
  c.dbgstat = 5;
  assert_int_equal(encode_claims(c, out, &n).code(), code(kOR));
  c = sample_claims();
  c.mode = 0;
  assert_int_equal(encode_claims(c, out, &n).code(), code(kOR));
  c = sample_claims();
  c.swname = ByteSpan();
  assert_int_equal(encode_claims(c, out, &n).code(), code(kWS));
  c = sample_claims();
  assert_int_equal(encode_claims(c, MutByteSpan(g_buf, 50), &n).code(),
                   code(ProtocolError::kOutputTooSmall));
}

// Seeded random mutations of valid payloads never crash a payload decoder (ASan/UBSan).
void test_fuzz_payloads(void**) {
  static uint8_t seeds[5][kMaxTranscriptSize];
  size_t len[5];
  EatClaims c = sample_claims();
  assert_true(encode_claims(c, MutByteSpan(seeds[0], sizeof seeds[0]), &len[0]).ok());
  License l;
  fill(l.ueid, fixtures::kUeidBytes);
  l.nonce = ByteSpan(U(fixtures::kNonceBytes), 16);
  l.lease_s = 10;
  l.site = txt("s");
  assert_true(encode_license(l, MutByteSpan(seeds[1], sizeof seeds[1]), &len[1]).ok());
  VerifierKeyRotation r;
  fill(r.new_key, fixtures::kPubBytes);
  assert_true(encode_rotation(r, MutByteSpan(seeds[2], sizeof seeds[2]), &len[2]).ok());
  make_transcript(5);
  assert_true(encode_transcript(g_t, MutByteSpan(seeds[3], sizeof seeds[3]), &len[3]).ok());
  LandmarkRecord m;
  m.landmark_id = txt("x");
  fill(m.ueid, fixtures::kUeidBytes);
  m.verifier_nonce = ByteSpan(U(fixtures::kNonceBytes), 16);
  m.lm_nonce = ByteSpan(U(fixtures::kNonceBytes), 16);
  m.rounds = 5;
  assert_true(encode_landmark_record(m, MutByteSpan(seeds[4], sizeof seeds[4]), &len[4]).ok());
  schema_test::Rng rng{0xBADC0DEu};
  static uint8_t buf[kMaxTranscriptSize];
  int failures = 0;
  for (int iter = 0; iter < 30000; ++iter) {
    const size_t s = rng.next() % 5;
    size_t n = len[s];
    memcpy(buf, seeds[s], n);
    const uint32_t flips = 1 + static_cast<uint32_t>(rng.next() % 3);
    for (uint32_t k = 0; k < flips; ++k)
      buf[rng.next() % n] ^= static_cast<uint8_t>(1u << (rng.next() % 8));
    if (rng.next() % 3 == 0) n = rng.next() % (n + 1);
    Status st;
    switch (s) {
      case 0: {
        EatClaims x;
        st = decode_claims(ByteSpan(buf, n), &x);
        break;
      }
      case 1: {
        License x;
        st = decode_license(ByteSpan(buf, n), &x);
        break;
      }
      case 2: {
        VerifierKeyRotation x;
        st = decode_rotation(ByteSpan(buf, n), &x);
        break;
      }
      case 3: st = decode_transcript(ByteSpan(buf, n), &g_t); break;
      default: {
        LandmarkRecord x;
        st = decode_landmark_record(ByteSpan(buf, n), &x);
        break;
      }
    }
    if (!st.ok()) {
      failures++;
      assert_true(st.module() == Module::kCbor || st.module() == Module::kProtocol);
    }
  }
  assert_true(failures > 1000);
}

// Size budget: the largest LM_CLOSE response (64 rounds, 64-byte nonces, a signed transcript
// carrying an Alias certificate of the firmware's maximum 768 bytes, request id 2^32-1) fits
// one frame payload (3072 bytes).
void test_lm_close_fits_one_frame(void**) {
  make_transcript(64);
  size_t tn = 0;
  assert_true(encode_transcript(g_t, MutByteSpan(g_buf, sizeof g_buf), &tn).ok());
  crypto::P256PrivateKey key;
  assert_true(crypto::p256_derive_key(txt("size-budget"), txt("test"), &key).ok());
  static uint8_t cert[768];
  memset(cert, 0xAA, sizeof cert);
  const ByteSpan chain[1] = {ByteSpan(cert, sizeof cert)};
  cose::Sign1Options opt;
  opt.x5chain = chain;
  opt.x5chain_len = 1;
  static uint8_t signed_t[4096];
  size_t sn = 0;
  assert_true(
      cose::sign1_es256(key, ByteSpan(g_buf, tn), opt, MutByteSpan(signed_t, sizeof signed_t), &sn)
          .ok());
  LmCloseResponse r;
  r.cose_sign1 = ByteSpan(signed_t, sn);
  static uint8_t msg[4096];
  size_t mn = 0;
  assert_true(encode_message(0xFFFFFFFFu, r, MutByteSpan(msg, sizeof msg), &mn).ok());
  print_message("largest LM_CLOSE response: %zu of %zu bytes\n", mn, kMaxPayload);
  assert_true(mn <= kMaxPayload);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_claims_round_trip_and_order),
      cmocka_unit_test(test_claims_schema),
      cmocka_unit_test(test_claims_encoder_refuses),
      cmocka_unit_test(test_license),
      cmocka_unit_test(test_rotation),
      cmocka_unit_test(test_transcript_round_trip),
      cmocka_unit_test(test_transcript_schema),
      cmocka_unit_test(test_landmark_record),
      cmocka_unit_test(test_fuzz_payloads),
      cmocka_unit_test(test_lm_close_fits_one_frame),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
