// locus/crypto/p256.h: ECDSA and ECDH on NIST P-256 through mbed TLS.
//
// Keys are plain byte arrays: a 32-byte big-endian private scalar and a 65-byte SEC1
// uncompressed public point (0x04 || X || Y). Signatures are raw r || s (64 bytes), the
// form COSE uses; DER conversion is provided for X.509 and TPM interop.
#pragma once

#include <array>

#include "locus/crypto/drbg.h"
#include "locus/crypto/errors.h"
#include "locus/crypto/hash.h"
#include "locus/span.h"

namespace locus::crypto {

struct P256PrivateKey {
  std::array<uint8_t, 32> d{};
  ~P256PrivateKey();  // zeroises d
};
struct P256PublicKey {
  std::array<uint8_t, 65> q{};
};
struct P256Signature {
  std::array<uint8_t, 64> rs{};
};
constexpr size_t kP256SigDerMax = 72;

// Deterministic key derivation: HKDF-SHA256(salt = label, ikm = seed, info = "locus P-256"
// || counter) until the 32-byte candidate is a valid scalar in [1, n-1] (at most 16 tries).
// "locus P-256" is the 11 ASCII bytes without a NUL; counter is one byte, 0x00 first. The
// candidate is read big-endian. seed must not be empty. See docs/crypto.md.
Status p256_derive_key(ByteSpan seed, ByteSpan label, P256PrivateKey* out);
// Fresh random key from a seeded DRBG (ephemeral ECDH keys).
Status p256_generate_key(Drbg& drbg, P256PrivateKey* out);
Status p256_public_key(const P256PrivateKey& key, P256PublicKey* out);
// Checks that a public key is a valid point on P-256.
Status p256_check_public(const P256PublicKey& pub);

// RFC 6979 deterministic ECDSA over a SHA-256 digest.
Status ecdsa_sign_digest(const P256PrivateKey& key, const Digest& digest, P256Signature* out);
Status ecdsa_sign(const P256PrivateKey& key, ByteSpan msg, P256Signature* out);
Status ecdsa_verify_digest(const P256PublicKey& pub, const Digest& digest,
                           const P256Signature& sig);
Status ecdsa_verify(const P256PublicKey& pub, ByteSpan msg, const P256Signature& sig);

Status signature_to_der(const P256Signature& sig, MutByteSpan out, size_t* out_len);
Status signature_from_der(ByteSpan der, P256Signature* out);

// ECDH: shared secret = X coordinate of key * peer (32 bytes).
Status ecdh_p256(const P256PrivateKey& key, const P256PublicKey& peer,
                 std::array<uint8_t, 32>* shared);

}  // namespace locus::crypto
