// locus/provision/enroll_host.h: enrollment of a host's TPM (the host binding, docs/tpm.md).
//
// The host's own TPM is driven through the ESAPI client (host/tpm_client) and every answer is
// checked with the verifier's enrollment checks (host/tpm_verify, locus/tpm/enroll.h): the EK
// certificate must chain to the TPM manufacturer's CA (a file of PEM/DER certificates the
// operator provides) and carry the EK public key the TPM reports; the AK is bound to that EK
// with MakeCredential (done in software: RSA-OAEP with label "IDENTITY", KDFa, AES-128-CFB,
// HMAC-SHA256 — TPM 2.0 part 1 §24) and the TPM answering with ActivateCredential; only a TPM
// that holds that EK's private key, with the AK of that name loaded, recovers the secret.
#pragma once

#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/tpm/esapi.h"
#include "locus/tpm/registry.h"

namespace locus::provision {

struct HostEnrollOptions {
  std::string host;            // host name recorded in the registry
  std::string ca_file;         // TPM manufacturer CA certificate(s), PEM or DER
  std::vector<uint32_t> pcrs;  // quote policy (sha256 bank)
};

// The whole enrollment of a host whose TPM is `host_tpm` (open, AK created or loaded):
//  1. EK certificate from NV, verified against opts.ca_file and the TPM's EK public key;
//  2. MakeCredential (software) for that EK and the AK's name with a fresh random secret,
//     ActivateCredential on the TPM, constant-time compare of the secret;
//  3. AK public checked (restricted fixedTPM ECDSA P-256) and its name recomputed;
//  4. a quote over opts.pcrs with a fresh nonce: signature, extraData and digest checked;
//     its PCR values become the golden values and its qualifiedSigner is recorded.
// Returns the record to store (TpmRegistry::put_host), or why the host is refused: a TpmError
// (kEkCertUntrusted, kActivationFailed, ...) and what failed.
host::HostResult<tpm::HostRecord> enroll_host(tpm::Tpm& host_tpm, const HostEnrollOptions& opts);

}  // namespace locus::provision
