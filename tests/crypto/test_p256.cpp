// Unit tests of locus/crypto/p256.h: derivation, ECDH, signature encoding and rejection paths.
#include <atomic>
#include <thread>
#include <vector>

#include "locus/crypto/ct.h"
#include "locus/crypto/p256.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;

namespace {

const uint8_t kSeed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                           17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

ByteSpan str(const char* s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s), strlen(s));
}

// Deriving twice from the same seed and label gives the same key; a different label or a
// different seed gives a different key. The key is a valid scalar (its public key exists).
void derive_is_deterministic_and_label_separated(void**) {
  P256PrivateKey a, b, c, d;
  ASSERT_OK(p256_derive_key(kSeed, str("locus DeviceID"), &a));
  ASSERT_OK(p256_derive_key(kSeed, str("locus DeviceID"), &b));
  ASSERT_OK(p256_derive_key(kSeed, str("locus Alias"), &c));
  uint8_t seed2[32];
  memcpy(seed2, kSeed, 32);
  seed2[31] ^= 1;
  ASSERT_OK(p256_derive_key(seed2, str("locus DeviceID"), &d));
  assert_bytes_equal(a.d, b.d);
  assert_memory_not_equal(a.d.data(), c.d.data(), 32);
  assert_memory_not_equal(a.d.data(), d.d.data(), 32);
  P256PublicKey pub;
  ASSERT_OK(p256_public_key(a, &pub));
  ASSERT_OK(p256_check_public(pub));
}

// The derivation is exactly HKDF-SHA256(salt=label, ikm=seed, info="locus P-256"||0x00) for
// the first candidate (which is valid with overwhelming probability), as docs/crypto.md says.
void derive_matches_documented_construction(void**) {
  P256PrivateKey k;
  ASSERT_OK(p256_derive_key(kSeed, str("locus DeviceID"), &k));
  uint8_t info[12];
  memcpy(info, "locus P-256", 11);
  info[11] = 0;
  uint8_t okm[32];
  ASSERT_OK(hkdf_sha256(str("locus DeviceID"), kSeed, ByteSpan(info, 12), MutByteSpan(okm, 32)));
  assert_memory_equal(okm, k.d.data(), 32);
}

// An empty seed is refused.
void derive_rejects_empty_seed(void**) {
  P256PrivateKey k;
  ASSERT_ERR(p256_derive_key(ByteSpan(), str("x"), &k), CryptoError::kBadInputLength);
}

// Alice's private key with Bob's public key and Bob's with Alice's give the same secret;
// a third key gives a different one.
void ecdh_agrees_both_ways(void**) {
  P256PrivateKey a, b, c;
  ASSERT_OK(p256_derive_key(kSeed, str("a"), &a));
  ASSERT_OK(p256_derive_key(kSeed, str("b"), &b));
  ASSERT_OK(p256_derive_key(kSeed, str("c"), &c));
  P256PublicKey pa, pb, pc;
  ASSERT_OK(p256_public_key(a, &pa));
  ASSERT_OK(p256_public_key(b, &pb));
  ASSERT_OK(p256_public_key(c, &pc));
  std::array<uint8_t, 32> ab{}, ba{}, ac{};
  ASSERT_OK(ecdh_p256(a, pb, &ab));
  ASSERT_OK(ecdh_p256(b, pa, &ba));
  ASSERT_OK(ecdh_p256(a, pc, &ac));
  assert_bytes_equal(ab, ba);
  assert_memory_not_equal(ab.data(), ac.data(), 32);
}

// ECDH refuses a peer point that is not on the curve and the zero private key.
void ecdh_rejects_bad_inputs(void**) {
  P256PrivateKey a;
  ASSERT_OK(p256_derive_key(kSeed, str("a"), &a));
  P256PublicKey pa;
  ASSERT_OK(p256_public_key(a, &pa));
  P256PublicKey off = pa;
  off.q[64] ^= 1;  // y changed: off the curve
  std::array<uint8_t, 32> z{};
  ASSERT_ERR(ecdh_p256(a, off, &z), CryptoError::kBadKey);
  P256PrivateKey zero;  // d = 0 is not a scalar in [1, n-1]
  ASSERT_ERR(ecdh_p256(zero, pa, &z), CryptoError::kBadKey);
}

// A signature verifies with the signer's key over the signed message only: a flipped message
// bit, a flipped signature bit, another key, or an off-curve key are all rejected.
void verify_rejects_tampering(void**) {
  P256PrivateKey k, other;
  ASSERT_OK(p256_derive_key(kSeed, str("k"), &k));
  ASSERT_OK(p256_derive_key(kSeed, str("other"), &other));
  P256PublicKey pub, opub;
  ASSERT_OK(p256_public_key(k, &pub));
  ASSERT_OK(p256_public_key(other, &opub));
  std::vector<uint8_t> msg = bytes("attest me");
  P256Signature sig;
  ASSERT_OK(ecdsa_sign(k, ByteSpan(msg.data(), msg.size()), &sig));
  ASSERT_OK(ecdsa_verify(pub, ByteSpan(msg.data(), msg.size()), sig));

  std::vector<uint8_t> msg2 = msg;
  msg2[0] ^= 0x01;
  ASSERT_ERR(ecdsa_verify(pub, ByteSpan(msg2.data(), msg2.size()), sig),
             CryptoError::kBadSignature);
  for (size_t bit : {0u, 255u, 256u, 511u}) {
    P256Signature bad = sig;
    bad.rs[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ASSERT_ERR(ecdsa_verify(pub, ByteSpan(msg.data(), msg.size()), bad),
               CryptoError::kBadSignature);
  }
  ASSERT_ERR(ecdsa_verify(opub, ByteSpan(msg.data(), msg.size()), sig), CryptoError::kBadSignature);
  P256PublicKey off = pub;
  off.q[40] ^= 0x10;
  ASSERT_ERR(ecdsa_verify(off, ByteSpan(msg.data(), msg.size()), sig), CryptoError::kBadKey);
  P256PublicKey compressed = pub;
  compressed.q[0] = 0x02;
  ASSERT_ERR(p256_check_public(compressed), CryptoError::kBadKey);
  // r = 0 and s = 0 are outside [1, n-1].
  P256Signature zero;
  ASSERT_ERR(ecdsa_verify(pub, ByteSpan(msg.data(), msg.size()), zero), CryptoError::kBadSignature);
}

// Signing with the zero scalar (or with n) is refused as a bad key.
void sign_rejects_invalid_scalar(void**) {
  P256PrivateKey zero;
  P256Signature sig;
  ASSERT_ERR(ecdsa_sign(zero, str("m"), &sig), CryptoError::kBadKey);
  P256PrivateKey n;
  const auto nb = hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
  memcpy(n.d.data(), nb.data(), 32);
  ASSERT_ERR(ecdsa_sign(n, str("m"), &sig), CryptoError::kBadKey);
  P256PublicKey pub;
  ASSERT_ERR(p256_public_key(n, &pub), CryptoError::kBadKey);
}

// raw -> DER -> raw is the identity, including values with the top bit set and with
// leading zero bytes (which need padding/stripping in DER).
void signature_der_round_trip(void**) {
  P256Signature sigs[3];
  for (size_t i = 0; i < 64; ++i)
    sigs[0].rs[i] = static_cast<uint8_t>(0x80 + i);  // both need 0x00 pad
  sigs[1].rs[31] = 1;                                // r = 1, s = 1
  sigs[1].rs[63] = 1;
  for (size_t i = 0; i < 64; ++i)
    sigs[2].rs[i] = static_cast<uint8_t>(i < 2 || (i >= 32 && i < 35) ? 0 : 0x11);
  const size_t want_len[3] = {72, 8, 2 + 2 + 30 + 2 + 29};
  for (int i = 0; i < 3; ++i) {
    uint8_t der[kP256SigDerMax];
    size_t len = 0;
    ASSERT_OK(signature_to_der(sigs[i], der, &len));
    assert_int_equal(len, want_len[i]);
    P256Signature back;
    ASSERT_OK(signature_from_der(ByteSpan(der, len), &back));
    assert_bytes_equal(back.rs, sigs[i].rs);
  }
  uint8_t small[10];
  size_t len = 0;
  ASSERT_ERR(signature_to_der(sigs[0], small, &len), CryptoError::kOutputTooSmall);
}

// Malformed DER signatures are rejected with kBadSignatureEncoding: wrong outer tag, trailing
// bytes, truncated, negative integer, non-minimal integer, an integer longer than 32 bytes,
// a missing s, and empty input.
void signature_der_malformed(void**) {
  const char* bad[] = {
      "3106020101020101",    // SET instead of SEQUENCE
      "300602010102010100",  // trailing byte after the SEQUENCE
      "30060201010201",      // truncated
      "3006020181020101",    // r negative
      "300702020001020101",  // r non-minimal (leading 0x00 before < 0x80)
      // 33 significant bytes
      "3027022201000000000000000000000000000000000000000000000000000000000000000000020101",
      "3003020101",      // s missing
      "",                // empty
      "3000",            // empty SEQUENCE
      "30060400020101",  // r is an OCTET STRING
  };
  for (const char* h : bad) {
    const auto d = hex(h);
    P256Signature out;
    ASSERT_ERR(signature_from_der(ByteSpan(d.data(), d.size()), &out),
               CryptoError::kBadSignatureEncoding);
  }
}

// Many keys used in turn, more than any backend keeps prepared (the OpenSSL backend caches 16
// verification contexts per thread): every round, each key verifies its own signature and
// refuses its neighbour's, including right after an eviction and for keys used again later.
// Signatures made with one key never verify with another whatever was verified before.
void verify_many_keys_in_turn(void**) {
  constexpr int kKeys = 40;
  std::vector<P256PublicKey> pubs(kKeys);
  std::vector<P256Signature> sigs(kKeys);
  Digest h{};
  ASSERT_OK(sha256(str("many keys"), &h));
  for (int i = 0; i < kKeys; ++i) {
    P256PrivateKey k;
    const uint8_t label[2] = {'k', static_cast<uint8_t>(i)};
    ASSERT_OK(p256_derive_key(kSeed, label, &k));
    ASSERT_OK(p256_public_key(k, &pubs[i]));
    ASSERT_OK(ecdsa_sign_digest(k, h, &sigs[i]));
  }
  for (int round = 0; round < 2; ++round) {
    for (int j = 0; j < kKeys; ++j) {
      const int i = round == 1 ? (j * 7) % kKeys : j;  // another order in the second round
      ASSERT_OK(ecdsa_verify_digest(pubs[i], h, sigs[i]));
      ASSERT_ERR(ecdsa_verify_digest(pubs[i], h, sigs[(i + 1) % kKeys]),
                 CryptoError::kBadSignature);
      ASSERT_ERR(ecdsa_verify_digest(pubs[(i + 1) % kKeys], h, sigs[i]),
                 CryptoError::kBadSignature);
    }
  }
  // A key that differs from a recently used one in its last byte only is not the same key.
  P256PublicKey near = pubs[0];
  ASSERT_OK(ecdsa_verify_digest(pubs[0], h, sigs[0]));
  near.q[64] ^= 1;
  ASSERT_ERR(ecdsa_verify_digest(near, h, sigs[0]), CryptoError::kBadKey);
}

// Four threads sign, verify (own and foreign signatures), derive and run ECDH at the same time
// for a bounded number of rounds: every answer is the one a single thread gets (the backends'
// per-process and per-thread state, e.g. fetched algorithms and key caches, is thread-safe).
void concurrent_use_gives_same_answers(void**) {
  constexpr int kThreads = 4, kRounds = 6;
  P256PrivateKey a, b;
  P256PublicKey pa, pb;
  ASSERT_OK(p256_derive_key(kSeed, str("thread a"), &a));
  ASSERT_OK(p256_derive_key(kSeed, str("thread b"), &b));
  ASSERT_OK(p256_public_key(a, &pa));
  ASSERT_OK(p256_public_key(b, &pb));
  Digest h{};
  ASSERT_OK(sha256(str("threads"), &h));
  P256Signature want;
  ASSERT_OK(ecdsa_sign_digest(a, h, &want));
  std::array<uint8_t, 32> want_z{};
  ASSERT_OK(ecdh_p256(a, pb, &want_z));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);

  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        P256Signature sig;
        std::array<uint8_t, 32> z{};
        const bool ok = ecdsa_sign_digest(a, h, &sig).ok() && sig.rs == want.rs &&
                        ecdsa_verify_digest(pa, h, sig).ok() &&
                        !ecdsa_verify_digest(pb, h, sig).ok() && ecdh_p256(a, pb, &z).ok() &&
                        z == want_z;
        if (!ok) wrong.fetch_add(1);
        if ((r + t) % 7 == 0) {  // a fresh key now and then, so caches also evict under load
          P256PrivateKey k;
          P256PublicKey p;
          const uint8_t label[2] = {static_cast<uint8_t>(t), static_cast<uint8_t>(r)};
          P256Signature s2;
          if (!p256_derive_key(kSeed, label, &k).ok() || !p256_public_key(k, &p).ok() ||
              !ecdsa_sign_digest(k, h, &s2).ok() || !ecdsa_verify_digest(p, h, s2).ok()) {
            wrong.fetch_add(1);
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  assert_int_equal(wrong.load(), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(derive_is_deterministic_and_label_separated),
      cmocka_unit_test(derive_matches_documented_construction),
      cmocka_unit_test(derive_rejects_empty_seed),
      cmocka_unit_test(ecdh_agrees_both_ways),
      cmocka_unit_test(ecdh_rejects_bad_inputs),
      cmocka_unit_test(verify_rejects_tampering),
      cmocka_unit_test(sign_rejects_invalid_scalar),
      cmocka_unit_test(signature_der_round_trip),
      cmocka_unit_test(signature_der_malformed),
      cmocka_unit_test(verify_many_keys_in_turn),
      cmocka_unit_test(concurrent_use_gives_same_answers),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
