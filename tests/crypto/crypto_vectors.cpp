// crypto_vectors_<backend> N: prints N lines of values made by the backend it is linked with,
// for test_cross_backend.cpp to check with the other backend. Each line, hex fields separated
// by one space:
//   d  pub(d)  msg  sig(d, msg)  pub(d2)  ecdh(d, pub(d2))  hmac(d, msg)  hkdf(salt=d, ikm=msg,
//   "x", 40)  sha256(msg)
// where d and d2 are derived from SHA-256("locus cross" || i) with labels "a" and "b", msg
// has (7 i mod 300) bytes, and sig is RFC 6979 over SHA-256(msg). Exit status 1 on any
// failure (the line is not printed).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"

using namespace locus;
using namespace locus::crypto;

namespace {
void put_hex(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) printf("%02x", p[i]);
  if (n == 0) printf("-");  // an empty field stays a field
  printf(" ");
}
}  // namespace

int main(int argc, char** argv) {
  const long count = argc > 1 ? strtol(argv[1], nullptr, 10) : 16;
  if (count < 1 || count > 100000) return 2;
  for (long i = 0; i < count; ++i) {
    uint8_t label[16];
    std::copy_n("locus cross", 11, label);  // the 11 label bytes, no terminator
    for (int k = 0; k < 4; ++k) label[11 + k] = static_cast<uint8_t>(i >> (8 * k));
    Digest seed{};
    P256PrivateKey d, d2;
    P256PublicKey pub, pub2;
    std::vector<uint8_t> msg(static_cast<size_t>((7 * i) % 300));
    for (size_t k = 0; k < msg.size(); ++k) msg[k] = static_cast<uint8_t>(i * 31 + k * 7);
    const uint8_t a = 'a', b = 'b', x = 'x';
    P256Signature sig;
    std::array<uint8_t, 32> z{};
    Digest mac{}, h{};
    uint8_t okm[40];
    if (!sha256(ByteSpan(label, 15), &seed).ok() ||
        !p256_derive_key(seed, ByteSpan(&a, 1), &d).ok() ||
        !p256_derive_key(seed, ByteSpan(&b, 1), &d2).ok() || !p256_public_key(d, &pub).ok() ||
        !p256_public_key(d2, &pub2).ok() ||
        !ecdsa_sign(d, ByteSpan(msg.data(), msg.size()), &sig).ok() ||
        !ecdh_p256(d, pub2, &z).ok() ||
        !hmac_sha256(d.d, ByteSpan(msg.data(), msg.size()), &mac).ok() ||
        !hkdf_sha256(d.d, ByteSpan(msg.data(), msg.size()), ByteSpan(&x, 1),
                     MutByteSpan(okm, sizeof(okm)))
             .ok() ||
        !sha256(ByteSpan(msg.data(), msg.size()), &h).ok()) {
      fprintf(stderr, "crypto_vectors: operation failed at line %ld\n", i);
      return 1;
    }
    put_hex(d.d.data(), 32);
    put_hex(pub.q.data(), 65);
    put_hex(msg.data(), msg.size());
    put_hex(sig.rs.data(), 64);
    put_hex(pub2.q.data(), 65);
    put_hex(z.data(), 32);
    put_hex(mac.data(), 32);
    put_hex(okm, sizeof(okm));
    put_hex(h.data(), 32);
    printf("\n");
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
