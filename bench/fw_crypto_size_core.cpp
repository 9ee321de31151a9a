// bench: the legacy-API core (no X.509) that fw_crypto_size_psa.c reproduces with PSA:
// SHA-256, HMAC, HKDF, key from a DRBG, public key, deterministic ECDSA sign + verify, ECDH.
#include "fw_crypto_size_io.h"
#include "locus/crypto/drbg.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"

using namespace locus;
using namespace locus::crypto;

int main() {
  uint8_t seed[32];
  for (size_t i = 0; i < sizeof(seed); ++i) seed[i] = g_input[i];
  Digest h{}, mac{};
  sink(sha256(seed, &h));
  sink(hmac_sha256(seed, ByteSpan(h.data(), h.size()), &mac));
  uint8_t okm[32];
  sink(hkdf_sha256(ByteSpan(seed, 4), ByteSpan(mac.data(), mac.size()), ByteSpan(seed, 4), okm));
  Drbg drbg;
  sink(drbg.seed(entropy, nullptr, ByteSpan()));
  P256PrivateKey key, eph;
  sink(p256_generate_key(drbg, &key));
  sink(p256_generate_key(drbg, &eph));
  P256PublicKey pub, eph_pub;
  sink(p256_public_key(key, &pub));
  sink(p256_public_key(eph, &eph_pub));
  P256Signature sig;
  sink(ecdsa_sign_digest(key, h, &sig));
  sink(ecdsa_verify_digest(pub, h, sig));
  std::array<uint8_t, 32> z{};
  sink(ecdh_p256(key, eph_pub, &z));
  g_sink = g_sink + z[0] + okm[0];
  return 0;
}
