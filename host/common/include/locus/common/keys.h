// locus/common/keys.h: P-256 key files shared by provisioning, the verifier and the landmark
// tools. Private keys: PEM "EC PRIVATE KEY" (SEC1 / RFC 5915, with the curve and public key);
// public keys: PEM "PUBLIC KEY" (SubjectPublicKeyInfo, id-ecPublicKey / prime256v1).
#pragma once

#include <string>

#include "locus/common/common.h"
#include "locus/crypto/p256.h"

namespace locus::host {

HostResult<std::string> private_key_to_pem(const crypto::P256PrivateKey& key);
HStatus private_key_from_pem(const std::string& pem, crypto::P256PrivateKey* out);
HostResult<std::string> public_key_to_pem(const crypto::P256PublicKey& pub);
HStatus public_key_from_pem(const std::string& pem, crypto::P256PublicKey* out);
// SubjectPublicKeyInfo DER -> point (kRefused unless EC P-256 and on the curve).
HStatus spki_to_p256(const uint8_t* der, size_t n, crypto::P256PublicKey* out);

}  // namespace locus::host
