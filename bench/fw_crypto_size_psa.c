/* bench: the same operations as fw_crypto_size_core.cpp through the PSA Crypto API
 * (measurement only; linked against mbed TLS built with locus_mbedtls_fw_psa_bench.h). */
#include <psa/crypto.h>
#include <stdint.h>

static volatile uint8_t g_input[64];
static volatile uint32_t g_sink;

psa_status_t mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t* ctx,
                                             uint8_t* out, size_t len, size_t* olen) {
  (void)ctx;
  for (size_t i = 0; i < len; ++i) out[i] = g_input[i % sizeof(g_input)];
  *olen = len;
  return PSA_SUCCESS;
}

static void sink(psa_status_t s) {
  g_sink = g_sink + (uint32_t)s;
}

int main(void) {
  uint8_t seed[32];
  for (size_t i = 0; i < sizeof(seed); ++i) seed[i] = g_input[i];
  size_t n = 0;
  sink(psa_crypto_init());

  uint8_t h[32], mac[32], okm[32];
  sink(psa_hash_compute(PSA_ALG_SHA_256, seed, sizeof(seed), h, sizeof(h), &n));

  psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
  psa_key_id_t hk = 0;
  psa_set_key_type(&a, PSA_KEY_TYPE_HMAC);
  psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_MESSAGE);
  psa_set_key_algorithm(&a, PSA_ALG_HMAC(PSA_ALG_SHA_256));
  sink(psa_import_key(&a, seed, sizeof(seed), &hk));
  sink(psa_mac_compute(hk, PSA_ALG_HMAC(PSA_ALG_SHA_256), h, sizeof(h), mac, sizeof(mac), &n));
  sink(psa_destroy_key(hk));

  psa_key_derivation_operation_t kd = PSA_KEY_DERIVATION_OPERATION_INIT;
  sink(psa_key_derivation_setup(&kd, PSA_ALG_HKDF(PSA_ALG_SHA_256)));
  sink(psa_key_derivation_input_bytes(&kd, PSA_KEY_DERIVATION_INPUT_SALT, seed, 4));
  sink(psa_key_derivation_input_bytes(&kd, PSA_KEY_DERIVATION_INPUT_SECRET, mac, sizeof(mac)));
  sink(psa_key_derivation_input_bytes(&kd, PSA_KEY_DERIVATION_INPUT_INFO, seed, 4));
  sink(psa_key_derivation_output_bytes(&kd, okm, sizeof(okm)));
  sink(psa_key_derivation_abort(&kd));

  psa_key_attributes_t ka = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_type(&ka, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
  psa_set_key_bits(&ka, 256);
  psa_set_key_usage_flags(
      &ka, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH | PSA_KEY_USAGE_DERIVE);
  psa_set_key_algorithm(&ka, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256));
  psa_key_id_t key = 0, eph = 0;
  sink(psa_generate_key(&ka, &key));
  psa_set_key_algorithm(&ka, PSA_ALG_ECDH);
  sink(psa_generate_key(&ka, &eph));
  uint8_t pub[65], eph_pub[65], sig[64], z[32];
  sink(psa_export_public_key(key, pub, sizeof(pub), &n));
  sink(psa_export_public_key(eph, eph_pub, sizeof(eph_pub), &n));
  sink(psa_sign_hash(key, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), h, sizeof(h), sig,
                     sizeof(sig), &n));
  sink(psa_verify_hash(key, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), h, sizeof(h), sig,
                       sizeof(sig)));
  sink(psa_raw_key_agreement(PSA_ALG_ECDH, eph, pub, sizeof(pub), z, sizeof(z), &n));
  sink(psa_destroy_key(key));
  sink(psa_destroy_key(eph));
  g_sink = g_sink + z[0] + okm[0];
  return 0;
}
