// locus/crypto/cose.h: COSE_Sign1 (RFC 9052) with ES256, tag 18.
//
//   COSE_Sign1 = #6.18([ protected: bstr .cbor {1: -7}, unprotected: {? 4: kid, ? 33: x5chain},
//                        payload: bstr, signature: bstr(64) ])
// x5chain (RFC 9360) is a bstr when it holds one certificate and an array of bstr when it
// holds more, leaf first. The signature covers Sig_structure
//   ["Signature1", protected, external_aad, payload].
#pragma once

#include "locus/crypto/p256.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::cose {

enum class CoseError : uint8_t {
  kMalformed = 1,   // not a COSE_Sign1 structure (wrong types or lengths)
  kMissingTag = 2,  // tag 18 absent where required
  kWrongTag = 3,
  kUnsupportedAlg = 4,  // alg other than ES256 (-7), or alg missing
  kBadSignature = 5,    // signature did not verify
  kBufferTooSmall = 6,
  kTooManyCerts = 7,  // x5chain longer than kMaxX5Chain
  kBadHeader = 8,     // a header with the wrong type, or a critical header we do not know
  kAlgInUnprotected = 9,
};
const char* to_string(CoseError e);

constexpr int64_t kAlgES256 = -7;
constexpr uint64_t kTagSign1 = 18;
constexpr int64_t kHeaderAlg = 1;
constexpr int64_t kHeaderKid = 4;
constexpr int64_t kHeaderX5Chain = 33;
constexpr size_t kMaxX5Chain = 4;

struct Sign1Options {
  ByteSpan kid;                       // optional, unprotected header 4
  const ByteSpan* x5chain = nullptr;  // optional, unprotected header 33, leaf first
  size_t x5chain_len = 0;
  ByteSpan external_aad;
};

// Signs payload with ES256 (RFC 6979) and writes the tagged COSE_Sign1 into out.
Status sign1_es256(const crypto::P256PrivateKey& key, ByteSpan payload, const Sign1Options& opt,
                   MutByteSpan out, size_t* out_len);

// Views into a decoded COSE_Sign1; all spans point into the input buffer.
struct Sign1View {
  ByteSpan protected_bytes;  // the serialized protected header map
  ByteSpan payload;
  ByteSpan signature;
  ByteSpan kid;
  ByteSpan x5chain[kMaxX5Chain];
  size_t x5chain_len = 0;
  int64_t alg = 0;
};

// Decodes (bounded, allocation-free). require_tag: tag 18 must be present.
Status sign1_decode(ByteSpan in, Sign1View* out, bool require_tag = true);
// Verifies the ES256 signature of a decoded COSE_Sign1 with pub.
Status sign1_verify_es256(const Sign1View& msg, const crypto::P256PublicKey& pub,
                          ByteSpan external_aad = ByteSpan());

}  // namespace locus::cose

namespace locus {
template <>
struct ErrorModule<cose::CoseError> {
  static constexpr Module value = Module::kCose;
};
}  // namespace locus
