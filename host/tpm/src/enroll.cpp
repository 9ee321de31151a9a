#include "locus/tpm/enroll.h"
namespace locus::tpm {
Status verify_ek_certificate(ByteSpan, const std::string&, ByteSpan, std::string*) { return TpmError::kUnimplemented; }
Result<CredentialChallenge> make_credential(ByteSpan, ByteSpan, ByteSpan) { return TpmError::kUnimplemented; }
Result<std::array<uint8_t, 65>> check_ak_public(ByteSpan, ByteSpan) { return TpmError::kUnimplemented; }
Result<std::vector<uint8_t>> ek_public_modulus(ByteSpan, ByteSpan) { return TpmError::kUnimplemented; }
}  // namespace locus::tpm
