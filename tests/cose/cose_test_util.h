// Test helpers for COSE_Sign1 (host tests only): builds arbitrary, possibly malformed
// COSE_Sign1 messages and signs them through an independent Sig_structure encoding
// (one contiguous buffer and crypto::ecdsa_sign, not cose.cpp's incremental hashing).
#pragma once

#include <stdint.h>
#include <string.h>

#include <vector>

#include "locus/crypto/cbor.h"
#include "locus/crypto/p256.h"
#include "locus_test/hex.h"

namespace locus_test {

inline std::vector<uint8_t> sig_structure(const std::vector<uint8_t>& prot,
                                          const std::vector<uint8_t>& aad,
                                          const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> buf(prot.size() + aad.size() + payload.size() + 64);
  locus::cbor::Encoder e(buf.data(), buf.size());
  e.array(4).text("Signature1").bytes(prot).bytes(aad).bytes(payload);
  auto r = e.finish();
  buf.resize(r.ok() ? r.value() : 0);
  return buf;
}

// [prot, unprot (pre-encoded map), payload, signature] with tag `tag` (none if tag < 0).
inline std::vector<uint8_t> make_sign1(const locus::crypto::P256PrivateKey& key,
                                       const std::vector<uint8_t>& prot,
                                       const std::vector<uint8_t>& unprot,
                                       const std::vector<uint8_t>& payload,
                                       const std::vector<uint8_t>& aad = {}, int tag = 18,
                                       size_t sig_len = 64) {
  locus::crypto::P256Signature sig;
  std::vector<uint8_t> tbs = sig_structure(prot, aad, payload);
  if (!locus::crypto::ecdsa_sign(key, tbs, &sig).ok()) return {};
  std::vector<uint8_t> sigv(sig.rs.begin(), sig.rs.end());
  sigv.resize(sig_len, 0x5A);
  std::vector<uint8_t> out(prot.size() + unprot.size() + payload.size() + 128);
  locus::cbor::Encoder e(out.data(), out.size());
  if (tag >= 0) e.tag(static_cast<uint64_t>(tag));
  e.array(4).bytes(prot).raw(unprot).bytes(payload).bytes(sigv);
  auto r = e.finish();
  out.resize(r.ok() ? r.value() : 0);
  return out;
}

inline locus::crypto::P256PrivateKey test_key(const char* label = "cose test key") {
  locus::crypto::P256PrivateKey k;
  const uint8_t seed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  locus::Status s = locus::crypto::p256_derive_key(
      locus::ByteSpan(seed, sizeof seed),
      locus::ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)), &k);
  (void)s;
  return k;
}

inline locus::crypto::P256PublicKey pub_of(const locus::crypto::P256PrivateKey& k) {
  locus::crypto::P256PublicKey p;
  locus::Status s = locus::crypto::p256_public_key(k, &p);
  (void)s;
  return p;
}

}  // namespace locus_test
