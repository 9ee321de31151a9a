// locus/firmware/errors.h: error codes of the firmware core (append-only, never renumbered).
// Each is sent on the wire as the uint16 Status code (Module::kFirmware << 8 | code).
#pragma once

#include "locus/status.h"

namespace locus::firmware {

enum class FirmwareError : uint8_t {
  kStorageTooSmall = 1,       // board storage cannot hold two journal slots
  kPersistFailed = 2,         // journal write/flush failed; the change was not applied
  kRollback = 3,              // stored min_svn > this image's SVN: attestation refused
  kBadNonceLength = 4,        // evidence nonce outside 16..64 bytes
  kNoVerifierKey = 5,         // license/rotation before a verifier key was installed
  kVerifierKeyInstalled = 6,  // INSTALL_VERIFIER_KEY when one is installed already
  kBadPublicKey = 7,          // not a valid 65-byte SEC1 P-256 point
  kLicenseMalformed = 8,      // not a COSE_Sign1 license with the agreed claims
  kLicenseSignature = 9,      // license signature does not verify with the verifier key
  kLicenseWrongUeid = 10,     // license is for another device
  kLicenseNoEvidence = 11,    // no unused evidence nonce (none issued, or already consumed)
  kLicenseWrongNonce = 12,    // nonce is not the one of the latest evidence
  kLicenseStaleCounter = 13,  // counter <= last accepted
  kLicenseWrongFwid = 14,     // license names another firmware
  kLicenseBadMode = 15,       // mode other than FULL (2)
  kLicenseBadLease = 16,      // lease_s outside 1..86400
  kRotationMalformed = 17,
  kRotationSignature = 18,
  kRotationStaleCounter = 19,
  kBadMessage = 20,     // request not [type, id, body] or body of the wrong shape
  kUnknownType = 21,    // reserved: unknown types get ProtocolError::kUnknownMessageType
  kCertTooLarge = 22,   // DeviceID certificate larger than the journal holds
  kCertMalformed = 23,  // not a DER SEQUENCE of the stated length
  kDiceFailed = 24,     // identity derivation failed at boot
  kResponseTooLarge = 25,
  kNoSession = 26,         // LM_ROUND/LM_CLOSE without an open session
  kBadSessionParams = 27,  // LM_SETUP body out of range
  kRoundOutOfOrder = 28,   // round index not the next expected one
  kSessionMismatch = 29,   // LM_CLOSE for another session id
  kRoundsIncomplete = 30,  // LM_CLOSE before every round was answered
  kNotReady = 31,          // core not booted (or boot failed)
  kBadChallengeLength = 32,
  kDbound = 33,                  // session key derivation failed
  kCertWrongKey = 34,            // certificate does not carry this board's DeviceID key
  kCertInstalled = 35,           // a DeviceID certificate is installed already
  kStorageFault = 36,            // provisioned board whose persistent state is unusable: refused
  kJournalCorrupt = 37,          // provisioned board, no journal record verifies
  kJournalErased = 38,           // provisioned board, both journal slots erased
  kAnchorMismatch = 39,          // journal and write-once anchor disagree (key or rotation)
  kOtpTampered = 40,             // a committed write-once record does not verify
  kOtpFull = 41,                 // every write-once record is used: no further rotation
  kVerifierKeyPending = 42,      // provisioned, but the journal does not hold the anchored key yet
  kVerifierKeyMismatch = 43,     // INSTALL_VERIFIER_KEY with another key than the anchored one
  kLicenseWrongBoardNonce = 44,  // board nonce is not the one of the latest evidence
  kLicenseWindowExpired = 45,    // license applied more than kAnswerWindowSeconds after evidence
  kHardenedCheck = 46,           // a hardened double check disagreed: refused (fault injection?)
};

const char* to_string(FirmwareError e);

}  // namespace locus::firmware

namespace locus {
template <>
struct ErrorModule<firmware::FirmwareError> {
  static constexpr Module value = Module::kFirmware;
};
}  // namespace locus
