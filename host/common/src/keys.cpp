// P-256 key files (see locus/common/keys.h).
#include "locus/common/keys.h"

#include <cstring>

#include "locus/crypto/ct.h"

namespace locus::host {

namespace {

// SubjectPublicKeyInfo for id-ecPublicKey / prime256v1 up to the BIT STRING content.
const uint8_t kSpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                               0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                               0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
// SEC1 ECPrivateKey (RFC 5915) for P-256 with the curve and public key: fixed layout.
const uint8_t kSec1Prefix[] = {0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20};
const uint8_t kSec1Mid[] = {0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                            0x03, 0x01, 0x07, 0xa1, 0x44, 0x03, 0x42, 0x00};

}  // namespace

HStatus spki_to_p256(const uint8_t* p, size_t n, crypto::P256PublicKey* out) {
  if (n != sizeof(kSpkiPrefix) + 65 || std::memcmp(p, kSpkiPrefix, sizeof kSpkiPrefix) != 0)
    return {HostError::kRefused, "public key is not EC P-256"};
  std::memcpy(out->q.data(), p + sizeof kSpkiPrefix, 65);
  if (!crypto::p256_check_public(*out).ok())
    return {HostError::kRefused, "public key is not a valid P-256 point"};
  return HStatus::Ok();
}

HostResult<std::string> private_key_to_pem(const crypto::P256PrivateKey& key) {
  crypto::P256PublicKey pub;
  if (!crypto::p256_public_key(key, &pub).ok())
    return {HostError::kInternal, "cannot compute the public key"};
  Bytes der(kSec1Prefix, kSec1Prefix + sizeof kSec1Prefix);
  der.insert(der.end(), key.d.begin(), key.d.end());
  der.insert(der.end(), kSec1Mid, kSec1Mid + sizeof kSec1Mid);
  der.insert(der.end(), pub.q.begin(), pub.q.end());
  std::string pem = pem_encode("EC PRIVATE KEY", der);
  crypto::zeroize(der.data(), der.size());
  return pem;
}

HStatus private_key_from_pem(const std::string& pem, crypto::P256PrivateKey* out) {
  auto der = pem_decode("EC PRIVATE KEY", pem);
  if (!der.ok()) return der.error();
  Bytes& b = der.value();
  const size_t want = sizeof kSec1Prefix + 32 + sizeof kSec1Mid + 65;
  HStatus result(HostError::kParse,
                 "not a P-256 SEC1 private key (expected the RFC 5915 form with the public key)");
  if (b.size() == want && std::memcmp(b.data(), kSec1Prefix, sizeof kSec1Prefix) == 0 &&
      std::memcmp(b.data() + sizeof kSec1Prefix + 32, kSec1Mid, sizeof kSec1Mid) == 0) {
    std::memcpy(out->d.data(), b.data() + sizeof kSec1Prefix, 32);
    crypto::P256PublicKey pub;
    if (!crypto::p256_public_key(*out, &pub).ok() ||
        !crypto::ct_equal(pub.q, ByteSpan(b.data() + want - 65, 65)))
      result = HStatus(HostError::kParse, "private key and embedded public key do not match");
    else
      result = HStatus::Ok();
  }
  crypto::zeroize(b.data(), b.size());
  return result;
}

HostResult<std::string> public_key_to_pem(const crypto::P256PublicKey& pub) {
  Bytes der(kSpkiPrefix, kSpkiPrefix + sizeof kSpkiPrefix);
  der.insert(der.end(), pub.q.begin(), pub.q.end());
  return pem_encode("PUBLIC KEY", der);
}

HStatus public_key_from_pem(const std::string& pem, crypto::P256PublicKey* out) {
  auto der = pem_decode("PUBLIC KEY", pem);
  if (!der.ok()) return der.error();
  HStatus s = spki_to_p256(der.value().data(), der.value().size(), out);
  if (!s.ok()) return {HostError::kParse, s.message()};
  return s;
}

}  // namespace locus::host
