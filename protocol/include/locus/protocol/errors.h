// locus/protocol/errors.h: error codes of the wire protocol (append-only, never renumbered).
//
// On the wire an error is the 16-bit Status code (module << 8 | local code); protocol errors
// are 0x05xx. docs/protocol.md lists every code.
#pragma once

#include "locus/status.h"

namespace locus::protocol {

enum class ProtocolError : uint8_t {
  // Framing (frame.h).
  kFrameBadFcs = 1,          // FCS-16 over rev|len|payload does not match
  kFrameTruncated = 2,       // a flag (or the end of the buffer) before rev|len were complete
  kFrameOversize = 3,        // len > kMaxPayload
  kFrameUnstuffedFlag = 4,   // a flag after rev|len but before payload and FCS were complete
  kFrameBadEscape = 5,       // 0x7D followed by a byte other than 0x5E / 0x5D
  kFrameLengthMismatch = 6,  // no closing flag where len says the frame ends
  kFrameUnknownRev = 7,      // rev other than 0x01 / 0x02
  kFrameNoFlag = 8,          // decode_frame: input does not start with a flag
  kFrameTrailingBytes = 9,   // decode_frame: bytes after the closing flag
  kOutputTooSmall = 10,      // caller's output buffer cannot hold the result
  kBadFastRound = 11,        // rev 0x02 payload not exactly 13 bytes
  // Messages (messages.h).
  kBadEnvelope = 20,         // not a CBOR array [type, request_id, body]
  kUnknownMessageType = 21,  // type not in the message table
  kBadRequestId = 22,        // request_id not a uint < 2^32
  kUnexpectedType = 23,      // a valid message, but not the type the caller expected
  kBodyWrongType = 24,       // body has another CBOR type than the schema says
  kMissingField = 25,        // a required map key is absent
  kUnknownField = 26,        // a map key the schema does not define
  kFieldWrongType = 27,      // a field has another CBOR type than the schema says
  kFieldWrongSize = 28,      // a byte/text string with a length the schema does not allow
  kFieldOutOfRange = 29,     // an integer outside the range the schema allows
  kBadNonceSize = 30,        // a nonce shorter than 16 or longer than 64 bytes
  kWrongArity = 31,          // an array with another number of elements than the schema says
  kBadProfile = 32,          // eat_profile is not "tag:locus.dev,2026:eat/v1"
  kTooManyRounds = 33,       // a transcript with more than kMaxRounds rounds
  kRoundOutOfOrder = 34,     // transcript round indices not 0, 1, 2, ... in order
  kBadErrorCode = 35,        // error response with code 0 (OK) or > 0xFFFF
  kBadPublicKey = 36,        // a P-256 key field not 65 bytes starting with 0x04
  kBadUeid = 37,             // a UEID not 33 bytes starting with 0x01 (RAND type)
  kBadLicenseMode = 38,      // a license whose mode is not FULL (2)
  kBadLeaseLength = 39,      // a license whose lease is outside 1..kMaxLeaseSeconds
};

const char* to_string(ProtocolError e);

}  // namespace locus::protocol

namespace locus {
template <>
struct ErrorModule<protocol::ProtocolError> {
  static constexpr Module value = Module::kProtocol;
};
}  // namespace locus
