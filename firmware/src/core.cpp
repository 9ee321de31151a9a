// The firmware core: dispatcher, evidence, license enforcement, rotation, dbound sessions.
#include "locus/firmware/core.h"

#include <string.h>

#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"

namespace locus::firmware {
namespace {

using board::InterconnectMode;
using cbor::Decoder;
using protocol::ProtocolError;
namespace db = protocol::dbound;

constexpr uint64_t kWireRestricted = 1;
constexpr uint64_t kWireFull = 2;
// License decision values: far apart so that one flipped bit cannot grant.
constexpr uint32_t kDeny = 0x3CA5965Au;
constexpr uint32_t kGrant = 0xC35A69A5u;

constexpr uint8_t inv(InterconnectMode m) { return static_cast<uint8_t>(~static_cast<uint8_t>(m)); }

int board_entropy(void*, uint8_t* out, size_t len) { return board::entropy(out, len).ok() ? 0 : -1; }

// Appends the decimal form of v to buf at *n (buf has room: callers size it).
void put_dec(char* buf, size_t* n, uint64_t v) {
  char tmp[21];
  size_t k = 0;
  do {
    tmp[k++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && k < sizeof(tmp));
  while (k > 0) buf[(*n)++] = tmp[--k];
}
void put_str(char* buf, size_t* n, const char* s) {
  while (*s != '\0') buf[(*n)++] = *s++;
}

// Reads map key `want` (uint) at the decoder position; keys arrive in canonical order
// because validate() ran on the whole message.
bool expect_key(Decoder& d, uint64_t want) {
  uint64_t k = 0;
  return d.read_uint(&k).ok() && k == want;
}
bool bstr(Decoder& d, ByteSpan* v, size_t min, size_t max) {
  return d.read_bytes(v).ok() && v->size >= min && v->size <= max;
}

// Encodes a whole response with the protocol library's codec; an output buffer that is too
// small becomes the firmware's kResponseTooLarge.
template <typename Body>
Status respond(uint32_t id, const Body& body, MutByteSpan out, size_t* n) {
  const Status st = protocol::encode_message(id, body, out, n);
  if (st == Status(ProtocolError::kOutputTooSmall)) return FirmwareError::kResponseTooLarge;
  return st;
}

// The request body through the protocol library's strict decoder. Schema violations the
// firmware documents with its own code (a wrong nonce size, a bad key, ...) are mapped by the
// caller; anything else is kBadMessage.
template <typename Req>
Status decode_request(ByteSpan body, Req* req, ProtocolError special, Status special_code,
                      Status other_code = FirmwareError::kBadMessage) {
  const Status st = protocol::decode_body(body, req);
  if (st.ok()) return st;
  if (st == Status(special)) return special_code;
  return other_code;
}

bool find(ByteSpan hay, ByteSpan needle) {
  if (needle.size == 0 || hay.size < needle.size) return false;
  for (size_t i = 0; i + needle.size <= hay.size; ++i) {
    if (memcmp(hay.data + i, needle.data, needle.size) == 0) return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------- boot, mode, lease

Status Core::boot(const char* hwmodel, uint32_t svn) {
  // First thing at reset: the interconnect is RESTRICTED until a license says otherwise.
  board::set_interconnect(InterconnectMode::kRestricted);
  mode_ = InterconnectMode::kRestricted;
  mode_inv_ = inv(InterconnectMode::kRestricted);
  lease_end_us_ = 0;
  board::log("interconnect: RESTRICTED");
  boot_status_ = Status();
  rollback_ = kRollbackDetected;
  crypto::zeroize(evidence_nonce_, sizeof(evidence_nonce_));
  evidence_nonce_len_ = 0;
  evidence_nonce_valid_ = false;
  close_session();
  deframer_.reset();
  csr_len_ = 0;
  hwmodel_ = hwmodel != nullptr ? hwmodel : "";
  svn_ = svn;
  if (board::entropy_is_emulated()) board::log("emulation only: entropy is not a TRNG");

  Status st = store_.load();
  if (!st.ok()) {
    board::log("boot: persistent storage unusable");
    boot_status_ = st;
    return st;
  }
  st = dice_derive(svn, &secrets_, &id_);
  if (!st.ok()) {
    board::log("boot: DICE derivation failed");
    boot_status_ = FirmwareError::kDiceFailed;
    return boot_status_;
  }
  // One journal commit per boot: count the boot and raise min_svn to this image's SVN.
  next_ = store_.state();
  next_.boot_count = next_.boot_count + 1;
  if (svn > next_.min_svn) next_.min_svn = svn;
  st = commit_next();
  if (!st.ok()) {
    board::log("boot: journal commit failed");
    boot_status_ = st;
    return st;
  }
  if (store_.state().min_svn > svn) {
    char line[96];
    size_t n = 0;
    put_str(line, &n, "anti-rollback: stored min_svn ");
    put_dec(line, &n, store_.state().min_svn);
    put_str(line, &n, " > image SVN ");
    put_dec(line, &n, svn);
    put_str(line, &n, ": attestation refused");
    line[n] = '\0';
    board::log(line);
    rollback_ = kRollbackDetected;
  } else {
    rollback_ = kNoRollback;
  }
  st = drbg_.seed(board_entropy, nullptr, ByteSpan(id_.ueid, kUeidSize));
  if (!st.ok()) {
    board::log("boot: DRBG seeding failed");
    boot_status_ = st;
    return st;
  }
  boot_status_ = Status::Ok();
  return boot_status_;
}

bool Core::is_full() const {
  return mode_ == InterconnectMode::kFull && mode_inv_ == inv(InterconnectMode::kFull) &&
         board::monotonic_us() < lease_end_us_;
}

uint64_t Core::lease_remaining_ms() const {
  if (!is_full()) return 0;
  return (lease_end_us_ - board::monotonic_us()) / 1000;
}

void Core::restrict_now() {
  const bool was_restricted =
      mode_ == InterconnectMode::kRestricted && mode_inv_ == inv(InterconnectMode::kRestricted);
  board::set_interconnect(InterconnectMode::kRestricted);
  mode_ = InterconnectMode::kRestricted;
  mode_inv_ = inv(InterconnectMode::kRestricted);
  lease_end_us_ = 0;
  if (!was_restricted) board::log("interconnect: RESTRICTED");
}

void Core::set_mode(InterconnectMode m, uint32_t lease_s) {
  if (m != InterconnectMode::kFull) {
    restrict_now();
    return;
  }
  lease_end_us_ = board::monotonic_us() + static_cast<uint64_t>(lease_s) * 1000000u;
  mode_ = InterconnectMode::kFull;
  mode_inv_ = inv(InterconnectMode::kFull);
  board::set_interconnect(InterconnectMode::kFull);
  char line[64];
  size_t n = 0;
  put_str(line, &n, "interconnect: FULL (lease ");
  put_dec(line, &n, lease_s);
  put_str(line, &n, " s)");
  line[n] = '\0';
  board::log(line);
}

void Core::poll() {
  const bool restricted =
      mode_ == InterconnectMode::kRestricted && mode_inv_ == inv(InterconnectMode::kRestricted);
  if (restricted) return;
  // Anything other than a consistent, unexpired FULL falls back to RESTRICTED.
  if (!is_full()) restrict_now();
}

// ---------------------------------------------------------------- link and dispatch

void Core::send_frame(uint8_t rev, ByteSpan payload) {
  // The frame is streamed to the link through the small tx_ buffer, stuffed on the fly: the
  // firmware never holds a stuffed copy of a 3 KB response (that would be another 6 KB).
  if (payload.size > protocol::kMaxPayload) return;
  const uint8_t header[protocol::kFrameHeaderSize] = {rev, static_cast<uint8_t>(payload.size >> 8),
                                                      static_cast<uint8_t>(payload.size & 0xFFu)};
  uint16_t fcs = protocol::fcs16_update(protocol::kFcsInit, ByteSpan(header, sizeof(header)));
  fcs = static_cast<uint16_t>(protocol::fcs16_update(fcs, payload) ^ 0xFFFFu);
  const uint8_t trailer[protocol::kFcsSize] = {static_cast<uint8_t>(fcs & 0xFFu), static_cast<uint8_t>(fcs >> 8)};
  size_t n = 0;
  tx_[n++] = protocol::kFlag;
  const ByteSpan parts[3] = {ByteSpan(header, sizeof(header)), payload, ByteSpan(trailer, sizeof(trailer))};
  for (const ByteSpan& part : parts) {
    for (size_t i = 0; i < part.size; ++i) {
      if (sizeof(tx_) - n < 2) {
        board::link_write(tx_, n).IgnoreError();  // a dead link is noticed by link_read
        n = 0;
      }
      const uint8_t b = part.data[i];
      if (b == protocol::kFlag || b == protocol::kEscape) {
        tx_[n++] = protocol::kEscape;
        tx_[n++] = static_cast<uint8_t>(b ^ protocol::kEscapeXor);
      } else {
        tx_[n++] = b;
      }
    }
  }
  if (sizeof(tx_) - n < 1) {
    board::link_write(tx_, n).IgnoreError();
    n = 0;
  }
  tx_[n++] = protocol::kFlag;
  board::link_write(tx_, n).IgnoreError();
}

void Core::on_link_bytes(const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    const protocol::DeframeResult r = deframer_.feed(data[i]);
    if (r.event == protocol::DeframeEvent::kFrame) {
      uint8_t rev = protocol::kRevMessage;
      size_t n = 0;
      handle(r.rev, r.payload, &rev, MutByteSpan(resp_, sizeof(resp_)), &n);
      send_frame(rev, ByteSpan(resp_, n));
      poll();
    } else if (r.event == protocol::DeframeEvent::kError) {
      size_t n = 0;
      if (protocol::encode_error(0, r.error, MutByteSpan(resp_, sizeof(resp_)), &n).ok()) {
        send_frame(protocol::kRevMessage, ByteSpan(resp_, n));
      }
    }
  }
}

Status Core::run_once(uint32_t timeout_ms) {
  poll();
  Result<size_t> r = board::link_read(rx_, sizeof(rx_), timeout_ms);
  if (r.ok()) on_link_bytes(rx_, r.value() < sizeof(rx_) ? r.value() : sizeof(rx_));
  poll();
  return r.status();
}

void Core::fast_round(ByteSpan p, uint8_t* out_rev, MutByteSpan out, size_t* out_len) {
  // The timed path: bounds checks, 24 table lookups with 72 word XORs, two 12-byte copies
  // into the transcript and one into the response. No CBOR, no hashing, no logging.
  const size_t i = session_.next_round;
  if (p.size == protocol::kFastRoundSize && session_.open && p.data[0] == i && i < session_.table.rounds &&
      out.size >= protocol::kFastRoundSize) {
    protocol::TranscriptRound& r = session_.transcript.rounds[i];
    r.round = p.data[0];
    memcpy(r.challenge.data(), p.data + 1, db::kChallengeSize);
    db::answer(session_.table, i, r.challenge.data(), r.answer.data());
    out.data[0] = p.data[0];
    memcpy(out.data + 1, r.answer.data(), db::kAnswerSize);
    session_.next_round = i + 1;
    *out_rev = protocol::kRevFast;
    *out_len = protocol::kFastRoundSize;
    return;
  }
  Status st;
  if (p.size != 1 + db::kChallengeSize) {
    st = ProtocolError::kBadFastRound;
  } else if (!session_.open) {
    st = FirmwareError::kNoSession;
  } else {
    st = FirmwareError::kRoundOutOfOrder;
    close_session();  // a repeated or skipped round ends the session
  }
  if (p.size != 1 + db::kChallengeSize && session_.open) close_session();
  *out_rev = protocol::kRevMessage;
  if (!protocol::encode_error(0, st, out, out_len).ok()) *out_len = 0;
}

void Core::handle(uint8_t rev, ByteSpan payload, uint8_t* out_rev, MutByteSpan out, size_t* out_len) {
  // Kept frameless so that the timed round pays for one branch and a tail call only.
  if (rev == protocol::kRevFast) {
    fast_round(payload, out_rev, out, out_len);
  } else {
    handle_message(rev, payload, out_rev, out, out_len);
  }
}

void Core::handle_message(uint8_t rev, ByteSpan payload, uint8_t* out_rev, MutByteSpan out, size_t* out_len) {
  *out_rev = protocol::kRevMessage;
  *out_len = 0;
  poll();
  uint32_t req_id = 0;
  Status st;
  protocol::Envelope env;
  if (rev != protocol::kRevMessage) {
    st = ProtocolError::kFrameUnknownRev;
  } else if (Status e = protocol::decode_envelope(payload, &env); !e.ok() && e != Status(ProtocolError::kUnknownMessageType)) {
    // Not a well-formed [type, request_id, body]: kBadRequestId keeps its code, any other
    // envelope or CBOR failure is kBadEnvelope (request id 0 unless it was read).
    st = e == Status(ProtocolError::kBadRequestId) ? e : Status(ProtocolError::kBadEnvelope);
    req_id = env.request_id;
  } else {
    req_id = env.request_id;
    if (!boot_status_.ok()) {
      st = boot_status_.module() == Module::kCore ? Status(FirmwareError::kNotReady) : boot_status_;
    } else if (!e.ok() || !protocol::is_request_type(env.type)) {
      st = ProtocolError::kUnknownMessageType;  // unknown, or a response/error type
    } else {
      st = dispatch(env.type, env.body, out, out_len, req_id);
    }
  }
  if (!st.ok() && !protocol::encode_error(req_id, st, out, out_len).ok()) *out_len = 0;
  poll();
}

Status Core::dispatch(uint8_t type, ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  switch (type) {
    case protocol::kMsgGetIdentity: {
      protocol::GetIdentityRequest q;
      LOCUS_TRY(decode_request(body, &q, ProtocolError::kBodyWrongType, FirmwareError::kBadMessage));
      return do_identity(out, n, id);
    }
    case protocol::kMsgInstallDevidCert: return do_install_cert(body, out, n, id);
    case protocol::kMsgInstallVerifierKey: return do_install_key(body, out, n, id);
    case protocol::kMsgRotateVerifierKey: return do_rotate(body, out, n, id);
    case protocol::kMsgGetEvidence: return do_evidence(body, out, n, id);
    case protocol::kMsgApplyLicense: return do_license(body, out, n, id);
    case protocol::kMsgGetStatus: {
      protocol::GetStatusRequest q;
      LOCUS_TRY(decode_request(body, &q, ProtocolError::kBodyWrongType, FirmwareError::kBadMessage));
      protocol::StatusResponse r;
      status_info(&r.status);
      return respond(id, r, out, n);
    }
    case protocol::kMsgLmSetup: return do_lm_setup(body, out, n, id);
    case protocol::kMsgLmRound: return do_lm_round(body, out, n, id);
    case protocol::kMsgLmClose: return do_lm_close(body, out, n, id);
    default: return ProtocolError::kUnknownMessageType;
  }
}

// ---------------------------------------------------------------- identity and provisioning

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
  LOCUS_TRY(decode_request(body, &q, ProtocolError::kFieldWrongSize, FirmwareError::kCertMalformed));
  const ByteSpan cert = q.cert;
  if (cert.size > kMaxDevIdCert) return FirmwareError::kCertTooLarge;
  // A DER SEQUENCE whose stated length covers exactly the bytes given.
  size_t total = 0;
  if (cert.size >= 4 && cert[0] == 0x30 && cert[1] == 0x82) {
    total = 4 + (static_cast<size_t>(cert[2]) << 8 | cert[3]);
  } else if (cert.size >= 3 && cert[0] == 0x30 && cert[1] == 0x81) {
    total = 3 + static_cast<size_t>(cert[2]);
  }
  if (total == 0 || total != cert.size) return FirmwareError::kCertMalformed;
  // It must certify this board's DeviceID key (the SEC1 point appears in its SPKI).
  if (!find(cert, ByteSpan(id_.devid_pub.q.data(), 65))) return FirmwareError::kCertWrongKey;
  if (store_.state().devid_cert_len != 0) return FirmwareError::kCertInstalled;
  next_ = store_.state();
  memcpy(next_.devid_cert, cert.data, cert.size);
  next_.devid_cert_len = static_cast<uint16_t>(cert.size);
  LOCUS_TRY(commit_next());
  return respond(id, protocol::InstallDevidCertResponse{}, out, n);
}

Status Core::do_install_key(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  protocol::InstallVerifierKeyRequest q;
  const Status dec = decode_request(body, &q, ProtocolError::kBadPublicKey, FirmwareError::kBadPublicKey);
  if (dec == Status(FirmwareError::kBadMessage)) return dec;
  if (store_.state().has_verifier_key) return FirmwareError::kVerifierKeyInstalled;
  LOCUS_TRY(dec);
  crypto::P256PublicKey pub;
  memcpy(pub.q.data(), q.key.data(), 65);
  if (!crypto::p256_check_public(pub).ok()) return FirmwareError::kBadPublicKey;
  next_ = store_.state();
  memcpy(next_.verifier_key, q.key.data(), 65);
  next_.has_verifier_key = true;
  LOCUS_TRY(commit_next());
  return respond(id, protocol::InstallVerifierKeyResponse{}, out, n);
}

Status Core::do_rotate(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  protocol::RotateVerifierKeyRequest q;
  LOCUS_TRY(decode_request(body, &q, ProtocolError::kBodyWrongType, FirmwareError::kBadMessage));
  const ByteSpan msg = q.cose_sign1;
  const PersistentState& s = store_.state();
  if (!s.has_verifier_key) return FirmwareError::kNoVerifierKey;
  cose::Sign1View v;
  if (!cose::sign1_decode(msg, &v).ok()) return FirmwareError::kRotationMalformed;
  crypto::P256PublicKey cur;
  memcpy(cur.q.data(), s.verifier_key, 65);
  if (!cose::sign1_verify_es256(v, cur).ok()) return FirmwareError::kRotationSignature;
  protocol::VerifierKeyRotation rot;
  if (!protocol::decode_rotation(v.payload, &rot).ok()) return FirmwareError::kRotationMalformed;
  if (rot.counter <= s.rotation_counter) return FirmwareError::kRotationStaleCounter;
  crypto::P256PublicKey next_key;
  memcpy(next_key.q.data(), rot.new_key.data(), 65);
  if (!crypto::p256_check_public(next_key).ok()) return FirmwareError::kBadPublicKey;
  next_ = s;
  memcpy(next_.verifier_key, rot.new_key.data(), 65);
  next_.has_verifier_key = true;
  next_.rotation_counter = rot.counter;
  LOCUS_TRY(commit_next());
  return respond(id, protocol::RotateVerifierKeyResponse{}, out, n);
}

// ---------------------------------------------------------------- evidence

Status Core::do_evidence(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  if (attestation_refused() || store_.state().min_svn > svn_) return FirmwareError::kRollback;
  protocol::GetEvidenceRequest q;
  LOCUS_TRY(decode_request(body, &q, ProtocolError::kBadNonceSize, FirmwareError::kBadNonceLength));
  // Kept before `out` is used as scratch below (the request may share memory with it).
  uint8_t nonce_buf[kMaxNonce];
  memcpy(nonce_buf, q.nonce.data, q.nonce.size);
  const ByteSpan nonce(nonce_buf, q.nonce.size);
  const PersistentState& s = store_.state();
  protocol::EatClaims c;
  c.nonce = nonce;
  memcpy(c.ueid.data(), id_.ueid, kUeidSize);
  c.hwmodel = ByteSpan(reinterpret_cast<const uint8_t*>(hwmodel_), strlen(hwmodel_));
  c.dbgstat = 0;  // host-sim and the QEMU boards: debug enabled (RFC 9711 dbgstat 0)
  c.swname = ByteSpan(reinterpret_cast<const uint8_t*>(protocol::kSwName), sizeof(protocol::kSwName) - 1);
  memcpy(c.fwid.data(), id_.fwid, 32);
  c.svn = svn_;
  c.boot_count = s.boot_count;
  c.mode = is_full() ? protocol::kModeFull : protocol::kModeRestricted;
  c.license_counter = s.license_counter;
  // Claims into `out` (free until the response is written), signed into scratch_, then the
  // response wraps the COSE_Sign1 in `out`: two payload buffers in all.
  size_t claims_len = 0;
  if (!protocol::encode_claims(c, out, &claims_len).ok()) return FirmwareError::kResponseTooLarge;
  protocol::EvidenceResponse r;
  LOCUS_TRY(sign_alias(ByteSpan(out.data, claims_len), &r.cose_sign1));
  LOCUS_TRY(respond(id, r, out, n));
  // Only the latest evidence nonce can be answered by a license.
  memcpy(evidence_nonce_, nonce.data, nonce.size);
  evidence_nonce_len_ = nonce.size;
  evidence_nonce_valid_ = true;
  return Status::Ok();
}

// ---------------------------------------------------------------- license

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

Status Core::commit_next() {
  const Status st = store_.commit(next_);
  crypto::zeroize(&next_, sizeof(next_));
  return st;
}

void Core::status_info(protocol::StatusInfo* out) const {
  const PersistentState& s = store_.state();
  const bool full = is_full();
  out->mode = full ? protocol::kModeFull : protocol::kModeRestricted;
  out->lease_remaining_ms = full ? lease_remaining_ms() : 0;
  out->license_counter = s.license_counter;
  out->boot_count = s.boot_count;
  out->svn = svn_;
  out->min_svn = s.min_svn;
  out->has_devid_cert = s.devid_cert_len != 0;
  out->has_verifier_key = s.has_verifier_key;
}

Status Core::sign_alias(ByteSpan payload, ByteSpan* cose) {
  const ByteSpan chain[1] = {ByteSpan(id_.alias_cert, id_.alias_cert_len)};
  cose::Sign1Options opt;
  opt.x5chain = chain;
  opt.x5chain_len = 1;
  size_t len = 0;
  LOCUS_TRY(cose::sign1_es256(id_.alias_priv, payload, opt, MutByteSpan(scratch_, sizeof(scratch_)), &len));
  *cose = ByteSpan(scratch_, len);
  return Status::Ok();
}

// ---------------------------------------------------------------- distance bounding

void Core::close_session() {
  crypto::zeroize(&session_, sizeof(session_));
  session_.open = false;
}

Status Core::do_lm_setup(ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  if (attestation_refused()) return FirmwareError::kRollback;
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
  if (!crypto::p256_check_public(peer).ok()) return FirmwareError::kBadPublicKey;
  crypto::P256PrivateKey eph;  // zeroised by its destructor
  crypto::P256PublicKey eph_pub;
  std::array<uint8_t, 32> shared{};
  uint8_t k[db::kKeySize];
  Status st = crypto::p256_generate_key(drbg_, &eph);
  if (st.ok()) st = crypto::p256_public_key(eph, &eph_pub);
  if (st.ok()) st = crypto::ecdh_p256(eph, peer, &shared);
  if (st.ok()) {
    st = db::derive_session_key(ByteSpan(shared.data(), 32), lm_nonce, sid, lm_pub,
                                ByteSpan(eph_pub.q.data(), 65), vnonce, k);
  }
  if (st.ok()) st = db::derive_table(k, q.rounds, &session_.table);
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
    return dec == Status(ProtocolError::kFieldWrongSize) ? Status(FirmwareError::kBadChallengeLength)
                                                          : Status(FirmwareError::kBadMessage);
  }
  if (!session_.open) return FirmwareError::kNoSession;
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
  if (!session_.open) return FirmwareError::kNoSession;
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
  if (!enc.ok()) return FirmwareError::kResponseTooLarge;
  protocol::LmCloseResponse r;
  LOCUS_TRY(sign_alias(ByteSpan(out.data, tl), &r.cose_sign1));
  return respond(id, r, out, n);
}

}  // namespace locus::firmware
