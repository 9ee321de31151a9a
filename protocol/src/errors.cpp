#include "locus/protocol/errors.h"

namespace locus::protocol {

const char* to_string(ProtocolError e) {
  switch (e) {
    case ProtocolError::kFrameBadFcs: return "frame FCS mismatch";
    case ProtocolError::kFrameTruncated: return "frame truncated";
    case ProtocolError::kFrameOversize: return "frame payload larger than 3072 bytes";
    case ProtocolError::kFrameUnstuffedFlag: return "unstuffed flag inside a frame";
    case ProtocolError::kFrameBadEscape: return "bad escape sequence in a frame";
    case ProtocolError::kFrameLengthMismatch: return "frame longer than its length field";
    case ProtocolError::kFrameUnknownRev: return "unknown frame revision";
    case ProtocolError::kFrameNoFlag: return "frame does not start with a flag";
    case ProtocolError::kFrameTrailingBytes: return "bytes after the closing flag";
    case ProtocolError::kOutputTooSmall: return "output buffer too small";
    case ProtocolError::kBadFastRound: return "malformed timed-round frame";
    case ProtocolError::kBadEnvelope: return "message is not [type, request_id, body]";
    case ProtocolError::kUnknownMessageType: return "unknown message type";
    case ProtocolError::kBadRequestId: return "request_id not a 32-bit unsigned integer";
    case ProtocolError::kUnexpectedType: return "message of an unexpected type";
    case ProtocolError::kBodyWrongType: return "message body has the wrong CBOR type";
    case ProtocolError::kMissingField: return "required field missing";
    case ProtocolError::kUnknownField: return "unknown field";
    case ProtocolError::kFieldWrongType: return "field has the wrong CBOR type";
    case ProtocolError::kFieldWrongSize: return "field has the wrong size";
    case ProtocolError::kFieldOutOfRange: return "field value out of range";
    case ProtocolError::kBadNonceSize: return "nonce not 16..64 bytes";
    case ProtocolError::kWrongArity: return "array has the wrong number of elements";
    case ProtocolError::kBadProfile: return "unknown EAT profile";
    case ProtocolError::kTooManyRounds: return "more than 64 rounds";
    case ProtocolError::kRoundOutOfOrder: return "transcript rounds out of order";
    case ProtocolError::kBadErrorCode: return "error response carries no error";
    case ProtocolError::kBadPublicKey: return "public key not an uncompressed P-256 point";
    case ProtocolError::kBadUeid: return "UEID not 33 bytes of RAND type";
    case ProtocolError::kBadLicenseMode: return "license mode is not FULL";
    case ProtocolError::kBadLeaseLength: return "license lease outside 1..86400 s";
    default: return "unknown protocol error";
  }
}

}  // namespace locus::protocol
