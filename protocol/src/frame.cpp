#include "locus/protocol/frame.h"

#include <string.h>

namespace locus::protocol {
namespace {

// RFC 1662 §C.2 table for the reflected polynomial 0x8408 (x^16 + x^12 + x^5 + 1),
// built at compile time so that the firmware carries it in flash.
struct FcsTable {
  uint16_t v[256];
  constexpr FcsTable() : v() {
    for (unsigned i = 0; i < 256; ++i) {
      unsigned c = i;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1u) != 0 ? ((c >> 1) ^ 0x8408u) : (c >> 1);
      }
      v[i] = static_cast<uint16_t>(c);
    }
  }
};
constexpr FcsTable kFcsTable;

}  // namespace

uint16_t fcs16_update(uint16_t fcs, ByteSpan data) {
  for (size_t i = 0; i < data.size; ++i) {
    fcs = static_cast<uint16_t>((fcs >> 8) ^ kFcsTable.v[(fcs ^ data.data[i]) & 0xFFu]);
  }
  return fcs;
}

uint16_t fcs16(ByteSpan data) {
  return static_cast<uint16_t>(fcs16_update(kFcsInit, data) ^ 0xFFFFu);
}

Status stream_frame(uint8_t rev, ByteSpan payload, MutByteSpan scratch, FrameSink sink, void* ctx) {
  if (sink == nullptr || scratch.data == nullptr || scratch.size < 2) {
    return CoreError::kInvalidArgument;
  }
  if (rev != kRevMessage && rev != kRevFast) {
    return ProtocolError::kFrameUnknownRev;
  }
  if (payload.size > kMaxPayload) {
    return ProtocolError::kFrameOversize;
  }
  if (payload.data == nullptr && payload.size != 0) {
    return CoreError::kInvalidArgument;
  }

  const uint8_t header[kFrameHeaderSize] = {rev, static_cast<uint8_t>(payload.size >> 8),
                                            static_cast<uint8_t>(payload.size & 0xFFu)};
  uint16_t fcs = fcs16_update(kFcsInit, ByteSpan(header, sizeof header));
  fcs = static_cast<uint16_t>(fcs16_update(fcs, payload) ^ 0xFFFFu);
  const uint8_t trailer[kFcsSize] = {static_cast<uint8_t>(fcs & 0xFFu),
                                     static_cast<uint8_t>(fcs >> 8)};

  size_t n = 0;
  scratch.data[n++] = kFlag;
  const ByteSpan parts[3] = {ByteSpan(header, sizeof header), payload,
                             ByteSpan(trailer, sizeof trailer)};
  for (const ByteSpan& part : parts) {
    for (size_t i = 0; i < part.size; ++i) {
      if (scratch.size - n < 2) {  // room for an escaped byte
        LOCUS_TRY(sink(ctx, ByteSpan(scratch.data, n)));
        n = 0;
      }
      const uint8_t b = part.data[i];
      if (b == kFlag || b == kEscape) {
        scratch.data[n++] = kEscape;
        scratch.data[n++] = static_cast<uint8_t>(b ^ kEscapeXor);
      } else {
        scratch.data[n++] = b;
      }
    }
  }
  if (scratch.size - n < 1) {
    LOCUS_TRY(sink(ctx, ByteSpan(scratch.data, n)));
    n = 0;
  }
  scratch.data[n++] = kFlag;
  return sink(ctx, ByteSpan(scratch.data, n));
}

namespace {
struct Appender {
  MutByteSpan out;
  size_t pos = 0;
};
Status append_piece(void* ctx, ByteSpan piece) {
  Appender* a = static_cast<Appender*>(ctx);
  if (a->out.size - a->pos < piece.size) {
    return ProtocolError::kOutputTooSmall;
  }
  memcpy(a->out.data + a->pos, piece.data, piece.size);
  a->pos += piece.size;
  return Status::Ok();
}
}  // namespace

Status encode_frame(uint8_t rev, ByteSpan payload, MutByteSpan out, size_t* out_len) {
  if (out_len == nullptr || (out.data == nullptr && out.size != 0)) {
    return CoreError::kInvalidArgument;
  }
  *out_len = 0;
  uint8_t scratch[64];
  Appender a{out, 0};
  LOCUS_TRY(stream_frame(rev, payload, MutByteSpan(scratch, sizeof scratch), append_piece, &a));
  *out_len = a.pos;
  return Status::Ok();
}

void Deframer::reset() {
  state_ = State::kHunt;
  have_ = 0;
  expected_ = 0;
}

DeframeResult Deframer::drop(ProtocolError e, bool at_flag) {
  // A flag that ended a bad frame opens the next one; any other byte means we hunt.
  state_ = at_flag ? State::kBody : State::kHunt;
  have_ = 0;
  expected_ = 0;
  DeframeResult r;
  r.event = DeframeEvent::kError;
  r.error = e;
  return r;
}

DeframeResult Deframer::accept(uint8_t b) {
  buf_[have_++] = b;
  if (have_ == 1 && b != kRevMessage && b != kRevFast) {
    return drop(ProtocolError::kFrameUnknownRev, false);
  }
  if (have_ == kFrameHeaderSize) {
    const size_t len = (static_cast<size_t>(buf_[1]) << 8) | buf_[2];
    if (len > kMaxPayload) {
      return drop(ProtocolError::kFrameOversize, false);
    }
    expected_ = kFrameHeaderSize + len + kFcsSize;
  }
  return DeframeResult();
}

DeframeResult Deframer::feed(uint8_t byte) {
  switch (state_) {
    case State::kHunt:
      if (byte == kFlag) {
        state_ = State::kBody;
        have_ = 0;
        expected_ = 0;
      }
      return DeframeResult();

    case State::kEscaped:
      if (byte == kFlag) {
        return drop(ProtocolError::kFrameBadEscape, true);
      }
      if (byte != (kFlag ^ kEscapeXor) && byte != (kEscape ^ kEscapeXor)) {
        return drop(ProtocolError::kFrameBadEscape, false);
      }
      state_ = State::kBody;
      if (expected_ != 0 && have_ == expected_) {
        return drop(ProtocolError::kFrameLengthMismatch, false);
      }
      return accept(static_cast<uint8_t>(byte ^ kEscapeXor));

    case State::kBody: {
      const bool complete = expected_ != 0 && have_ == expected_;
      if (byte == kFlag) {
        if (have_ == 0) {
          return DeframeResult();  // idle fill / shared flag
        }
        if (have_ < kFrameHeaderSize) {
          return drop(ProtocolError::kFrameTruncated, true);
        }
        if (!complete) {
          return drop(ProtocolError::kFrameUnstuffedFlag, true);
        }
        const size_t body = have_ - kFcsSize;
        const uint16_t want = static_cast<uint16_t>(buf_[body] | (buf_[body + 1] << 8));
        const uint16_t got = fcs16(ByteSpan(buf_, body));
        if (want != got) {
          return drop(ProtocolError::kFrameBadFcs, true);
        }
        DeframeResult r;
        r.event = DeframeEvent::kFrame;
        r.rev = buf_[0];
        r.payload = ByteSpan(buf_ + kFrameHeaderSize, body - kFrameHeaderSize);
        have_ = 0;
        expected_ = 0;
        return r;  // state stays kBody: this flag may open the next frame
      }
      if (complete) {
        return drop(ProtocolError::kFrameLengthMismatch, false);
      }
      if (byte == kEscape) {
        state_ = State::kEscaped;
        return DeframeResult();
      }
      return accept(byte);
    }
    default: return drop(ProtocolError::kFrameTruncated, false);
  }
}

Status decode_frame(ByteSpan in, uint8_t* rev, MutByteSpan payload_out, size_t* payload_len) {
  if (rev == nullptr || payload_len == nullptr || (in.data == nullptr && in.size != 0)) {
    return CoreError::kInvalidArgument;
  }
  *payload_len = 0;
  if (in.size == 0 || in.data[0] != kFlag) {
    return ProtocolError::kFrameNoFlag;
  }
  Deframer d;
  for (size_t i = 0; i < in.size; ++i) {
    const DeframeResult r = d.feed(in.data[i]);
    if (r.event == DeframeEvent::kError) {
      return r.error;
    }
    if (r.event == DeframeEvent::kFrame) {
      if (i + 1 != in.size) {
        return ProtocolError::kFrameTrailingBytes;
      }
      if (r.payload.size > payload_out.size) {
        return ProtocolError::kOutputTooSmall;
      }
      if (r.payload.size != 0) {
        memcpy(payload_out.data, r.payload.data, r.payload.size);
      }
      *rev = r.rev;
      *payload_len = r.payload.size;
      return Status::Ok();
    }
  }
  return ProtocolError::kFrameTruncated;
}

}  // namespace locus::protocol
