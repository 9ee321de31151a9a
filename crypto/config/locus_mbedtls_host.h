/* mbed TLS configuration for locus host tools (verifier, provisioning, agent, landmark)
 * and host-sim. A superset of the firmware set: certificate parsing and chain checks,
 * PEM, RSA (TPM endorsement certificates are RSA), more curves and hashes. */
#ifndef LOCUS_MBEDTLS_HOST_H
#define LOCUS_MBEDTLS_HOST_H

#include "locus_mbedtls_common.h"

/* calloc/free by default; tests swap in locus::crypto::Arena to measure the firmware's
 * peak use and to exercise out-of-memory paths (mbedtls_platform_set_calloc_free). */
#define MBEDTLS_PLATFORM_MEMORY

#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_FS_IO

#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_AES_C
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CIPHER_C

#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_GENPRIME

#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CSR_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C
/* Path validation also checks keyUsage (keyCertSign on issuers) and extendedKeyUsage. */
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

#endif
