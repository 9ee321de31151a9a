#include "locus/tpm/registry.h"
namespace locus::tpm {
TpmRegistry::TpmRegistry() = default;
TpmRegistry::~TpmRegistry() = default;
Status TpmRegistry::open(const std::string&) { return TpmError::kUnimplemented; }
Status TpmRegistry::put_host(const HostRecord&) { return TpmError::kUnimplemented; }
Result<HostRecord> TpmRegistry::get_host(const std::string&) { return TpmError::kUnimplemented; }
Result<std::string> TpmRegistry::host_by_ak_name(ByteSpan) { return TpmError::kUnimplemented; }
Status TpmRegistry::bind_board(const std::string&, const std::string&) { return TpmError::kUnimplemented; }
Result<std::string> TpmRegistry::board_host(const std::string&) { return TpmError::kUnimplemented; }
Status TpmRegistry::record_accepted(const std::string&, const ClockInfo&) { return TpmError::kUnimplemented; }
}  // namespace locus::tpm
