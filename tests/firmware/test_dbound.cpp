// Distance bounding: table derivation against an independent HKDF recomputation (mbed TLS's
// HKDF directly), a whole session through the core (fast frames and CBOR rounds, transcript
// signed by the Alias key), and refusal of out-of-order / repeated rounds.
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <string.h>

#include "harness.h"
#include "locus/crypto/hash.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/dbound.h"
#include "locus_test/cmocka.h"

using locus::ByteSpan;
using locus::MutByteSpan;
using locus::Status;
using locus::firmware::FirmwareError;
namespace proto = locus::protocol;
namespace db = locus::protocol::dbound;
using th::Bytes;

namespace {

// Independent reference: HKDF-Expand by mbed TLS, answer by the formula in docs/protocol.md.
Bytes ref_material(const uint8_t k[32], size_t rounds) {
  Bytes m(db::kTSize + rounds * 12);
  const char info[] = "locus/dbound/table";
  if (mbedtls_hkdf_expand(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), k, 32,
                          reinterpret_cast<const unsigned char*>(info), sizeof(info) - 1, m.data(),
                          m.size()) != 0) {
    abort();
  }
  return m;
}
void ref_answer(const Bytes& m, size_t round, const uint8_t c[12], uint8_t out[12]) {
  for (size_t b = 0; b < 12; ++b) out[b] = m[db::kTSize + round * 12 + b];
  for (size_t j = 0; j < 24; ++j) {
    const unsigned nib = (j % 2 == 0) ? (c[j / 2] >> 4) : (c[j / 2] & 0xF);
    for (size_t b = 0; b < 12; ++b) out[b] ^= m[(j * 16 + nib) * 12 + b];
  }
}

int setup(void**) {
  fake::reset_board();
  return th::boot().ok() ? 0 : -1;
}

// derive_table equals the independent HKDF-Expand layout and answers match the formula
// for many challenges; the same key gives the same table (determinism).
void test_table_matches_reference(void**) {
  uint8_t k[32];
  for (int i = 0; i < 32; ++i) k[i] = static_cast<uint8_t>(i * 3 + 1);
  static db::Table t1, t2;
  assert_true(db::derive_table(k, 64, &t1).ok());
  assert_true(db::derive_table(k, 64, &t2).ok());
  assert_memory_equal(&t1, &t2, sizeof(t1));
  const Bytes m = ref_material(k, 64);
  // The table holds little-endian words: on this (little-endian) host its memory image is
  // the material byte for byte.
  assert_memory_equal(&t1.t[0][0][0], m.data(), db::kTSize);
  assert_memory_equal(&t1.r[0][0], m.data() + db::kTSize, size_t{64} * 12);
  uint8_t c[12], a[12], r[12];
  for (int round = 0; round < 64; ++round) {
    for (int i = 0; i < 12; ++i) c[i] = static_cast<uint8_t>(round * 17 + i * 29);
    db::answer(t1, static_cast<size_t>(round), c, a);
    ref_answer(m, static_cast<size_t>(round), c, r);
    assert_memory_equal(a, r, 12);
  }
  // Rounds outside 1..64 are refused.
  assert_false(db::derive_table(k, 0, &t1).ok());
  assert_false(db::derive_table(k, 65, &t1).ok());
}

// derive_session_key equals HKDF(salt = lm_nonce||sid, ikm, info = label||pubs||vnonce).
void test_session_key_matches_reference(void**) {
  const Bytes shared(32, 0x11), lm_nonce(20, 0x22), sid(16, 0x33), lm_pub(65, 0x44),
      dev_pub(65, 0x55), vn(48, 0x66);
  uint8_t k[32];
  assert_true(db::derive_session_key(ByteSpan(shared.data(), 32), ByteSpan(lm_nonce.data(), 20),
                                     ByteSpan(sid.data(), 16), ByteSpan(lm_pub.data(), 65),
                                     ByteSpan(dev_pub.data(), 65), ByteSpan(vn.data(), 48), k)
                  .ok());
  Bytes salt = lm_nonce;
  salt.insert(salt.end(), sid.begin(), sid.end());
  const std::string label = "locus/dbound/v1";
  Bytes info(label.begin(), label.end());
  info.insert(info.end(), lm_pub.begin(), lm_pub.end());
  info.insert(info.end(), dev_pub.begin(), dev_pub.end());
  info.insert(info.end(), vn.begin(), vn.end());
  uint8_t ref[32];
  assert_int_equal(mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt.data(),
                                salt.size(), shared.data(), 32, info.data(), info.size(), ref, 32),
                   0);
  assert_memory_equal(k, ref, 32);
  // Wrong sizes are refused.
  assert_false(db::derive_session_key(ByteSpan(shared.data(), 31), ByteSpan(lm_nonce.data(), 20),
                                      ByteSpan(sid.data(), 16), ByteSpan(lm_pub.data(), 65),
                                      ByteSpan(dev_pub.data(), 65), ByteSpan(vn.data(), 48), k)
                   .ok());
}

struct Landmark {
  locus::crypto::P256PrivateKey priv;
  locus::crypto::P256PublicKey pub;
  proto::P256Pub dev_pub{};
  Bytes lm_nonce = th::nonce_of(40, 24);
  Bytes vnonce = th::nonce_of(41, 32);
  proto::SessionId sid{};
  Bytes material;
};

// Opens a session with `rounds` rounds; the landmark side computes its own table.
Status open_session(Landmark* lm, uint8_t rounds) {
  th::verifier_key(50, &lm->priv, &lm->pub);
  for (int i = 0; i < 16; ++i) lm->sid[static_cast<size_t>(i)] = static_cast<uint8_t>(0xC0 + i);
  proto::LmSetupRequest q;
  q.session_id = lm->sid;
  q.lm_nonce = ByteSpan(lm->lm_nonce.data(), lm->lm_nonce.size());
  memcpy(q.lm_eph_pub.data(), lm->pub.q.data(), 65);
  q.rounds = rounds;
  q.verifier_nonce = ByteSpan(lm->vnonce.data(), lm->vnonce.size());
  proto::LmSetupResponse r;
  Status st = th::call(q, &r);
  if (!st.ok()) return st;
  lm->dev_pub = r.dev_eph_pub;
  locus::crypto::P256PublicKey dp;
  memcpy(dp.q.data(), r.dev_eph_pub.data(), 65);
  std::array<uint8_t, 32> shared{};
  assert_true(locus::crypto::ecdh_p256(lm->priv, dp, &shared).ok());
  uint8_t k[32];
  assert_true(db::derive_session_key(ByteSpan(shared.data(), 32), q.lm_nonce,
                                     ByteSpan(lm->sid.data(), 16), ByteSpan(lm->pub.q.data(), 65),
                                     ByteSpan(dp.q.data(), 65), q.verifier_nonce, k)
                  .ok());
  lm->material = ref_material(k, rounds);
  return Status::Ok();
}

// Sends a rev 0x02 fast frame; returns the response rev and payload.
Bytes fast(uint8_t round, const uint8_t c[12], uint8_t* rev) {
  uint8_t p[13];
  p[0] = round;
  memcpy(p + 1, c, 12);
  static uint8_t out[proto::kMaxPayload];
  size_t n = 0;
  th::core().handle(proto::kRevFast, ByteSpan(p, 13), rev, MutByteSpan(out, sizeof(out)), &n);
  return Bytes(out, out + n);
}

uint16_t error_code(const Bytes& resp) {
  proto::Envelope env;
  if (!proto::decode_envelope(ByteSpan(resp.data(), resp.size()), &env).ok() || env.type != 0xFF)
    return 0;
  proto::ErrorResponse e;
  if (!proto::decode_body(env.body, &e).ok()) return 0;
  return e.code;
}

// A full session: fast-frame and CBOR rounds answer as the landmark's table says; the closed
// transcript verifies with the Alias key and lists every round; the session is then gone.
void test_full_session(void**) {
  Landmark lm;
  assert_true(open_session(&lm, 8).ok());
  assert_true(th::core().session_open());
  uint8_t c[12], want[12];
  for (uint8_t i = 0; i < 8; ++i) {
    for (int b = 0; b < 12; ++b) c[b] = static_cast<uint8_t>(i * 31 + b * 7 + 3);
    ref_answer(lm.material, i, c, want);
    if (i % 2 == 0) {
      uint8_t rev = 0;
      const Bytes resp = fast(i, c, &rev);
      assert_int_equal(rev, proto::kRevFast);
      assert_int_equal(resp.size(), 13);
      assert_int_equal(resp[0], i);
      assert_memory_equal(resp.data() + 1, want, 12);
    } else {
      proto::LmRoundRequest q;
      q.round = i;
      memcpy(q.challenge.data(), c, 12);
      proto::LmRoundResponse r;
      assert_true(th::call(q, &r).ok());
      assert_memory_equal(r.answer.data(), want, 12);
    }
  }
  proto::LmCloseRequest cq;
  cq.session_id = lm.sid;
  proto::LmCloseResponse cr;
  Bytes raw;
  assert_true(th::call(cq, &cr, &raw).ok());
  assert_false(th::core().session_open());
  locus::cose::Sign1View v;
  assert_true(locus::cose::sign1_decode(cr.cose_sign1, &v).ok());
  assert_true(locus::cose::sign1_verify_es256(v, th::core().identity().alias_pub).ok());
  static proto::DboundTranscript t;
  assert_true(proto::decode_transcript(v.payload, &t).ok());
  assert_int_equal(t.round_count, 8);
  assert_memory_equal(t.dev_eph_pub.data(), lm.dev_pub.data(), 65);
  assert_memory_equal(t.ueid.data(), th::core().identity().ueid, 33);
  for (uint8_t i = 0; i < 8; ++i) {
    ref_answer(lm.material, i, t.rounds[i].challenge.data(), want);
    assert_memory_equal(t.rounds[i].answer.data(), want, 12);
  }
  // The closed session cannot be used again.
  uint8_t rev = 0;
  assert_int_equal(error_code(fast(0, c, &rev)), Status(FirmwareError::kNoSession).code());
}

// A skipped round (1 before 0) is refused and ends the session.
void test_out_of_order_round(void**) {
  Landmark lm;
  assert_true(open_session(&lm, 4).ok());
  const uint8_t c[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  uint8_t rev = 0;
  const Bytes resp = fast(1, c, &rev);
  assert_int_equal(rev, proto::kRevMessage);
  assert_int_equal(error_code(resp), Status(FirmwareError::kRoundOutOfOrder).code());
  assert_false(th::core().session_open());
  assert_int_equal(error_code(fast(0, c, &rev)), Status(FirmwareError::kNoSession).code());
}

// A repeated round (0 twice, e.g. to get two answers for the same index) is refused.
void test_repeated_round(void**) {
  Landmark lm;
  assert_true(open_session(&lm, 4).ok());
  const uint8_t c[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  uint8_t rev = 0;
  assert_int_equal(fast(0, c, &rev).size(), 13);
  assert_int_equal(rev, proto::kRevFast);
  proto::LmRoundRequest q;
  q.round = 0;
  proto::LmRoundResponse r;
  assert_int_equal(th::call(q, &r).code(), Status(FirmwareError::kRoundOutOfOrder).code());
  assert_false(th::core().session_open());
}

// Rounds beyond the session's count, a close before every round, a close with another
// session id, a fast frame of the wrong length: each refused with its code.
void test_session_errors(void**) {
  Landmark lm;
  assert_true(open_session(&lm, 1).ok());
  const uint8_t c[12] = {};
  uint8_t rev = 0;
  assert_int_equal(fast(0, c, &rev).size(), 13);
  assert_int_equal(error_code(fast(1, c, &rev)), Status(FirmwareError::kRoundOutOfOrder).code());

  assert_true(open_session(&lm, 2).ok());
  proto::LmCloseRequest cq;
  cq.session_id = lm.sid;
  proto::LmCloseResponse cr;
  assert_int_equal(th::call(cq, &cr).code(), Status(FirmwareError::kRoundsIncomplete).code());
  assert_false(th::core().session_open());

  assert_true(open_session(&lm, 1).ok());
  assert_int_equal(fast(0, c, &rev).size(), 13);
  cq.session_id[0] ^= 1;
  assert_int_equal(th::call(cq, &cr).code(), Status(FirmwareError::kSessionMismatch).code());

  assert_true(open_session(&lm, 1).ok());
  uint8_t short_frame[5] = {0, 1, 2, 3, 4};
  static uint8_t out[256];
  size_t n = 0;
  th::core().handle(proto::kRevFast, ByteSpan(short_frame, 5), &rev, MutByteSpan(out, sizeof(out)),
                    &n);
  assert_int_equal(error_code(Bytes(out, out + n)),
                   Status(proto::ProtocolError::kBadFastRound).code());
  assert_false(th::core().session_open());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_matches_reference),
      cmocka_unit_test(test_session_key_matches_reference),
      cmocka_unit_test_setup(test_full_session, setup),
      cmocka_unit_test_setup(test_out_of_order_round, setup),
      cmocka_unit_test_setup(test_repeated_round, setup),
      cmocka_unit_test_setup(test_session_errors, setup),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
