// Fuzz target license: protocol::decode_license on arbitrary bytes, the interconnect license
// payload (inside COSE_Sign1). Invariants (roundtrip.h): accepted input re-encodes byte for byte
// with encode_license; refused input leaves the output struct untouched.
#include "locus/protocol/claims.h"
#include "roundtrip.h"

extern "C" int locus_fuzz_license(const uint8_t* data, size_t size) {
  locus_fuzz::payload_round_trip<locus::protocol::License>(
      data, size, locus::protocol::decode_license, locus::protocol::encode_license);
  return 0;
}
