#include "locus/tpm/errors.h"

namespace locus::tpm {

const char* to_string(TpmError e) {
  switch (e) {
    case TpmError::kUnimplemented: return "tpm: unimplemented";
    case TpmError::kTcti: return "tpm: TCTI could not be initialised";
    case TpmError::kEsys: return "tpm: ESAPI call failed";
    case TpmError::kNotOpen: return "tpm: not open";
    case TpmError::kNoAk: return "tpm: no AK loaded";
    case TpmError::kBadBlob: return "tpm: AK blob file invalid";
    case TpmError::kIo: return "tpm: file I/O failed";
    case TpmError::kMalformed: return "tpm: malformed TPM structure";
    case TpmError::kBadMagic: return "tpm: TPMS_ATTEST magic is not TPM_GENERATED_VALUE";
    case TpmError::kBadType: return "tpm: TPMS_ATTEST is not a quote";
    case TpmError::kUnsupportedAlg: return "tpm: unsupported algorithm";
    case TpmError::kBadSignature: return "tpm: quote signature invalid";
    case TpmError::kEkCertMissing: return "tpm: no EK certificate in NV";
    case TpmError::kEkCertInvalid: return "tpm: EK certificate does not parse";
    case TpmError::kEkCertUntrusted:
      return "tpm: EK certificate not issued by the TPM manufacturer CA";
    case TpmError::kEkMismatch: return "tpm: EK public key differs from the EK certificate";
    case TpmError::kActivationFailed: return "tpm: credential activation failed";
    case TpmError::kCrypto: return "tpm: crypto backend failed";
    case TpmError::kBadPcrSelection: return "tpm: bad PCR selection";
    case TpmError::kDb: return "tpm: database error";
    case TpmError::kNotFound: return "tpm: not found";
    case TpmError::kBadAkAttributes:
      return "tpm: AK is not a restricted fixedTPM ECDSA P-256 signing key";
    case TpmError::kInvalidArgument: return "tpm: invalid argument";
    case TpmError::kStaleQuote: return "tpm: a newer quote of this host was accepted meanwhile";
    default: return "tpm: unknown error";
  }
}

host::HostError host_class(TpmError e) {
  using host::HostError;
  switch (e) {
    case TpmError::kTcti:
    case TpmError::kEsys:
    case TpmError::kIo: return HostError::kIo;
    case TpmError::kBadBlob:
    case TpmError::kMalformed:
    case TpmError::kBadMagic:
    case TpmError::kBadType:
    case TpmError::kEkCertInvalid: return HostError::kParse;
    case TpmError::kBadSignature:
    case TpmError::kEkCertMissing:
    case TpmError::kEkCertUntrusted:
    case TpmError::kEkMismatch:
    case TpmError::kActivationFailed:
    case TpmError::kBadAkAttributes:
    case TpmError::kUnsupportedAlg: return HostError::kRefused;
    case TpmError::kDb: return HostError::kDb;
    case TpmError::kNotFound: return HostError::kNotFound;
    case TpmError::kInvalidArgument:
    case TpmError::kBadPcrSelection: return HostError::kUsage;
    default: return HostError::kInternal;
  }
}

}  // namespace locus::tpm
