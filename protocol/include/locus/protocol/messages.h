// locus/protocol/messages.h: the board <-> agent messages (frame rev 0x01) and the timed-round
// fast frame (rev 0x02). docs/protocol.md has every schema with a hex example.
//
//   message = [type: uint, request_id: uint (< 2^32), body]   (deterministic CBOR)
//
// A response has type = request type | 0x80 and echoes request_id; an error response is
// [0xFF, request_id, code] with code the 16-bit locus Status code (module << 8 | local).
//
// Each body has a struct whose kType is its message type, and a pair
//   encode_body(cbor::Encoder&, const X&)   writes the body item (checks the same limits the
//                                           decoder enforces: the encoder never emits what
//                                           the decoder would refuse)
//   decode_body(ByteSpan body, X*)          strict: the exact CBOR types, sizes and ranges of
//                                           the schema, every map key required, no others.
// Spans in decoded structs point into the input. Decoders return CborError codes (module 2)
// for input that is not well-formed deterministic CBOR, ProtocolError codes for schema
// violations; they never assert and never read past the input.
#pragma once

#include <array>

#include "locus/crypto/cbor.h"
#include "locus/protocol/errors.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::protocol {

// Message types (requests); response = type | kResponseBit.
constexpr uint8_t kMsgGetIdentity = 1;
constexpr uint8_t kMsgInstallDevidCert = 2;
constexpr uint8_t kMsgInstallVerifierKey = 3;
constexpr uint8_t kMsgRotateVerifierKey = 4;
constexpr uint8_t kMsgGetEvidence = 5;
constexpr uint8_t kMsgApplyLicense = 6;
constexpr uint8_t kMsgGetStatus = 7;
constexpr uint8_t kMsgLmSetup = 8;
constexpr uint8_t kMsgLmRound = 9;
constexpr uint8_t kMsgLmClose = 10;
constexpr uint8_t kResponseBit = 0x80;
constexpr uint8_t kMsgError = 0xFF;
constexpr uint8_t response_type(uint8_t request_type) {
  return static_cast<uint8_t>(request_type | kResponseBit);
}
// True for 1..10, 0x81..0x8A and 0xFF.
bool is_known_type(uint8_t type);
constexpr bool is_request_type(uint8_t t) {
  return t >= kMsgGetIdentity && t <= kMsgLmClose;
}

// Sizes and limits shared by messages and payloads.
constexpr size_t kUeidSize = 33;  // 0x01 || SHA-256(DeviceID public key)
constexpr uint8_t kUeidTypeRand = 0x01;
constexpr size_t kP256PubSize = 65;  // SEC1 uncompressed
constexpr size_t kFwidSize = 32;
constexpr size_t kSessionIdSize = 16;
constexpr size_t kChallengeSize = 12;
constexpr size_t kAnswerSize = 12;
constexpr size_t kMinNonceSize = 16;
constexpr size_t kMaxNonceSize = 64;
constexpr size_t kMaxRounds = 64;
constexpr size_t kMaxTextSize = 64;   // hwmodel, swname, site, landmark id
constexpr size_t kMaxDerSize = 1536;  // one certificate or CSR
constexpr uint8_t kModeRestricted = 1;
constexpr uint8_t kModeFull = 2;
constexpr uint32_t kMaxLeaseSeconds = 86400;  // longest lease a license may grant
// Storage health as the board reports it (GET_STATUS, evidence claim -70007).
constexpr uint8_t kStorageOk = 1;         // journal and write-once region consistent
constexpr uint8_t kStorageRecovered = 2;  // one journal copy was invalid; the other was used
constexpr uint8_t kStorageFault = 3;      // provisioned board, journal unreadable or corrupt

using Ueid = std::array<uint8_t, kUeidSize>;
using P256Pub = std::array<uint8_t, kP256PubSize>;
using Fwid = std::array<uint8_t, kFwidSize>;
using SessionId = std::array<uint8_t, kSessionIdSize>;
using Challenge = std::array<uint8_t, kChallengeSize>;
using Answer = std::array<uint8_t, kAnswerSize>;

// ---- envelope -------------------------------------------------------------------------

struct Envelope {
  uint8_t type = 0;
  uint32_t request_id = 0;
  ByteSpan body;  // the encoded body item
};

// Validates msg (deterministic CBOR, limits) and splits it. On kUnknownMessageType, type and
// request_id are still filled in so that the receiver can answer with an error response.
Status decode_envelope(ByteSpan msg, Envelope* out);
// Wraps an already encoded body item.
Status encode_envelope(uint8_t type, uint32_t request_id, ByteSpan body_item, MutByteSpan out,
                       size_t* out_len);

// ---- bodies ---------------------------------------------------------------------------

struct GetIdentityRequest {
  static constexpr uint8_t kType = kMsgGetIdentity;
};  // null
struct IdentityResponse {
  static constexpr uint8_t kType = kMsgGetIdentity | kResponseBit;
  Ueid ueid{};
  P256Pub devid_pub{};
  ByteSpan csr;         // DER PKCS#10 for the DeviceID key
  ByteSpan devid_cert;  // DER; empty = null on the wire (not provisioned yet)
  ByteSpan alias_cert;  // DER
  ByteSpan hwmodel;     // UTF-8, 1..64 bytes
  uint32_t svn = 0;
  Fwid fwid{};
};

struct InstallDevidCertRequest {
  static constexpr uint8_t kType = kMsgInstallDevidCert;
  ByteSpan cert;  // DER, 1..kMaxDerSize
};
struct InstallDevidCertResponse {
  static constexpr uint8_t kType = kMsgInstallDevidCert | kResponseBit;
};

struct InstallVerifierKeyRequest {
  static constexpr uint8_t kType = kMsgInstallVerifierKey;
  P256Pub key{};
};
struct InstallVerifierKeyResponse {
  static constexpr uint8_t kType = kMsgInstallVerifierKey | kResponseBit;
};

struct RotateVerifierKeyRequest {
  static constexpr uint8_t kType = kMsgRotateVerifierKey;
  ByteSpan cose_sign1;  // over a VerifierKeyRotation payload (claims.h)
};
struct RotateVerifierKeyResponse {
  static constexpr uint8_t kType = kMsgRotateVerifierKey | kResponseBit;
};

struct GetEvidenceRequest {
  static constexpr uint8_t kType = kMsgGetEvidence;
  ByteSpan nonce;  // 16..64 bytes
};
struct EvidenceResponse {
  static constexpr uint8_t kType = kMsgGetEvidence | kResponseBit;
  ByteSpan cose_sign1;  // EAT (claims.h), by the Alias key
};

struct ApplyLicenseRequest {
  static constexpr uint8_t kType = kMsgApplyLicense;
  ByteSpan cose_sign1;  // License (claims.h), by the verifier's license key
};

// The status map of GET_STATUS and APPLY_LICENSE responses.
struct StatusInfo {
  uint8_t mode = kModeRestricted;  // 1 restricted, 2 full
  uint64_t lease_remaining_ms = 0;
  uint64_t license_counter = 0;
  uint32_t boot_count = 0;
  uint32_t svn = 0;
  uint32_t min_svn = 0;
  bool has_devid_cert = false;
  bool has_verifier_key = false;
  uint8_t storage = kStorageOk;  // kStorageOk / kStorageRecovered / kStorageFault
};
struct ApplyLicenseResponse {
  static constexpr uint8_t kType = kMsgApplyLicense | kResponseBit;
  StatusInfo status;
};
struct GetStatusRequest {
  static constexpr uint8_t kType = kMsgGetStatus;
};  // null
struct StatusResponse {
  static constexpr uint8_t kType = kMsgGetStatus | kResponseBit;
  StatusInfo status;
};

struct LmSetupRequest {
  static constexpr uint8_t kType = kMsgLmSetup;
  SessionId session_id{};
  ByteSpan lm_nonce;  // 16..64
  P256Pub lm_eph_pub{};
  uint8_t rounds = 0;       // 1..64
  ByteSpan verifier_nonce;  // 16..64
};
struct LmSetupResponse {
  static constexpr uint8_t kType = kMsgLmSetup | kResponseBit;
  P256Pub dev_eph_pub{};
};

// CBOR form of a timed round (tools and tests; the timed path uses the fast frame below).
struct LmRoundRequest {
  static constexpr uint8_t kType = kMsgLmRound;
  uint8_t round = 0;  // 0..63
  Challenge challenge{};
};
struct LmRoundResponse {
  static constexpr uint8_t kType = kMsgLmRound | kResponseBit;
  Answer answer{};
};

struct LmCloseRequest {
  static constexpr uint8_t kType = kMsgLmClose;
  SessionId session_id{};
};
struct LmCloseResponse {
  static constexpr uint8_t kType = kMsgLmClose | kResponseBit;
  ByteSpan cose_sign1;  // DboundTranscript (claims.h), by the Alias key
};

struct ErrorResponse {
  static constexpr uint8_t kType = kMsgError;
  uint16_t code = 0;  // a locus Status code, never 0
};

Status encode_body(cbor::Encoder& e, const GetIdentityRequest& v);
Status encode_body(cbor::Encoder& e, const IdentityResponse& v);
Status encode_body(cbor::Encoder& e, const InstallDevidCertRequest& v);
Status encode_body(cbor::Encoder& e, const InstallDevidCertResponse& v);
Status encode_body(cbor::Encoder& e, const InstallVerifierKeyRequest& v);
Status encode_body(cbor::Encoder& e, const InstallVerifierKeyResponse& v);
Status encode_body(cbor::Encoder& e, const RotateVerifierKeyRequest& v);
Status encode_body(cbor::Encoder& e, const RotateVerifierKeyResponse& v);
Status encode_body(cbor::Encoder& e, const GetEvidenceRequest& v);
Status encode_body(cbor::Encoder& e, const EvidenceResponse& v);
Status encode_body(cbor::Encoder& e, const ApplyLicenseRequest& v);
Status encode_body(cbor::Encoder& e, const ApplyLicenseResponse& v);
Status encode_body(cbor::Encoder& e, const GetStatusRequest& v);
Status encode_body(cbor::Encoder& e, const StatusResponse& v);
Status encode_body(cbor::Encoder& e, const LmSetupRequest& v);
Status encode_body(cbor::Encoder& e, const LmSetupResponse& v);
Status encode_body(cbor::Encoder& e, const LmRoundRequest& v);
Status encode_body(cbor::Encoder& e, const LmRoundResponse& v);
Status encode_body(cbor::Encoder& e, const LmCloseRequest& v);
Status encode_body(cbor::Encoder& e, const LmCloseResponse& v);
Status encode_body(cbor::Encoder& e, const ErrorResponse& v);

Status decode_body(ByteSpan body, GetIdentityRequest* out);
Status decode_body(ByteSpan body, IdentityResponse* out);
Status decode_body(ByteSpan body, InstallDevidCertRequest* out);
Status decode_body(ByteSpan body, InstallDevidCertResponse* out);
Status decode_body(ByteSpan body, InstallVerifierKeyRequest* out);
Status decode_body(ByteSpan body, InstallVerifierKeyResponse* out);
Status decode_body(ByteSpan body, RotateVerifierKeyRequest* out);
Status decode_body(ByteSpan body, RotateVerifierKeyResponse* out);
Status decode_body(ByteSpan body, GetEvidenceRequest* out);
Status decode_body(ByteSpan body, EvidenceResponse* out);
Status decode_body(ByteSpan body, ApplyLicenseRequest* out);
Status decode_body(ByteSpan body, ApplyLicenseResponse* out);
Status decode_body(ByteSpan body, GetStatusRequest* out);
Status decode_body(ByteSpan body, StatusResponse* out);
Status decode_body(ByteSpan body, LmSetupRequest* out);
Status decode_body(ByteSpan body, LmSetupResponse* out);
Status decode_body(ByteSpan body, LmRoundRequest* out);
Status decode_body(ByteSpan body, LmRoundResponse* out);
Status decode_body(ByteSpan body, LmCloseRequest* out);
Status decode_body(ByteSpan body, LmCloseResponse* out);
Status decode_body(ByteSpan body, ErrorResponse* out);

// Maps an encoder failure (kBufferFull) to kOutputTooSmall; passes other statuses through.
Status finish_encoding(const cbor::Encoder& e, size_t* out_len);

// Encodes a whole message [Body::kType, request_id, body] into out.
template <typename Body>
Status encode_message(uint32_t request_id, const Body& body, MutByteSpan out, size_t* out_len) {
  if (out_len == nullptr) {
    return CoreError::kInvalidArgument;
  }
  *out_len = 0;
  cbor::Encoder e(out);
  e.array(3).uint(Body::kType).uint(request_id);
  const Status s = encode_body(e, body);
  if (!s.ok() && s != Status(cbor::CborError::kBufferFull)) {
    return s;
  }
  return finish_encoding(e, out_len);  // maps kBufferFull to kOutputTooSmall
}

// Decodes a whole message that must be of type Body::kType (else kUnexpectedType, with
// *request_id filled in). An error response when Body is not ErrorResponse is also
// kUnexpectedType: use decode_envelope() to tell them apart.
template <typename Body>
Status decode_message(ByteSpan msg, uint32_t* request_id, Body* out) {
  if (request_id == nullptr || out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  Envelope env;
  LOCUS_TRY(decode_envelope(msg, &env));
  *request_id = env.request_id;
  if (env.type != Body::kType) {
    return ProtocolError::kUnexpectedType;
  }
  return decode_body(env.body, out);
}

// Convenience for the firmware's error path: [0xFF, request_id, code].
Status encode_error(uint32_t request_id, Status code, MutByteSpan out, size_t* out_len);

// ---- timed-round fast frame (rev 0x02) ------------------------------------------------
// request payload = round(1) | challenge(12); response payload = round(1) | answer(12).

constexpr size_t kFastRoundSize = 13;
struct FastRound {
  uint8_t round = 0;                // 0..63
  std::array<uint8_t, 12> value{};  // challenge (request) or answer (response)
};
// Writes the 13-byte payload.
Status encode_fast_round(const FastRound& r, MutByteSpan out, size_t* out_len);
// Parses a 13-byte payload (kBadFastRound if another length or round >= 64).
Status decode_fast_round(ByteSpan payload, FastRound* out);
// Writes the whole rev 0x02 frame (flags, stuffing, FCS); max_frame_size(13) bytes suffice.
Status encode_fast_frame(const FastRound& r, MutByteSpan out, size_t* out_len);

}  // namespace locus::protocol
