// Fuzz target rotation: protocol::decode_rotation on arbitrary bytes, the verifier-key rotation
// payload. Invariants (roundtrip.h): accepted input re-encodes byte for byte with encode_rotation;
// refused input leaves the output struct untouched.
#include "locus/protocol/claims.h"
#include "roundtrip.h"

extern "C" int locus_fuzz_rotation(const uint8_t* data, size_t size) {
  locus_fuzz::payload_round_trip<locus::protocol::VerifierKeyRotation>(
      data, size, locus::protocol::decode_rotation, locus::protocol::encode_rotation);
  return 0;
}
