// bench/fw_crypto_size: keeps every crypto operation the firmware uses alive through the
// linker's --gc-sections so that the image size is what locus's crypto costs. Never run:
// inputs come from volatile memory and results go to a volatile sink, so nothing folds away.
#include "fw_crypto_size_io.h"
#include "locus/crypto/arena.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/drbg.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/crypto/x509.h"

using namespace locus;
using namespace locus::crypto;

int main() {
  uint8_t seed[32];
  for (size_t i = 0; i < sizeof(seed); ++i) seed[i] = g_input[i];
  const ByteSpan label(seed, 4);

  // DICE: CDI = HMAC(UDS, FWID); DeviceID and Alias keys by HKDF derivation.
  Digest fwid{}, cdi{};
  sink(sha256(seed, &fwid));
  sink(hmac_sha256(seed, ByteSpan(fwid.data(), fwid.size()), &cdi));
  P256PrivateKey dev, alias;
  P256PublicKey dev_pub, alias_pub;
  sink(p256_derive_key(seed, label, &dev));
  sink(p256_derive_key(ByteSpan(cdi.data(), cdi.size()), label, &alias));
  sink(p256_public_key(dev, &dev_pub));
  sink(p256_public_key(alias, &alias_pub));

  // CSR for DeviceID, Alias certificate with TcbInfo, read back.
  static uint8_t der[768];
  size_t len = 0;
  sink(x509_write_csr(dev, "CN=locus DeviceID,O=locus", der, &len));
  TcbInfo tcb;
  tcb.fwid = fwid;
  tcb.svn = g_input[0];
  CertSpec spec;
  spec.subject = "CN=locus Alias,O=locus";
  spec.issuer = "CN=locus DeviceID,O=locus";
  spec.serial = ByteSpan(seed, 8);
  spec.tcb_info = &tcb;
  sink(x509_issue(spec, alias_pub, dev, der, &len));
  sink(x509_read_tcb_info(ByteSpan(der, len), &tcb));

  // Evidence signing and license verification; DER form for interop.
  P256Signature sig;
  sink(ecdsa_sign(alias, ByteSpan(der, len), &sig));
  sink(ecdsa_verify(dev_pub, ByteSpan(der, len), sig));
  uint8_t sig_der[kP256SigDerMax];
  sink(signature_to_der(sig, sig_der, &len));
  sink(signature_from_der(ByteSpan(sig_der, len), &sig));

  // Landmark session: ephemeral ECDH key from the DRBG, shared secret, HKDF session keys.
  Drbg drbg;
  sink(drbg.seed(entropy, nullptr, label));
  P256PrivateKey eph;
  sink(p256_generate_key(drbg, &eph));
  std::array<uint8_t, 32> shared{};
  sink(ecdh_p256(eph, dev_pub, &shared));
  uint8_t session[64];
  sink(hkdf_sha256(label, ByteSpan(shared.data(), shared.size()), label, session));
  g_sink = g_sink + (ct_equal(ByteSpan(session, 32), ByteSpan(shared.data(), 32)) ? 1u : 0u);
  zeroize(session, sizeof(session));
  g_sink = g_sink + static_cast<uint32_t>(fw_crypto_arena_stats().peak);
  return 0;
}
