// locus/tpm/quote.h: the TPM quote as it travels from agent to verifier, and the bounded
// TPMS_ATTEST parser (TPM 2.0 Library spec part 2, 10.12).
//
// Wire form (docs/protocol.md, POST /v1/attest "tpm"): quote = TPMS_ATTEST bytes (the contents of
// TPM2B_ATTEST, no size prefix), signature = marshalled TPMT_SIGNATURE, pcrs = sha256 bank
// values, ak_name = TPM2B_NAME contents (nameAlg 0x000B || SHA-256(TPMT_PUBLIC)).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "locus/span.h"
#include "locus/tpm/errors.h"

namespace locus::tpm {

using Sha256Digest = std::array<uint8_t, 32>;

constexpr uint32_t kTpmGeneratedValue = 0xff544347u;  // TPM_GENERATED_VALUE
constexpr uint16_t kTpmStAttestQuote = 0x8018;        // TPM_ST_ATTEST_QUOTE
constexpr uint16_t kTpmAlgSha256 = 0x000B;
constexpr uint16_t kTpmAlgEcdsa = 0x0018;
constexpr uint32_t kMaxPcrIndex = 23;  // PC client: PCR 0..23

struct PcrValue {
  uint32_t index = 0;
  Sha256Digest value{};
};

struct QuoteBundle {
  std::vector<uint8_t> attest;     // TPMS_ATTEST
  std::vector<uint8_t> signature;  // TPMT_SIGNATURE
  std::vector<PcrValue> pcrs;      // sha256 bank, ascending index
  std::vector<uint8_t> ak_name;    // TPM2B_NAME contents
};

struct ClockInfo {
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  bool safe = false;
};

// One TPMS_PCR_SELECTION of the quote: a hash bank and the PCR indices selected in it.
struct PcrSelection {
  uint16_t hash_alg = 0;
  std::vector<uint32_t> pcrs;  // ascending
};

struct ParsedAttest {
  uint32_t magic = 0;
  uint16_t type = 0;
  std::vector<uint8_t> qualified_signer;  // TPM2B_NAME contents
  std::vector<uint8_t> extra_data;        // TPM2B_DATA contents
  ClockInfo clock_info;
  uint64_t firmware_version = 0;
  std::vector<PcrSelection> pcr_select;  // TPML_PCR_SELECTION
  std::vector<uint8_t> pcr_digest;       // TPM2B_DIGEST contents
};

// Bounded parse of a TPMS_ATTEST of type quote. Rejects trailing bytes, a wrong magic or
// type, oversize fields and sizeofSelect > 4. Never reads past `attest`.
Result<ParsedAttest> parse_attest(ByteSpan attest);

// ECDSA signature (r, s) of a marshalled TPMT_SIGNATURE (sigAlg ECDSA, hash SHA-256 only);
// r and s are left-padded to 32 bytes each.
Result<std::array<uint8_t, 64>> parse_ecdsa_signature(ByteSpan tpmt_signature);

// extraData = SHA-256(verifier_nonce || SHA-256(evidence_bytes)) (DESIGN.md §6); kCrypto if
// the hash backend fails (never a digest that was not computed).
Result<Sha256Digest> quote_extra_data(ByteSpan verifier_nonce, ByteSpan evidence_bytes);

// SHA-256 over the concatenation of the values (in the order given); kCrypto as above.
Result<Sha256Digest> pcr_composite_digest(const std::vector<PcrValue>& values);

// "0,1,7" -> {0,1,7} (sorted, unique, each <= kMaxPcrIndex; empty list refused).
Result<std::vector<uint32_t>> parse_pcr_list(const std::string& text);

}  // namespace locus::tpm
