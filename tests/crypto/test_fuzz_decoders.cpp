// Deterministic mutation runs over the crypto module's decoders of untrusted input
// (signature_from_der, x509_read_tcb_info, Certificate::parse, x509_parse_csr, pem_to_der).
// Each run starts from valid encodings and applies bounded random edits (bit flips, byte
// overwrites, truncation, insertion, deletion). What must hold: no crash or sanitizer report,
// and the decoders' own invariants (strict DER: an accepted signature re-encodes to exactly
// the input; an accepted TcbInfo/CSR/certificate yields a valid result).
#include "locus/crypto/x509.h"
#include "locus/crypto/x509_host.h"
#include "locus_test/mutate.h"
#include "test_util.h"

using namespace locus;
using namespace locus::crypto;
using locus_test::mutated;
using locus_test::Rng;

namespace {

constexpr int kMutations = 20000;

P256PrivateKey key(const char* label) {
  const uint8_t seed[32] = {5};
  P256PrivateKey k;
  ASSERT_OK(
      p256_derive_key(seed, ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)), &k));
  return k;
}

// Mutated DER signatures: accepted ones re-encode byte for byte (strictness).
void fuzz_signature_der(void**) {
  P256PrivateKey k = key("sig");
  Rng r;
  std::vector<Bytes> seeds;
  for (int i = 0; i < 8; ++i) {
    P256Signature sig;
    const uint8_t msg[1] = {static_cast<uint8_t>(i)};
    ASSERT_OK(ecdsa_sign(k, msg, &sig));
    uint8_t der[kP256SigDerMax];
    size_t len = 0;
    ASSERT_OK(signature_to_der(sig, der, &len));
    seeds.emplace_back(der, der + len);
  }
  int accepted = 0;
  for (int i = 0; i < kMutations; ++i) {
    const Bytes m = mutated(seeds[r.below(seeds.size())], r);
    P256Signature sig;
    if (signature_from_der(ByteSpan(m.data(), m.size()), &sig).ok()) {
      ++accepted;
      uint8_t der[kP256SigDerMax];
      size_t len = 0;
      ASSERT_OK(signature_to_der(sig, der, &len));
      assert_int_equal(len, m.size());
      assert_memory_equal(der, m.data(), len);
    }
  }
  assert_true(accepted > 0);  // some mutations (changed value bytes) stay valid
}

// Mutated certificates through the board-side TcbInfo reader and the host parser.
void fuzz_certificate(void**) {
  P256PrivateKey k = key("issuer");
  P256PublicKey pub;
  ASSERT_OK(p256_public_key(k, &pub));
  TcbInfo tcb;
  tcb.svn = 12345;
  CertSpec spec;
  spec.subject = "CN=fuzz,O=locus";
  spec.issuer = "CN=fuzz,O=locus";
  const uint8_t serial[3] = {1, 2, 3};
  spec.serial = serial;
  spec.tcb_info = &tcb;
  Bytes seed(1024);
  size_t len = 0;
  ASSERT_OK(x509_issue(spec, pub, k, MutByteSpan(seed.data(), seed.size()), &len));
  seed.resize(len);
  Rng r;
  int tcb_ok = 0;
  for (int i = 0; i < kMutations; ++i) {
    const Bytes m = mutated(seed, r);
    TcbInfo out;
    if (x509_read_tcb_info(ByteSpan(m.data(), m.size()), &out).ok()) ++tcb_ok;
    if (i % 4 == 0) {  // the host parser is slower; a quarter of the inputs is plenty
      Certificate c;
      if (c.parse(ByteSpan(m.data(), m.size())).ok()) {
        assert_int_equal(c.der().size, m.size());
        P256PublicKey pk;
        if (c.public_key(&pk).ok()) ASSERT_OK(p256_check_public(pk));
      }
    }
  }
  assert_true(tcb_ok > 0);
}

// Mutated CSRs: an accepted CSR carries a valid public key whose signature verified.
void fuzz_csr(void**) {
  P256PrivateKey k = key("csr");
  Bytes seed(512);
  size_t len = 0;
  ASSERT_OK(x509_write_csr(k, "CN=fuzz csr,O=locus", MutByteSpan(seed.data(), seed.size()), &len));
  seed.resize(len);
  Rng r;
  for (int i = 0; i < kMutations / 4; ++i) {
    const Bytes m = mutated(seed, r);
    CsrInfo info;
    if (x509_parse_csr(ByteSpan(m.data(), m.size()), &info).ok())
      ASSERT_OK(p256_check_public(info.public_key));
  }
}

// Mutated PEM text never crashes the PEM decoder; accepted input yields non-empty DER.
void fuzz_pem(void**) {
  const Bytes der = hex("3006020101020101");
  std::string pem;
  ASSERT_OK(der_to_pem(ByteSpan(der.data(), der.size()), "CERTIFICATE", &pem));
  const Bytes seed(pem.begin(), pem.end());
  Rng r;
  for (int i = 0; i < kMutations / 4; ++i) {
    const Bytes m = mutated(seed, r);
    Bytes out;
    if (pem_to_der(std::string(m.begin(), m.end()), "CERTIFICATE", &out).ok())
      assert_false(out.empty());
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fuzz_signature_der),
      cmocka_unit_test(fuzz_certificate),
      cmocka_unit_test(fuzz_csr),
      cmocka_unit_test(fuzz_pem),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
