// locus/protocol/claims.h: the signed payloads of locus (the content of COSE_Sign1 objects).
//
//   EatClaims            evidence (GET_EVIDENCE), signed by the Alias key      firmware -> host
//   License              interconnect license, signed by the verifier           host -> firmware
//   VerifierKeyRotation  new verifier key, signed by the current verifier key   host -> firmware
//   DboundTranscript     distance-bounding transcript, signed by the Alias key  firmware -> host
//   LandmarkRecord       landmark measurement, signed by the landmark key       landmark ->
//   verifier
//
// Encoders write deterministic CBOR (RFC 8949 §4.2: keys sorted by their encoded bytes) and
// refuse values their decoder would refuse. Decoders are strict: exactly the keys of the
// table (every key required, unknown keys rejected with kUnknownField — a signed object
// with content we do not understand is not accepted), exact CBOR types, exact sizes, nonces
// 16..64 bytes. Spans in decoded structs point into the input. Signing and verifying is the
// caller's (cose.h); these functions only build and parse the payload bytes.
#pragma once

#include <array>

#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::protocol {

// ---- EAT claims (RFC 9711) ------------------------------------------------------------

constexpr int64_t kClaimNonce = 10;
constexpr int64_t kClaimUeid = 256;
constexpr int64_t kClaimHwmodel = 259;
constexpr int64_t kClaimDbgstat = 263;
constexpr int64_t kClaimProfile = 265;
constexpr int64_t kClaimBootCount = 267;  // RFC 9711 bootcount
constexpr int64_t kClaimSwname = 270;     // RFC 9711 swname (271 is swversion)
constexpr int64_t kClaimFwid = -70001;
constexpr int64_t kClaimSvn = -70002;
// -70003 was the private boot count before bootcount (267) was used: retired, never reused.
constexpr int64_t kClaimMode = -70004;
constexpr int64_t kClaimLicenseCounter = -70005;
constexpr int64_t kClaimBoardNonce = -70006;  // DESIGN §5: fresh from the board's DRBG
constexpr int64_t kClaimStorage = -70007;     // journal health, StorageHealth below

constexpr char kEatProfile[] = "tag:locus.dev,2026:eat/v1";
constexpr char kSwName[] = "locus-fw";
constexpr uint8_t kDbgstatMax =
    4;  // RFC 9711 §4.2.9: 0 enabled .. 4 disabled-fully-and-permanently

// The board nonce: drawn from the board's DRBG at every GET_EVIDENCE, held only in RAM, and
// echoed by the license that answers that evidence (DESIGN §5).
constexpr size_t kBoardNonceSize = 32;
using BoardNonce = std::array<uint8_t, kBoardNonceSize>;

struct EatClaims {
  ByteSpan nonce;       // 16..64
  Ueid ueid{};          // 0x01 || SHA-256(DeviceID public key)
  ByteSpan hwmodel;     // 1..64 bytes (a bstr on the wire, as RFC 9711 says)
  uint8_t dbgstat = 0;  // 0..4
  ByteSpan swname;      // tstr 1..64; the firmware sends kSwName
  Fwid fwid{};
  uint32_t svn = 0;
  uint32_t boot_count = 0;
  uint8_t mode = kModeRestricted;  // 1 or 2
  uint64_t license_counter = 0;
  BoardNonce board_nonce{};
  uint8_t storage = kStorageOk;  // kStorageOk / kStorageRecovered / kStorageFault
  // eat_profile is not a field: the encoder always writes kEatProfile and the decoder
  // refuses any other value (kBadProfile).
};
Status encode_claims(const EatClaims& c, MutByteSpan out, size_t* out_len);
Status decode_claims(ByteSpan in, EatClaims* out);

// ---- license --------------------------------------------------------------------------

struct License {
  Ueid ueid{};
  ByteSpan nonce;            // the verifier nonce of the evidence this license answers (16..64)
  BoardNonce board_nonce{};  // the board nonce of that evidence
  uint64_t counter = 0;      // must be > the last accepted (checked by the firmware)
  uint8_t mode = kModeFull;  // only 2 (full) is a valid grant (kBadLicenseMode otherwise)
  uint32_t lease_s = 0;      // 1..kMaxLeaseSeconds (kBadLeaseLength otherwise)
  ByteSpan site;             // tstr 1..64
  Fwid fwid{};
};
Status encode_license(const License& l, MutByteSpan out, size_t* out_len);
Status decode_license(ByteSpan in, License* out);

// ---- verifier key rotation ------------------------------------------------------------

struct VerifierKeyRotation {
  P256Pub new_key{};
  uint64_t counter = 0;  // must be > the last rotation counter (checked by the firmware)
};
Status encode_rotation(const VerifierKeyRotation& r, MutByteSpan out, size_t* out_len);
Status decode_rotation(ByteSpan in, VerifierKeyRotation* out);

// ---- distance-bounding transcript -----------------------------------------------------

struct TranscriptRound {
  uint8_t round = 0;  // equals its position: 0, 1, 2, ...
  Challenge challenge{};
  Answer answer{};
};
struct DboundTranscript {
  SessionId session_id{};
  ByteSpan lm_nonce;        // 16..64
  ByteSpan verifier_nonce;  // 16..64
  P256Pub lm_eph_pub{};
  P256Pub dev_eph_pub{};
  Ueid ueid{};
  size_t round_count = 0;  // 1..64
  TranscriptRound rounds[kMaxRounds];
};
Status encode_transcript(const DboundTranscript& t, MutByteSpan out, size_t* out_len);
Status decode_transcript(ByteSpan in, DboundTranscript* out);
// Upper bound of an encoded transcript (64 rounds, 64-byte nonces).
constexpr size_t kMaxTranscriptSize = 2200;

// ---- landmark record ------------------------------------------------------------------

struct LandmarkRecord {
  ByteSpan landmark_id;  // tstr 1..64
  Ueid ueid{};
  ByteSpan verifier_nonce;  // 16..64
  uint64_t rtt_min_ns = 0;
  uint8_t rounds = 0;                         // 1..64
  std::array<uint8_t, 32> transcript_hash{};  // SHA-256 of the device-signed COSE_Sign1 bytes
  ByteSpan lm_nonce;                          // 16..64
};
Status encode_landmark_record(const LandmarkRecord& r, MutByteSpan out, size_t* out_len);
Status decode_landmark_record(ByteSpan in, LandmarkRecord* out);

}  // namespace locus::protocol
