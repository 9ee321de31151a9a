// locus/tpm/errors.h: error codes of the host TPM binding (append-only, never renumbered).
#pragma once

#include "locus/common/common.h"
#include "locus/status.h"

namespace locus::tpm {

enum class TpmError : uint8_t {
  kUnimplemented = 1,  // the function is not available in this build
  kTcti = 2,           // the TCTI could not be loaded/initialised (bad conf string, no TPM)
  kEsys = 3,           // an ESAPI call failed (the TPM response code is logged)
  kNotOpen = 4,        // Tpm used before open()
  kNoAk = 5,           // quote/activate without a created or loaded AK
  kBadBlob = 6,        // AK blob file missing, truncated or not ours
  kIo = 7,             // file read/write failed
  kMalformed = 8,      // a TPM structure (TPMS_ATTEST, TPMT_SIGNATURE, TPM2B_PUBLIC) does not parse
  kBadMagic = 9,       // TPMS_ATTEST.magic != TPM_GENERATED_VALUE
  kBadType = 10,       // TPMS_ATTEST.type != TPM_ST_ATTEST_QUOTE
  kUnsupportedAlg = 11,    // an algorithm other than ECDSA/SHA-256/P-256 (AK) or RSA-2048 (EK)
  kBadSignature = 12,      // the quote signature does not verify with the AK
  kEkCertMissing = 13,     // no EK certificate in NV
  kEkCertInvalid = 14,     // the EK certificate does not parse
  kEkCertUntrusted = 15,   // the EK certificate does not chain to the operator's TPM CA
  kEkMismatch = 16,        // the TPM's EK public key is not the one in the EK certificate
  kActivationFailed = 17,  // ActivateCredential failed or returned another secret
  kCrypto = 18,            // mbed TLS failed
  kBadPcrSelection = 19,   // PCR index out of range / empty / duplicated
  kDb = 20,                // SQLite error
  kNotFound = 21,          // unknown host/board in the registry
  kBadAkAttributes = 22,   // the AK is not a restricted, fixedTPM signing key
  kInvalidArgument = 23,
  kStaleQuote = 24,  // an accepted quote is not newer than the one recorded meanwhile
};

const char* to_string(TpmError e);
// The host error class of e (decides the CLI exit code and --json "kind").
host::HostError host_class(TpmError e);

}  // namespace locus::tpm

namespace locus {
template <>
struct ErrorModule<tpm::TpmError> {
  static constexpr Module value = Module::kTpm;
};
}  // namespace locus
