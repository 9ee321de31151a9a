// locus/tpm/verify.h: appraisal of a host's TPM quote (called by the verifier).
//
// Checks, each failing with its own reason (docs/tpm.md): the quote's AK is the AK of the host
// the board was enrolled in (else "board moved"), TPMS_ATTEST parses (magic, type), the ECDSA
// P-256/SHA-256 signature verifies with the enrolled AK, qualifiedSigner, extraData =
// SHA-256(nonce || SHA-256(evidence)), clock info vs the last accepted quote (reset/restart
// changed, clock not advancing = replay, clock not safe), the PCR selection is the host's
// policy, the PCR digest matches the reported values, and the values match the golden ones.
#pragma once

#include <string>
#include <vector>

#include "locus/span.h"
#include "locus/tpm/quote.h"
#include "locus/tpm/registry.h"

namespace locus::tpm {

// Stable codes of the refusal reasons (append-only).
enum class QuoteCheck : uint8_t {
  kOk = 0,
  kBoardMoved = 1,      // quote from an AK that is not the enrolled host's
  kMalformed = 2,       // attest or signature does not parse
  kBadSignature = 3,    // signature does not verify with the enrolled AK
  kWrongSigner = 4,     // qualifiedSigner differs from enrollment
  kWrongExtraData = 5,  // not bound to this nonce and evidence
  kTpmReset = 6,        // resetCount changed since the last accepted quote
  kTpmRestart = 7,      // restartCount changed
  kReplay = 8,          // clock did not advance / counters went backwards
  kClockUnsafe = 9,     // clockInfo.safe == NO
  kPcrSelection = 10,   // quoted PCR set differs from the host's policy
  kPcrDigest = 11,      // reported values do not hash to pcrDigest
  kPcrMismatch = 12,    // a value differs from the golden one
};
const char* to_string(QuoteCheck c);

struct QuoteReason {
  QuoteCheck check = QuoteCheck::kOk;
  std::string text;
};

struct QuoteVerdict {
  bool accepted = false;             // set true last, only with no reasons
  std::vector<QuoteReason> reasons;  // empty when accepted
  ParsedAttest attest;               // what was parsed (for logs/claims)
};

struct QuoteOptions {
  // A host reboot increments resetCount; accept it (PCRs still have to match the golden
  // values) instead of refusing with kTpmReset/kTpmRestart, and tolerates clockInfo.safe == NO
  // (unorderly reset) instead of kClockUnsafe. Counters going backwards are always refused.
  bool accept_reboot = false;
  std::string board_ueid_hex;  // for the reason text only
};

// Appraises `q` for a board enrolled in `host`. Returns an error only for internal failures;
// every refusal is a verdict with reasons.
Result<QuoteVerdict> appraise_quote(const QuoteBundle& q, const HostRecord& host,
                                    ByteSpan verifier_nonce, ByteSpan evidence_bytes,
                                    const QuoteOptions& opts = QuoteOptions());

// Convenience for the verifier: looks up the board's host in `reg`, appraises, names the
// other host if the AK belongs to one, and records the clock info when accepted.
// kNotFound if the board is not bound to a host.
Result<QuoteVerdict> appraise_board_quote(TpmRegistry& reg, const std::string& ueid_hex,
                                          const QuoteBundle& q, ByteSpan verifier_nonce,
                                          ByteSpan evidence_bytes,
                                          const QuoteOptions& opts = QuoteOptions());

}  // namespace locus::tpm
