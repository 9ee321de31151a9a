/* Measurement only (bench/, never shipped): the firmware configuration plus the PSA Crypto
 * core with an external RNG, to compare the flash/RAM cost of a PSA-based ECDSA/ECDH/HKDF
 * path with the legacy API locus uses (docs/crypto.md, "PSA or legacy"). */
#ifndef LOCUS_MBEDTLS_FW_PSA_BENCH_H
#define LOCUS_MBEDTLS_FW_PSA_BENCH_H

#include "locus_mbedtls_fw.h"

#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG
/* Static key store, sized for the handful of keys the firmware would hold at once. */
#define MBEDTLS_PSA_KEY_SLOT_COUNT 4

#endif
