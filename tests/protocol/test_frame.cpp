// Unit tests of protocol/frame.h: FCS-16, frame encoder, streaming deframer, decode_frame.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/protocol/frame.h"
#include "locus_test/cmocka.h"

using namespace locus;
using namespace locus::protocol;

namespace {

// Feeds every byte of in; records the frames and errors seen.
struct Collected {
  int frames = 0;
  int errors = 0;
  uint16_t last_error = 0;
  uint8_t rev = 0;
  uint8_t payload[kMaxPayload]{};
  size_t payload_len = 0;
};

void feed_all(Deframer& d, const uint8_t* in, size_t n, Collected* c) {
  for (size_t i = 0; i < n; ++i) {
    DeframeResult r = d.feed(in[i]);
    if (r.event == DeframeEvent::kFrame) {
      c->frames++;
      c->rev = r.rev;
      c->payload_len = r.payload.size;
      memcpy(c->payload, r.payload.data, r.payload.size);
    } else if (r.event == DeframeEvent::kError) {
      c->errors++;
      c->last_error = r.error.code();
    }
  }
}

uint16_t code(ProtocolError e) {
  return Status(e).code();
}

// FCS-16 of "123456789" is the CRC-16/X.25 check value 0x906E; appending the FCS (low byte
// first) gives the RFC 1662 "good FCS" residual 0xF0B8 before the final xor.
void test_fcs16_known_answer(void**) {
  const uint8_t msg[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  assert_int_equal(fcs16(ByteSpan(msg, sizeof msg)), 0x906E);
  uint8_t with_fcs[11];
  memcpy(with_fcs, msg, 9);
  with_fcs[9] = 0x6E;
  with_fcs[10] = 0x90;
  assert_int_equal(fcs16_update(kFcsInit, ByteSpan(with_fcs, 11)), 0xF0B8);
  assert_int_equal(fcs16(ByteSpan()), 0x0000);
}

// Encoding a small payload gives the exact bytes of the documented layout.
void test_encode_layout(void**) {
  const uint8_t payload[] = {0x83, 0x05, 0x01, 0xF6};
  uint8_t out[64];
  size_t n = 0;
  assert_true(
      encode_frame(kRevMessage, ByteSpan(payload, 4), MutByteSpan(out, sizeof out), &n).ok());
  const uint8_t hdr[] = {0x01, 0x00, 0x04, 0x83, 0x05, 0x01, 0xF6};
  const uint16_t f = fcs16(ByteSpan(hdr, sizeof hdr));
  assert_int_equal(n, 1 + 7 + 2 + 1);
  assert_int_equal(out[0], 0x7E);
  assert_memory_equal(out + 1, hdr, 7);
  assert_int_equal(out[8], f & 0xFF);
  assert_int_equal(out[9], f >> 8);
  assert_int_equal(out[10], 0x7E);
}

// Payloads full of 0x7E / 0x7D at every position, and lengths whose bytes are 0x7E/0x7D,
// round-trip through encode -> deframer and encode -> decode_frame, with no bare flag inside.
void test_round_trip_with_stuffing(void**) {
  static uint8_t payload[kMaxPayload];
  static uint8_t frame[kMaxFrameSize];
  static uint8_t out[kMaxPayload];
  const size_t lens[] = {0, 1, 2, 3, 13, 126, 0x7D, 0x7E, 0x17D, 0x7E7D >> 4, 1000, kMaxPayload};
  for (size_t li = 0; li < sizeof lens / sizeof lens[0]; ++li) {
    const size_t len = lens[li];
    for (int pattern = 0; pattern < 3; ++pattern) {
      for (size_t i = 0; i < len; ++i) {
        payload[i] = pattern == 0   ? 0x7E
                     : pattern == 1 ? 0x7D
                                    : static_cast<uint8_t>((i * 7 + 0x7D) & 0xFF);
      }
      size_t n = 0;
      assert_true(
          encode_frame(kRevMessage, ByteSpan(payload, len), MutByteSpan(frame, sizeof frame), &n)
              .ok());
      assert_true(n <= max_frame_size(len));
      for (size_t i = 1; i + 1 < n; ++i) assert_int_not_equal(frame[i], 0x7E);
      Deframer d;
      Collected c;
      feed_all(d, frame, n, &c);
      assert_int_equal(c.frames, 1);
      assert_int_equal(c.errors, 0);
      assert_int_equal(c.rev, kRevMessage);
      assert_int_equal(c.payload_len, len);
      if (len != 0u) assert_memory_equal(c.payload, payload, len);
      uint8_t rev = 0;
      size_t plen = 0;
      assert_true(decode_frame(ByteSpan(frame, n), &rev, MutByteSpan(out, sizeof out), &plen).ok());
      assert_int_equal(plen, len);
      if (len != 0u) assert_memory_equal(out, payload, len);
    }
  }
}

// An FCS whose bytes are 0x7E/0x7D is stuffed too: search payloads until each case occurs.
void test_fcs_bytes_stuffed(void**) {
  bool seen_lo_flag = false, seen_hi_esc = false;
  uint8_t p[2];
  uint8_t frame[32];
  for (unsigned v = 0; v < 65536 && !(seen_lo_flag && seen_hi_esc); ++v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
    const uint8_t hdr[] = {0x02, 0x00, 0x02, p[0], p[1]};
    const uint16_t f = fcs16(ByteSpan(hdr, 5));
    const bool lo = (f & 0xFF) == 0x7E, hi = (f >> 8) == 0x7D;
    if (!(lo && !seen_lo_flag) && !(hi && !seen_hi_esc)) continue;
    seen_lo_flag |= lo;
    seen_hi_esc |= hi;
    size_t n = 0;
    assert_true(encode_frame(kRevFast, ByteSpan(p, 2), MutByteSpan(frame, sizeof frame), &n).ok());
    Deframer d;
    Collected c;
    feed_all(d, frame, n, &c);
    assert_int_equal(c.frames, 1);
    assert_int_equal(c.rev, kRevFast);
    assert_memory_equal(c.payload, p, 2);
  }
  assert_true(seen_lo_flag && seen_hi_esc);
}

// The encoder refuses an oversize payload, an unknown rev and a too-small buffer.
void test_encode_rejects(void**) {
  static uint8_t payload[kMaxPayload + 1];
  static uint8_t frame[kMaxFrameSize + 8];
  size_t n = 1;
  assert_int_equal(encode_frame(kRevMessage, ByteSpan(payload, kMaxPayload + 1),
                                MutByteSpan(frame, sizeof frame), &n)
                       .code(),
                   code(ProtocolError::kFrameOversize));
  assert_int_equal(n, 0);
  assert_int_equal(
      encode_frame(0x03, ByteSpan(payload, 1), MutByteSpan(frame, sizeof frame), &n).code(),
      code(ProtocolError::kFrameUnknownRev));
  payload[0] = 0x7E;
  // 1 flag + 3 header + 2 (stuffed byte) + 2 FCS (maybe stuffed) + 1 flag >= 9: 8 is never enough.
  for (size_t cap = 0; cap < 9; ++cap) {
    assert_int_equal(
        encode_frame(kRevMessage, ByteSpan(payload, 1), MutByteSpan(frame, cap), &n).code(),
        code(ProtocolError::kOutputTooSmall));
  }
}

size_t make_frame(const uint8_t* p, size_t len, uint8_t* frame, size_t cap) {
  size_t n = 0;
  assert_true(encode_frame(kRevMessage, ByteSpan(p, len), MutByteSpan(frame, cap), &n).ok());
  return n;
}

// Each malformed frame yields its specific error; a good frame right after it still arrives.
void expect_error_then_good(const uint8_t* bad, size_t bad_len, ProtocolError want) {
  const uint8_t good_payload[] = {0x83, 0x07, 0x2A, 0xF6};
  uint8_t good[32];
  const size_t gn = make_frame(good_payload, sizeof good_payload, good, sizeof good);
  Deframer d;
  Collected c;
  feed_all(d, bad, bad_len, &c);
  feed_all(d, good, gn, &c);
  assert_int_equal(c.errors, 1);
  assert_int_equal(c.last_error, code(want));
  assert_int_equal(c.frames, 1);
  assert_int_equal(c.payload_len, sizeof good_payload);
  assert_memory_equal(c.payload, good_payload, sizeof good_payload);
}

// A flipped payload bit makes kFrameBadFcs.
void test_bad_fcs(void**) {
  const uint8_t p[] = {1, 2, 3, 4};
  uint8_t f[32];
  const size_t n = make_frame(p, 4, f, sizeof f);
  f[5] ^= 0x01;
  expect_error_then_good(f, n, ProtocolError::kFrameBadFcs);
  uint8_t rev = 0;
  size_t plen = 0;
  uint8_t out[8];
  assert_int_equal(decode_frame(ByteSpan(f, n), &rev, MutByteSpan(out, 8), &plen).code(),
                   code(ProtocolError::kFrameBadFcs));
}

// A flag after one or two header bytes is kFrameTruncated; a buffer ending early is too.
void test_truncated(void**) {
  const uint8_t a[] = {0x7E, 0x01, 0x7E};
  expect_error_then_good(a, sizeof a, ProtocolError::kFrameTruncated);
  const uint8_t b[] = {0x7E, 0x01, 0x00, 0x7E};
  expect_error_then_good(b, sizeof b, ProtocolError::kFrameTruncated);
  const uint8_t p[] = {9, 8, 7};
  uint8_t f[32];
  const size_t n = make_frame(p, 3, f, sizeof f);
  uint8_t rev = 0;
  size_t plen = 0;
  uint8_t out[8];
  for (size_t cut = 1; cut < n; ++cut) {
    assert_int_equal(decode_frame(ByteSpan(f, cut), &rev, MutByteSpan(out, 8), &plen).code(),
                     code(ProtocolError::kFrameTruncated));
  }
}

// A len field above 3072 is rejected as soon as it is read.
void test_oversize(void**) {
  const uint8_t a[] = {0x7E, 0x01, 0x0C, 0x01, 0xAA, 0xBB, 0x7E};  // len 3073
  expect_error_then_good(a, sizeof a, ProtocolError::kFrameOversize);
  const uint8_t b[] = {0x7E, 0x01, 0xFF, 0xFF, 0x7E};
  expect_error_then_good(b, sizeof b, ProtocolError::kFrameOversize);
}

// A flag that arrives after the header but before payload+FCS is kFrameUnstuffedFlag.
void test_unstuffed_flag(void**) {
  const uint8_t p[] = {1, 2, 3, 4, 5, 6};
  uint8_t f[32];
  const size_t n = make_frame(p, sizeof p, f, sizeof f);
  assert_true(n > 7);
  f[6] = 0x7E;  // inside the payload: the frame is cut there
  expect_error_then_good(f, 7, ProtocolError::kFrameUnstuffedFlag);
  const uint8_t a[] = {0x7E, 0x01, 0x00, 0x05, 0x11, 0x7E};
  expect_error_then_good(a, sizeof a, ProtocolError::kFrameUnstuffedFlag);
}

// 0x7D followed by anything but 0x5E/0x5D (including a flag) is kFrameBadEscape.
void test_bad_escape(void**) {
  const uint8_t a[] = {0x7E, 0x01, 0x00, 0x02, 0x7D, 0x31, 0x00, 0x00, 0x00, 0x7E};
  expect_error_then_good(a, sizeof a, ProtocolError::kFrameBadEscape);
  const uint8_t b[] = {0x7E, 0x01, 0x00, 0x02, 0x7D, 0x7E};
  expect_error_then_good(b, sizeof b, ProtocolError::kFrameBadEscape);
  const uint8_t c[] = {0x7E, 0x7D, 0x00};
  expect_error_then_good(c, sizeof c, ProtocolError::kFrameBadEscape);
}

// Bytes after len+FCS that are not the closing flag give kFrameLengthMismatch.
void test_length_mismatch(void**) {
  const uint8_t p[] = {1, 2, 3};
  uint8_t f[32];
  size_t n = make_frame(p, sizeof p, f, sizeof f);
  f[n - 1] = 0x44;  // the closing flag replaced by a data byte ...
  f[n++] = 0x7E;    // ... and the flag comes one byte late
  expect_error_then_good(f, n, ProtocolError::kFrameLengthMismatch);
  n = make_frame(p, sizeof p, f, sizeof f);
  f[n - 1] = 0x7D;  // an escape where the flag belongs
  f[n] = 0x5E;
  f[n + 1] = 0x7E;
  expect_error_then_good(f, n + 2, ProtocolError::kFrameLengthMismatch);
}

// A rev other than 0x01/0x02 is rejected when it is read.
void test_unknown_rev(void**) {
  const uint8_t a[] = {0x7E, 0x03, 0x00, 0x00, 0x00, 0x00, 0x7E};
  expect_error_then_good(a, sizeof a, ProtocolError::kFrameUnknownRev);
}

// Garbage before the first flag is discarded silently; garbage between frames costs at most
// one error and the next good frame arrives intact; idle flags are ignored.
void test_resync_after_garbage(void**) {
  const uint8_t p1[] = {0xA1, 0x01, 0x02};
  const uint8_t p2[] = {0x7E, 0x7D, 0x00};
  uint8_t f1[32], f2[32];
  const size_t n1 = make_frame(p1, sizeof p1, f1, sizeof f1);
  const size_t n2 = make_frame(p2, sizeof p2, f2, sizeof f2);
  uint8_t stream[256];
  size_t s = 0;
  const uint8_t junk[] = {0x00, 0xFF, 0x7D, 0x12, 0x34};
  memcpy(stream + s, junk, sizeof junk);
  s += sizeof junk;  // before any flag: silent
  memcpy(stream + s, f1, n1);
  s += n1;
  const uint8_t mid[] = {0x55, 0x01, 0x00, 0x10, 0x99};  // between frames
  memcpy(stream + s, mid, sizeof mid);
  s += sizeof mid;
  stream[s++] = 0x7E;
  stream[s++] = 0x7E;
  stream[s++] = 0x7E;  // idle flags
  memcpy(stream + s, f2, n2);
  s += n2;
  Deframer d;
  int frames = 0, errors = 0;
  for (size_t i = 0; i < s; ++i) {
    DeframeResult r = d.feed(stream[i]);
    if (r.event == DeframeEvent::kFrame) {
      frames++;
      if (frames == 1) assert_memory_equal(r.payload.data, p1, sizeof p1);
      if (frames == 2) assert_memory_equal(r.payload.data, p2, sizeof p2);
    }
    if (r.event == DeframeEvent::kError) errors++;
  }
  assert_int_equal(frames, 2);
  assert_int_equal(errors, 1);  // "0x55" is an unknown rev; the rest is hunted over
}

// Two frames sharing one flag (close of the first = open of the second) both arrive.
void test_shared_flag(void**) {
  const uint8_t p[] = {0x01};
  uint8_t f[16];
  const size_t n = make_frame(p, 1, f, sizeof f);
  uint8_t stream[32];
  memcpy(stream, f, n);
  memcpy(stream + n, f + 1, n - 1);
  Deframer d;
  Collected c;
  feed_all(d, stream, 2 * n - 1, &c);
  assert_int_equal(c.frames, 2);
  assert_int_equal(c.errors, 0);
}

// decode_frame: missing leading flag, trailing bytes, too-small output.
void test_decode_frame_whole_buffer(void**) {
  const uint8_t p[] = {5, 6, 7, 8};
  uint8_t f[32];
  size_t n = make_frame(p, sizeof p, f, sizeof f);
  uint8_t rev = 0, out[8];
  size_t plen = 0;
  assert_int_equal(decode_frame(ByteSpan(f + 1, n - 1), &rev, MutByteSpan(out, 8), &plen).code(),
                   code(ProtocolError::kFrameNoFlag));
  assert_int_equal(decode_frame(ByteSpan(), &rev, MutByteSpan(out, 8), &plen).code(),
                   code(ProtocolError::kFrameNoFlag));
  f[n] = 0x00;
  assert_int_equal(decode_frame(ByteSpan(f, n + 1), &rev, MutByteSpan(out, 8), &plen).code(),
                   code(ProtocolError::kFrameTrailingBytes));
  assert_int_equal(decode_frame(ByteSpan(f, n), &rev, MutByteSpan(out, 3), &plen).code(),
                   code(ProtocolError::kOutputTooSmall));
  assert_true(decode_frame(ByteSpan(f, n), &rev, MutByteSpan(out, 8), &plen).ok());
  assert_int_equal(plen, 4);
}

// After reset() a partial frame is forgotten and bytes are discarded until a flag.
void test_reset(void**) {
  const uint8_t p[] = {0x42};
  uint8_t f[16];
  const size_t n = make_frame(p, 1, f, sizeof f);
  Deframer d;
  Collected c;
  feed_all(d, f, n - 3, &c);
  d.reset();
  feed_all(d, f + 1, n - 1, &c);  // no opening flag seen after reset: the bytes are hunted over
  assert_int_equal(c.frames, 0);
  feed_all(d, f + 1, n - 1, &c);  // the previous closing flag opened this one
  assert_int_equal(c.frames, 1);
  assert_int_equal(c.errors, 0);
}

// Deterministic fuzz: random bytes (fixed seed, bounded count), with a bias towards flags
// and escapes, never crash the deframer, every frame it reports has a valid length, and a
// good frame always gets through afterwards.
void test_deframer_random_bytes(void**) {
  uint32_t x = 0x1234567u;
  auto next = [&x]() {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  Deframer d;
  for (int i = 0; i < 200000; ++i) {
    const uint32_t r = next();
    uint8_t b = static_cast<uint8_t>(r);
    if ((r >> 8) % 16 == 0)
      b = 0x7E;
    else if ((r >> 8) % 16 == 1)
      b = 0x7D;
    else if ((r >> 8) % 16 == 2)
      b = static_cast<uint8_t>((r >> 16) % 3);
    DeframeResult res = d.feed(b);
    if (res.event == DeframeEvent::kFrame) {
      assert_true(res.payload.size <= kMaxPayload);
      assert_true(res.rev == kRevMessage || res.rev == kRevFast);
    }
  }
  const uint8_t p[] = {0x10, 0x20};
  uint8_t f[16];
  const size_t n = make_frame(p, 2, f, sizeof f);
  Collected c;
  feed_all(d, f, n, &c);
  feed_all(d, f, n, &c);  // at most the first copy is eaten by leftover state
  assert_true(c.frames >= 1);
  assert_memory_equal(c.payload, p, 2);
}

// Every ProtocolError has a distinct, non-generic description.
void test_error_strings(void**) {
  for (int i = 1; i < 64; ++i) {
    const char* s = to_string(static_cast<ProtocolError>(i));
    assert_non_null(s);
  }
  assert_string_equal(to_string(ProtocolError::kFrameBadFcs), "frame FCS mismatch");
  assert_string_equal(to_string(static_cast<ProtocolError>(250)), "unknown protocol error");
  assert_int_equal(Status(ProtocolError::kFrameBadFcs).code(), 0x0501);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fcs16_known_answer),
      cmocka_unit_test(test_encode_layout),
      cmocka_unit_test(test_round_trip_with_stuffing),
      cmocka_unit_test(test_fcs_bytes_stuffed),
      cmocka_unit_test(test_encode_rejects),
      cmocka_unit_test(test_bad_fcs),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_oversize),
      cmocka_unit_test(test_unstuffed_flag),
      cmocka_unit_test(test_bad_escape),
      cmocka_unit_test(test_length_mismatch),
      cmocka_unit_test(test_unknown_rev),
      cmocka_unit_test(test_resync_after_garbage),
      cmocka_unit_test(test_shared_flag),
      cmocka_unit_test(test_decode_frame_whole_buffer),
      cmocka_unit_test(test_reset),
      cmocka_unit_test(test_deframer_random_bytes),
      cmocka_unit_test(test_error_strings),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
