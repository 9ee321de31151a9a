// Enrollment of a host's TPM: the TPM in hand, answered through the verifier's checks.
#include "locus/provision/enroll_host.h"

#include "locus/crypto/ct.h"
#include "locus/tpm/enroll.h"
#include "locus/tpm/verify.h"

namespace locus::provision {

host::HostResult<tpm::HostRecord> enroll_host(tpm::Tpm& host_tpm, const HostEnrollOptions& opts) {
  using host::Error;
  if (opts.host.empty() || opts.pcrs.empty()) {
    return Error{tpm::TpmError::kInvalidArgument, "a host name and at least one PCR are required"};
  }
  auto ek = host_tpm.ek();
  if (!ek.ok()) {
    return Error{ek.status(), "cannot read the EK: " + host_tpm.last_error()};
  }
  // 1. EK certificate.
  auto mod = tpm::ek_public_modulus(ByteSpan(ek->public_area.data(), ek->public_area.size()),
                                    ByteSpan(ek->name.data(), ek->name.size()));
  if (!mod.ok()) {
    return Error{mod.status(), "EK is not an RSA-2048 EK of the default template"};
  }
  if (ek->cert_der.empty()) {
    return Error{tpm::TpmError::kEkCertMissing, "no EK certificate in NV index 0x01c00002"};
  }
  if (auto st = tpm::verify_ek_certificate(ByteSpan(ek->cert_der.data(), ek->cert_der.size()),
                                           opts.ca_file, ByteSpan(mod->data(), mod->size()));
      !st.ok()) {
    return st;
  }
  // 2. Credential activation binds the AK to this EK.
  auto ak = host_tpm.ak();
  if (!ak.ok()) {
    return Error{ak.status(), "no AK loaded: create or load one first"};
  }
  auto key = tpm::check_ak_public(ByteSpan(ak->public_area.data(), ak->public_area.size()),
                                  ByteSpan(ak->name.data(), ak->name.size()));
  if (!key.ok()) {
    return Error{key.status(), "the AK is not a restricted fixedTPM ECDSA P-256 signing key"};
  }
  uint8_t secret[32];
  if (host::os_entropy(nullptr, secret, sizeof(secret)) != 0) {
    return Error{tpm::TpmError::kCrypto, "no randomness from the OS"};
  }
  auto ch = tpm::make_credential(ByteSpan(ek->public_area.data(), ek->public_area.size()),
                                 ByteSpan(ak->name.data(), ak->name.size()),
                                 ByteSpan(secret, sizeof(secret)));
  if (!ch.ok()) {
    crypto::zeroize(secret, sizeof(secret));
    return Error{ch.status(), "MakeCredential failed"};
  }
  auto got = host_tpm.activate_credential(*ch);
  bool match = got.ok() && crypto::ct_equal(ByteSpan(got->data(), got->size()),
                                            ByteSpan(secret, sizeof(secret)));
  crypto::zeroize(secret, sizeof(secret));
  if (!match) {
    return Error{tpm::TpmError::kActivationFailed,
                 "credential activation failed: the AK is not bound to this EK (" +
                     host_tpm.last_error() + ")"};
  }
  // 3. Golden values and qualifiedSigner from a fresh quote, checked like any other.
  uint8_t nonce[32];
  if (host::os_entropy(nullptr, nonce, sizeof(nonce)) != 0) {
    return Error{tpm::TpmError::kCrypto, "no randomness from the OS"};
  }
  static const uint8_t kEnrollEvidence[] = "locus tpm enrollment";
  auto q = host_tpm.quote_evidence(ByteSpan(nonce, sizeof(nonce)),
                                   ByteSpan(kEnrollEvidence, sizeof(kEnrollEvidence)), opts.pcrs);
  if (!q.ok()) {
    return Error{q.status(), "enrollment quote failed: " + host_tpm.last_error()};
  }
  tpm::HostRecord rec;
  rec.host = opts.host;
  rec.ek_public = ek->public_area;
  rec.ek_cert = ek->cert_der;
  rec.ak_public = ak->public_area;
  rec.ak_key = *key;
  rec.ak_name = ak->name;
  rec.pcrs = opts.pcrs;
  rec.golden = q->pcrs;
  auto v = tpm::appraise_quote(*q, rec, ByteSpan(nonce, sizeof(nonce)),
                               ByteSpan(kEnrollEvidence, sizeof(kEnrollEvidence)));
  if (!v.ok()) return Error{v.status(), "the enrollment quote could not be appraised"};
  if (!v->accepted) {
    return Error{tpm::TpmError::kBadSignature,
                 "enrollment quote refused: " +
                     (v->reasons.empty() ? std::string("?") : v->reasons[0].text)};
  }
  rec.qualified_signer = v->attest.qualified_signer;
  rec.have_last = true;
  rec.last = v->attest.clock_info;
  return rec;
}

}  // namespace locus::provision
