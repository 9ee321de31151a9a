// Fuzz target claims: protocol::decode_claims on arbitrary bytes, EAT claims (RFC 9711 keys +
// private-use keys, docs/protocol.md). Invariants (roundtrip.h): accepted input re-encodes byte for
// byte with encode_claims; refused input leaves the output struct untouched.
#include "locus/protocol/claims.h"

#include "roundtrip.h"

extern "C" int locus_fuzz_claims(const uint8_t* data, size_t size) {
  locus_fuzz::payload_round_trip<locus::protocol::EatClaims>(
      data, size, locus::protocol::decode_claims, locus::protocol::encode_claims);
  return 0;
}
