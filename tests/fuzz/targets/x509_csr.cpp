// Fuzz target x509_csr: a PKCS#10 CSR as the provisioning tool receives it from a board,
// through certs::parse_csr (DER only) and crypto::x509_parse_csr (DER or PEM).
// Invariants: when the crypto parser accepts DER (it verifies the self-signature), the
// verifier wrapper accepts too, reports the signature as verified and extracts the same
// public key; a PEM input is refused by the DER-only wrapper.
#include "fuzz_targets.h"
#include "locus/certs/certs.h"
#include "locus/crypto/x509_host.h"

using namespace locus;

extern "C" int locus_fuzz_x509_csr(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto v = certs::parse_csr(in);
  crypto::CsrInfo c;
  const Status cs = crypto::x509_parse_csr(in, &c);
  if (v.ok()) LOCUS_FUZZ_ACCEPTED();
  const bool der = size > 0 && data[0] == 0x30;
  if (!der) LOCUS_FUZZ_CHECK(!v.ok());
  if (cs.ok() && der) {
    LOCUS_FUZZ_CHECK(v.ok() && v.value().signature_ok);
    LOCUS_FUZZ_CHECK(v.value().pub.q == c.public_key.q);
  }
  return 0;
}
