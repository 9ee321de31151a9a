#include "locus/firmware/errors.h"

namespace locus::firmware {

const char* to_string(FirmwareError e) {
  switch (e) {
    case FirmwareError::kStorageFault: return "persistent state unusable: board stays RESTRICTED";
    case FirmwareError::kJournalCorrupt: return "journal corrupt on a provisioned board";
    case FirmwareError::kJournalErased: return "journal erased on a provisioned board";
    case FirmwareError::kAnchorMismatch: return "journal does not match the write-once anchor";
    case FirmwareError::kOtpTampered: return "write-once record does not verify";
    case FirmwareError::kOtpFull: return "no write-once record left for a rotation";
    case FirmwareError::kVerifierKeyPending: return "anchored verifier key not yet in the journal";
    case FirmwareError::kVerifierKeyMismatch: return "verifier key differs from the anchored one";
    case FirmwareError::kLicenseWrongBoardNonce: return "license board nonce is not the latest";
    case FirmwareError::kLicenseWindowExpired: return "license arrived after the answer window";
    case FirmwareError::kHardenedCheck: return "hardened double check failed";
    case FirmwareError::kStorageTooSmall: return "board storage too small for the journal";
    case FirmwareError::kPersistFailed: return "journal write failed";
    case FirmwareError::kRollback: return "min_svn above image SVN: attestation refused";
    case FirmwareError::kBadNonceLength: return "nonce must be 16..64 bytes";
    case FirmwareError::kNoVerifierKey: return "no verifier key installed";
    case FirmwareError::kVerifierKeyInstalled: return "verifier key already installed";
    case FirmwareError::kBadPublicKey: return "invalid P-256 public key";
    case FirmwareError::kLicenseMalformed: return "malformed license";
    case FirmwareError::kLicenseSignature: return "license signature invalid";
    case FirmwareError::kLicenseWrongUeid: return "license for another device";
    case FirmwareError::kLicenseNoEvidence: return "no unused evidence nonce";
    case FirmwareError::kLicenseWrongNonce: return "license nonce is not the latest evidence nonce";
    case FirmwareError::kLicenseStaleCounter: return "license counter not above last accepted";
    case FirmwareError::kLicenseWrongFwid: return "license for another firmware";
    case FirmwareError::kLicenseBadMode: return "license mode not supported";
    case FirmwareError::kLicenseBadLease: return "license lease out of range";
    case FirmwareError::kRotationMalformed: return "malformed key rotation";
    case FirmwareError::kRotationSignature: return "key rotation signature invalid";
    case FirmwareError::kRotationStaleCounter: return "rotation counter not above last";
    case FirmwareError::kBadMessage: return "malformed request body";
    case FirmwareError::kUnknownType: return "unknown message type";
    case FirmwareError::kCertTooLarge: return "certificate too large";
    case FirmwareError::kCertMalformed: return "certificate not DER";
    case FirmwareError::kDiceFailed: return "DICE derivation failed";
    case FirmwareError::kResponseTooLarge: return "response too large";
    case FirmwareError::kNoSession: return "no distance-bounding session";
    case FirmwareError::kBadSessionParams: return "bad session parameters";
    case FirmwareError::kRoundOutOfOrder: return "round out of order";
    case FirmwareError::kSessionMismatch: return "session id mismatch";
    case FirmwareError::kRoundsIncomplete: return "rounds incomplete";
    case FirmwareError::kNotReady: return "firmware not booted";
    case FirmwareError::kBadChallengeLength: return "challenge must be 12 bytes";
    case FirmwareError::kDbound: return "session key derivation failed";
    case FirmwareError::kCertWrongKey: return "certificate is not for this DeviceID key";
    case FirmwareError::kCertInstalled: return "DeviceID certificate already installed";
    default: return "unknown firmware error";
  }
}

}  // namespace locus::firmware
