// locus/crypto/errors.h: error codes of the crypto module (append-only, never renumbered).
#pragma once

#include "locus/status.h"

namespace locus::crypto {

enum class CryptoError : uint8_t {
  kBackend = 1,         // mbed TLS returned an error not mapped below
  kBadInputLength = 2,  // a length the algorithm does not accept
  kBadKey = 3,          // a private scalar out of range or a public point not on the curve
  kBadSignature = 4,    // signature did not verify
  kBadSignatureEncoding = 5,
  kDrbgNotSeeded = 6,
  kEntropyFailed = 7,
  kOutputTooSmall = 8,
  kKeyDerivationExhausted = 9,  // no valid scalar after the bounded number of tries
  kOutOfMemory = 10,            // mbed TLS allocation failed (firmware arena exhausted)
};

const char* to_string(CryptoError e);

}  // namespace locus::crypto

namespace locus {
template <>
struct ErrorModule<crypto::CryptoError> {
  static constexpr Module value = Module::kCrypto;
};
}  // namespace locus
