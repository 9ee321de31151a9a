// Evidence: the EAT signed by the Alias key.
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

Status Core::do_evidence(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  // A new GET_EVIDENCE voids the previous board nonce before anything else can fail.
  void_board_nonce();
  if (attestation_refused() || store_.state().min_svn > svn_) {
    return FirmwareError::kRollback;
  }
  protocol::GetEvidenceRequest q;
  LOCUS_TRY(decode_request(body, &q, ProtocolError::kBadNonceSize, FirmwareError::kBadNonceLength));
  // Kept before `out` is used as scratch below (the request may share memory with it).
  uint8_t nonce_buf[kMaxNonce];
  memcpy(nonce_buf, q.nonce.data, q.nonce.size);
  const ByteSpan nonce(nonce_buf, q.nonce.size);
  const PersistentState& s = store_.state();
  const uint64_t now = board::monotonic_us();  // the lease of its license counts from here
  uint8_t bnonce[protocol::kBoardNonceSize];
  LOCUS_TRY(drbg_.generate(MutByteSpan(bnonce, sizeof(bnonce))));
  protocol::EatClaims c;
  c.nonce = nonce;
  memcpy(c.ueid.data(), id_.ueid, kUeidSize);
  c.hwmodel = ByteSpan(reinterpret_cast<const uint8_t*>(hwmodel_), strlen(hwmodel_));
  c.dbgstat = 0;  // host-sim and the QEMU boards: debug enabled (RFC 9711 dbgstat 0)
  c.swname =
      ByteSpan(reinterpret_cast<const uint8_t*>(protocol::kSwName), sizeof(protocol::kSwName) - 1);
  memcpy(c.fwid.data(), id_.fwid, 32);
  c.svn = svn_;
  c.boot_count = s.boot_count;
  c.mode = is_full() ? protocol::kModeFull : protocol::kModeRestricted;
  c.license_counter = s.license_counter;
  memcpy(c.board_nonce.data(), bnonce, sizeof(bnonce));
  c.storage = store_.wire_health();
  // Claims into `out` (free until the response is written), signed into scratch_, then the
  // response wraps the COSE_Sign1 in `out`: two payload buffers in all.
  size_t claims_len = 0;
  if (!protocol::encode_claims(c, out, &claims_len).ok()) {
    return FirmwareError::kResponseTooLarge;
  }
  protocol::EvidenceResponse r;
  LOCUS_TRY(sign_alias(ByteSpan(out.data, claims_len), &r.cose_sign1));
  LOCUS_TRY(respond(id, r, out, n));
  // Only the latest evidence can be answered by a license, within the answer window.
  memcpy(evidence_nonce_, nonce.data, nonce.size);
  evidence_nonce_len_ = nonce.size;
  memcpy(board_nonce_, bnonce, sizeof(bnonce));
  crypto::zeroize(bnonce, sizeof(bnonce));
  evidence_time_us_ = now;
  board_nonce_valid_ = hardened::launder32(hardened::kTrue);
  return Status::Ok();
}

Status Core::sign_alias(ByteSpan payload, ByteSpan* cose) {
  const ByteSpan chain[1] = {ByteSpan(id_.alias_cert, id_.alias_cert_len)};
  cose::Sign1Options opt;
  opt.x5chain = chain;
  opt.x5chain_len = 1;
  size_t len = 0;
  LOCUS_TRY(cose::sign1_es256(id_.alias_priv, payload, opt, MutByteSpan(scratch_, sizeof(scratch_)),
                              &len));
  *cose = ByteSpan(scratch_, len);
  return Status::Ok();
}

}  // namespace locus::firmware
