// locus/tpm/quote_json.h: the "tpm" object of POST /v1/attest (docs/protocol.md):
//   {"quote":"<b64 TPMS_ATTEST>","signature":"<b64 TPMT_SIGNATURE>",
//    "pcrs":{"sha256":{"0":"<hex>",...}},"ak_name":"<hex>"}
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "locus/tpm/quote.h"

namespace locus::tpm {

// Compact JSON text of the bundle.
std::string quote_to_json(const QuoteBundle& q);

// Strict, bounded decoding: known keys only, standard padded base64, lowercase or uppercase
// hex, PCR indices 0..23 in decimal without leading zeros, 32-byte values, sizes bounded
// (attest <= 1024, signature <= 512, ak_name <= 66). Values come out in ascending index.
// Errors: kMalformed.
Result<QuoteBundle> quote_from_json(const std::string& json_text);
// The same checks on an object already parsed (the "tpm" member of an attestation body, whose
// text the body limit bounds): every string is bounded by its field's size before decoding.
Result<QuoteBundle> quote_from_json_value(const nlohmann::json& j);

}  // namespace locus::tpm
