// locus/common/encoding.h: hex, base64 and PEM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "locus/common/result.h"
#include "locus/span.h"

namespace locus::host {

using Bytes = std::vector<uint8_t>;

// Hex (lowercase out, either case in) and standard padded base64 (RFC 4648 §4).
std::string hex_encode(ByteSpan b);
HostResult<Bytes> hex_decode(const std::string& s);
std::string b64_encode(ByteSpan b);
HostResult<Bytes> b64_decode(const std::string& s);

// PEM armour for a DER blob ("CERTIFICATE", "EC PRIVATE KEY", ...) and back (first block
// with that label).
std::string pem_encode(const std::string& label, ByteSpan der);
HostResult<Bytes> pem_decode(const std::string& label, const std::string& pem);

}  // namespace locus::host
