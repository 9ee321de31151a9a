// Interconnect license: checks and the hardened grant.
#include "locus/firmware/core.h"

#include <string.h>

#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"
#include "core_internal.h"

namespace locus::firmware {

using namespace detail;  // NOLINT: the shared helpers of the core

Status Core::check_license(ByteSpan license, uint64_t* counter_out, uint32_t* lease_out) {
  const PersistentState& s = store_.state();
  if (!s.has_verifier_key) return FirmwareError::kNoVerifierKey;
  cose::Sign1View v;
  if (!cose::sign1_decode(license, &v).ok()) return FirmwareError::kLicenseMalformed;
  crypto::P256PublicKey pub;
  memcpy(pub.q.data(), s.verifier_key, 65);
  if (!cose::sign1_verify_es256(v, pub).ok()) return FirmwareError::kLicenseSignature;
  if (!cbor::validate(v.payload).ok()) return FirmwareError::kLicenseMalformed;
  Decoder p(v.payload);
  uint64_t entries = 0;
  ByteSpan ueid;
  ByteSpan nonce;
  uint64_t counter = 0;
  uint64_t mode = 0;
  uint64_t lease = 0;
  ByteSpan site;
  ByteSpan fwid;
  if (!p.read_map(&entries).ok() || entries != 7 || !expect_key(p, 1) || !bstr(p, &ueid, kUeidSize, kUeidSize) ||
      !expect_key(p, 2) || !bstr(p, &nonce, kMinNonce, kMaxNonce) || !expect_key(p, 3) || !p.read_uint(&counter).ok() ||
      !expect_key(p, 4) || !p.read_uint(&mode).ok() || !expect_key(p, 5) || !p.read_uint(&lease).ok() || !expect_key(p, 6) ||
      !p.read_text(&site).ok() || !expect_key(p, 7) || !bstr(p, &fwid, 32, 32)) {
    return FirmwareError::kLicenseMalformed;
  }
  if (!crypto::ct_equal(ueid, ByteSpan(id_.ueid, kUeidSize))) return FirmwareError::kLicenseWrongUeid;
  if (!evidence_nonce_valid_) return FirmwareError::kLicenseNoEvidence;
  if (!crypto::ct_equal(nonce, ByteSpan(evidence_nonce_, evidence_nonce_len_))) {
    return FirmwareError::kLicenseWrongNonce;
  }
  if (counter <= s.license_counter) return FirmwareError::kLicenseStaleCounter;
  if (!crypto::ct_equal(fwid, ByteSpan(id_.fwid, 32))) return FirmwareError::kLicenseWrongFwid;
  if (mode != kWireFull) return FirmwareError::kLicenseBadMode;
  if (lease < 1 || lease > kMaxLeaseSeconds) return FirmwareError::kLicenseBadLease;
  *counter_out = counter;
  *lease_out = static_cast<uint32_t>(lease);
  return Status::Ok();
}

Status Core::do_license(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  Status st = Status();
  uint32_t decision = kDeny;
  uint64_t counter = 0;
  uint32_t lease = 0;
  protocol::ApplyLicenseRequest q;
  if (attestation_refused()) {
    st = FirmwareError::kRollback;
  } else if (!protocol::decode_body(body, &q).ok()) {
    st = FirmwareError::kBadMessage;
  } else {
    st = check_license(q.cose_sign1, &counter, &lease);
    if (st.ok()) decision = kGrant;
  }
  if (!st.ok() || decision != kGrant) {
    restrict_now();  // every license error leaves or returns the board RESTRICTED
    return st.ok() ? Status(FirmwareError::kLicenseMalformed) : st;
  }
  // Persist the counter BEFORE switching: a replay after a power cut must fail.
  next_ = store_.state();
  next_.license_counter = counter;
  st = commit_next();
  if (!st.ok()) {
    restrict_now();
    return st;
  }
  // The nonce is single use.
  crypto::zeroize(evidence_nonce_, sizeof(evidence_nonce_));
  evidence_nonce_len_ = 0;
  evidence_nonce_valid_ = false;
  // Second check on the hardened decision and the journaled counter before granting.
  if (decision == kGrant && store_.state().license_counter == counter && counter != 0 && !attestation_refused()) {
    set_mode(InterconnectMode::kFull, lease);
  } else {
    restrict_now();
    return FirmwareError::kLicenseMalformed;
  }
  protocol::ApplyLicenseResponse r;
  status_info(&r.status);
  return respond(id, r, out, n);
}

}  // namespace locus::firmware
