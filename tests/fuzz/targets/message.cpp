// Fuzz target message: a rev-1 frame payload as the board and the agent decode it: the CBOR
// envelope [type, request_id, body] (decode_envelope) and then the body decoder of that type
// (every request and response body of docs/protocol.md). Invariants: decode_envelope accepts
// only known types; an accepted body re-encodes with encode_message to exactly the input;
// a refused body leaves the body struct untouched.
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
#include "roundtrip.h"

using namespace locus;
using namespace locus::protocol;

namespace {

uint8_t g_out[kMaxPayload + 64];

template <typename Body>
void body_round_trip(const Envelope& env, const uint8_t* data, size_t size) {
  static_assert(std::is_trivially_copyable<Body>::value, "plain body struct");
  alignas(Body) static uint8_t storage[sizeof(Body)];
  memset(storage, locus_fuzz::kFill, sizeof storage);
  Body* b = reinterpret_cast<Body*>(storage);
  if (!decode_body(env.body, b).ok()) {
    LOCUS_FUZZ_CHECK(locus_fuzz::all_fill(storage, sizeof storage));
    return;
  }
  LOCUS_FUZZ_ACCEPTED();
  size_t n = 0;
  LOCUS_FUZZ_CHECK(encode_message(env.request_id, *b, MutByteSpan(g_out, sizeof g_out), &n).ok());
  LOCUS_FUZZ_CHECK(locus_fuzz::same_bytes(g_out, n, data, size));
}

}  // namespace

extern "C" int locus_fuzz_message(const uint8_t* data, size_t size) {
  Envelope env;
  if (!decode_envelope(ByteSpan(data, size), &env).ok()) return 0;
  LOCUS_FUZZ_CHECK(is_known_type(env.type));
  switch (env.type) {
#define LOCUS_BODY(T) \
  case T::kType: body_round_trip<T>(env, data, size); break;
    LOCUS_BODY(GetIdentityRequest)
    LOCUS_BODY(IdentityResponse)
    LOCUS_BODY(InstallDevidCertRequest)
    LOCUS_BODY(InstallDevidCertResponse)
    LOCUS_BODY(InstallVerifierKeyRequest)
    LOCUS_BODY(InstallVerifierKeyResponse)
    LOCUS_BODY(RotateVerifierKeyRequest)
    LOCUS_BODY(RotateVerifierKeyResponse)
    LOCUS_BODY(GetEvidenceRequest)
    LOCUS_BODY(EvidenceResponse)
    LOCUS_BODY(ApplyLicenseRequest)
    LOCUS_BODY(ApplyLicenseResponse)
    LOCUS_BODY(GetStatusRequest)
    LOCUS_BODY(StatusResponse)
    LOCUS_BODY(LmSetupRequest)
    LOCUS_BODY(LmSetupResponse)
    LOCUS_BODY(LmRoundRequest)
    LOCUS_BODY(LmRoundResponse)
    LOCUS_BODY(LmCloseRequest)
    LOCUS_BODY(LmCloseResponse)
    LOCUS_BODY(ErrorResponse)
#undef LOCUS_BODY
    default: LOCUS_FUZZ_CHECK(false);  // decode_envelope accepted a type no body exists for
  }
  return 0;
}
