// Link and dispatch: frames in and out, the timed fast round, request routing.
#include <string.h>

#include "core_internal.h"
#include "locus/crypto/cbor.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"
#include "locus/firmware/core.h"
#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"

namespace locus::firmware {

using namespace detail;  // NOLINT: the shared helpers of the core

namespace {
Status link_sink(void*, ByteSpan piece) {
  return board::link_write(piece.data, piece.size);
}
}  // namespace

void Core::send_frame(uint8_t rev, ByteSpan payload) {
  // Streamed by the protocol's frame encoder through the small tx_ buffer: the firmware never
  // holds a stuffed copy of a 3 KB response (that would be another 6 KB). A dead link is
  // noticed by link_read.
  protocol::stream_frame(rev, payload, MutByteSpan(tx_, sizeof(tx_)), link_sink, nullptr)
      .IgnoreError();
}

void Core::on_link_bytes(const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    const protocol::DeframeResult r = deframer_.feed(data[i]);
    if (r.event == protocol::DeframeEvent::kFrame) {
      uint8_t rev = protocol::kRevMessage;
      size_t n = 0;
      handle(r.rev, r.payload, &rev, MutByteSpan(resp_, sizeof(resp_)), &n);
      send_frame(rev, ByteSpan(resp_, n));
      poll();
    } else if (r.event == protocol::DeframeEvent::kError) {
      size_t n = 0;
      if (protocol::encode_error(0, r.error, MutByteSpan(resp_, sizeof(resp_)), &n).ok()) {
        send_frame(protocol::kRevMessage, ByteSpan(resp_, n));
      }
    }
  }
}

Status Core::run_once(uint32_t timeout_ms) {
  poll();
  Result<size_t> r = board::link_read(rx_, sizeof(rx_), timeout_ms);
  if (r.ok()) {
    on_link_bytes(rx_, r.value() < sizeof(rx_) ? r.value() : sizeof(rx_));
  }
  poll();
  return r.status();
}

void Core::fast_round(ByteSpan p, uint8_t* out_rev, MutByteSpan out, size_t* out_len) {
  // The timed path: bounds checks, 24 table lookups with 72 word XORs, two 12-byte copies
  // into the transcript and one into the response. No CBOR, no hashing, no logging.
  const size_t i = session_.next_round;
  if (p.size == protocol::kFastRoundSize && session_.open && p.data[0] == i &&
      i < session_.table.rounds && out.size >= protocol::kFastRoundSize) {
    protocol::TranscriptRound& r = session_.transcript.rounds[i];
    r.round = p.data[0];
    memcpy(r.challenge.data(), p.data + 1, db::kChallengeSize);
    db::answer(session_.table, i, r.challenge.data(), r.answer.data());
    out.data[0] = p.data[0];
    memcpy(out.data + 1, r.answer.data(), db::kAnswerSize);
    session_.next_round = i + 1;
    *out_rev = protocol::kRevFast;
    *out_len = protocol::kFastRoundSize;
    return;
  }
  Status st;
  if (p.size != 1 + db::kChallengeSize) {
    st = ProtocolError::kBadFastRound;
  } else if (!session_.open) {
    st = FirmwareError::kNoSession;
  } else {
    st = FirmwareError::kRoundOutOfOrder;
    close_session();  // a repeated or skipped round ends the session
  }
  if (p.size != 1 + db::kChallengeSize && session_.open) {
    close_session();
  }
  *out_rev = protocol::kRevMessage;
  if (!protocol::encode_error(0, st, out, out_len).ok()) {
    *out_len = 0;
  }
}

void Core::handle(uint8_t rev, ByteSpan payload, uint8_t* out_rev, MutByteSpan out,
                  size_t* out_len) {
  // Kept frameless so that the timed round pays for one branch and a tail call only.
  if (rev == protocol::kRevFast) {
    fast_round(payload, out_rev, out, out_len);
  } else {
    handle_message(rev, payload, out_rev, out, out_len);
  }
}

void Core::handle_message(uint8_t rev, ByteSpan payload, uint8_t* out_rev, MutByteSpan out,
                          size_t* out_len) {
  *out_rev = protocol::kRevMessage;
  *out_len = 0;
  poll();
  uint32_t req_id = 0;
  Status st;
  protocol::Envelope env;
  if (rev != protocol::kRevMessage) {
    st = ProtocolError::kFrameUnknownRev;
  } else if (Status e = protocol::decode_envelope(payload, &env);
             !e.ok() && e != Status(ProtocolError::kUnknownMessageType)) {
    // Not a well-formed [type, request_id, body]: kBadRequestId keeps its code, any other
    // envelope or CBOR failure is kBadEnvelope (request id 0 unless it was read).
    st = e == Status(ProtocolError::kBadRequestId) ? e : Status(ProtocolError::kBadEnvelope);
    req_id = env.request_id;
  } else {
    req_id = env.request_id;
    if (!boot_status_.ok()) {
      st = boot_status_.module() == Module::kCore ? Status(FirmwareError::kNotReady) : boot_status_;
    } else if (!e.ok() || !protocol::is_request_type(env.type)) {
      st = ProtocolError::kUnknownMessageType;  // unknown, or a response/error type
    } else {
      st = dispatch(env.type, env.body, out, out_len, req_id);
    }
  }
  if (!st.ok() && !protocol::encode_error(req_id, st, out, out_len).ok()) {
    *out_len = 0;
  }
  poll();
}

Status Core::dispatch(uint8_t type, ByteSpan body, MutByteSpan out, size_t* n, uint32_t id) {
  switch (type) {
    case protocol::kMsgGetIdentity: {
      protocol::GetIdentityRequest q;
      LOCUS_TRY(
          decode_request(body, &q, ProtocolError::kBodyWrongType, FirmwareError::kBadMessage));
      return do_identity(out, n, id);
    }
    case protocol::kMsgInstallDevidCert: return do_install_cert(body, out, n, id);
    case protocol::kMsgInstallVerifierKey: return do_install_key(body, out, n, id);
    case protocol::kMsgRotateVerifierKey: return do_rotate(body, out, n, id);
    case protocol::kMsgGetEvidence: return do_evidence(body, out, n, id);
    case protocol::kMsgApplyLicense: return do_license(body, out, n, id);
    case protocol::kMsgGetStatus: {
      protocol::GetStatusRequest q;
      LOCUS_TRY(
          decode_request(body, &q, ProtocolError::kBodyWrongType, FirmwareError::kBadMessage));
      protocol::StatusResponse r;
      status_info(&r.status);
      return respond(id, r, out, n);
    }
    case protocol::kMsgLmSetup: return do_lm_setup(body, out, n, id);
    case protocol::kMsgLmRound: return do_lm_round(body, out, n, id);
    case protocol::kMsgLmClose: return do_lm_close(body, out, n, id);
    default: return ProtocolError::kUnknownMessageType;
  }
}

}  // namespace locus::firmware
