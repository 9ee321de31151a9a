// Fuzz target trustlist_cose: a signed trust list file (COSE_Sign1 over the trust-list JSON)
// through location::verify_trust_list with the fixed signer of the seeds (gen_seeds.cpp:
// derived key "locus fuzz trust-list signer"). Invariants: whatever verifies under the
// signer's key does not verify under another key, and its payload parses as trust-list
// JSON to the same list (the signature covers what is used).
#include "fuzz_targets.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/p256.h"
#include "locus/location/trustlist.h"

using namespace locus;

namespace {
crypto::P256PublicKey key_of(const char* label) {
  static const uint8_t seed[4] = {'f', 'u', 'z', 'z'};
  crypto::P256PrivateKey priv;
  crypto::P256PublicKey pub;
  if (!crypto::p256_derive_key(ByteSpan(seed, 4),
                               ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)),
                               &priv)
           .ok() ||
      !crypto::p256_public_key(priv, &pub).ok())
    __builtin_trap();
  return pub;
}
}  // namespace

extern "C" int locus_fuzz_trustlist_cose(const uint8_t* data, size_t size) {
  static const crypto::P256PublicKey signer = key_of("locus fuzz trust-list signer");
  static const crypto::P256PublicKey other = key_of("locus fuzz other key");
  const std::vector<uint8_t> in(data, data + size);
  auto r = location::verify_trust_list(in, signer);
  if (!r.ok()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  LOCUS_FUZZ_CHECK(!location::verify_trust_list(in, other).ok());
  cose::Sign1View v;
  LOCUS_FUZZ_CHECK(cose::sign1_decode(ByteSpan(data, size), &v).ok());
  location::TrustList t;
  const std::string json(reinterpret_cast<const char*>(v.payload.data), v.payload.size);
  LOCUS_FUZZ_CHECK(location::parse_trust_list_json(json, &t).ok());
  LOCUS_FUZZ_CHECK(t.landmarks.size() == r.value().landmarks.size());
  return 0;
}
