// locus/tpm/enroll.h: the checks of a host's enrollment (no TPM needed here); the enrollment
// itself, which drives the host's TPM through them, is locus/provision/enroll_host.h.
//
// Enrollment of a host: the EK certificate must chain to the TPM manufacturer's CA (a file of
// PEM/DER certificates the operator provides) and carry the EK public key the TPM reports; the
// AK is bound to that EK with MakeCredential (done here in software with mbed TLS: RSA-OAEP
// with label "IDENTITY", KDFa, AES-128-CFB, HMAC-SHA256 — TPM 2.0 part 1 §24) and the agent's
// TPM answering with ActivateCredential; only a TPM that holds that EK's private key, with the
// AK of that name loaded, recovers the secret.
#pragma once

#include <string>
#include <vector>

#include "locus/common/result.h"
#include "locus/span.h"
#include "locus/tpm/credential.h"
#include "locus/tpm/registry.h"

namespace locus::tpm {

// Verifies ek_cert_der against the CA certificates in ca_file (all are trust anchors) and that
// its public key is the RSA key with modulus ek_modulus.
// Errors (TpmError, with the reason as message): kEkCertMissing, kEkCertInvalid, kIo (CA file),
// kEkCertUntrusted, kEkMismatch.
host::HStatus verify_ek_certificate(ByteSpan ek_cert_der, const std::string& ca_file,
                                    ByteSpan ek_modulus);

// Software MakeCredential for an RSA-2048 EK (public area `ek_public`, marshalled TPMT_PUBLIC)
// and the AK name; `secret` is 1..32 bytes.
Result<CredentialChallenge> make_credential(ByteSpan ek_public, ByteSpan ak_name, ByteSpan secret);

// Parses a marshalled TPMT_PUBLIC of an AK: checks ECC P-256, ECDSA/SHA-256, restricted +
// sign + fixedTPM + fixedParent + sensitiveDataOrigin, and that `name` is its name.
Result<std::array<uint8_t, 65>> check_ak_public(ByteSpan ak_public, ByteSpan name);

// Parses a marshalled TPMT_PUBLIC of the RSA EK: returns the modulus and checks `name`
// (if non-empty) is its name.
Result<std::vector<uint8_t>> ek_public_modulus(ByteSpan ek_public, ByteSpan name);

// SubjectPublicKeyInfo PEM of a P-256 point (for tpm2_checkquote -u and other tools).
std::string p256_public_pem(const std::array<uint8_t, 65>& point);

}  // namespace locus::tpm
