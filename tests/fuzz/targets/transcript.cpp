// Fuzz target transcript: protocol::decode_transcript (the distance-bounding transcript the
// board signs at LM_CLOSE) on arbitrary bytes. Invariants (roundtrip.h): accepted input
// re-encodes byte for byte; refused input leaves the transcript cleared (the decoder resets
// it, its documented behaviour).
#include "locus/protocol/claims.h"
#include "roundtrip.h"

extern "C" int locus_fuzz_transcript(const uint8_t* data, size_t size) {
  using locus::protocol::DboundTranscript;
  locus_fuzz::payload_round_trip<DboundTranscript, locus_fuzz::OnError::kCleared>(
      data, size, locus::protocol::decode_transcript, locus::protocol::encode_transcript);
  return 0;
}
