// Fuzz target landmark_record: protocol::decode_landmark_record on arbitrary bytes, the landmark
// record payload (board-side codec). Invariants (roundtrip.h): accepted input re-encodes byte for
// byte with encode_landmark_record; refused input leaves the output struct untouched.
#include "locus/protocol/claims.h"
#include "roundtrip.h"

extern "C" int locus_fuzz_landmark_record(const uint8_t* data, size_t size) {
  locus_fuzz::payload_round_trip<locus::protocol::LandmarkRecord>(
      data, size, locus::protocol::decode_landmark_record, locus::protocol::encode_landmark_record);
  return 0;
}
