// Fuzz target: the board <-> host protocol decoders on arbitrary bytes.
// The first byte picks the decoder, the rest is its input:
//   0 streaming Deframer   1 decode_frame   2 message (envelope + body)   3 EAT claims
//   4 license   5 verifier-key rotation   6 dbound transcript   7 landmark record
//   8 fast timed-round payload
// Invariants: no crash; every frame the Deframer reports has rev 1/2 and len <= 3072; and
// decoding is exact: whatever a decoder accepts re-encodes to the very same bytes (the
// encoders are deterministic and the decoders accept only deterministic encodings).
#include <string.h>

#include "locus/protocol/claims.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"

#include "fuzz_targets.h"

extern "C" int locus_fuzz_protocol(const uint8_t* data, size_t size);

namespace {

using namespace locus;
using namespace locus::protocol;

uint8_t g_out[kMaxFrameSize + 64];
DboundTranscript g_transcript;

bool same(const uint8_t* a, size_t an, const uint8_t* b, size_t bn) {
  return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

template <typename Body>
void message_round_trip(const Envelope& env, ByteSpan in) {
  Body b;
  if (!decode_body(env.body, &b).ok()) return;
  size_t n = 0;
  LOCUS_FUZZ_CHECK(encode_message(env.request_id, b, MutByteSpan(g_out, sizeof g_out), &n).ok());
  LOCUS_FUZZ_CHECK(same(g_out, n, in.data, in.size));
}

void fuzz_message(ByteSpan in) {
  Envelope env;
  if (!decode_envelope(in, &env).ok()) return;
  switch (env.type) {
    case GetIdentityRequest::kType: message_round_trip<GetIdentityRequest>(env, in); break;
    case IdentityResponse::kType: message_round_trip<IdentityResponse>(env, in); break;
    case InstallDevidCertRequest::kType: message_round_trip<InstallDevidCertRequest>(env, in); break;
    case InstallDevidCertResponse::kType: message_round_trip<InstallDevidCertResponse>(env, in); break;
    case InstallVerifierKeyRequest::kType: message_round_trip<InstallVerifierKeyRequest>(env, in); break;
    case InstallVerifierKeyResponse::kType: message_round_trip<InstallVerifierKeyResponse>(env, in); break;
    case RotateVerifierKeyRequest::kType: message_round_trip<RotateVerifierKeyRequest>(env, in); break;
    case RotateVerifierKeyResponse::kType: message_round_trip<RotateVerifierKeyResponse>(env, in); break;
    case GetEvidenceRequest::kType: message_round_trip<GetEvidenceRequest>(env, in); break;
    case EvidenceResponse::kType: message_round_trip<EvidenceResponse>(env, in); break;
    case ApplyLicenseRequest::kType: message_round_trip<ApplyLicenseRequest>(env, in); break;
    case ApplyLicenseResponse::kType: message_round_trip<ApplyLicenseResponse>(env, in); break;
    case GetStatusRequest::kType: message_round_trip<GetStatusRequest>(env, in); break;
    case StatusResponse::kType: message_round_trip<StatusResponse>(env, in); break;
    case LmSetupRequest::kType: message_round_trip<LmSetupRequest>(env, in); break;
    case LmSetupResponse::kType: message_round_trip<LmSetupResponse>(env, in); break;
    case LmRoundRequest::kType: message_round_trip<LmRoundRequest>(env, in); break;
    case LmRoundResponse::kType: message_round_trip<LmRoundResponse>(env, in); break;
    case LmCloseRequest::kType: message_round_trip<LmCloseRequest>(env, in); break;
    case LmCloseResponse::kType: message_round_trip<LmCloseResponse>(env, in); break;
    case ErrorResponse::kType: message_round_trip<ErrorResponse>(env, in); break;
    default: LOCUS_FUZZ_CHECK(false);  // decode_envelope accepted an unknown type
  }
}

template <typename T, Status (*Dec)(ByteSpan, T*), Status (*Enc)(const T&, MutByteSpan, size_t*)>
void payload_round_trip(ByteSpan in, T* v) {
  if (!Dec(in, v).ok()) return;
  size_t n = 0;
  LOCUS_FUZZ_CHECK(Enc(*v, MutByteSpan(g_out, sizeof g_out), &n).ok());
  LOCUS_FUZZ_CHECK(same(g_out, n, in.data, in.size));
}

void fuzz_deframer(ByteSpan in) {
  Deframer d;
  for (size_t i = 0; i < in.size; ++i) {
    const DeframeResult r = d.feed(in.data[i]);
    if (r.event == DeframeEvent::kFrame) {
      LOCUS_FUZZ_CHECK(r.rev == kRevMessage || r.rev == kRevFast);
      LOCUS_FUZZ_CHECK(r.payload.size <= kMaxPayload);
    } else if (r.event == DeframeEvent::kError) {
      LOCUS_FUZZ_CHECK(r.error.module() == Module::kProtocol);
    }
  }
}

void fuzz_decode_frame(ByteSpan in) {
  static uint8_t payload[kMaxPayload];
  uint8_t rev = 0;
  size_t n = 0;
  if (!decode_frame(in, &rev, MutByteSpan(payload, sizeof payload), &n).ok()) return;
  // Leading idle flags are accepted; the rest must be exactly the canonical frame.
  size_t skip = 0;
  while (skip + 1 < in.size && in.data[skip + 1] == kFlag) ++skip;
  size_t m = 0;
  LOCUS_FUZZ_CHECK(encode_frame(rev, ByteSpan(payload, n), MutByteSpan(g_out, sizeof g_out), &m).ok());
  LOCUS_FUZZ_CHECK(same(g_out, m, in.data + skip, in.size - skip));
}

}  // namespace

extern "C" int locus_fuzz_protocol(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  switch (data[0] % 9) {
    case 0: fuzz_deframer(in); break;
    case 1: fuzz_decode_frame(in); break;
    case 2: fuzz_message(in); break;
    case 3: { EatClaims v; payload_round_trip<EatClaims, decode_claims, encode_claims>(in, &v); break; }
    case 4: { License v; payload_round_trip<License, decode_license, encode_license>(in, &v); break; }
    case 5: {
      VerifierKeyRotation v;
      payload_round_trip<VerifierKeyRotation, decode_rotation, encode_rotation>(in, &v);
      break;
    }
    case 6: payload_round_trip<DboundTranscript, decode_transcript, encode_transcript>(in, &g_transcript); break;
    case 7: {
      LandmarkRecord v;
      payload_round_trip<LandmarkRecord, decode_landmark_record, encode_landmark_record>(in, &v);
      break;
    }
    default: {
      FastRound r;
      if (decode_fast_round(in, &r).ok()) {
        size_t n = 0;
        LOCUS_FUZZ_CHECK(encode_fast_round(r, MutByteSpan(g_out, sizeof g_out), &n).ok());
        LOCUS_FUZZ_CHECK(same(g_out, n, in.data, in.size));
      }
      break;
    }
  }
  return 0;
}
