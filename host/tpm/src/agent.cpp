#include "locus/tpm/agent.h"
namespace locus::tpm {
struct Tpm::Impl {};
Tpm::Tpm() = default;
Tpm::~Tpm() = default;
Status Tpm::open(const std::string&) { return TpmError::kUnimplemented; }
void Tpm::close() {}
Result<EkInfo> Tpm::ek() { return TpmError::kUnimplemented; }
Result<AkInfo> Tpm::create_ak(const std::string&) { return TpmError::kUnimplemented; }
Result<AkInfo> Tpm::load_ak(const std::string&) { return TpmError::kUnimplemented; }
Result<QuoteBundle> Tpm::quote(ByteSpan, const std::vector<uint32_t>&) { return TpmError::kUnimplemented; }
Result<QuoteBundle> Tpm::quote_evidence(ByteSpan, ByteSpan, const std::vector<uint32_t>&) { return TpmError::kUnimplemented; }
Result<std::vector<uint8_t>> Tpm::activate_credential(const CredentialChallenge&) { return TpmError::kUnimplemented; }
Result<std::vector<PcrValue>> Tpm::pcr_read(const std::vector<uint32_t>&) { return TpmError::kUnimplemented; }
Status Tpm::pcr_extend(uint32_t, const Sha256Digest&) { return TpmError::kUnimplemented; }
}  // namespace locus::tpm
