// locus/tpm/credential.h: the credential-activation challenge, as it passes from the side that
// makes it (software MakeCredential, locus/tpm/enroll.h in host/tpm_verify) to the TPM that
// answers it (Tpm::activate_credential, locus/tpm/esapi.h in host/tpm_client).
#pragma once

#include <cstdint>
#include <vector>

namespace locus::tpm {

struct CredentialChallenge {
  std::vector<uint8_t> credential_blob;   // TPM2B_ID_OBJECT contents
  std::vector<uint8_t> encrypted_secret;  // TPM2B_ENCRYPTED_SECRET contents
};

}  // namespace locus::tpm
