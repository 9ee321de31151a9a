// Fuzz target deframer: the streaming protocol::Deframer fed one byte at a time, as the board
// reads its serial link. Invariants: every reported frame has rev 1 or 2 and at most
// kMaxPayload bytes; every error is a protocol error; the deframer agrees with the one-shot
// decoder: a reported frame, re-encoded with encode_frame, decodes with decode_frame to the
// same rev and payload, and fed to a fresh Deframer yields exactly that frame again.
#include "fuzz_targets.h"
#include "locus/protocol/frame.h"

using namespace locus;
using namespace locus::protocol;

namespace {
uint8_t g_frame[kMaxFrameSize];
uint8_t g_payload[kMaxPayload];
uint8_t g_copy[kMaxPayload];
Deframer g_d;
Deframer g_check;

void check_frame(uint8_t rev, ByteSpan payload) {
  LOCUS_FUZZ_CHECK(rev == kRevMessage || rev == kRevFast);
  LOCUS_FUZZ_CHECK(payload.size <= kMaxPayload);
  memcpy(g_copy, payload.data, payload.size);
  size_t m = 0;
  LOCUS_FUZZ_CHECK(
      encode_frame(rev, ByteSpan(g_copy, payload.size), MutByteSpan(g_frame, sizeof g_frame), &m)
          .ok());
  uint8_t rev2 = 0;
  size_t n = 0;
  LOCUS_FUZZ_CHECK(
      decode_frame(ByteSpan(g_frame, m), &rev2, MutByteSpan(g_payload, sizeof g_payload), &n).ok());
  LOCUS_FUZZ_CHECK(rev2 == rev && locus_fuzz::same_bytes(g_payload, n, g_copy, payload.size));
  g_check.reset();
  size_t frames = 0;
  for (size_t i = 0; i < m; ++i) {
    const DeframeResult r = g_check.feed(g_frame[i]);
    LOCUS_FUZZ_CHECK(r.event != DeframeEvent::kError);
    if (r.event == DeframeEvent::kFrame) {
      ++frames;
      LOCUS_FUZZ_CHECK(r.rev == rev && locus_fuzz::same_bytes(r.payload.data, r.payload.size,
                                                              g_copy, payload.size));
    }
  }
  LOCUS_FUZZ_CHECK(frames == 1);
}
}  // namespace

extern "C" int locus_fuzz_deframer(const uint8_t* data, size_t size) {
  g_d.reset();
  for (size_t i = 0; i < size; ++i) {
    const DeframeResult r = g_d.feed(data[i]);
    if (r.event == DeframeEvent::kFrame) {
      LOCUS_FUZZ_ACCEPTED();
      check_frame(r.rev, r.payload);
    } else if (r.event == DeframeEvent::kError) {
      LOCUS_FUZZ_CHECK(r.error.module() == Module::kProtocol);
    }
  }
  return 0;
}
