// Private to the OpenSSL backend (crypto/src/openssl/): RAII holders for libcrypto objects,
// the algorithms fetched once per process, and the mapping of failures to CryptoError.
// Only OpenSSL 3 non-deprecated APIs are used; nothing reaches into opaque structs.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "locus/crypto/errors.h"

namespace locus::crypto::ossl {

template <typename T, void (*Free)(T*)>
class Owned {
 public:
  Owned() = default;
  explicit Owned(T* p) : p_(p) {}
  ~Owned() {
    if (p_ != nullptr) {
      Free(p_);
    }
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  T* get() const { return p_; }
  T** out() { return &p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

using Pkey = Owned<EVP_PKEY, EVP_PKEY_free>;
using PkeyCtx = Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtx = Owned<EVP_MD_CTX, EVP_MD_CTX_free>;
using MacCtx = Owned<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using KdfCtx = Owned<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using Point = Owned<EC_POINT, EC_POINT_free>;
// Secret big numbers are cleared on free.
using SecretBn = Owned<BIGNUM, BN_clear_free>;
using Bn = Owned<BIGNUM, BN_free>;
using BnCtx = Owned<BN_CTX, BN_CTX_free>;
using MontCtx = Owned<BN_MONT_CTX, BN_MONT_CTX_free>;

// Fetched once per process (thread-safe static initialisation), never freed: the objects are
// immutable and shared by every thread. nullptr if the provider lacks them.
const EVP_MD* sha256_md();
EVP_MAC* hmac_mac();
EVP_KDF* hkdf_kdf();

// The P-256 group and its order n, one copy per thread (EC_GROUP carries lazily built
// precomputation, so threads do not share one).
const EC_GROUP* p256_group();
const BIGNUM* p256_order();

// Drops whatever libcrypto queued for this thread and returns e: a failure is reported
// through our enum, and the per-thread error queue must not grow without bound.
inline CryptoError fail(CryptoError e) {
  ERR_clear_error();
  return e;
}

}  // namespace locus::crypto::ossl
