// Distance bounding: landmark session set-up, rounds and close.
#include <string.h>

#include "core_internal.h"
#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/firmware/core.h"
#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"

namespace locus::firmware {

using namespace detail;  // NOLINT: the shared helpers of the core

void Core::close_session() {
  crypto::zeroize(&session_, sizeof(session_));
  session_.open = false;
}

Status Core::do_lm_setup(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  if (attestation_refused()) {
    return FirmwareError::kRollback;
  }
  close_session();  // one session at a time: a new set-up ends any open one
  protocol::LmSetupRequest q;
  LOCUS_TRY(decode_request(body, &q, ProtocolError::kBadPublicKey, FirmwareError::kBadPublicKey,
                           FirmwareError::kBadSessionParams));
  const ByteSpan sid(q.session_id.data(), q.session_id.size());
  const ByteSpan lm_pub(q.lm_eph_pub.data(), q.lm_eph_pub.size());
  const ByteSpan lm_nonce = q.lm_nonce;
  const ByteSpan vnonce = q.verifier_nonce;
  crypto::P256PublicKey peer;
  memcpy(peer.q.data(), lm_pub.data, 65);
  if (!crypto::p256_check_public(peer).ok()) {
    return FirmwareError::kBadPublicKey;
  }
  crypto::P256PrivateKey eph;  // zeroised by its destructor
  crypto::P256PublicKey eph_pub;
  std::array<uint8_t, 32> shared{};
  uint8_t k[db::kKeySize];
  Status st = crypto::p256_generate_key(drbg_, &eph);
  if (st.ok()) {
    st = crypto::p256_public_key(eph, &eph_pub);
  }
  if (st.ok()) {
    st = crypto::ecdh_p256(eph, peer, &shared);
  }
  if (st.ok()) {
    st = db::derive_session_key(ByteSpan(shared.data(), 32), lm_nonce, sid, lm_pub,
                                ByteSpan(eph_pub.q.data(), 65), vnonce, k);
  }
  if (st.ok()) {
    st = db::derive_table(k, q.rounds, &session_.table);
  }
  crypto::zeroize(shared.data(), shared.size());
  crypto::zeroize(k, sizeof(k));
  crypto::zeroize(eph.d.data(), eph.d.size());
  if (!st.ok()) {
    close_session();
    return FirmwareError::kDbound;
  }
  protocol::DboundTranscript& t = session_.transcript;
  memcpy(t.session_id.data(), sid.data, sid.size);
  memcpy(session_.lm_nonce, lm_nonce.data, lm_nonce.size);
  t.lm_nonce = ByteSpan(session_.lm_nonce, lm_nonce.size);
  memcpy(session_.verifier_nonce, vnonce.data, vnonce.size);
  t.verifier_nonce = ByteSpan(session_.verifier_nonce, vnonce.size);
  memcpy(t.lm_eph_pub.data(), lm_pub.data, 65);
  memcpy(t.dev_eph_pub.data(), eph_pub.q.data(), 65);
  memcpy(t.ueid.data(), id_.ueid, kUeidSize);
  t.round_count = 0;
  session_.next_round = 0;
  session_.open = true;
  protocol::LmSetupResponse r;
  r.dev_eph_pub = t.dev_eph_pub;
  return respond(id, r, out, n);
}

Status Core::do_lm_round(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  protocol::LmRoundRequest q;
  const Status dec = protocol::decode_body(body, &q);
  // A round index beyond any session (>= 64) is out of order like any other wrong index.
  const bool bad_index = dec == Status(ProtocolError::kFieldOutOfRange);
  if (!dec.ok() && !bad_index) {
    return dec == Status(ProtocolError::kFieldWrongSize)
               ? Status(FirmwareError::kBadChallengeLength)
               : Status(FirmwareError::kBadMessage);
  }
  if (!session_.open) {
    return FirmwareError::kNoSession;
  }
  if (bad_index || q.round != session_.next_round || session_.next_round >= session_.table.rounds) {
    close_session();
    return FirmwareError::kRoundOutOfOrder;
  }
  const ByteSpan c(q.challenge.data(), q.challenge.size());
  const size_t i = session_.next_round;
  protocol::TranscriptRound& r = session_.transcript.rounds[i];
  db::answer(session_.table, i, c.data, r.answer.data());
  r.round = static_cast<uint8_t>(i);
  memcpy(r.challenge.data(), c.data, db::kChallengeSize);
  session_.next_round = i + 1;
  protocol::LmRoundResponse resp;
  resp.answer = r.answer;
  return respond(id, resp, out, n);
}

Status Core::do_lm_close(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  protocol::LmCloseRequest q;
  LOCUS_TRY(decode_request(body, &q, ProtocolError::kBodyWrongType, FirmwareError::kBadMessage));
  const ByteSpan sid(q.session_id.data(), q.session_id.size());
  if (!session_.open) {
    return FirmwareError::kNoSession;
  }
  if (!crypto::ct_equal(sid, ByteSpan(session_.transcript.session_id.data(), db::kSessionIdSize))) {
    close_session();
    return FirmwareError::kSessionMismatch;
  }
  if (session_.next_round != session_.table.rounds) {
    close_session();
    return FirmwareError::kRoundsIncomplete;
  }
  if (attestation_refused()) {
    close_session();
    return FirmwareError::kRollback;
  }
  // The table is not needed any more: wipe it before the (slow) signature.
  db::zeroize(&session_.table);
  session_.transcript.round_count = session_.next_round;
  // Transcript into `out`, signed into scratch_, wrapped into `out` (as for evidence).
  size_t tl = 0;
  const Status enc = protocol::encode_transcript(session_.transcript, out, &tl);
  close_session();
  if (!enc.ok()) {
    return FirmwareError::kResponseTooLarge;
  }
  protocol::LmCloseResponse r;
  LOCUS_TRY(sign_alias(ByteSpan(out.data, tl), &r.cose_sign1));
  return respond(id, r, out, n);
}

}  // namespace locus::firmware
