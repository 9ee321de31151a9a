// Fuzz target fast_round: protocol::decode_fast_round, the rev-2 timed-round payload that the
// board answers by table lookup. Invariants (roundtrip.h): accepted input re-encodes byte
// for byte; refused input leaves the FastRound untouched.
#include "locus/protocol/messages.h"
#include "roundtrip.h"

extern "C" int locus_fuzz_fast_round(const uint8_t* data, size_t size) {
  locus_fuzz::payload_round_trip<locus::protocol::FastRound>(
      data, size, locus::protocol::decode_fast_round, locus::protocol::encode_fast_round);
  return 0;
}
