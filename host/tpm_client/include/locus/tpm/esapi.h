// locus/tpm/esapi.h: the agent's side of the host binding, on TPM2-TSS ESAPI.
//
// The TCTI is a tctildr configuration string: "device:/dev/tpmrm0" in production,
// "swtpm:host=127.0.0.1,port=P" in tests (never a real TPM in tests).
//
// Key hierarchy (docs/tpm.md): the EK is re-created whenever it is needed (and flushed right
// after, to spare transient slots on TPMs without a resource manager) from the TCG default RSA
// 2048 EK template (EK Credential Profile, template L-1) in the endorsement hierarchy, so it
// matches the EK certificate in NV 0x01c00002. The AK is an ECC P-256 restricted signing key
// (ECDSA/SHA-256) created as a CHILD of the EK, the way tpm2_createak does: the EK's
// authPolicy is PolicySecret(TPM_RH_ENDORSEMENT), satisfied with a policy session. The AK's
// public and private blobs are kept in a file (no NV wear, no persistent handle to manage);
// load_ak() reloads them under the re-created EK. To spare that (an RSA CreatePrimary costs
// ~35 ms on swtpm, more on hardware), load_ak() saves the loaded AK's context next to the
// blob (<blob>.ctx, mode 0600, TPM2_ContextSave) and the next load_ak() in the same TPM boot
// restores it with TPM2_ContextLoad, after checking that the TPM reports the blob's public
// area for it; otherwise it falls back to the EK path. open() makes no EK.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "locus/span.h"
#include "locus/tpm/credential.h"
#include "locus/tpm/quote.h"

namespace locus::tpm {

constexpr uint32_t kEkCertNvIndexRsa = 0x01c00002;
constexpr uint32_t kEkCertNvIndexEcc = 0x01c0000a;

struct EkInfo {
  std::vector<uint8_t> public_area;  // marshalled TPMT_PUBLIC of the EK
  std::vector<uint8_t> modulus;      // RSA modulus (big-endian, 256 bytes)
  std::vector<uint8_t> name;         // TPM2B_NAME contents
  std::vector<uint8_t> cert_der;     // EK certificate from NV (empty if absent)
};

struct AkInfo {
  std::vector<uint8_t> public_area;      // marshalled TPMT_PUBLIC of the AK
  std::array<uint8_t, 65> public_key{};  // SEC1 uncompressed P-256 point
  std::vector<uint8_t> name;             // TPM2B_NAME contents
};

class Tpm {
 public:
  Tpm();
  ~Tpm();
  Tpm(const Tpm&) = delete;
  Tpm& operator=(const Tpm&) = delete;

  // Loads the TCTI from `tcti_conf` and starts ESAPI (the EK is made when first needed).
  Status open(const std::string& tcti_conf);
  void close();

  // EK public, name and certificate (NV 0x01c00002; empty if not provisioned).
  Result<EkInfo> ek();

  // Creates a new AK under the EK and writes its blobs to blob_path (mode 0600; refuses to
  // overwrite). The AK stays loaded.
  Result<AkInfo> create_ak(const std::string& blob_path);
  // Loads an AK saved by create_ak (through its saved context <blob_path>.ctx when valid).
  Result<AkInfo> load_ak(const std::string& blob_path);
  // The loaded AK (kNoAk if none).
  Result<AkInfo> ak() const;

  // TPM2_Quote with the loaded AK over sha256:pcrs, qualifyingData = extra_data (<= 64 bytes),
  // plus TPM2_PCR_Read of the same PCRs. Fails if the PCRs changed between quote and read.
  Result<QuoteBundle> quote(ByteSpan extra_data, const std::vector<uint32_t>& pcrs);
  // quote() with extra_data = quote_extra_data(verifier_nonce, evidence_bytes).
  Result<QuoteBundle> quote_evidence(ByteSpan verifier_nonce, ByteSpan evidence_bytes,
                                     const std::vector<uint32_t>& pcrs);

  // TPM2_ActivateCredential(AK, EK): returns the secret the challenge carries.
  Result<std::vector<uint8_t>> activate_credential(const CredentialChallenge& ch);

  Result<std::vector<PcrValue>> pcr_read(const std::vector<uint32_t>& pcrs);
  // TPM2_PCR_Extend of the sha256 bank (tests and tools).
  Status pcr_extend(uint32_t pcr, const Sha256Digest& digest);

  // TPM2_Shutdown(CLEAR), what the OS sends before a reboot (tools and tests); then close().
  Status shutdown();

  // Text of the last TPM failure (ESAPI response code decoded), for logs and the CLI.
  std::string last_error() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace locus::tpm
