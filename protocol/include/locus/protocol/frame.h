// locus/protocol/frame.h: the board <-> agent serial framing (DMTF DSP0253 style).
//
//   0x7E | rev(1) | len(2, big-endian) | payload(len) | FCS-16(2, low byte first) | 0x7E
//
// Everything between the flags is byte-stuffed (0x7E -> 0x7D 0x5E, 0x7D -> 0x7D 0x5D).
// FCS-16 is RFC 1662's (CRC-16/X.25) over rev|len|payload. rev 0x01 carries one CBOR
// message, rev 0x02 a timed-round fast frame (messages.h). A flag may both close one frame
// and open the next; empty frames (two flags in a row) are idle fill and ignored.
// Malformed frames give a specific ProtocolError; the Deframer then resynchronises at the
// next flag. No heap: the Deframer holds one unstuffed frame (about 3 KB).
#pragma once

#include "locus/protocol/errors.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::protocol {

constexpr uint8_t kFlag = 0x7E;
constexpr uint8_t kEscape = 0x7D;
constexpr uint8_t kEscapeXor = 0x20;
constexpr uint8_t kRevMessage = 0x01;  // payload: one CBOR message
constexpr uint8_t kRevFast = 0x02;     // payload: a timed-round fast frame
constexpr size_t kMaxPayload = 3072;
constexpr size_t kFrameHeaderSize = 3;  // rev | len
constexpr size_t kFcsSize = 2;

// Largest encoded frame for a payload of n bytes (every byte stuffed, two flags).
constexpr size_t max_frame_size(size_t payload_len) {
  return 2 + 2 * (kFrameHeaderSize + payload_len + kFcsSize);
}
constexpr size_t kMaxFrameSize = max_frame_size(kMaxPayload);

// RFC 1662 FCS-16, table-driven. Pass the previous return value as `fcs` to continue over
// several pieces; start with kFcsInit; the transmitted value is ~fcs (fcs16() already
// applies the final xor, fcs16_update() does not).
constexpr uint16_t kFcsInit = 0xFFFF;
uint16_t fcs16_update(uint16_t fcs, ByteSpan data);
uint16_t fcs16(ByteSpan data);  // init 0xFFFF, final xor 0xFFFF (CRC-16/X.25)

// Encodes one frame into out. Fails with kFrameOversize if payload > kMaxPayload,
// kFrameUnknownRev for a rev other than 0x01/0x02, kOutputTooSmall if out is too small
// (max_frame_size(payload.size) always suffices).
Status encode_frame(uint8_t rev, ByteSpan payload, MutByteSpan out, size_t* out_len);

// The same encoder, streaming: the stuffed frame is handed to sink in pieces of at most
// scratch.size bytes (scratch.size >= 2), so that a board can send a 3 KB response through a
// 64-byte buffer. encode_frame is this with a sink that appends to its output. Stops at the
// first error the sink returns.
using FrameSink = Status (*)(void* ctx, ByteSpan piece);
Status stream_frame(uint8_t rev, ByteSpan payload, MutByteSpan scratch, FrameSink sink, void* ctx);

enum class DeframeEvent : uint8_t {
  kNeedMore = 0,  // byte consumed, no frame finished
  kFrame = 1,     // a frame finished: rev and payload are set
  kError = 2,     // a malformed frame was dropped: error is set; already resynchronising
};

struct DeframeResult {
  DeframeEvent event = DeframeEvent::kNeedMore;
  uint8_t rev = 0;
  ByteSpan payload;  // valid until the next feed()/reset()
  Status error = Status::Ok();
};

// Streaming deframer, fed one byte at a time. Bytes before the first flag are discarded.
class Deframer {
 public:
  Deframer() = default;
  Deframer(const Deframer&) = delete;
  Deframer& operator=(const Deframer&) = delete;

  DeframeResult feed(uint8_t byte);
  // Drops any partial frame and waits for a flag.
  void reset();

 private:
  enum class State : uint8_t { kHunt, kOpen, kBody, kEscaped };
  DeframeResult drop(ProtocolError e, bool at_flag);
  DeframeResult accept(uint8_t b);
  State state_ = State::kHunt;
  size_t have_ = 0;      // unstuffed bytes stored in buf_
  size_t expected_ = 0;  // total unstuffed bytes (header + payload + FCS) once len is known
  uint8_t buf_[kFrameHeaderSize + kMaxPayload + kFcsSize] = {};
};

// Decodes a buffer holding exactly one frame (flag .. flag) and copies its payload into
// payload_out. Convenience for hosts and tests; it keeps a Deframer on the stack (~3 KB).
Status decode_frame(ByteSpan in, uint8_t* rev, MutByteSpan payload_out, size_t* payload_len);

}  // namespace locus::protocol
