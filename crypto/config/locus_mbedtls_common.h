/* Options shared by the host and firmware mbed TLS builds of locus.
 * Included by locus_mbedtls_host.h and locus_mbedtls_fw.h; never used on its own. */
#ifndef LOCUS_MBEDTLS_COMMON_H
#define LOCUS_MBEDTLS_COMMON_H

/* Hashes and MACs */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_MD_C
#define MBEDTLS_HKDF_C
#define MBEDTLS_HMAC_DRBG_C

/* Elliptic curves: P-256 only in firmware (hosts add more). */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_ECDH_C

/* ASN.1, PK and X.509 writing (CSR, Alias certificate) */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_X509_CSR_WRITE_C

#define MBEDTLS_PLATFORM_C
#define MBEDTLS_ERROR_STRERROR_DUMMY

#endif
