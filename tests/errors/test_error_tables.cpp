// Golden error tables: every module's codes with (name, value, meaning), written out by hand.
// Checks that (1) each enum still has the value written here (append-only, never
// renumbered), (2) no value is used twice across all modules, (3) docs/protocol.md §2 lists
// exactly these rows. A new code means a new row here and in the doc; renumbering fails.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/errors.h"
#include "locus/crypto/x509.h"
#include "locus/firmware/board.h"
#include "locus/firmware/errors.h"
#include "locus/landmark/errors.h"
#include "locus/location/records.h"
#include "locus/protocol/errors.h"
#include "locus/status.h"
#include "locus/tpm/errors.h"
#include "locus_test/cmocka.h"

using locus::Module;
using locus::Status;

namespace {

struct Entry {
  const char* name;
  uint16_t actual;  // what the enum says today
  uint16_t golden;  // what it said when the code was added
  const char* meaning;
};

struct Table {
  Module module;
  const char* title;
  std::vector<Entry> rows;
};

const std::vector<Table>& tables() {
  static const std::vector<Table> t = {
      {Module::kCore,
       "core",
       {
           {"kInternal", Status(locus::CoreError::kInternal).code(), 0x0001,
            "a default Status: nothing has succeeded yet"},
           {"kInvalidArgument", Status(locus::CoreError::kInvalidArgument).code(), 0x0002,
            "invalid argument"},
           {"kBufferTooSmall", Status(locus::CoreError::kBufferTooSmall).code(), 0x0003,
            "buffer too small"},
           {"kOutOfRange", Status(locus::CoreError::kOutOfRange).code(), 0x0004, "out of range"},
           {"kUnimplemented", Status(locus::CoreError::kUnimplemented).code(), 0x0005,
            "unimplemented"},
       }},
      {Module::kCrypto,
       "crypto",
       {
           {"kBackend", Status(locus::crypto::CryptoError::kBackend).code(), 0x0101,
            "mbed TLS returned an error not mapped below"},
           {"kBadInputLength", Status(locus::crypto::CryptoError::kBadInputLength).code(), 0x0102,
            "a length the algorithm does not accept"},
           {"kBadKey", Status(locus::crypto::CryptoError::kBadKey).code(), 0x0103,
            "a private scalar out of range or a public point not on the curve"},
           {"kBadSignature", Status(locus::crypto::CryptoError::kBadSignature).code(), 0x0104,
            "signature did not verify"},
           {"kBadSignatureEncoding",
            Status(locus::crypto::CryptoError::kBadSignatureEncoding).code(), 0x0105,
            "malformed signature encoding"},
           {"kDrbgNotSeeded", Status(locus::crypto::CryptoError::kDrbgNotSeeded).code(), 0x0106,
            "DRBG not seeded"},
           {"kEntropyFailed", Status(locus::crypto::CryptoError::kEntropyFailed).code(), 0x0107,
            "entropy source failed"},
           {"kOutputTooSmall", Status(locus::crypto::CryptoError::kOutputTooSmall).code(), 0x0108,
            "output buffer too small"},
           {"kKeyDerivationExhausted",
            Status(locus::crypto::CryptoError::kKeyDerivationExhausted).code(), 0x0109,
            "no valid scalar after the bounded number of tries"},
           {"kOutOfMemory", Status(locus::crypto::CryptoError::kOutOfMemory).code(), 0x010A,
            "mbed TLS allocation failed (firmware arena exhausted)"},
       }},
      {Module::kCbor,
       "CBOR",
       {
           {"kTruncated", Status(locus::cbor::CborError::kTruncated).code(), 0x0201,
            "input ends inside an item"},
           {"kBufferFull", Status(locus::cbor::CborError::kBufferFull).code(), 0x0202,
            "encoder ran out of space"},
           {"kWrongType", Status(locus::cbor::CborError::kWrongType).code(), 0x0203,
            "item has another major type than asked for"},
           {"kIndefiniteLength", Status(locus::cbor::CborError::kIndefiniteLength).code(), 0x0204,
            "indefinite-length items are not accepted"},
           {"kNonCanonical", Status(locus::cbor::CborError::kNonCanonical).code(), 0x0205,
            "an argument not in its shortest form"},
           {"kUnsortedMapKeys", Status(locus::cbor::CborError::kUnsortedMapKeys).code(), 0x0206,
            "map keys not in bytewise lexicographic order"},
           {"kDuplicateMapKey", Status(locus::cbor::CborError::kDuplicateMapKey).code(), 0x0207,
            "CBOR duplicate map key"},
           {"kTooDeep", Status(locus::cbor::CborError::kTooDeep).code(), 0x0208,
            "nesting deeper than the limit"},
           {"kTooManyItems", Status(locus::cbor::CborError::kTooManyItems).code(), 0x0209,
            "more items than the limit"},
           {"kUnsupportedType", Status(locus::cbor::CborError::kUnsupportedType).code(), 0x020A,
            "float, undefined or other simple value"},
           {"kReservedAdditionalInfo",
            Status(locus::cbor::CborError::kReservedAdditionalInfo).code(), 0x020B,
            "additional info 28..30"},
           {"kTrailingBytes", Status(locus::cbor::CborError::kTrailingBytes).code(), 0x020C,
            "bytes after the top-level item"},
           {"kIntegerOverflow", Status(locus::cbor::CborError::kIntegerOverflow).code(), 0x020D,
            "value does not fit the requested C++ type"},
           {"kLengthTooLarge", Status(locus::cbor::CborError::kLengthTooLarge).code(), 0x020E,
            "a length that runs past the end of the input"},
           {"kBadUtf8", Status(locus::cbor::CborError::kBadUtf8).code(), 0x020F,
            "text string that is not valid UTF-8"},
           {"kWrongTag", Status(locus::cbor::CborError::kWrongTag).code(), 0x0210,
            "tag number other than the one expected"},
           {"kWrongLength", Status(locus::cbor::CborError::kWrongLength).code(), 0x0211,
            "string or container with another length than required"},
       }},
      {Module::kCose,
       "COSE",
       {
           {"kMalformed", Status(locus::cose::CoseError::kMalformed).code(), 0x0301,
            "not a COSE_Sign1 structure (wrong types or lengths)"},
           {"kMissingTag", Status(locus::cose::CoseError::kMissingTag).code(), 0x0302,
            "tag 18 absent where required"},
           {"kWrongTag", Status(locus::cose::CoseError::kWrongTag).code(), 0x0303,
            "COSE tag other than COSE_Sign1 (18)"},
           {"kUnsupportedAlg", Status(locus::cose::CoseError::kUnsupportedAlg).code(), 0x0304,
            "alg other than ES256 (-7), or alg missing"},
           {"kBadSignature", Status(locus::cose::CoseError::kBadSignature).code(), 0x0305,
            "signature did not verify"},
           {"kBufferTooSmall", Status(locus::cose::CoseError::kBufferTooSmall).code(), 0x0306,
            "COSE output buffer too small"},
           {"kTooManyCerts", Status(locus::cose::CoseError::kTooManyCerts).code(), 0x0307,
            "x5chain longer than kMaxX5Chain"},
           {"kBadHeader", Status(locus::cose::CoseError::kBadHeader).code(), 0x0308,
            "a header with the wrong type, or a critical header we do not know"},
           {"kAlgInUnprotected", Status(locus::cose::CoseError::kAlgInUnprotected).code(), 0x0309,
            "COSE alg in the unprotected header"},
       }},
      {Module::kX509,
       "X.509",
       {
           {"kBackend", Status(locus::crypto::X509Error::kBackend).code(), 0x0401,
            "mbed TLS error not mapped below"},
           {"kOutputTooSmall", Status(locus::crypto::X509Error::kOutputTooSmall).code(), 0x0402,
            "X.509 output buffer too small"},
           {"kBadSubject", Status(locus::crypto::X509Error::kBadSubject).code(), 0x0403,
            "subject/issuer name mbed TLS could not parse"},
           {"kBadValidity", Status(locus::crypto::X509Error::kBadValidity).code(), 0x0404,
            "validity period not accepted"},
           {"kMalformed", Status(locus::crypto::X509Error::kMalformed).code(), 0x0405,
            "DER could not be parsed"},
           {"kNoTcbInfo", Status(locus::crypto::X509Error::kNoTcbInfo).code(), 0x0406,
            "the certificate carries no TcbInfo extension"},
           {"kBadTcbInfo", Status(locus::crypto::X509Error::kBadTcbInfo).code(), 0x0407,
            "TcbInfo present but malformed or with an unsupported hash"},
           {"kChainInvalid", Status(locus::crypto::X509Error::kChainInvalid).code(), 0x0408,
            "chain verification failed"},
           {"kNotCa", Status(locus::crypto::X509Error::kNotCa).code(), 0x0409,
            "issuer is not a CA"},
           {"kWrongKeyType", Status(locus::crypto::X509Error::kWrongKeyType).code(), 0x040A,
            "not an EC P-256 key"},
           {"kBadCsrSignature", Status(locus::crypto::X509Error::kBadCsrSignature).code(), 0x040B,
            "CSR self-signature does not verify"},
           {"kWrongSignatureAlgorithm",
            Status(locus::crypto::X509Error::kWrongSignatureAlgorithm).code(), 0x040C,
            "signed with something other than ecdsa-with-SHA256"},
           {"kIssuerMismatch", Status(locus::crypto::X509Error::kIssuerMismatch).code(), 0x040D,
            "the issuer name is not the expected issuer's subject"},
           {"kBadCertSignature", Status(locus::crypto::X509Error::kBadCertSignature).code(), 0x040E,
            "the certificate's signature does not verify"},
       }},
      {Module::kProtocol,
       "protocol",
       {
           {"kFrameBadFcs", Status(locus::protocol::ProtocolError::kFrameBadFcs).code(), 0x0501,
            "FCS-16 over rev\\|len\\|payload does not match"},
           {"kFrameTruncated", Status(locus::protocol::ProtocolError::kFrameTruncated).code(),
            0x0502, "a flag (or the end of the buffer) before rev\\|len were complete"},
           {"kFrameOversize", Status(locus::protocol::ProtocolError::kFrameOversize).code(), 0x0503,
            "len > 3072"},
           {"kFrameUnstuffedFlag",
            Status(locus::protocol::ProtocolError::kFrameUnstuffedFlag).code(), 0x0504,
            "a flag after rev\\|len but before payload and FCS were complete"},
           {"kFrameBadEscape", Status(locus::protocol::ProtocolError::kFrameBadEscape).code(),
            0x0505, "0x7D followed by a byte other than 0x5E / 0x5D"},
           {"kFrameLengthMismatch",
            Status(locus::protocol::ProtocolError::kFrameLengthMismatch).code(), 0x0506,
            "no closing flag where len says the frame ends"},
           {"kFrameUnknownRev", Status(locus::protocol::ProtocolError::kFrameUnknownRev).code(),
            0x0507, "rev other than 0x01 / 0x02"},
           {"kFrameNoFlag", Status(locus::protocol::ProtocolError::kFrameNoFlag).code(), 0x0508,
            "`decode_frame`: input does not start with a flag"},
           {"kFrameTrailingBytes",
            Status(locus::protocol::ProtocolError::kFrameTrailingBytes).code(), 0x0509,
            "`decode_frame`: bytes after the closing flag"},
           {"kOutputTooSmall", Status(locus::protocol::ProtocolError::kOutputTooSmall).code(),
            0x050A, "the caller's output buffer cannot hold the result"},
           {"kBadFastRound", Status(locus::protocol::ProtocolError::kBadFastRound).code(), 0x050B,
            "rev 0x02 payload not exactly 13 bytes, or round ≥ 64"},
           {"kBadEnvelope", Status(locus::protocol::ProtocolError::kBadEnvelope).code(), 0x0514,
            "not a CBOR array `[type, request_id, body]`"},
           {"kUnknownMessageType",
            Status(locus::protocol::ProtocolError::kUnknownMessageType).code(), 0x0515,
            "type not in the message table"},
           {"kBadRequestId", Status(locus::protocol::ProtocolError::kBadRequestId).code(), 0x0516,
            "request_id not a uint < 2^32"},
           {"kUnexpectedType", Status(locus::protocol::ProtocolError::kUnexpectedType).code(),
            0x0517, "a valid message, but not the type the caller expected"},
           {"kBodyWrongType", Status(locus::protocol::ProtocolError::kBodyWrongType).code(), 0x0518,
            "body has another CBOR type than the schema says"},
           {"kMissingField", Status(locus::protocol::ProtocolError::kMissingField).code(), 0x0519,
            "a required map key is absent"},
           {"kUnknownField", Status(locus::protocol::ProtocolError::kUnknownField).code(), 0x051A,
            "a map key the schema does not define (or a non-integer key)"},
           {"kFieldWrongType", Status(locus::protocol::ProtocolError::kFieldWrongType).code(),
            0x051B, "a field has another CBOR type than the schema says"},
           {"kFieldWrongSize", Status(locus::protocol::ProtocolError::kFieldWrongSize).code(),
            0x051C, "a byte/text string with a length the schema does not allow"},
           {"kFieldOutOfRange", Status(locus::protocol::ProtocolError::kFieldOutOfRange).code(),
            0x051D, "an integer outside the range the schema allows"},
           {"kBadNonceSize", Status(locus::protocol::ProtocolError::kBadNonceSize).code(), 0x051E,
            "a nonce shorter than 16 or longer than 64 bytes"},
           {"kWrongArity", Status(locus::protocol::ProtocolError::kWrongArity).code(), 0x051F,
            "an array with another number of elements than the schema says"},
           {"kBadProfile", Status(locus::protocol::ProtocolError::kBadProfile).code(), 0x0520,
            "eat_profile is not `tag:locus.dev,2026:eat/v1`"},
           {"kTooManyRounds", Status(locus::protocol::ProtocolError::kTooManyRounds).code(), 0x0521,
            "a transcript with more than 64 rounds"},
           {"kRoundOutOfOrder", Status(locus::protocol::ProtocolError::kRoundOutOfOrder).code(),
            0x0522, "transcript round indices not 0, 1, 2, … in order"},
           {"kBadErrorCode", Status(locus::protocol::ProtocolError::kBadErrorCode).code(), 0x0523,
            "error response with code 0 (OK) or > 0xFFFF"},
           {"kBadPublicKey", Status(locus::protocol::ProtocolError::kBadPublicKey).code(), 0x0524,
            "a P-256 key field not 65 bytes starting with 0x04"},
           {"kBadUeid", Status(locus::protocol::ProtocolError::kBadUeid).code(), 0x0525,
            "a UEID not 33 bytes starting with 0x01 (RAND type)"},
           {"kBadLicenseMode", Status(locus::protocol::ProtocolError::kBadLicenseMode).code(),
            0x0526, "a license whose mode is not FULL (2)"},
           {"kBadLeaseLength", Status(locus::protocol::ProtocolError::kBadLeaseLength).code(),
            0x0527, "a license whose lease is outside 1..86400 s"},
       }},
      {Module::kFirmware,
       "firmware",
       {
           {"kStorageTooSmall", Status(locus::firmware::FirmwareError::kStorageTooSmall).code(),
            0x0601, "board storage cannot hold two journal slots"},
           {"kPersistFailed", Status(locus::firmware::FirmwareError::kPersistFailed).code(), 0x0602,
            "journal write/flush failed; the change was not applied"},
           {"kRollback", Status(locus::firmware::FirmwareError::kRollback).code(), 0x0603,
            "stored min_svn > this image's SVN: attestation refused"},
           {"kBadNonceLength", Status(locus::firmware::FirmwareError::kBadNonceLength).code(),
            0x0604, "evidence nonce outside 16..64 bytes"},
           {"kNoVerifierKey", Status(locus::firmware::FirmwareError::kNoVerifierKey).code(), 0x0605,
            "license/rotation before a verifier key was installed"},
           {"kVerifierKeyInstalled",
            Status(locus::firmware::FirmwareError::kVerifierKeyInstalled).code(), 0x0606,
            "INSTALL_VERIFIER_KEY when one is installed already"},
           {"kBadPublicKey", Status(locus::firmware::FirmwareError::kBadPublicKey).code(), 0x0607,
            "not a valid 65-byte SEC1 P-256 point"},
           {"kLicenseMalformed", Status(locus::firmware::FirmwareError::kLicenseMalformed).code(),
            0x0608, "not a COSE_Sign1 license with the agreed claims"},
           {"kLicenseSignature", Status(locus::firmware::FirmwareError::kLicenseSignature).code(),
            0x0609, "license signature does not verify with the verifier key"},
           {"kLicenseWrongUeid", Status(locus::firmware::FirmwareError::kLicenseWrongUeid).code(),
            0x060A, "license is for another device"},
           {"kLicenseNoEvidence", Status(locus::firmware::FirmwareError::kLicenseNoEvidence).code(),
            0x060B, "no unused evidence nonce (none issued, or already consumed)"},
           {"kLicenseWrongNonce", Status(locus::firmware::FirmwareError::kLicenseWrongNonce).code(),
            0x060C, "nonce is not the one of the latest evidence"},
           {"kLicenseStaleCounter",
            Status(locus::firmware::FirmwareError::kLicenseStaleCounter).code(), 0x060D,
            "counter <= last accepted"},
           {"kLicenseWrongFwid", Status(locus::firmware::FirmwareError::kLicenseWrongFwid).code(),
            0x060E, "license names another firmware"},
           {"kLicenseBadMode", Status(locus::firmware::FirmwareError::kLicenseBadMode).code(),
            0x060F, "mode other than FULL (2)"},
           {"kLicenseBadLease", Status(locus::firmware::FirmwareError::kLicenseBadLease).code(),
            0x0610, "lease_s outside 1..86400"},
           {"kRotationMalformed", Status(locus::firmware::FirmwareError::kRotationMalformed).code(),
            0x0611, "malformed key rotation"},
           {"kRotationSignature", Status(locus::firmware::FirmwareError::kRotationSignature).code(),
            0x0612, "key rotation signature invalid"},
           {"kRotationStaleCounter",
            Status(locus::firmware::FirmwareError::kRotationStaleCounter).code(), 0x0613,
            "rotation counter not above last"},
           {"kBadMessage", Status(locus::firmware::FirmwareError::kBadMessage).code(), 0x0614,
            "request not [type, id, body] or body of the wrong shape"},
           {"kUnknownType", Status(locus::firmware::FirmwareError::kUnknownType).code(), 0x0615,
            "reserved: unknown types get ProtocolError::kUnknownMessageType"},
           {"kCertTooLarge", Status(locus::firmware::FirmwareError::kCertTooLarge).code(), 0x0616,
            "DeviceID certificate larger than the journal holds"},
           {"kCertMalformed", Status(locus::firmware::FirmwareError::kCertMalformed).code(), 0x0617,
            "not a DER SEQUENCE of the stated length"},
           {"kDiceFailed", Status(locus::firmware::FirmwareError::kDiceFailed).code(), 0x0618,
            "identity derivation failed at boot"},
           {"kResponseTooLarge", Status(locus::firmware::FirmwareError::kResponseTooLarge).code(),
            0x0619, "response too large"},
           {"kNoSession", Status(locus::firmware::FirmwareError::kNoSession).code(), 0x061A,
            "LM_ROUND/LM_CLOSE without an open session"},
           {"kBadSessionParams", Status(locus::firmware::FirmwareError::kBadSessionParams).code(),
            0x061B, "LM_SETUP body out of range"},
           {"kRoundOutOfOrder", Status(locus::firmware::FirmwareError::kRoundOutOfOrder).code(),
            0x061C, "round index not the next expected one"},
           {"kSessionMismatch", Status(locus::firmware::FirmwareError::kSessionMismatch).code(),
            0x061D, "LM_CLOSE for another session id"},
           {"kRoundsIncomplete", Status(locus::firmware::FirmwareError::kRoundsIncomplete).code(),
            0x061E, "LM_CLOSE before every round was answered"},
           {"kNotReady", Status(locus::firmware::FirmwareError::kNotReady).code(), 0x061F,
            "core not booted (or boot failed)"},
           {"kBadChallengeLength",
            Status(locus::firmware::FirmwareError::kBadChallengeLength).code(), 0x0620,
            "challenge must be 12 bytes"},
           {"kDbound", Status(locus::firmware::FirmwareError::kDbound).code(), 0x0621,
            "session key derivation failed"},
           {"kCertWrongKey", Status(locus::firmware::FirmwareError::kCertWrongKey).code(), 0x0622,
            "certificate does not carry this board's DeviceID key"},
           {"kCertInstalled", Status(locus::firmware::FirmwareError::kCertInstalled).code(), 0x0623,
            "a DeviceID certificate is installed already"},
           {"kStorageFault", Status(locus::firmware::FirmwareError::kStorageFault).code(), 0x0624,
            "provisioned board whose persistent state is unusable: refused"},
           {"kJournalCorrupt", Status(locus::firmware::FirmwareError::kJournalCorrupt).code(),
            0x0625, "provisioned board, no journal record verifies"},
           {"kJournalErased", Status(locus::firmware::FirmwareError::kJournalErased).code(), 0x0626,
            "provisioned board, both journal slots erased"},
           {"kAnchorMismatch", Status(locus::firmware::FirmwareError::kAnchorMismatch).code(),
            0x0627, "journal and write-once anchor disagree (key or rotation)"},
           {"kOtpTampered", Status(locus::firmware::FirmwareError::kOtpTampered).code(), 0x0628,
            "a committed write-once record does not verify"},
           {"kOtpFull", Status(locus::firmware::FirmwareError::kOtpFull).code(), 0x0629,
            "every write-once record is used: no further rotation"},
           {"kVerifierKeyPending",
            Status(locus::firmware::FirmwareError::kVerifierKeyPending).code(), 0x062A,
            "provisioned, but the journal does not hold the anchored key yet"},
           {"kVerifierKeyMismatch",
            Status(locus::firmware::FirmwareError::kVerifierKeyMismatch).code(), 0x062B,
            "INSTALL_VERIFIER_KEY with another key than the anchored one"},
           {"kLicenseWrongBoardNonce",
            Status(locus::firmware::FirmwareError::kLicenseWrongBoardNonce).code(), 0x062C,
            "board nonce is not the one of the latest evidence"},
           {"kLicenseWindowExpired",
            Status(locus::firmware::FirmwareError::kLicenseWindowExpired).code(), 0x062D,
            "license applied more than kAnswerWindowSeconds after evidence"},
           {"kHardenedCheck", Status(locus::firmware::FirmwareError::kHardenedCheck).code(), 0x062E,
            "a hardened double check disagreed: refused (fault injection?)"},
       }},
      {Module::kBoard,
       "board",
       {
           {"kUdsUnavailable", Status(locus::board::BoardError::kUdsUnavailable).code(), 0x0701,
            "the UDS region is missing, blank or already locked"},
           {"kMeasureFailed", Status(locus::board::BoardError::kMeasureFailed).code(), 0x0702,
            "the image could not be measured"},
           {"kEntropyFailed", Status(locus::board::BoardError::kEntropyFailed).code(), 0x0703,
            "entropy failed"},
           {"kStorageIo", Status(locus::board::BoardError::kStorageIo).code(), 0x0704,
            "persistent storage read/write failed"},
           {"kStorageRange", Status(locus::board::BoardError::kStorageRange).code(), 0x0705,
            "offset/length outside the storage region"},
           {"kLinkIo", Status(locus::board::BoardError::kLinkIo).code(), 0x0706,
            "serial link read/write failed or peer closed"},
           {"kLinkTimeout", Status(locus::board::BoardError::kLinkTimeout).code(), 0x0707,
            "link timeout"},
           {"kOtpConflict", Status(locus::board::BoardError::kOtpConflict).code(), 0x0708,
            "write-once region: programming would need a 0 -> 1 change"},
       }},
      {Module::kHost,
       "host",
       {
           {"kIo", Status(locus::host::HostError::kIo).code(), 0x0801, "file or socket I/O failed"},
           {"kExists", Status(locus::host::HostError::kExists).code(), 0x0802,
            "refusing to overwrite an existing file"},
           {"kParse", Status(locus::host::HostError::kParse).code(), 0x0803,
            "malformed input (hex, base64, JSON, TOML, DER, CBOR)"},
           {"kConfig", Status(locus::host::HostError::kConfig).code(), 0x0804,
            "a configuration value is missing or invalid"},
           {"kDb", Status(locus::host::HostError::kDb).code(), 0x0805, "SQLite error"},
           {"kNotFound", Status(locus::host::HostError::kNotFound).code(), 0x0806,
            "unknown device / record"},
           {"kRefused", Status(locus::host::HostError::kRefused).code(), 0x0807,
            "a security check said no"},
           {"kRevoked", Status(locus::host::HostError::kRevoked).code(), 0x0808, "revoked"},
           {"kNonce", Status(locus::host::HostError::kNonce).code(), 0x0809,
            "nonce unknown, expired or used"},
           {"kAuditBroken", Status(locus::host::HostError::kAuditBroken).code(), 0x080A,
            "audit chain verification failed"},
           {"kNetwork", Status(locus::host::HostError::kNetwork).code(), 0x080B, "network"},
           {"kInternal", Status(locus::host::HostError::kInternal).code(), 0x080C, "internal"},
           {"kUsage", Status(locus::host::HostError::kUsage).code(), 0x080D, "usage"},
           {"kDuplicate", Status(locus::host::HostError::kDuplicate).code(), 0x080E,
            "already registered"},
           {"kSchemaTooNew", Status(locus::host::HostError::kSchemaTooNew).code(), 0x080F,
            "database written by a newer locus"},
       }},
      {Module::kTpm,
       "TPM",
       {
           {"kUnimplemented", Status(locus::tpm::TpmError::kUnimplemented).code(), 0x0901,
            "the function is not available in this build"},
           {"kTcti", Status(locus::tpm::TpmError::kTcti).code(), 0x0902,
            "the TCTI could not be loaded/initialised (bad conf string, no TPM)"},
           {"kEsys", Status(locus::tpm::TpmError::kEsys).code(), 0x0903,
            "an ESAPI call failed (the TPM response code is logged)"},
           {"kNotOpen", Status(locus::tpm::TpmError::kNotOpen).code(), 0x0904,
            "Tpm used before open()"},
           {"kNoAk", Status(locus::tpm::TpmError::kNoAk).code(), 0x0905,
            "quote/activate without a created or loaded AK"},
           {"kBadBlob", Status(locus::tpm::TpmError::kBadBlob).code(), 0x0906,
            "AK blob file missing, truncated or not ours"},
           {"kIo", Status(locus::tpm::TpmError::kIo).code(), 0x0907, "file read/write failed"},
           {"kMalformed", Status(locus::tpm::TpmError::kMalformed).code(), 0x0908,
            "a TPM structure (TPMS_ATTEST, TPMT_SIGNATURE, TPM2B_PUBLIC) does not parse"},
           {"kBadMagic", Status(locus::tpm::TpmError::kBadMagic).code(), 0x0909,
            "TPMS_ATTEST.magic != TPM_GENERATED_VALUE"},
           {"kBadType", Status(locus::tpm::TpmError::kBadType).code(), 0x090A,
            "TPMS_ATTEST.type != TPM_ST_ATTEST_QUOTE"},
           {"kUnsupportedAlg", Status(locus::tpm::TpmError::kUnsupportedAlg).code(), 0x090B,
            "an algorithm other than ECDSA/SHA-256/P-256 (AK) or RSA-2048 (EK)"},
           {"kBadSignature", Status(locus::tpm::TpmError::kBadSignature).code(), 0x090C,
            "the quote signature does not verify with the AK"},
           {"kEkCertMissing", Status(locus::tpm::TpmError::kEkCertMissing).code(), 0x090D,
            "no EK certificate in NV"},
           {"kEkCertInvalid", Status(locus::tpm::TpmError::kEkCertInvalid).code(), 0x090E,
            "the EK certificate does not parse"},
           {"kEkCertUntrusted", Status(locus::tpm::TpmError::kEkCertUntrusted).code(), 0x090F,
            "the EK certificate does not chain to the operator's TPM CA"},
           {"kEkMismatch", Status(locus::tpm::TpmError::kEkMismatch).code(), 0x0910,
            "the TPM's EK public key is not the one in the EK certificate"},
           {"kActivationFailed", Status(locus::tpm::TpmError::kActivationFailed).code(), 0x0911,
            "ActivateCredential failed or returned another secret"},
           {"kCrypto", Status(locus::tpm::TpmError::kCrypto).code(), 0x0912, "mbed TLS failed"},
           {"kBadPcrSelection", Status(locus::tpm::TpmError::kBadPcrSelection).code(), 0x0913,
            "PCR index out of range / empty / duplicated"},
           {"kDb", Status(locus::tpm::TpmError::kDb).code(), 0x0914, "SQLite error"},
           {"kNotFound", Status(locus::tpm::TpmError::kNotFound).code(), 0x0915,
            "unknown host/board in the registry"},
           {"kBadAkAttributes", Status(locus::tpm::TpmError::kBadAkAttributes).code(), 0x0916,
            "the AK is not a restricted, fixedTPM signing key"},
           {"kInvalidArgument", Status(locus::tpm::TpmError::kInvalidArgument).code(), 0x0917,
            "tpm: invalid argument"},
           {"kStaleQuote", Status(locus::tpm::TpmError::kStaleQuote).code(), 0x0918,
            "an accepted quote is not newer than the one recorded meanwhile"},
       }},
      {Module::kGeo,
       "location",
       {
           {"kMalformed", Status(locus::location::LocationError::kMalformed).code(), 0x0A01,
            "a payload is not the CBOR the schema says"},
           {"kBadSignature", Status(locus::location::LocationError::kBadSignature).code(), 0x0A02,
            "a COSE signature did not verify"},
           {"kUnknownLandmark", Status(locus::location::LocationError::kUnknownLandmark).code(),
            0x0A03, "record kid / id not in the trust list"},
           {"kNonceMismatch", Status(locus::location::LocationError::kNonceMismatch).code(), 0x0A04,
            "verifier nonce differs from the attestation nonce"},
           {"kUeidMismatch", Status(locus::location::LocationError::kUeidMismatch).code(), 0x0A05,
            "ueid mismatch"},
           {"kTranscriptHashMismatch",
            Status(locus::location::LocationError::kTranscriptHashMismatch).code(), 0x0A06,
            "transcript hash mismatch"},
           {"kTranscriptInconsistent",
            Status(locus::location::LocationError::kTranscriptInconsistent).code(), 0x0A07,
            "transcript fields disagree with the record or each other"},
           {"kBadTrustList", Status(locus::location::LocationError::kBadTrustList).code(), 0x0A08,
            "bad trust list"},
           {"kBadConfig", Status(locus::location::LocationError::kBadConfig).code(), 0x0A09,
            "bad configuration"},
           {"kIo", Status(locus::location::LocationError::kIo).code(), 0x0A0A, "I/O error"},
       }},
      {Module::kLandmark,
       "landmark",
       {
           {"kNetwork", Status(locus::landmark::LandmarkError::kNetwork).code(), 0x0B01,
            "connect, send or receive failed, or the peer closed"},
           {"kTimeout", Status(locus::landmark::LandmarkError::kTimeout).code(), 0x0B02,
            "a deadline passed"},
           {"kProtocol", Status(locus::landmark::LandmarkError::kProtocol).code(), 0x0B03,
            "peer sent something out of sequence or malformed"},
           {"kWrongAnswer", Status(locus::landmark::LandmarkError::kWrongAnswer).code(), 0x0B04,
            "a timed-round answer did not match the table"},
           {"kBoard", Status(locus::landmark::LandmarkError::kBoard).code(), 0x0B05,
            "the BoardLink reported an error"},
           {"kSessionRefused", Status(locus::landmark::LandmarkError::kSessionRefused).code(),
            0x0B06, "the landmark refused the session (message says why)"},
       }},
  };
  return t;
}

// Each enum still has the value of its golden row, and the row sits in its module.
void test_values_are_golden(void**) {
  for (const Table& t : tables()) {
    for (const Entry& e : t.rows) {
      if (e.actual != e.golden)
        fail_msg("%s %s: 0x%04X, golden 0x%04X", t.title, e.name, e.actual, e.golden);
      assert_int_equal(e.golden >> 8, static_cast<unsigned>(t.module));
      assert_true((e.golden & 0xFF) != 0);  // local 0 is OK, never an error
    }
  }
}

// No value and no (module, name) pair is used twice across all modules.
void test_values_unique(void**) {
  std::set<uint16_t> values;
  std::set<std::string> names;
  for (const Table& t : tables()) {
    for (const Entry& e : t.rows) {
      if (!values.insert(e.golden).second) fail_msg("0x%04X used twice", e.golden);
      if (!names.insert(std::string(t.title) + "." + e.name).second)
        fail_msg("%s.%s listed twice", t.title, e.name);
      assert_true(e.meaning[0] != '\0');
    }
  }
}

// Rows "| 0xMMLL | `kName` | meaning |" of docs/protocol.md §2, meaning with "\|" unescaped.
std::map<uint16_t, std::pair<std::string, std::string>> doc_rows() {
  const char* src = std::getenv("LOCUS_SOURCE_DIR");
  assert_non_null(src);
  std::ifstream in(std::string(src) + "/docs/protocol.md");
  assert_true(in.good());
  std::map<uint16_t, std::pair<std::string, std::string>> rows;
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line.rfind("## 2. Error codes", 0) == 0;
    if (!in_section || line.rfind("| 0x", 0) != 0) continue;
    const size_t c1 = line.find(" | `", 2), c2 = line.find("` | ", c1 + 4);
    assert_true(c1 != std::string::npos && c2 != std::string::npos && line.size() > c2 + 6);
    assert_true(line.compare(line.size() - 2, 2, " |") == 0);
    const uint16_t code = static_cast<uint16_t>(std::stoul(line.substr(2, c1 - 2), nullptr, 16));
    std::string meaning = line.substr(c2 + 4, line.size() - 2 - (c2 + 4));
    for (size_t p = 0; (p = meaning.find("\\|", p)) != std::string::npos;) meaning.erase(p, 1);
    if (!rows.emplace(code, std::make_pair(line.substr(c1 + 4, c2 - c1 - 4), meaning)).second)
      fail_msg("docs/protocol.md lists 0x%04X twice", code);
  }
  return rows;
}

// docs/protocol.md §2 lists exactly the golden rows: same codes, names and meanings.
void test_doc_matches(void**) {
  auto rows = doc_rows();
  size_t n = 0;
  for (const Table& t : tables()) {
    for (const Entry& e : t.rows) {
      ++n;
      auto it = rows.find(e.golden);
      if (it == rows.end()) fail_msg("docs/protocol.md lacks 0x%04X %s", e.golden, e.name);
      if (it->second.first != e.name)
        fail_msg("0x%04X: doc names %s, table %s", e.golden, it->second.first.c_str(), e.name);
      if (it->second.second != e.meaning)
        fail_msg("0x%04X %s: doc says \"%s\", table \"%s\"", e.golden, e.name,
                 it->second.second.c_str(), e.meaning);
    }
  }
  if (rows.size() != n)
    fail_msg("docs/protocol.md lists %zu codes, the tables %zu", rows.size(), n);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values_are_golden),
      cmocka_unit_test(test_values_unique),
      cmocka_unit_test(test_doc_matches),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
