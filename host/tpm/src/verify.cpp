#include "locus/tpm/verify.h"
namespace locus::tpm {
Result<QuoteVerdict> appraise_quote(const QuoteBundle&, const HostRecord&, ByteSpan, ByteSpan, const QuoteOptions&) { return TpmError::kUnimplemented; }
Result<QuoteVerdict> appraise_board_quote(TpmRegistry&, const std::string&, const QuoteBundle&, ByteSpan, ByteSpan, const QuoteOptions&) { return TpmError::kUnimplemented; }
}  // namespace locus::tpm
