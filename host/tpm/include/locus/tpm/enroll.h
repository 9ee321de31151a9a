// locus/tpm/enroll.h: the provisioning side of the host binding (no TPM needed here).
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

#include "locus/span.h"
#include "locus/tpm/esapi.h"
#include "locus/tpm/registry.h"

namespace locus::tpm {

// Verifies ek_cert_der against the CA certificates in ca_file (all are trust anchors) and that
// its public key is the RSA key with modulus ek_modulus.
// Errors: kEkCertInvalid, kEkCertUntrusted (reason in *detail), kEkMismatch.
Status verify_ek_certificate(ByteSpan ek_cert_der, const std::string& ca_file, ByteSpan ek_modulus,
                             std::string* detail);

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

struct EnrollOptions {
  std::string host;            // host name recorded in the registry
  std::string ca_file;         // TPM manufacturer CA certificate(s), PEM or DER
  std::vector<uint32_t> pcrs;  // quote policy (sha256 bank)
};

// The whole enrollment of a host whose TPM is `tpm` (open, AK created or loaded):
//  1. EK certificate from NV, verified against opts.ca_file and the TPM's EK public key;
//  2. MakeCredential (software) for that EK and the AK's name with a fresh random secret,
//     ActivateCredential on the TPM, constant-time compare of the secret;
//  3. AK public checked (restricted fixedTPM ECDSA P-256) and its name recomputed;
//  4. a quote over opts.pcrs with a fresh nonce: signature, extraData and digest checked;
//     its PCR values become the golden values and its qualifiedSigner is recorded.
// Returns the record to store (TpmRegistry::put_host); *detail explains a refusal.
Result<HostRecord> enroll_host(Tpm& tpm, const EnrollOptions& opts, std::string* detail);

}  // namespace locus::tpm
