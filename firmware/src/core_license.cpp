// Interconnect license: checks and the hardened grant (DESIGN §5).
//
// A license is accepted only if it answers the latest evidence of this boot: it echoes that
// evidence's verifier nonce and board nonce, arrives within kAnswerWindowSeconds of it, and
// its lease is counted from the evidence time. The first APPLY_LICENSE after an evidence
// voids that evidence whatever the outcome, so at most one license per evidence is usable.
#include <string.h>

#include "core_internal.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/p256.h"
#include "locus/firmware/core.h"
#include "locus/firmware/hardened.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"

namespace locus::firmware {

using namespace detail;  // NOLINT: the shared helpers of the core

namespace {

// The protocol decoder's codes for a license payload, as the firmware documents them.
Status map_license_decode(Status st) {
  if (st.ok()) {
    return st;
  }
  if (st.module() != Module::kProtocol) {
    return FirmwareError::kLicenseMalformed;
  }
  switch (static_cast<ProtocolError>(st.code() & 0xFFu)) {
    case ProtocolError::kBadLicenseMode: return FirmwareError::kLicenseBadMode;
    case ProtocolError::kBadLeaseLength: return FirmwareError::kLicenseBadLease;
    default: return FirmwareError::kLicenseMalformed;
  }
}

}  // namespace

Status Core::check_license(ByteSpan license, const PendingEvidence& ev, uint64_t* counter_out,
                           uint64_t* lease_end_out) {
  const PersistentState& s = store_.state();
  if (store_.fault()) {
    return FirmwareError::kStorageFault;
  }
  if (!s.has_verifier_key) {
    return store_.provisioned() ? Status(FirmwareError::kVerifierKeyPending)
                                : Status(FirmwareError::kNoVerifierKey);
  }
  if (!store_.key_matches_anchor(s)) {
    return FirmwareError::kVerifierKeyPending;
  }
  cose::Sign1View v;
  if (!cose::sign1_decode(license, &v).ok()) {
    return FirmwareError::kLicenseMalformed;
  }
  crypto::P256PublicKey pub;
  memcpy(pub.q.data(), s.verifier_key, 65);
  if (!cose::sign1_verify_es256(v, pub).ok()) {
    return FirmwareError::kLicenseSignature;
  }
  protocol::License lic;
  LOCUS_TRY(map_license_decode(protocol::decode_license(v.payload, &lic)));
  if (!crypto::ct_equal(ByteSpan(lic.ueid.data(), lic.ueid.size()),
                        ByteSpan(id_.ueid, kUeidSize))) {
    return FirmwareError::kLicenseWrongUeid;
  }
  if (!hardened::is_true(ev.valid)) {
    return FirmwareError::kLicenseNoEvidence;
  }
  if (!crypto::ct_equal(lic.nonce, ByteSpan(ev.nonce, ev.nonce_len))) {
    return FirmwareError::kLicenseWrongNonce;
  }
  if (!crypto::ct_equal(ByteSpan(lic.board_nonce.data(), lic.board_nonce.size()),
                        ByteSpan(ev.board_nonce, sizeof(ev.board_nonce)))) {
    return FirmwareError::kLicenseWrongBoardNonce;
  }
  const uint64_t now = board::monotonic_us();
  const uint64_t window_us = static_cast<uint64_t>(kAnswerWindowSeconds) * 1000000u;
  if (now < ev.time_us || now - ev.time_us > window_us) {
    return FirmwareError::kLicenseWindowExpired;
  }
  // The lease runs from the evidence, not from now: holding a license back shortens it.
  const uint64_t lease_end = ev.time_us + static_cast<uint64_t>(lic.lease_s) * 1000000u;
  if (lease_end <= now) {
    return FirmwareError::kLicenseWindowExpired;
  }
  if (lic.counter <= s.license_counter) {
    return FirmwareError::kLicenseStaleCounter;
  }
  if (!crypto::ct_equal(ByteSpan(lic.fwid.data(), lic.fwid.size()), ByteSpan(id_.fwid, 32))) {
    return FirmwareError::kLicenseWrongFwid;
  }
  *counter_out = lic.counter;
  *lease_end_out = lease_end;
  return Status::Ok();
}

Status Core::do_license(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  // The first APPLY_LICENSE attempt consumes the pending evidence, accepted or not.
  PendingEvidence ev{};
  ev.valid = board_nonce_valid_;
  memcpy(ev.nonce, evidence_nonce_, sizeof(ev.nonce));
  ev.nonce_len = evidence_nonce_len_;
  memcpy(ev.board_nonce, board_nonce_, sizeof(ev.board_nonce));
  ev.time_us = evidence_time_us_;
  void_board_nonce();

  Status st = Status();
  uint32_t decision = hardened::launder32(hardened::kFalse);
  uint64_t counter = 0;
  uint64_t lease_end = 0;
  protocol::ApplyLicenseRequest q;
  if (attestation_refused()) {
    st = FirmwareError::kRollback;
  } else if (!protocol::decode_body(body, &q).ok()) {
    st = FirmwareError::kBadMessage;
  } else {
    st = check_license(q.cose_sign1, ev, &counter, &lease_end);
    if (st.ok()) {
      decision = hardened::launder32(hardened::kTrue);
    }
  }
  crypto::zeroize(&ev, sizeof(ev));
  if (!st.ok() || !hardened::is_true(decision)) {
    restrict_now();  // every license error leaves or returns the board RESTRICTED
    return st.ok() ? Status(FirmwareError::kHardenedCheck) : st;
  }
  // Persist the counter BEFORE switching: a replay after a power cut must fail.
  next_ = store_.state();
  next_.license_counter = counter;
  st = commit_next();
  if (!st.ok()) {
    restrict_now();
    return st;
  }
  // Second, independent check before granting: the hardened decision, the journaled counter,
  // healthy storage and no rollback, each re-read through launder so none is folded away.
  const uint32_t again = hardened::eq(hardened::launder32(decision), hardened::kTrue);
  if (hardened::is_true(again) &&
      hardened::launder64(store_.state().license_counter) == hardened::launder64(counter) &&
      counter != 0 && !store_.fault() && !attestation_refused()) {
    set_mode(InterconnectMode::kFull, lease_end);
  } else {
    restrict_now();
    return FirmwareError::kHardenedCheck;
  }
  protocol::ApplyLicenseResponse r;
  status_info(&r.status);
  return respond(id, r, out, n);
}

}  // namespace locus::firmware
