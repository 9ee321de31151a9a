// SHA-256, HMAC-SHA256 and HKDF-SHA256 over OpenSSL 3 libcrypto (EVP_Digest, EVP_MAC,
// EVP_KDF), with the algorithms fetched once per process.
#include "locus/crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <string.h>

#include "ossl_glue.h"

namespace locus::crypto {

namespace ossl {

const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}

EVP_MAC* hmac_mac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

EVP_KDF* hkdf_kdf() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

}  // namespace ossl

namespace {

static_assert(sizeof(EVP_MD_CTX*) <= 128, "Sha256::ctx_ cannot hold a pointer");

// A span with a length must have data.
bool valid(ByteSpan s) {
  return s.data != nullptr || s.size == 0;
}

// OpenSSL's parameter API wants a non-null buffer even for empty strings.
unsigned char* param_bytes(ByteSpan s) {
  static unsigned char empty = 0;
  return s.size == 0 ? &empty : const_cast<unsigned char*>(s.data);
}

EVP_MD_CTX* md_ctx(const uint8_t* storage) {
  EVP_MD_CTX* ctx = nullptr;
  memcpy(&ctx, storage,
         sizeof(EVP_MD_CTX*));  // NOLINT(bugprone-sizeof-expression): the pointer itself is stored
  return ctx;
}

}  // namespace

Status sha256(ByteSpan in, Digest* out) {
  if (out == nullptr || !valid(in)) {
    return CryptoError::kBadInputLength;
  }
  const EVP_MD* md = ossl::sha256_md();
  if (md == nullptr) {
    return ossl::fail(CryptoError::kBackend);
  }
  unsigned int len = 0;
  static const unsigned char kEmpty = 0;
  const void* data = in.size == 0 ? &kEmpty : in.data;
  if (EVP_Digest(data, in.size, out->data(), &len, md, nullptr) != 1 || len != kSha256Size) {
    return ossl::fail(CryptoError::kBackend);
  }
  return Status::Ok();
}

// The inline storage holds an EVP_MD_CTX* (libcrypto owns the context itself).
Sha256::Sha256() {
  EVP_MD_CTX* ctx = nullptr;
  const EVP_MD* md = ossl::sha256_md();
  if (md != nullptr) {
    ctx = EVP_MD_CTX_new();
  }
  if (ctx != nullptr && EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    ctx = nullptr;
    ERR_clear_error();
  }
  memcpy(ctx_, &ctx,
         sizeof(EVP_MD_CTX*));  // NOLINT(bugprone-sizeof-expression): the pointer itself is stored
  // A failure here surfaces at update()/finish() as kBackend.
  started_ = ctx != nullptr;
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(md_ctx(ctx_));
}

Status Sha256::update(ByteSpan in) {
  if (!started_ || finished_) {
    return CryptoError::kBackend;
  }
  if (!valid(in)) {
    return CryptoError::kBadInputLength;
  }
  if (in.size == 0) {
    return Status::Ok();
  }
  if (EVP_DigestUpdate(md_ctx(ctx_), in.data, in.size) != 1) {
    return ossl::fail(CryptoError::kBackend);
  }
  return Status::Ok();
}

Status Sha256::finish(Digest* out) {
  if (!started_ || finished_) {
    return CryptoError::kBackend;
  }
  if (out == nullptr) {
    return CryptoError::kBadInputLength;
  }
  finished_ = true;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(md_ctx(ctx_), out->data(), &len) != 1 || len != kSha256Size) {
    return ossl::fail(CryptoError::kBackend);
  }
  return Status::Ok();
}

Status hmac_sha256(ByteSpan key, ByteSpan msg, Digest* out) {
  if (out == nullptr || !valid(key) || !valid(msg)) {
    return CryptoError::kBadInputLength;
  }
  EVP_MAC* mac = ossl::hmac_mac();
  if (mac == nullptr) {
    return ossl::fail(CryptoError::kBackend);
  }
  ossl::MacCtx ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  char digest_name[] = "SHA2-256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  size_t len = 0;
  if (EVP_MAC_init(ctx.get(), param_bytes(key), key.size, params) != 1 ||
      (msg.size != 0 && EVP_MAC_update(ctx.get(), msg.data, msg.size) != 1) ||
      EVP_MAC_final(ctx.get(), out->data(), &len, out->size()) != 1 || len != kSha256Size) {
    return ossl::fail(CryptoError::kBackend);
  }
  return Status::Ok();
}

Status hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, MutByteSpan okm) {
  if (okm.data == nullptr || okm.size == 0 || okm.size > 255 * kSha256Size || !valid(salt) ||
      !valid(ikm) || !valid(info)) {
    return CryptoError::kBadInputLength;
  }
  EVP_KDF* kdf = ossl::hkdf_kdf();
  if (kdf == nullptr) {
    return ossl::fail(CryptoError::kBackend);
  }
  ossl::KdfCtx ctx(EVP_KDF_CTX_new(kdf));
  if (!ctx) {
    return ossl::fail(CryptoError::kOutOfMemory);
  }
  char digest_name[] = "SHA2-256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, param_bytes(ikm), ikm.size);
  // RFC 5869: an absent salt is HashLen zero bytes, which HMAC treats exactly like an empty
  // key, so an empty salt is passed as it is.
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_bytes(salt), salt.size);
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, param_bytes(info), info.size);
  params[n++] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(ctx.get(), okm.data, okm.size, params) != 1) {
    OPENSSL_cleanse(okm.data, okm.size);
    return ossl::fail(CryptoError::kBackend);
  }
  return Status::Ok();
}

}  // namespace locus::crypto
