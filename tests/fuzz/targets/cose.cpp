// Fuzz target cose: cose::sign1_decode() (tagged and untagged) and sign1_verify_es256() on
// arbitrary bytes. Invariants: no crash; on success every view lies inside the input, the
// alg is ES256 and the signature is 64 bytes; decoding is a pure function (same result
// twice); a message that decodes verifies or fails cleanly against a fixed key.
#include "locus/crypto/cose.h"

#include "fuzz_targets.h"

using locus::ByteSpan;

namespace {

bool inside(ByteSpan v, const uint8_t* data, size_t size) {
  if (v.size == 0) return true;
  return v.data >= data && v.data + v.size <= data + size && v.data + v.size >= v.data;
}

// RFC 9052 C.7.1 key '11' (uncompressed point): the seed corpus holds the C.2.1 message, so
// the verify path succeeds on that seed and fails on its mutations.
const uint8_t kPub11[65] = {0x04, 0xba, 0xc5, 0xb1, 0x1c, 0xad, 0x8f, 0x99, 0xf9, 0xc7, 0x2b,
                            0x05, 0xcf, 0x4b, 0x9e, 0x26, 0xd2, 0x44, 0xdc, 0x18, 0x9f, 0x74,
                            0x52, 0x28, 0x25, 0x5a, 0x21, 0x9a, 0x86, 0xd6, 0xa0, 0x9e, 0xff,
                            0x20, 0x13, 0x8b, 0xf8, 0x2d, 0xc1, 0xb6, 0xd5, 0x62, 0xbe, 0x0f,
                            0xa5, 0x4a, 0xb7, 0x80, 0x4a, 0x3a, 0x64, 0xb6, 0xd7, 0x2c, 0xcf,
                            0xed, 0x6b, 0x6f, 0xb6, 0xed, 0x28, 0xbb, 0xfc, 0x11, 0x7e};

unsigned long g_decoded = 0;

}  // namespace

extern "C" int locus_fuzz_cose(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  for (int tagged = 0; tagged < 2; ++tagged) {
    locus::cose::Sign1View v;
    const locus::Status s = locus::cose::sign1_decode(in, &v, tagged == 1);
    locus::cose::Sign1View v2;
    LOCUS_FUZZ_CHECK(locus::cose::sign1_decode(in, &v2, tagged == 1) == s);
    if (!s.ok()) continue;
    LOCUS_FUZZ_ACCEPTED();
    LOCUS_FUZZ_CHECK(v.alg == locus::cose::kAlgES256);
    LOCUS_FUZZ_CHECK(v.signature.size == 64);
    LOCUS_FUZZ_CHECK(v.x5chain_len <= locus::cose::kMaxX5Chain);
    LOCUS_FUZZ_CHECK(inside(v.protected_bytes, data, size) && inside(v.payload, data, size) &&
                     inside(v.signature, data, size) && inside(v.kid, data, size));
    for (size_t i = 0; i < v.x5chain_len; ++i) LOCUS_FUZZ_CHECK(inside(v.x5chain[i], data, size));
    // An ECDSA verification costs about a millisecond and its input handling is the crypto
    // module's (tested there); sample it, every seed and then every 16th decodable input,
    // so that the 20000-mutation replay stays well under 20 s.
    if ((g_decoded++ % 16) != 0 && g_decoded > 16) continue;
    locus::crypto::P256PublicKey pub;
    for (size_t i = 0; i < sizeof kPub11; ++i) pub.q[i] = kPub11[i];
    const locus::Status vs = locus::cose::sign1_verify_es256(v, pub);
    LOCUS_FUZZ_CHECK(vs.ok() || vs == locus::Status(locus::cose::CoseError::kBadSignature));
  }
  return 0;
}
