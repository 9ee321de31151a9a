// locus/location/records.h: landmark records and device-signed transcripts
// (docs/protocol.md "Distance bounding"), their CBOR payloads and their verification.
//
//   transcript payload = {1: session_id bstr(16), 2: lm_nonce bstr, 3: verifier_nonce bstr,
//                         4: lm_eph_pub bstr(65), 5: dev_eph_pub bstr(65), 6: ueid bstr(33),
//                         7: [[round uint, challenge bstr(12), answer bstr(12)], ...]}
//     COSE_Sign1 by the Alias key, x5chain = Alias cert.
//   record payload = {1: landmark_id tstr, 2: ueid bstr(33), 3: verifier_nonce bstr,
//                     4: rtt_min_ns uint, 5: rounds uint, 6: transcript_hash bstr(32),
//                     7: lm_nonce bstr}   COSE_Sign1 by the landmark key, kid = id bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/crypto/p256.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::location {

// Errors of host/location (module kGeo; append-only). Landmark session errors are
// module kLandmark (locus/landmark/errors.h).
enum class LocationError : uint8_t {
  kMalformed = 1,        // a payload is not the CBOR the schema says
  kBadSignature = 2,     // a COSE signature did not verify
  kUnknownLandmark = 3,  // record kid / id not in the trust list
  kNonceMismatch = 4,    // verifier nonce differs from the attestation nonce
  kUeidMismatch = 5,
  kTranscriptHashMismatch = 6,
  kTranscriptInconsistent = 7,  // transcript fields disagree with the record or each other
  kBadTrustList = 8,
  kBadConfig = 9,
  kIo = 10,
  // 64..69: retired (landmark session errors, now module kLandmark); never reuse.
};
const char* to_string(LocationError e);
// The host error class of e (decides the CLI exit code and --json "kind").
host::HostError host_class(LocationError e);

struct RecordPair {
  std::vector<uint8_t> record;      // COSE_Sign1 bytes
  std::vector<uint8_t> transcript;  // COSE_Sign1 bytes
};

// A distance-bounding transcript as the host decodes it (the board's own fixed-size form is
// protocol::DboundTranscript).
struct Transcript {
  struct Round {
    uint64_t round = 0;
    std::array<uint8_t, 12> challenge{};
    std::array<uint8_t, 12> answer{};
  };
  std::vector<uint8_t> session_id, lm_nonce, verifier_nonce, lm_eph_pub, dev_eph_pub, ueid;
  std::vector<Round> rounds;
};

struct LandmarkRecord {
  std::string landmark_id;
  std::vector<uint8_t> ueid, verifier_nonce, transcript_hash, lm_nonce;
  uint64_t rtt_min_ns = 0;
  uint64_t rounds = 0;
};

std::vector<uint8_t> encode_transcript(const Transcript& t);
Status decode_transcript(ByteSpan payload, Transcript* out);
std::vector<uint8_t> encode_record(const LandmarkRecord& r);
Status decode_record(ByteSpan payload, LandmarkRecord* out);

// COSE_Sign1 helpers on vectors.
Status sign_cose(const crypto::P256PrivateKey& key, ByteSpan payload, ByteSpan kid,
                 const std::vector<std::vector<uint8_t>>& x5chain, std::vector<uint8_t>* out);

// Checks the device-signed transcript: COSE_Sign1 structure, Alias signature (alias_pub),
// payload well-formed, rounds 0..n-1 in order. Fills *out.
Status verify_transcript(ByteSpan transcript_cose, const crypto::P256PublicKey& alias_pub,
                         Transcript* out);

struct TrustList;
// Verifies one record pair against the trust list and the attestation context: a LocationError
// and a message naming the landmark and the failed check. On success fills *rec and *index
// (position in trust.landmarks).
host::HStatus verify_record_pair(const RecordPair& pair, const TrustList& trust,
                                 ByteSpan verifier_nonce, ByteSpan ueid,
                                 const crypto::P256PublicKey& alias_pub, LandmarkRecord* rec,
                                 size_t* index);

}  // namespace locus::location

namespace locus {
template <>
struct ErrorModule<location::LocationError> {
  static constexpr Module value = Module::kGeo;
};
}  // namespace locus
