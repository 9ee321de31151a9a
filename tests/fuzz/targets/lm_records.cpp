// Fuzz target lm_records: the host-side codecs of what a landmark session returns (the
// verifier and the agent decode these): location::decode_record (landmark record payload)
// when the first byte is even, location::decode_transcript (the device-signed transcript
// payload) when odd; the rest is the payload. Invariant: an accepted payload re-encodes
// with encode_record / encode_transcript to exactly the input.
#include "fuzz_targets.h"
#include "locus/location/records.h"

using namespace locus;

extern "C" int locus_fuzz_lm_records(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    location::LandmarkRecord r;
    if (!location::decode_record(in, &r).ok()) return 0;
    LOCUS_FUZZ_ACCEPTED();
    const std::vector<uint8_t> e = location::encode_record(r);
    LOCUS_FUZZ_CHECK(locus_fuzz::same_bytes(e.data(), e.size(), in.data, in.size));
  } else {
    location::Transcript t;
    if (!location::decode_transcript(in, &t).ok()) return 0;
    LOCUS_FUZZ_ACCEPTED();
    const std::vector<uint8_t> e = location::encode_transcript(t);
    LOCUS_FUZZ_CHECK(locus_fuzz::same_bytes(e.data(), e.size(), in.data, in.size));
  }
  return 0;
}
