// Provisioning side: EK certificate check and software MakeCredential (TPM 2.0 part 1 §24).
#include "locus/tpm/enroll.h"

#include <mbedtls/aes.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "locus/common/common.h"
#include "locus/crypto/ct.h"
#include "locus/tpm/reader.h"
#include "locus/tpm/verify.h"

namespace locus::tpm {

namespace {

Result<TPMT_PUBLIC> unmarshal_public(ByteSpan pub) {
  TPMT_PUBLIC p{};
  size_t off = 0;
  if (pub.size == 0 ||
      Tss2_MU_TPMT_PUBLIC_Unmarshal(pub.data, pub.size, &off, &p) != TSS2_RC_SUCCESS ||
      off != pub.size) {
    return TpmError::kMalformed;
  }
  return p;
}

std::vector<uint8_t> name_of(ByteSpan pub) {
  std::vector<uint8_t> name = {0x00, 0x0B};
  uint8_t d[32];
  (void)mbedtls_sha256(pub.data, pub.size, d, 0);
  name.insert(name.end(), d, d + 32);
  return name;
}

bool same(ByteSpan a, ByteSpan b) {
  return crypto::ct_equal(a, b);
}

// KDFa (part 1 §11.4.10.2) with SHA-256: counter mode HMAC, label includes its NUL.
Status kdfa(ByteSpan key, const char* label, ByteSpan context_u, ByteSpan context_v, uint32_t bits,
            uint8_t* out) {
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  size_t bytes = bits / 8;
  size_t done = 0;
  for (uint32_t counter = 1; done < bytes && counter < 16; ++counter) {
    mbedtls_md_context_t c;
    mbedtls_md_init(&c);
    uint8_t ctr[4] = {static_cast<uint8_t>(counter >> 24), static_cast<uint8_t>(counter >> 16),
                      static_cast<uint8_t>(counter >> 8), static_cast<uint8_t>(counter)};
    uint8_t len[4] = {static_cast<uint8_t>(bits >> 24), static_cast<uint8_t>(bits >> 16),
                      static_cast<uint8_t>(bits >> 8), static_cast<uint8_t>(bits)};
    uint8_t k[32];
    int rc = mbedtls_md_setup(&c, md, 1);
    if (rc == 0) rc = mbedtls_md_hmac_starts(&c, key.data, key.size);
    if (rc == 0) rc = mbedtls_md_hmac_update(&c, ctr, 4);
    if (rc == 0)
      rc = mbedtls_md_hmac_update(&c, reinterpret_cast<const uint8_t*>(label),
                                  std::strlen(label) + 1);
    if (rc == 0 && (context_u.size != 0u))
      rc = mbedtls_md_hmac_update(&c, context_u.data, context_u.size);
    if (rc == 0 && (context_v.size != 0u))
      rc = mbedtls_md_hmac_update(&c, context_v.data, context_v.size);
    if (rc == 0) rc = mbedtls_md_hmac_update(&c, len, 4);
    if (rc == 0) rc = mbedtls_md_hmac_finish(&c, k);
    mbedtls_md_free(&c);
    if (rc != 0) return TpmError::kCrypto;
    size_t n = bytes - done < 32 ? bytes - done : 32;
    std::memcpy(out + done, k, n);
    mbedtls_platform_zeroize(k, sizeof(k));
    done += n;
  }
  return done == bytes ? Status::Ok() : Status(TpmError::kCrypto);
}

}  // namespace

Result<std::vector<uint8_t>> ek_public_modulus(ByteSpan ek_public, ByteSpan name) {
  auto p = unmarshal_public(ek_public);
  if (!p.ok()) return p.status();
  if (p->type != TPM2_ALG_RSA || p->nameAlg != TPM2_ALG_SHA256 ||
      p->parameters.rsaDetail.keyBits != 2048 || p->unique.rsa.size != 256 ||
      (p->parameters.rsaDetail.exponent != 0 && p->parameters.rsaDetail.exponent != 65537) ||
      p->parameters.rsaDetail.symmetric.algorithm != TPM2_ALG_AES ||
      p->parameters.rsaDetail.symmetric.keyBits.aes != 128 ||
      (p->objectAttributes & (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)) !=
          (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)) {
    return TpmError::kUnsupportedAlg;
  }
  if (name.size != 0 && !same(name, name_of(ek_public))) return TpmError::kEkMismatch;
  return std::vector<uint8_t>(p->unique.rsa.buffer, p->unique.rsa.buffer + p->unique.rsa.size);
}

Result<std::array<uint8_t, 65>> check_ak_public(ByteSpan ak_public, ByteSpan name) {
  auto p = unmarshal_public(ak_public);
  if (!p.ok()) return p.status();
  const TPMA_OBJECT need = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                           TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_RESTRICTED |
                           TPMA_OBJECT_SIGN_ENCRYPT;
  const auto& e = p->parameters.eccDetail;
  if (p->type != TPM2_ALG_ECC || p->nameAlg != TPM2_ALG_SHA256 || e.curveID != TPM2_ECC_NIST_P256 ||
      e.scheme.scheme != TPM2_ALG_ECDSA || e.scheme.details.ecdsa.hashAlg != TPM2_ALG_SHA256 ||
      (p->objectAttributes & need) != need || (p->objectAttributes & TPMA_OBJECT_DECRYPT) != 0 ||
      p->unique.ecc.x.size != 32 || p->unique.ecc.y.size != 32) {
    return TpmError::kBadAkAttributes;
  }
  if (!same(name, name_of(ak_public))) return TpmError::kMalformed;
  std::array<uint8_t, 65> q{};
  q[0] = 0x04;
  std::memcpy(q.data() + 1, p->unique.ecc.x.buffer, 32);
  std::memcpy(q.data() + 33, p->unique.ecc.y.buffer, 32);
  return q;
}

host::HStatus verify_ek_certificate(ByteSpan ek_cert_der, const std::string& ca_file,
                                    ByteSpan ek_modulus) {
  host::HStatus result(TpmError::kEkCertUntrusted, "not checked");
  mbedtls_x509_crt cert, ca;
  mbedtls_x509_crt_init(&cert);
  mbedtls_x509_crt_init(&ca);
  do {
    if (ek_cert_der.size == 0) {
      result = host::HStatus(TpmError::kEkCertMissing, "no EK certificate");
      break;
    }
    int rc = mbedtls_x509_crt_parse_der(&cert, ek_cert_der.data, ek_cert_der.size);
    if (rc != 0) {
      result =
          host::HStatus(TpmError::kEkCertInvalid,
                        "EK certificate does not parse (mbed TLS -0x" + std::to_string(-rc) + ")");
      break;
    }
    rc = mbedtls_x509_crt_parse_file(&ca, ca_file.c_str());
    if (rc < 0 || ca.raw.len == 0) {
      result = host::HStatus(TpmError::kIo, "cannot read TPM manufacturer CA file " + ca_file);
      break;
    }
    uint32_t flags = 0;
    rc = mbedtls_x509_crt_verify(&cert, &ca, nullptr, nullptr, &flags, nullptr, nullptr);
    if (rc != 0 || flags != 0) {
      char buf[512];
      int n = mbedtls_x509_crt_verify_info(buf, sizeof(buf), "", flags);
      std::string why =
          n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("verification failed");
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      for (auto& ch : why)
        if (ch == '\n') ch = ';';
      result = host::HStatus(TpmError::kEkCertUntrusted,
                             "EK certificate not issued by the given TPM manufacturer CA: " + why);
      break;
    }
    if (mbedtls_pk_get_type(&cert.pk) != MBEDTLS_PK_RSA) {
      result = host::HStatus(TpmError::kEkMismatch, "EK certificate key is not RSA");
      break;
    }
    uint8_t n_buf[512];
    size_t nlen = mbedtls_rsa_get_len(mbedtls_pk_rsa(cert.pk));
    if (nlen > sizeof(n_buf) ||
        mbedtls_rsa_export_raw(mbedtls_pk_rsa(cert.pk), n_buf, nlen, nullptr, 0, nullptr, 0,
                               nullptr, 0, nullptr, 0) != 0 ||
        !same(ByteSpan(n_buf, nlen), ek_modulus)) {
      result = host::HStatus(TpmError::kEkMismatch,
                             "the TPM's EK public key is not the key in its EK certificate");
      break;
    }
    result = host::HStatus::Ok();
  } while (false);
  mbedtls_x509_crt_free(&cert);
  mbedtls_x509_crt_free(&ca);
  return result;
}

Result<CredentialChallenge> make_credential(ByteSpan ek_public, ByteSpan ak_name, ByteSpan secret) {
  if (secret.size == 0 || secret.size > 32 || ak_name.size != 34) return TpmError::kInvalidArgument;
  auto mod = ek_public_modulus(ek_public, ByteSpan());
  if (!mod.ok()) return mod.status();
  auto pub = unmarshal_public(ek_public);
  uint32_t e =
      pub->parameters.rsaDetail.exponent == 0 ? 65537u : pub->parameters.rsaDetail.exponent;
  uint8_t e_bytes[4] = {static_cast<uint8_t>(e >> 24), static_cast<uint8_t>(e >> 16),
                        static_cast<uint8_t>(e >> 8), static_cast<uint8_t>(e)};
  CredentialChallenge ch;
  uint8_t seed[32];
  uint8_t sym_key[16];
  uint8_t hmac_key[32];
  Status st = TpmError::kCrypto;
  mbedtls_rsa_context rsa;
  mbedtls_rsa_init(&rsa);
  do {
    if (host::os_entropy(nullptr, seed, sizeof(seed)) != 0) break;
    // Encrypted seed: RSA-OAEP(SHA-256) with label "IDENTITY" (NUL included).
    if (mbedtls_rsa_set_padding(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256) != 0 ||
        mbedtls_rsa_import_raw(&rsa, mod->data(), mod->size(), nullptr, 0, nullptr, 0, nullptr, 0,
                               e_bytes, 4) != 0 ||
        mbedtls_rsa_complete(&rsa) != 0) {
      break;
    }
    std::vector<uint8_t> enc(mbedtls_rsa_get_len(&rsa));
    static const uint8_t kLabel[] = "IDENTITY";
    if (mbedtls_rsa_rsaes_oaep_encrypt(&rsa, host::os_entropy, nullptr, kLabel, sizeof(kLabel),
                                       sizeof(seed), seed, enc.data()) != 0) {
      break;
    }
    // symKey = KDFa(seed, "STORAGE", name, "", 128); encIdentity = AES-128-CFB(TPM2B_DIGEST
    // credential).
    if (!kdfa(ByteSpan(seed, 32), "STORAGE", ak_name, ByteSpan(), 128, sym_key).ok()) break;
    std::vector<uint8_t> plain;
    detail::put_u16(&plain, static_cast<uint16_t>(secret.size));
    plain.insert(plain.end(), secret.data, secret.data + secret.size);
    std::vector<uint8_t> enc_id(plain.size());
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    bool ok = mbedtls_aes_setkey_enc(&aes, sym_key, 128) == 0;
    uint8_t iv[16] = {0};
    for (size_t off = 0; ok && off < plain.size(); off += 16) {
      uint8_t ks[16];
      ok = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, iv, ks) == 0;
      size_t n = plain.size() - off < 16 ? plain.size() - off : 16;
      for (size_t i = 0; i < n; ++i) {
        enc_id[off + i] = static_cast<uint8_t>(plain[off + i] ^ ks[i]);
        iv[i] = enc_id[off + i];
      }
    }
    mbedtls_aes_free(&aes);
    mbedtls_platform_zeroize(plain.data(), plain.size());
    if (!ok) break;
    // outerHMAC = HMAC(KDFa(seed, "INTEGRITY", "", "", 256), encIdentity || name).
    if (!kdfa(ByteSpan(seed, 32), "INTEGRITY", ByteSpan(), ByteSpan(), 256, hmac_key).ok()) break;
    std::vector<uint8_t> mac_in(enc_id);
    mac_in.insert(mac_in.end(), ak_name.data, ak_name.data + ak_name.size);
    uint8_t mac[32];
    if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), hmac_key, sizeof(hmac_key),
                        mac_in.data(), mac_in.size(), mac) != 0) {
      break;
    }
    detail::put_u16(&ch.credential_blob, 32);
    ch.credential_blob.insert(ch.credential_blob.end(), mac, mac + 32);
    ch.credential_blob.insert(ch.credential_blob.end(), enc_id.begin(), enc_id.end());
    ch.encrypted_secret = enc;
    st = Status::Ok();
  } while (false);
  mbedtls_rsa_free(&rsa);
  mbedtls_platform_zeroize(seed, sizeof(seed));
  mbedtls_platform_zeroize(sym_key, sizeof(sym_key));
  mbedtls_platform_zeroize(hmac_key, sizeof(hmac_key));
  if (!st.ok()) return st;
  return ch;
}

}  // namespace locus::tpm

namespace locus::tpm {

std::string p256_public_pem(const std::array<uint8_t, 65>& point) {
  // DER SubjectPublicKeyInfo: SEQ { SEQ { id-ecPublicKey, prime256v1 }, BIT STRING point }.
  static const uint8_t kPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                    0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
  std::vector<uint8_t> der(kPrefix, kPrefix + sizeof(kPrefix));
  der.insert(der.end(), point.begin(), point.end());
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string body;
  for (size_t i = 0; i < der.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(der[i]) << 16;
    if (i + 1 < der.size()) v |= static_cast<uint32_t>(der[i + 1]) << 8;
    if (i + 2 < der.size()) v |= der[i + 2];
    body += b64[(v >> 18) & 63];
    body += b64[(v >> 12) & 63];
    body += i + 1 < der.size() ? b64[(v >> 6) & 63] : '=';
    body += i + 2 < der.size() ? b64[v & 63] : '=';
  }
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < body.size(); i += 64) pem += body.substr(i, 64) + "\n";
  return pem + "-----END PUBLIC KEY-----\n";
}

}  // namespace locus::tpm
