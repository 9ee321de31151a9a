// Error strings of the crypto and X.509 modules, and the mapping from mbed TLS codes.
#include "locus/crypto/errors.h"

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509.h>

#include "locus/crypto/x509.h"
#include "mbedtls_glue.h"

namespace locus::crypto {

const char* to_string(CryptoError e) {
  switch (e) {
    case CryptoError::kBackend: return "crypto backend error";
    case CryptoError::kBadInputLength: return "input length not accepted";
    case CryptoError::kBadKey: return "invalid key";
    case CryptoError::kBadSignature: return "signature does not verify";
    case CryptoError::kBadSignatureEncoding: return "malformed signature encoding";
    case CryptoError::kDrbgNotSeeded: return "DRBG not seeded";
    case CryptoError::kEntropyFailed: return "entropy source failed";
    case CryptoError::kOutputTooSmall: return "output buffer too small";
    case CryptoError::kKeyDerivationExhausted: return "key derivation found no valid scalar";
    case CryptoError::kOutOfMemory: return "crypto arena exhausted";
    default: return "unknown crypto error";
  }
}

const char* to_string(X509Error e) {
  switch (e) {
    case X509Error::kBackend: return "X.509 backend error";
    case X509Error::kOutputTooSmall: return "X.509 output buffer too small";
    case X509Error::kBadSubject: return "subject or issuer name not accepted";
    case X509Error::kBadValidity: return "validity period not accepted";
    case X509Error::kMalformed: return "malformed DER";
    case X509Error::kNoTcbInfo: return "certificate has no TcbInfo extension";
    case X509Error::kBadTcbInfo: return "TcbInfo extension malformed or unsupported";
    case X509Error::kChainInvalid: return "certificate chain does not verify";
    case X509Error::kNotCa: return "issuer is not a CA";
    case X509Error::kWrongKeyType: return "not an EC P-256 key";
    case X509Error::kBadCsrSignature: return "CSR self-signature does not verify";
    case X509Error::kWrongSignatureAlgorithm: return "signature algorithm is not ecdsa-with-SHA256";
    case X509Error::kIssuerMismatch: return "issuer name does not match the issuer's subject";
    case X509Error::kBadCertSignature:
      return "certificate signature does not verify with the issuer's key";
    default: return "unknown X.509 error";
  }
}

namespace detail {

namespace {
// mbed TLS combines a high-level (module) code with a low-level one: ret = high + low,
// where -low < 0x80. Splitting lets each switch stay explicit.
int low_part(int ret) {
  return -((-ret) & 0x7F);
}
int high_part(int ret) {
  return -((-ret) & 0x7F80);
}

CryptoError map_low(int low) {
  switch (low) {
    case MBEDTLS_ERR_MPI_ALLOC_FAILED:
    case MBEDTLS_ERR_ASN1_ALLOC_FAILED: return CryptoError::kOutOfMemory;
    case MBEDTLS_ERR_MPI_BUFFER_TOO_SMALL:
    case MBEDTLS_ERR_ASN1_BUF_TOO_SMALL: return CryptoError::kOutputTooSmall;
    case MBEDTLS_ERR_MPI_BAD_INPUT_DATA:
    case MBEDTLS_ERR_HMAC_DRBG_REQUEST_TOO_BIG:
    case MBEDTLS_ERR_HMAC_DRBG_INPUT_TOO_BIG: return CryptoError::kBadInputLength;
    case MBEDTLS_ERR_HMAC_DRBG_ENTROPY_SOURCE_FAILED: return CryptoError::kEntropyFailed;
    case MBEDTLS_ERR_ASN1_OUT_OF_DATA:
    case MBEDTLS_ERR_ASN1_UNEXPECTED_TAG:
    case MBEDTLS_ERR_ASN1_INVALID_LENGTH:
    case MBEDTLS_ERR_ASN1_LENGTH_MISMATCH:
    case MBEDTLS_ERR_ASN1_INVALID_DATA: return CryptoError::kBadSignatureEncoding;
    default: return CryptoError::kBackend;
  }
}

CryptoError map_high(int high) {
  switch (high) {
    case MBEDTLS_ERR_ECP_ALLOC_FAILED:
    case MBEDTLS_ERR_MD_ALLOC_FAILED:
    case MBEDTLS_ERR_PK_ALLOC_FAILED: return CryptoError::kOutOfMemory;
    case MBEDTLS_ERR_ECP_INVALID_KEY:
    case MBEDTLS_ERR_PK_KEY_INVALID_FORMAT:
    case MBEDTLS_ERR_PK_TYPE_MISMATCH: return CryptoError::kBadKey;
    case MBEDTLS_ERR_ECP_VERIFY_FAILED: return CryptoError::kBadSignature;
    case MBEDTLS_ERR_ECP_SIG_LEN_MISMATCH: return CryptoError::kBadSignatureEncoding;
    case MBEDTLS_ERR_ECP_BUFFER_TOO_SMALL:
    case MBEDTLS_ERR_PK_BUFFER_TOO_SMALL: return CryptoError::kOutputTooSmall;
    case MBEDTLS_ERR_ECP_RANDOM_FAILED: return CryptoError::kEntropyFailed;
    case MBEDTLS_ERR_HKDF_BAD_INPUT_DATA:
    case MBEDTLS_ERR_MD_BAD_INPUT_DATA: return CryptoError::kBadInputLength;
    case MBEDTLS_ERR_ECP_BAD_INPUT_DATA:
    case MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE:
    case MBEDTLS_ERR_MD_FEATURE_UNAVAILABLE:
    default: return CryptoError::kBackend;
  }
}
}  // namespace

CryptoError map_error(int ret) {
  if (ret >= 0) {
    return CryptoError::kBackend;  // not an error code: callers handle 0 first
  }
  const int low = low_part(ret);
  // A low-level cause is the more specific one when both are present.
  if (low != 0) {
    const CryptoError e = map_low(low);
    if (e != CryptoError::kBackend || high_part(ret) == 0) {
      return e;
    }
  }
  return map_high(high_part(ret));
}

X509Error map_x509_error(int ret) {
  if (ret >= 0) {
    return X509Error::kBackend;
  }
  const int high = high_part(ret);
  switch (high) {
    case MBEDTLS_ERR_X509_BUFFER_TOO_SMALL:
    case MBEDTLS_ERR_PK_BUFFER_TOO_SMALL:
    case MBEDTLS_ERR_ECP_BUFFER_TOO_SMALL: return X509Error::kOutputTooSmall;
    case MBEDTLS_ERR_X509_INVALID_NAME:
    case MBEDTLS_ERR_X509_UNKNOWN_OID: return X509Error::kBadSubject;
    case MBEDTLS_ERR_X509_INVALID_DATE: return X509Error::kBadValidity;
    case MBEDTLS_ERR_X509_INVALID_FORMAT:
    case MBEDTLS_ERR_X509_INVALID_VERSION:
    case MBEDTLS_ERR_X509_INVALID_SERIAL:
    case MBEDTLS_ERR_X509_INVALID_ALG:
    case MBEDTLS_ERR_X509_INVALID_SIGNATURE:
    case MBEDTLS_ERR_X509_INVALID_EXTENSIONS:
    case MBEDTLS_ERR_X509_SIG_MISMATCH:
    case MBEDTLS_ERR_PK_KEY_INVALID_FORMAT: return X509Error::kMalformed;
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED: return X509Error::kChainInvalid;
    case MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG:
    case MBEDTLS_ERR_PK_UNKNOWN_PK_ALG:
    case MBEDTLS_ERR_PK_TYPE_MISMATCH:
    case MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE: return X509Error::kWrongKeyType;
    case 0:
      // Only a low-level code: ASN.1 structure errors mean malformed input.
      switch (low_part(ret)) {
        case MBEDTLS_ERR_ASN1_OUT_OF_DATA:
        case MBEDTLS_ERR_ASN1_UNEXPECTED_TAG:
        case MBEDTLS_ERR_ASN1_INVALID_LENGTH:
        case MBEDTLS_ERR_ASN1_LENGTH_MISMATCH:
        case MBEDTLS_ERR_ASN1_INVALID_DATA: return X509Error::kMalformed;
        case MBEDTLS_ERR_ASN1_BUF_TOO_SMALL: return X509Error::kOutputTooSmall;
        default: return X509Error::kBackend;
      }
    default: return X509Error::kBackend;
  }
}

}  // namespace detail
}  // namespace locus::crypto
