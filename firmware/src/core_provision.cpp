// Identity and provisioning: GET_IDENTITY, DeviceID certificate, verifier key install and rotation.
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

Status Core::do_identity(MutByteSpan out, size_t* n, uint32_t id) {
  if (csr_len_ == 0) {
    LOCUS_TRY(dice_write_csr(id_, MutByteSpan(csr_, sizeof(csr_)), &csr_len_));
  }
  const PersistentState& s = store_.state();
  protocol::IdentityResponse r;
  memcpy(r.ueid.data(), id_.ueid, kUeidSize);
  memcpy(r.devid_pub.data(), id_.devid_pub.q.data(), r.devid_pub.size());
  r.csr = ByteSpan(csr_, csr_len_);
  r.devid_cert = ByteSpan(s.devid_cert, s.devid_cert_len);  // empty: null on the wire
  r.alias_cert = ByteSpan(id_.alias_cert, id_.alias_cert_len);
  r.hwmodel = ByteSpan(reinterpret_cast<const uint8_t*>(hwmodel_), strlen(hwmodel_));
  r.svn = svn_;
  memcpy(r.fwid.data(), id_.fwid, r.fwid.size());
  return respond(id, r, out, n);
}

Status Core::do_install_cert(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  protocol::InstallDevidCertRequest q;
  // Empty, or beyond the protocol's certificate limit: not a certificate we could take.
  LOCUS_TRY(
      decode_request(body, &q, ProtocolError::kFieldWrongSize, FirmwareError::kCertMalformed));
  const ByteSpan cert = q.cert;
  if (cert.size > kMaxDevIdCert) {
    return FirmwareError::kCertTooLarge;
  }
  // A DER SEQUENCE whose stated length covers exactly the bytes given.
  size_t total = 0;
  if (cert.size >= 4 && cert[0] == 0x30 && cert[1] == 0x82) {
    total = 4 + (static_cast<size_t>(cert[2]) << 8 | cert[3]);
  } else if (cert.size >= 3 && cert[0] == 0x30 && cert[1] == 0x81) {
    total = 3 + static_cast<size_t>(cert[2]);
  }
  if (total == 0 || total != cert.size) {
    return FirmwareError::kCertMalformed;
  }
  if (store_.fault()) {
    return FirmwareError::kStorageFault;
  }
  // It must certify this board's DeviceID key (the SEC1 point appears in its SPKI).
  if (!find(cert, ByteSpan(id_.devid_pub.q.data(), 65))) {
    return FirmwareError::kCertWrongKey;
  }
  if (store_.state().devid_cert_len != 0) {
    return FirmwareError::kCertInstalled;
  }
  next_ = store_.state();
  memcpy(next_.devid_cert, cert.data, cert.size);
  next_.devid_cert_len = static_cast<uint16_t>(cert.size);
  LOCUS_TRY(commit_next());
  return respond(id, protocol::InstallDevidCertResponse{}, out, n);
}

Status Core::do_install_key(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  protocol::InstallVerifierKeyRequest q;
  const Status dec =
      decode_request(body, &q, ProtocolError::kBadPublicKey, FirmwareError::kBadPublicKey);
  if (dec == Status(FirmwareError::kBadMessage)) {
    return dec;
  }
  // Never on a faulty store: "could not read" is not "blank".
  if (store_.fault()) {
    return FirmwareError::kStorageFault;
  }
  if (store_.state().has_verifier_key) {
    return FirmwareError::kVerifierKeyInstalled;
  }
  LOCUS_TRY(dec);
  crypto::P256PublicKey pub;
  memcpy(pub.q.data(), q.key.data(), 65);
  if (!crypto::p256_check_public(pub).ok()) {
    return FirmwareError::kBadPublicKey;
  }
  crypto::Digest h;
  LOCUS_TRY(crypto::sha256(ByteSpan(q.key.data(), 65), &h));
  if (store_.provisioned()) {
    // The write-once anchor is there but the journal commit after it was cut: only the
    // anchored key completes the installation.
    const Anchor& a = store_.anchor();
    if (a.rotation != 0 ||
        !crypto::ct_equal(ByteSpan(h.data(), h.size()), ByteSpan(a.key_hash, 32))) {
      return FirmwareError::kVerifierKeyMismatch;
    }
  } else {
    // Write-once first: from here on the board is provisioned with this key, whatever happens.
    LOCUS_TRY(store_.program_anchor(0, h.data()));
  }
  next_ = store_.state();
  memcpy(next_.verifier_key, q.key.data(), 65);
  next_.has_verifier_key = true;
  next_.rotation_counter = 0;
  LOCUS_TRY(commit_next());
  return respond(id, protocol::InstallVerifierKeyResponse{}, out, n);
}

Status Core::do_rotate(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  protocol::RotateVerifierKeyRequest q;
  LOCUS_TRY(decode_request(body, &q, ProtocolError::kBodyWrongType, FirmwareError::kBadMessage));
  const ByteSpan msg = q.cose_sign1;
  if (store_.fault()) {
    return FirmwareError::kStorageFault;
  }
  const PersistentState& s = store_.state();
  if (!s.has_verifier_key) {
    return FirmwareError::kNoVerifierKey;
  }
  cose::Sign1View v;
  if (!cose::sign1_decode(msg, &v).ok()) {
    return FirmwareError::kRotationMalformed;
  }
  crypto::P256PublicKey cur;
  memcpy(cur.q.data(), s.verifier_key, 65);
  if (!cose::sign1_verify_es256(v, cur).ok()) {
    return FirmwareError::kRotationSignature;
  }
  protocol::VerifierKeyRotation rot;
  if (!protocol::decode_rotation(v.payload, &rot).ok()) {
    return FirmwareError::kRotationMalformed;
  }
  if (rot.counter <= s.rotation_counter) {
    return FirmwareError::kRotationStaleCounter;
  }
  crypto::P256PublicKey next_key;
  memcpy(next_key.q.data(), rot.new_key.data(), 65);
  if (!crypto::p256_check_public(next_key).ok()) {
    return FirmwareError::kBadPublicKey;
  }
  crypto::Digest h;
  LOCUS_TRY(crypto::sha256(ByteSpan(rot.new_key.data(), 65), &h));
  const Anchor& a = store_.anchor();
  if (a.present && s.rotation_counter < a.rotation) {
    // Completing a rotation whose journal commit was cut: only the anchored one.
    if (rot.counter != a.rotation ||
        !crypto::ct_equal(ByteSpan(h.data(), h.size()), ByteSpan(a.key_hash, 32))) {
      return FirmwareError::kVerifierKeyMismatch;
    }
  } else if (store_.key_matches_anchor(s)) {
    LOCUS_TRY(store_.program_anchor(rot.counter, h.data()));
  } else {
    return FirmwareError::kAnchorMismatch;
  }
  next_ = s;
  memcpy(next_.verifier_key, rot.new_key.data(), 65);
  next_.has_verifier_key = true;
  next_.rotation_counter = rot.counter;
  LOCUS_TRY(commit_next());
  return respond(id, protocol::RotateVerifierKeyResponse{}, out, n);
}

}  // namespace locus::firmware
