// Fuzz target frame: protocol::decode_frame (one whole frame: flags, byte stuffing, rev, len,
// CRC-16 FCS) on arbitrary bytes. Invariants: an accepted frame has rev 1 or 2 and a payload
// of at most kMaxPayload bytes, and re-encodes with encode_frame to exactly the input (minus
// leading idle flags, which the decoder skips).
#include "locus/protocol/frame.h"

#include "fuzz_targets.h"

using namespace locus;
using namespace locus::protocol;

namespace {
uint8_t g_payload[kMaxPayload];
uint8_t g_out[kMaxFrameSize];
}  // namespace

extern "C" int locus_fuzz_frame(const uint8_t* data, size_t size) {
  uint8_t rev = 0;
  size_t n = 0;
  if (!decode_frame(ByteSpan(data, size), &rev, MutByteSpan(g_payload, sizeof g_payload), &n).ok())
    return 0;
  LOCUS_FUZZ_ACCEPTED();
  LOCUS_FUZZ_CHECK(rev == kRevMessage || rev == kRevFast);
  LOCUS_FUZZ_CHECK(n <= kMaxPayload);
  size_t skip = 0;
  while (skip + 1 < size && data[skip + 1] == kFlag) ++skip;
  size_t m = 0;
  LOCUS_FUZZ_CHECK(
      encode_frame(rev, ByteSpan(g_payload, n), MutByteSpan(g_out, sizeof g_out), &m).ok());
  LOCUS_FUZZ_CHECK(locus_fuzz::same_bytes(g_out, m, data + skip, size - skip));
  return 0;
}
