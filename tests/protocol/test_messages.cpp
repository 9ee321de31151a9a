// Unit tests of protocol/messages.h: envelope, every body codec, error response, fast frame.
#include "fixtures.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
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

uint8_t g_buf[8192];

// ---- round trips ------------------------------------------------------------------------

template <typename Body>
Body round_trip(uint32_t rid, const Body& in) {
  size_t n = 0;
  Status s = encode_message(rid, in, MutByteSpan(g_buf, sizeof g_buf), &n);
  assert_int_equal(s.code(), 0);
  uint32_t got_rid = 0;
  Body out;
  s = decode_message(ByteSpan(g_buf, n), &got_rid, &out);
  assert_int_equal(s.code(), 0);
  assert_int_equal(got_rid, rid);
  Envelope env;
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(), 0);
  assert_int_equal(env.type, Body::kType);
  return out;
}

bool same(ByteSpan a, ByteSpan b) {
  return a.size == b.size && (a.size == 0 || memcmp(a.data, b.data, a.size) == 0);
}

// Every null-bodied request/response round-trips with its type and request id.
void test_round_trip_null_bodies(void**) {
  round_trip(0u, GetIdentityRequest{});
  round_trip(1u, InstallDevidCertResponse{});
  round_trip(0xFFFFFFFFu, InstallVerifierKeyResponse{});
  round_trip(24u, RotateVerifierKeyResponse{});
  round_trip(256u, GetStatusRequest{});
}

// GET_IDENTITY response with and without a DeviceID certificate.
void test_round_trip_identity(void**) {
  IdentityResponse in;
  fill(in.ueid, fixtures::kUeidBytes);
  fill(in.devid_pub, fixtures::kPubBytes);
  in.csr = ByteSpan(U(fixtures::kDerBytes), 100);
  in.devid_cert = ByteSpan(U(fixtures::kDerBytes), 90);
  in.alias_cert = ByteSpan(U(fixtures::kDerBytes), 80);
  in.hwmodel = ByteSpan(reinterpret_cast<const uint8_t*>("locus-host-sim"), 14);
  in.svn = 7;
  fill(in.fwid, fixtures::kFwidBytes);
  IdentityResponse out = round_trip(9u, in);
  assert_true(out.ueid == in.ueid && out.devid_pub == in.devid_pub && out.fwid == in.fwid);
  assert_true(same(out.csr, in.csr) && same(out.devid_cert, in.devid_cert) &&
              same(out.alias_cert, in.alias_cert));
  assert_true(same(out.hwmodel, in.hwmodel));
  assert_int_equal(out.svn, 7);
  in.devid_cert = ByteSpan();
  out = round_trip(10u, in);
  assert_true(out.devid_cert.empty());
}

// The bstr-bodied requests and responses keep their bytes.
void test_round_trip_bstr_bodies(void**) {
  InstallDevidCertRequest a;
  a.cert = ByteSpan(U(fixtures::kDerBytes), 120);
  assert_true(same(round_trip(1u, a).cert, a.cert));
  InstallVerifierKeyRequest b;
  fill(b.key, fixtures::kPubBytes);
  assert_true(round_trip(2u, b).key == b.key);
  RotateVerifierKeyRequest c;
  c.cose_sign1 = ByteSpan(U(fixtures::kDerBytes), 110);
  assert_true(same(round_trip(3u, c).cose_sign1, c.cose_sign1));
  GetEvidenceRequest d;
  d.nonce = ByteSpan(U(fixtures::kNonceBytes), 32);
  assert_true(same(round_trip(4u, d).nonce, d.nonce));
  EvidenceResponse e;
  e.cose_sign1 = ByteSpan(U(fixtures::kDerBytes), 127);
  assert_true(same(round_trip(5u, e).cose_sign1, e.cose_sign1));
  ApplyLicenseRequest f;
  f.cose_sign1 = ByteSpan(U(fixtures::kDerBytes), 64);
  assert_true(same(round_trip(6u, f).cose_sign1, f.cose_sign1));
  LmCloseResponse g;
  g.cose_sign1 = ByteSpan(U(fixtures::kDerBytes), 99);
  assert_true(same(round_trip(7u, g).cose_sign1, g.cose_sign1));
}

// GET_STATUS and APPLY_LICENSE responses carry every status field, including 64-bit values.
void test_round_trip_status(void**) {
  StatusResponse s;
  s.status.mode = kModeFull;
  s.status.lease_remaining_ms = 0x123456789ull;
  s.status.license_counter = UINT64_MAX;
  s.status.boot_count = 4000000000u;
  s.status.svn = 3;
  s.status.min_svn = 2;
  s.status.has_devid_cert = true;
  s.status.has_verifier_key = false;
  StatusResponse o = round_trip(11u, s);
  assert_int_equal(o.status.mode, kModeFull);
  assert_true(o.status.lease_remaining_ms == 0x123456789ull);
  assert_true(o.status.license_counter == UINT64_MAX);
  assert_int_equal(o.status.boot_count, 4000000000u);
  assert_int_equal(o.status.svn, 3);
  assert_int_equal(o.status.min_svn, 2);
  assert_true(o.status.has_devid_cert);
  assert_false(o.status.has_verifier_key);
  ApplyLicenseResponse a;
  a.status = s.status;
  a.status.has_verifier_key = true;
  assert_true(round_trip(12u, a).status.has_verifier_key);
}

// LM_SETUP / LM_ROUND / LM_CLOSE and their responses.
void test_round_trip_dbound(void**) {
  LmSetupRequest s;
  fill(s.session_id, fixtures::kSidBytes);
  s.lm_nonce = ByteSpan(U(fixtures::kLmNonceBytes), 16);
  fill(s.lm_eph_pub, fixtures::kPubBytes);
  s.rounds = 64;
  s.verifier_nonce = ByteSpan(U(fixtures::kNonceBytes), 64);
  LmSetupRequest so = round_trip(13u, s);
  assert_true(so.session_id == s.session_id && so.lm_eph_pub == s.lm_eph_pub);
  assert_true(same(so.lm_nonce, s.lm_nonce) && same(so.verifier_nonce, s.verifier_nonce));
  assert_int_equal(so.rounds, 64);
  LmSetupResponse sr;
  fill(sr.dev_eph_pub, fixtures::kPub2Bytes);
  assert_true(round_trip(13u, sr).dev_eph_pub == sr.dev_eph_pub);
  LmRoundRequest r;
  r.round = 63;
  fill(r.challenge, fixtures::kChalBytes);
  LmRoundRequest ro = round_trip(14u, r);
  assert_int_equal(ro.round, 63);
  assert_true(ro.challenge == r.challenge);
  LmRoundResponse ra;
  fill(ra.answer, fixtures::kAnsBytes);
  assert_true(round_trip(14u, ra).answer == ra.answer);
  LmCloseRequest c;
  fill(c.session_id, fixtures::kSidBytes);
  assert_true(round_trip(15u, c).session_id == c.session_id);
}

// An error response carries the 16-bit Status code; encode_error builds the same bytes.
void test_round_trip_error(void**) {
  ErrorResponse e;
  e.code = Status(ProtocolError::kBadNonceSize).code();
  assert_int_equal(round_trip(77u, e).code, 0x051E);
  uint8_t a[16];
  size_t n = 0;
  assert_true(encode_error(77u, ProtocolError::kBadNonceSize, MutByteSpan(a, sizeof a), &n).ok());
  const uint8_t want[] = {0x83, 0x18, 0xFF, 0x18, 0x4D, 0x19, 0x05, 0x1E};
  assert_int_equal(n, sizeof want);
  assert_memory_equal(a, want, n);
  e.code = 0;
  assert_int_equal(encode_message(1u, e, MutByteSpan(a, sizeof a), &n).code(),
                   code(ProtocolError::kBadErrorCode));
}

// ---- envelope -----------------------------------------------------------------------------

size_t enc(void (*w)(Encoder&)) {
  Encoder e(g_buf, sizeof g_buf);
  w(e);
  Result<size_t> r = e.finish();
  assert_true(r.ok());
  return *r;
}

// Envelopes that are not [uint type, uint32 request_id, body] give specific errors; an
// unknown type still reports the request id so that the board can answer.
void test_envelope_errors(void**) {
  Envelope env;
  size_t n = enc([](Encoder& e) { e.map(0); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kBadEnvelope));
  n = enc([](Encoder& e) { e.array(2).uint(1).uint(2); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kBadEnvelope));
  n = enc([](Encoder& e) { e.array(4).uint(1).uint(2).null().null(); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kBadEnvelope));
  n = enc([](Encoder& e) { e.array(3).text("x").uint(2).null(); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kBadEnvelope));
  n = enc([](Encoder& e) { e.array(3).uint(1).int64(-1).null(); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kBadRequestId));
  n = enc([](Encoder& e) { e.array(3).uint(1).uint(0x100000000ull).null(); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kBadRequestId));
  n = enc([](Encoder& e) { e.array(3).uint(11).uint(1234).null(); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kUnknownMessageType));
  assert_int_equal(env.request_id, 1234);
  assert_int_equal(env.type, 11);
  n = enc([](Encoder& e) { e.array(3).uint(0x80).uint(5).null(); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kUnknownMessageType));
  n = enc([](Encoder& e) { e.array(3).uint(0x1FF).uint(5).null(); });
  assert_int_equal(decode_envelope(ByteSpan(g_buf, n), &env).code(),
                   code(ProtocolError::kUnknownMessageType));
  assert_int_equal(env.request_id, 5);
  // Not deterministic CBOR (request id 1 in a two-byte head): the CBOR error comes through.
  const uint8_t noncanon[] = {0x83, 0x01, 0x18, 0x01, 0xF6};
  assert_int_equal(decode_envelope(ByteSpan(noncanon, sizeof noncanon), &env).code(),
                   Status(cbor::CborError::kNonCanonical).code());
  const uint8_t trailing[] = {0x83, 0x01, 0x01, 0xF6, 0x00};
  assert_int_equal(decode_envelope(ByteSpan(trailing, sizeof trailing), &env).code(),
                   Status(cbor::CborError::kTrailingBytes).code());
  assert_int_equal(decode_envelope(ByteSpan(), &env).code(),
                   Status(cbor::CborError::kTruncated).code());
}

// decode_message refuses a valid message of another type, but still reports its request id;
// encode_envelope wraps raw body bytes and refuses an unknown type.
void test_unexpected_type_and_raw_envelope(void**) {
  size_t n = 0;
  assert_true(encode_message(42u, GetStatusRequest{}, MutByteSpan(g_buf, sizeof g_buf), &n).ok());
  uint32_t rid = 0;
  GetIdentityRequest gi;
  assert_int_equal(decode_message(ByteSpan(g_buf, n), &rid, &gi).code(),
                   code(ProtocolError::kUnexpectedType));
  assert_int_equal(rid, 42);
  const uint8_t body[] = {0xF6};
  uint8_t out[16];
  assert_true(
      encode_envelope(kMsgGetStatus, 42u, ByteSpan(body, 1), MutByteSpan(out, sizeof out), &n)
          .ok());
  assert_int_equal(n, 5);
  assert_memory_equal(out, g_buf, 5);
  assert_int_equal(
      encode_envelope(0x0B, 1u, ByteSpan(body, 1), MutByteSpan(out, sizeof out), &n).code(),
      code(ProtocolError::kUnknownMessageType));
  assert_int_equal(encode_message(1u, GetStatusRequest{}, MutByteSpan(out, 3), &n).code(),
                   code(ProtocolError::kOutputTooSmall));
}

// ---- body schemas -------------------------------------------------------------------------

void w_uint5(Encoder& e) {
  e.uint(5);
}
void w_bytes4(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kDerBytes), 4));
}
void w_text(Encoder& e) {
  e.text("x");
}
void w_null(Encoder& e) {
  e.null();
}
void w_true(Encoder& e) {
  e.boolean(true);
}
void w_ueid(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kUeidBytes), 33));
}
void w_ueid32(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kUeidBytes), 32));
}
void w_ueid_type2(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kPubBytes) + 1, 33));
}
void w_pub(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kPubBytes), 65));
}
void w_pub64(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kPubBytes), 64));
}
void w_pub_compressed(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kUeidBytes), 65));
}
void w_der(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kDerBytes), 100));
}
void w_empty(Encoder& e) {
  e.bytes(ByteSpan());
}
void w_hwmodel(Encoder& e) {
  e.text("locus-host-sim");
}
void w_text65(Encoder& e) {
  e.text(ByteSpan(U(fixtures::kNonceBytes) + 1, 65));
}
void w_fwid(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kFwidBytes), 32));
}
void w_fwid31(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kFwidBytes), 31));
}
void w_u32max1(Encoder& e) {
  e.uint(0x100000000ull);
}
void w_sid(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kSidBytes), 16));
}
void w_sid15(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kSidBytes), 15));
}
void w_sid17(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kSidBytes), 17));
}
void w_nonce16(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kNonceBytes), 16));
}
void w_nonce15(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kNonceBytes), 15));
}
void w_nonce65(Encoder& e) {
  e.bytes(ByteSpan(U(fixtures::kNonceBytes), 65));
}
void w_rounds(Encoder& e) {
  e.uint(8);
}
void w_zero(Encoder& e) {
  e.uint(0);
}
void w_65(Encoder& e) {
  e.uint(65);
}
void w_mode2(Encoder& e) {
  e.uint(2);
}
void w_mode3(Encoder& e) {
  e.uint(3);
}
void w_four(Encoder& e) {
  e.uint(4);
}
void w_neg(Encoder& e) {
  e.int64(-1);
}

const Status kWT = ProtocolError::kFieldWrongType;
const Status kWS = ProtocolError::kFieldWrongSize;
const Status kOR = ProtocolError::kFieldOutOfRange;
const Status kNS = ProtocolError::kBadNonceSize;
const Status kBU = ProtocolError::kBadUeid;
const Status kBP = ProtocolError::kBadPublicKey;
const Status kBodyWT = ProtocolError::kBodyWrongType;

// GET_IDENTITY response: every field missing, mistyped, mis-sized; unknown keys.
void test_schema_identity(void**) {
  const Field f[] = {
      {1, w_ueid, {{w_uint5, kWT}, {w_ueid32, kBU}, {w_ueid_type2, kBU}}},
      {2, w_pub, {{w_text, kWT}, {w_pub64, kBP}, {w_pub_compressed, kBP}}},
      {3, w_der, {{w_null, kWT}, {w_empty, kWS}, {}}},
      {4, w_null, {{w_uint5, kWT}, {w_empty, kWS}, {w_true, kWT}}},
      {5, w_der, {{w_text, kWT}, {w_empty, kWS}, {}}},
      {6, w_hwmodel, {{w_bytes4, kWT}, {w_text65, kWS}, {}}},
      {7, w_uint5, {{w_neg, kWT}, {w_u32max1, kOR}, {}}},
      {8, w_fwid, {{w_uint5, kWT}, {w_fwid31, kWS}, {}}},
  };
  schema_test::check_schema(
      f, 8,
      [](ByteSpan b) {
        IdentityResponse r;
        return decode_body(b, &r);
      },
      9, kBodyWT);
}

// GET_STATUS / APPLY_LICENSE status map.
void test_schema_status(void**) {
  const Field f[] = {
      {1, w_mode2, {{w_text, kWT}, {w_mode3, kOR}, {w_zero, kOR}}},
      {2, w_uint5, {{w_neg, kWT}, {}, {}}},
      {3, w_uint5, {{w_bytes4, kWT}, {}, {}}},
      {4, w_uint5, {{w_true, kWT}, {w_u32max1, kOR}, {}}},
      {5, w_uint5, {{w_null, kWT}, {w_u32max1, kOR}, {}}},
      {6, w_uint5, {{w_text, kWT}, {w_u32max1, kOR}, {}}},
      {7, w_true, {{w_uint5, kWT}, {w_null, kWT}, {}}},
      {8, w_true, {{w_zero, kWT}, {w_null, kWT}, {}}},
      {9, w_mode2, {{w_text, kWT}, {w_zero, kOR}, {w_four, kOR}}},  // storage health 1..3
  };
  schema_test::check_schema(
      f, 9,
      [](ByteSpan b) {
        StatusResponse r;
        return decode_body(b, &r);
      },
      100, kBodyWT);
  schema_test::check_schema(
      f, 9,
      [](ByteSpan b) {
        ApplyLicenseResponse r;
        return decode_body(b, &r);
      },
      100, kBodyWT);
}

// LM_SETUP request: nonces 15 and 65 bytes refused with kBadNonceSize, rounds 0/65 refused.
void test_schema_lm_setup(void**) {
  const Field f[] = {
      {1, w_sid, {{w_uint5, kWT}, {w_sid15, kWS}, {w_sid17, kWS}}},
      {2, w_nonce16, {{w_text, kWT}, {w_nonce15, kNS}, {w_nonce65, kNS}}},
      {3, w_pub, {{w_uint5, kWT}, {w_pub64, kBP}, {w_pub_compressed, kBP}}},
      {4, w_rounds, {{w_bytes4, kWT}, {w_zero, kOR}, {w_65, kOR}}},
      {5, w_nonce16, {{w_null, kWT}, {w_nonce15, kNS}, {w_nonce65, kNS}}},
  };
  schema_test::check_schema(
      f, 5,
      [](ByteSpan b) {
        LmSetupRequest r;
        return decode_body(b, &r);
      },
      6, kBodyWT);
  const Field g[] = {{1, w_pub, {{w_uint5, kWT}, {w_pub64, kBP}, {}}}};
  schema_test::check_schema(
      g, 1,
      [](ByteSpan b) {
        LmSetupResponse r;
        return decode_body(b, &r);
      },
      2, kBodyWT);
  const Field h[] = {{1, w_sid, {{w_uint5, kWT}, {w_sid15, kWS}, {w_sid17, kWS}}}};
  schema_test::check_schema(
      h, 1,
      [](ByteSpan b) {
        LmCloseRequest r;
        return decode_body(b, &r);
      },
      2, kBodyWT);
}

// LM_ROUND request [round, challenge(12)]: arity, types, range, size.
void test_schema_lm_round(void**) {
  LmRoundRequest r;
  auto dec = [](size_t n) {
    LmRoundRequest x;
    return decode_body(ByteSpan(g_buf, n), &x).code();
  };
  assert_int_equal(
      dec(enc([](Encoder& e) { e.array(2).uint(0).bytes(ByteSpan(U(fixtures::kChalBytes), 12)); })),
      0);
  assert_int_equal(dec(enc([](Encoder& e) { e.array(1).uint(0); })),
                   code(ProtocolError::kWrongArity));
  assert_int_equal(dec(enc([](Encoder& e) {
                     e.array(3).uint(0).bytes(ByteSpan(U(fixtures::kChalBytes), 12)).null();
                   })),
                   code(ProtocolError::kWrongArity));
  assert_int_equal(dec(enc([](Encoder& e) {
                     e.array(2).uint(64).bytes(ByteSpan(U(fixtures::kChalBytes), 12));
                   })),
                   code(kOR));
  assert_int_equal(dec(enc([](Encoder& e) {
                     e.array(2).text("0").bytes(ByteSpan(U(fixtures::kChalBytes), 12));
                   })),
                   code(kWT));
  assert_int_equal(
      dec(enc([](Encoder& e) { e.array(2).uint(0).bytes(ByteSpan(U(fixtures::kChalBytes), 11)); })),
      code(kWS));
  assert_int_equal(
      dec(enc([](Encoder& e) { e.array(2).uint(0).bytes(ByteSpan(U(fixtures::kChalBytes), 13)); })),
      code(kWS));
  assert_int_equal(dec(enc([](Encoder& e) { e.array(2).uint(0).uint(1); })), code(kWT));
  assert_int_equal(dec(enc([](Encoder& e) { e.map(0); })), code(kBodyWT));
  r.round = 64;
  size_t n = 0;
  assert_int_equal(encode_message(1u, r, MutByteSpan(g_buf, sizeof g_buf), &n).code(), code(kOR));
  auto ans = [](size_t n2) {
    LmRoundResponse x;
    return decode_body(ByteSpan(g_buf, n2), &x).code();
  };
  assert_int_equal(ans(enc([](Encoder& e) { e.bytes(ByteSpan(U(fixtures::kAnsBytes), 11)); })),
                   code(kWS));
  assert_int_equal(ans(enc([](Encoder& e) { e.uint(1); })), code(kBodyWT));
}

// Null bodies refuse anything but null; bstr bodies refuse other types and bad sizes; the
// GET_EVIDENCE nonce of 15 and of 65 bytes is refused with kBadNonceSize (16 and 64 pass).
void test_simple_bodies(void**) {
  auto null_dec = [](size_t n) {
    GetStatusRequest x;
    return decode_body(ByteSpan(g_buf, n), &x).code();
  };
  assert_int_equal(null_dec(enc(w_null)), 0);
  assert_int_equal(null_dec(enc(w_true)), code(kBodyWT));
  assert_int_equal(null_dec(enc(w_uint5)), code(kBodyWT));
  auto ev = [](size_t n) {
    GetEvidenceRequest x;
    return decode_body(ByteSpan(g_buf, n), &x).code();
  };
  assert_int_equal(ev(enc(w_nonce15)), code(kNS));
  assert_int_equal(ev(enc(w_nonce65)), code(kNS));
  assert_int_equal(ev(enc(w_nonce16)), 0);
  assert_int_equal(ev(enc([](Encoder& e) { e.bytes(ByteSpan(U(fixtures::kNonceBytes), 64)); })), 0);
  assert_int_equal(ev(enc(w_text)), code(kBodyWT));
  GetEvidenceRequest g;
  size_t n = 0;
  g.nonce = ByteSpan(U(fixtures::kNonceBytes), 15);
  assert_int_equal(encode_message(1u, g, MutByteSpan(g_buf, sizeof g_buf), &n).code(), code(kNS));
  g.nonce = ByteSpan(U(fixtures::kNonceBytes), 65);
  assert_int_equal(encode_message(1u, g, MutByteSpan(g_buf, sizeof g_buf), &n).code(), code(kNS));
  auto vk = [](size_t n2) {
    InstallVerifierKeyRequest x;
    return decode_body(ByteSpan(g_buf, n2), &x).code();
  };
  assert_int_equal(vk(enc(w_pub)), 0);
  assert_int_equal(vk(enc(w_pub64)), code(kBP));
  assert_int_equal(vk(enc(w_pub_compressed)), code(kBP));
  assert_int_equal(vk(enc(w_null)), code(kBodyWT));
  auto dc = [](size_t n2) {
    InstallDevidCertRequest x;
    return decode_body(ByteSpan(g_buf, n2), &x).code();
  };
  assert_int_equal(dc(enc(w_empty)), code(kWS));
  assert_int_equal(dc(enc([](Encoder& e) { e.bytes(ByteSpan(g_buf + 4096, kMaxDerSize + 1)); })),
                   code(kWS));
  auto lic = [](size_t n2) {
    ApplyLicenseRequest x;
    return decode_body(ByteSpan(g_buf, n2), &x).code();
  };
  assert_int_equal(lic(enc(w_empty)), code(kWS));
  assert_int_equal(lic(enc(w_true)), code(kBodyWT));
  auto er = [](size_t n2) {
    ErrorResponse x;
    return decode_body(ByteSpan(g_buf, n2), &x).code();
  };
  assert_int_equal(er(enc(w_zero)), code(ProtocolError::kBadErrorCode));
  assert_int_equal(er(enc([](Encoder& e) { e.uint(0x10000); })),
                   code(ProtocolError::kBadErrorCode));
  assert_int_equal(er(enc(w_neg)), code(kBodyWT));
}

// The encoders refuse values their decoders would refuse.
void test_encoders_refuse_invalid(void**) {
  size_t n = 0;
  MutByteSpan out(g_buf, sizeof g_buf);
  IdentityResponse id;
  fill(id.ueid, fixtures::kUeidBytes);
  fill(id.devid_pub, fixtures::kPubBytes);
  id.csr = ByteSpan(U(fixtures::kDerBytes), 10);
  id.alias_cert = ByteSpan(U(fixtures::kDerBytes), 10);
  id.hwmodel = ByteSpan(U(fixtures::kDerBytes), 65);
  assert_int_equal(encode_message(1u, id, out, &n).code(), code(kWS));
  id.hwmodel = ByteSpan(U(fixtures::kDerBytes), 1);
  id.ueid[0] = 2;
  assert_int_equal(encode_message(1u, id, out, &n).code(), code(kBU));
  StatusResponse st;
  st.status.mode = 0;
  assert_int_equal(encode_message(1u, st, out, &n).code(), code(kOR));
  LmSetupRequest s;
  fill(s.lm_eph_pub, fixtures::kPubBytes);
  s.lm_nonce = ByteSpan(U(fixtures::kNonceBytes), 16);
  s.verifier_nonce = ByteSpan(U(fixtures::kNonceBytes), 16);
  s.rounds = 0;
  assert_int_equal(encode_message(1u, s, out, &n).code(), code(kOR));
  s.rounds = 65;
  assert_int_equal(encode_message(1u, s, out, &n).code(), code(kOR));
  s.rounds = 1;
  s.verifier_nonce = ByteSpan(U(fixtures::kNonceBytes), 65);
  assert_int_equal(encode_message(1u, s, out, &n).code(), code(kNS));
  InstallVerifierKeyRequest k;
  assert_int_equal(encode_message(1u, k, out, &n).code(), code(kBP));
  LmCloseResponse c;
  assert_int_equal(encode_message(1u, c, out, &n).code(), code(kWS));
}

// ---- fast frame ---------------------------------------------------------------------------

// The 13-byte fast round payload round-trips, framed as rev 0x02; wrong lengths and round
// indices >= 64 are refused with kBadFastRound.
void test_fast_round(void**) {
  FastRound r;
  r.round = 0x3F;
  for (size_t i = 0; i < 12; ++i)
    r.value[i] = static_cast<uint8_t>(0x7E - (i & 1));  // needs stuffing
  uint8_t frame[max_frame_size(kFastRoundSize)];
  size_t n = 0;
  assert_true(encode_fast_frame(r, MutByteSpan(frame, sizeof frame), &n).ok());
  uint8_t rev = 0, payload[16];
  size_t plen = 0;
  assert_true(
      decode_frame(ByteSpan(frame, n), &rev, MutByteSpan(payload, sizeof payload), &plen).ok());
  assert_int_equal(rev, kRevFast);
  assert_int_equal(plen, kFastRoundSize);
  FastRound o;
  assert_true(decode_fast_round(ByteSpan(payload, plen), &o).ok());
  assert_int_equal(o.round, 0x3F);
  assert_true(o.value == r.value);
  assert_int_equal(decode_fast_round(ByteSpan(payload, 12), &o).code(),
                   code(ProtocolError::kBadFastRound));
  assert_int_equal(decode_fast_round(ByteSpan(payload, 14), &o).code(),
                   code(ProtocolError::kBadFastRound));
  payload[0] = 64;
  assert_int_equal(decode_fast_round(ByteSpan(payload, 13), &o).code(),
                   code(ProtocolError::kBadFastRound));
  r.round = 64;
  assert_int_equal(encode_fast_frame(r, MutByteSpan(frame, sizeof frame), &n).code(),
                   code(ProtocolError::kBadFastRound));
  r.round = 0;
  assert_int_equal(encode_fast_round(r, MutByteSpan(payload, 12), &n).code(),
                   code(ProtocolError::kOutputTooSmall));
}

// ---- deterministic fuzz -------------------------------------------------------------------

Status decode_any(ByteSpan msg) {
  Envelope env;
  LOCUS_TRY(decode_envelope(msg, &env));
  switch (env.type) {
    case kMsgGetIdentity: {
      GetIdentityRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgGetIdentity | kResponseBit: {
      IdentityResponse x;
      return decode_body(env.body, &x);
    }
    case kMsgInstallDevidCert: {
      InstallDevidCertRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgInstallVerifierKey: {
      InstallVerifierKeyRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgRotateVerifierKey: {
      RotateVerifierKeyRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgGetEvidence: {
      GetEvidenceRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgGetEvidence | kResponseBit: {
      EvidenceResponse x;
      return decode_body(env.body, &x);
    }
    case kMsgApplyLicense: {
      ApplyLicenseRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgApplyLicense | kResponseBit: {
      ApplyLicenseResponse x;
      return decode_body(env.body, &x);
    }
    case kMsgGetStatus | kResponseBit: {
      StatusResponse x;
      return decode_body(env.body, &x);
    }
    case kMsgLmSetup: {
      LmSetupRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgLmSetup | kResponseBit: {
      LmSetupResponse x;
      return decode_body(env.body, &x);
    }
    case kMsgLmRound: {
      LmRoundRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgLmRound | kResponseBit: {
      LmRoundResponse x;
      return decode_body(env.body, &x);
    }
    case kMsgLmClose: {
      LmCloseRequest x;
      return decode_body(env.body, &x);
    }
    case kMsgError: {
      ErrorResponse x;
      return decode_body(env.body, &x);
    }
    default: {
      GetStatusRequest x;
      return decode_body(env.body, &x);
    }
  }
}

// Valid messages with random byte flips, truncations and pure random bytes (fixed seed,
// bounded count) never crash a decoder (ASan/UBSan builds check memory safety); results
// are either OK or an error of the CBOR or protocol module.
void test_fuzz_decoders(void**) {
  static uint8_t seeds[4][512];
  size_t seed_len[4];
  {
    IdentityResponse id;
    fill(id.ueid, fixtures::kUeidBytes);
    fill(id.devid_pub, fixtures::kPubBytes);
    id.csr = ByteSpan(U(fixtures::kDerBytes), 40);
    id.alias_cert = ByteSpan(U(fixtures::kDerBytes), 40);
    id.hwmodel = ByteSpan(U(fixtures::kDerBytes), 5);
    assert_true(encode_message(1u, id, MutByteSpan(seeds[0], 512), &seed_len[0]).ok());
    StatusResponse st;
    assert_true(encode_message(2u, st, MutByteSpan(seeds[1], 512), &seed_len[1]).ok());
    LmSetupRequest s;
    fill(s.lm_eph_pub, fixtures::kPubBytes);
    s.lm_nonce = ByteSpan(U(fixtures::kNonceBytes), 20);
    s.verifier_nonce = ByteSpan(U(fixtures::kNonceBytes), 20);
    s.rounds = 9;
    assert_true(encode_message(3u, s, MutByteSpan(seeds[2], 512), &seed_len[2]).ok());
    LmRoundRequest r;
    assert_true(encode_message(4u, r, MutByteSpan(seeds[3], 512), &seed_len[3]).ok());
  }
  schema_test::Rng rng{0xC0FFEEu};
  uint8_t buf[512];
  int ok = 0, failed = 0;
  for (int iter = 0; iter < 40000; ++iter) {
    const uint32_t pick = static_cast<uint32_t>(rng.next());
    size_t n = 0;
    if (pick % 5 == 0) {
      n = rng.next() % 64;
      for (size_t i = 0; i < n; ++i) buf[i] = static_cast<uint8_t>(rng.next());
    } else {
      const size_t s = pick % 4;
      n = seed_len[s];
      memcpy(buf, seeds[s], n);
      const uint32_t flips = 1 + static_cast<uint32_t>(rng.next() % 4);
      for (uint32_t k = 0; k < flips; ++k)
        buf[rng.next() % n] ^= static_cast<uint8_t>(1u << (rng.next() % 8));
      if (rng.next() % 4 == 0) n = rng.next() % (n + 1);
    }
    const Status st = decode_any(ByteSpan(buf, n));
    if (st.ok()) {
      ok++;
    } else {
      failed++;
      assert_true(st.module() == Module::kCbor || st.module() == Module::kProtocol);
    }
  }
  assert_true(failed > 0);
  assert_true(ok > 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_null_bodies),
      cmocka_unit_test(test_round_trip_identity),
      cmocka_unit_test(test_round_trip_bstr_bodies),
      cmocka_unit_test(test_round_trip_status),
      cmocka_unit_test(test_round_trip_dbound),
      cmocka_unit_test(test_round_trip_error),
      cmocka_unit_test(test_envelope_errors),
      cmocka_unit_test(test_unexpected_type_and_raw_envelope),
      cmocka_unit_test(test_schema_identity),
      cmocka_unit_test(test_schema_status),
      cmocka_unit_test(test_schema_lm_setup),
      cmocka_unit_test(test_schema_lm_round),
      cmocka_unit_test(test_simple_bodies),
      cmocka_unit_test(test_encoders_refuse_invalid),
      cmocka_unit_test(test_fast_round),
      cmocka_unit_test(test_fuzz_decoders),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
