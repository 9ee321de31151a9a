#include "locus/crypto/errors.h"

namespace locus::crypto {

const char* to_string(CryptoError e) {
  switch (e) {
    case CryptoError::kBackend: return "crypto backend error";
    case CryptoError::kBadInputLength: return "input length not accepted";
    case CryptoError::kBadKey: return "invalid key";
    case CryptoError::kBadSignature: return "signature does not verify";
    case CryptoError::kBadSignatureEncoding: return "malformed signature encoding";
    case CryptoError::kDrbgNotSeeded: return "DRBG not seeded";
    case CryptoError::kEntropyFailed: return "entropy source failed";
    case CryptoError::kOutputTooSmall: return "output buffer too small";
    case CryptoError::kKeyDerivationExhausted: return "key derivation found no valid scalar";
    case CryptoError::kOutOfMemory: return "crypto arena exhausted";
    default: return "unknown crypto error";
  }
}

}  // namespace locus::crypto
