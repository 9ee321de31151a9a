/* mbed TLS configuration for the locus firmware (Cortex-M4, no heap of its own, no OS).
 * Only what the board needs: SHA-256/HMAC/HKDF for DICE, ECDSA P-256 (sign + verify),
 * ECDH P-256 for landmark sessions, HMAC_DRBG, and X.509 writing for the CSR and the
 * Alias certificate. No certificate parsing, no TLS, no file system, no time. */
#ifndef LOCUS_MBEDTLS_FW_H
#define LOCUS_MBEDTLS_FW_H

#include "locus_mbedtls_common.h"

/* mbed TLS allocates (bignums, MD/HMAC contexts, X.509 writer): the firmware gives it a fixed
 * arena (crypto/src/fw_alloc.cpp, locus/crypto/arena.h), in place from reset. */
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_STD_CALLOC locus_fw_calloc
#define MBEDTLS_PLATFORM_STD_FREE locus_fw_free
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void* locus_fw_calloc(size_t n, size_t size);
void locus_fw_free(void* p);
#ifdef __cplusplus
}
#endif
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO snprintf
#define MBEDTLS_NO_PLATFORM_ENTROPY

/* Size over speed: small windows, no precomputed tables in RAM. */
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_MPI_WINDOW_SIZE 1
#define MBEDTLS_MPI_MAX_SIZE 32
#define MBEDTLS_SHA256_SMALLER

#endif
