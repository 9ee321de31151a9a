#include "locus/protocol/messages.h"

#include "codec_util.h"
#include "locus/protocol/frame.h"

namespace locus::protocol {

using cbor::Decoder;
using cbor::Encoder;
using cbor::MajorType;
using detail::expect_type;
using detail::walk_map;

bool is_known_type(uint8_t type) {
  if (type == kMsgError) {
    return true;
  }
  return is_request_type(static_cast<uint8_t>(type & ~kResponseBit));
}

Status finish_encoding(const Encoder& e, size_t* out_len) {
  return detail::finish(e, out_len);
}

// ---- envelope -------------------------------------------------------------------------

Status decode_envelope(ByteSpan msg, Envelope* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  *out = Envelope();
  LOCUS_TRY(cbor::validate(msg, detail::limits()));
  Decoder d(msg);
  LOCUS_TRY(expect_type(d, MajorType::kArray, ProtocolError::kBadEnvelope));
  uint64_t n = 0;
  LOCUS_TRY(d.read_array(&n));
  if (n != 3) {
    return ProtocolError::kBadEnvelope;
  }
  LOCUS_TRY(expect_type(d, MajorType::kUnsigned, ProtocolError::kBadEnvelope));
  uint64_t type = 0;
  LOCUS_TRY(d.read_uint(&type));
  LOCUS_TRY(expect_type(d, MajorType::kUnsigned, ProtocolError::kBadRequestId));
  uint64_t rid = 0;
  LOCUS_TRY(d.read_uint(&rid));
  if (rid > 0xFFFFFFFFu) {
    return ProtocolError::kBadRequestId;
  }
  out->request_id = static_cast<uint32_t>(rid);
  ByteSpan body;
  LOCUS_TRY(d.skip(&body));
  if (type > 0xFF || !is_known_type(static_cast<uint8_t>(type))) {
    out->type = type > 0xFF ? 0 : static_cast<uint8_t>(type);
    return ProtocolError::kUnknownMessageType;
  }
  out->type = static_cast<uint8_t>(type);
  out->body = body;
  return Status::Ok();
}

Status encode_envelope(uint8_t type, uint32_t request_id, ByteSpan body_item, MutByteSpan out,
                       size_t* out_len) {
  if (out_len == nullptr) {
    return CoreError::kInvalidArgument;
  }
  *out_len = 0;
  if (!is_known_type(type)) {
    return ProtocolError::kUnknownMessageType;
  }
  LOCUS_TRY(cbor::validate(body_item, detail::limits()));
  Encoder e(out);
  e.array(3).uint(type).uint(request_id).raw(body_item);
  return detail::finish(e, out_len);
}

Status encode_error(uint32_t request_id, Status code, MutByteSpan out, size_t* out_len) {
  ErrorResponse r;
  r.code = code.code();
  return encode_message(request_id, r, out, out_len);
}

// ---- body helpers ---------------------------------------------------------------------

namespace {

Status encode_null(Encoder& e) {
  e.null();
  return e.status();
}

Status decode_null(ByteSpan body) {
  LOCUS_TRY(cbor::validate(body, detail::limits()));
  Decoder d(body);
  LOCUS_TRY(expect_type(d, MajorType::kSimple, ProtocolError::kBodyWrongType));
  if (!d.read_null().ok()) {
    return ProtocolError::kBodyWrongType;  // true/false
  }
  return Status::Ok();
}

// A body that is one bstr of min..max bytes.
Status encode_bstr_body(Encoder& e, ByteSpan b, size_t min, size_t max) {
  if (b.size < min || b.size > max || (b.data == nullptr && b.size != 0)) {
    return ProtocolError::kFieldWrongSize;
  }
  e.bytes(b);
  return e.status();
}

Status decode_bstr_body(ByteSpan body, size_t min, size_t max, ByteSpan* out) {
  LOCUS_TRY(cbor::validate(body, detail::limits()));
  Decoder d(body);
  LOCUS_TRY(expect_type(d, MajorType::kBytes, ProtocolError::kBodyWrongType));
  ByteSpan b;
  LOCUS_TRY(d.read_bytes(&b));
  if (b.size < min || b.size > max) {
    return ProtocolError::kFieldWrongSize;
  }
  *out = b;
  return Status::Ok();
}

bool text_ok(ByteSpan t) {
  return t.size >= 1 && t.size <= kMaxTextSize && t.data != nullptr;
}
bool der_ok(ByteSpan t) {
  return t.size >= 1 && t.size <= kMaxDerSize && t.data != nullptr;
}

Status encode_status_info(Encoder& e, const StatusInfo& s) {
  if (s.mode != kModeRestricted && s.mode != kModeFull) {
    return ProtocolError::kFieldOutOfRange;
  }
  if (s.storage < kStorageOk || s.storage > kStorageFault) {
    return ProtocolError::kFieldOutOfRange;
  }
  e.map(9);
  e.uint(1).uint(s.mode);
  e.uint(2).uint(s.lease_remaining_ms);
  e.uint(3).uint(s.license_counter);
  e.uint(4).uint(s.boot_count);
  e.uint(5).uint(s.svn);
  e.uint(6).uint(s.min_svn);
  e.uint(7).boolean(s.has_devid_cert);
  e.uint(8).boolean(s.has_verifier_key);
  e.uint(9).uint(s.storage);
  return e.status();
}

Status decode_status_info(ByteSpan body, StatusInfo* out) {
  StatusInfo s;
  auto on_field = [&s](int64_t key, Decoder& d, unsigned* idx) -> Status {
    switch (key) {
      case 1: LOCUS_TRY(detail::read_uint_as(d, kModeRestricted, kModeFull, &s.mode)); break;
      case 2: LOCUS_TRY(detail::read_uint_range(d, 0, UINT64_MAX, &s.lease_remaining_ms)); break;
      case 3: LOCUS_TRY(detail::read_uint_range(d, 0, UINT64_MAX, &s.license_counter)); break;
      case 4: LOCUS_TRY(detail::read_uint_as(d, 0, UINT32_MAX, &s.boot_count)); break;
      case 5: LOCUS_TRY(detail::read_uint_as(d, 0, UINT32_MAX, &s.svn)); break;
      case 6: LOCUS_TRY(detail::read_uint_as(d, 0, UINT32_MAX, &s.min_svn)); break;
      case 7: LOCUS_TRY(detail::read_bool_field(d, &s.has_devid_cert)); break;
      case 8: LOCUS_TRY(detail::read_bool_field(d, &s.has_verifier_key)); break;
      case 9: LOCUS_TRY(detail::read_uint_as(d, kStorageOk, kStorageFault, &s.storage)); break;
      default: return ProtocolError::kUnknownField;
    }
    *idx = static_cast<unsigned>(key - 1);
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(body, 9, on_field));
  *out = s;
  return Status::Ok();
}

}  // namespace

// ---- GET_IDENTITY ---------------------------------------------------------------------

Status encode_body(Encoder& e, const GetIdentityRequest&) {
  return encode_null(e);
}
Status decode_body(ByteSpan body, GetIdentityRequest*) {
  return decode_null(body);
}

Status encode_body(Encoder& e, const IdentityResponse& v) {
  if (!detail::ueid_ok(v.ueid.data())) {
    return ProtocolError::kBadUeid;
  }
  if (!detail::pub_ok(v.devid_pub.data())) {
    return ProtocolError::kBadPublicKey;
  }
  if (!der_ok(v.csr) || !der_ok(v.alias_cert) || !text_ok(v.hwmodel)) {
    return ProtocolError::kFieldWrongSize;
  }
  if (!v.devid_cert.empty() && !der_ok(v.devid_cert)) {
    return ProtocolError::kFieldWrongSize;
  }
  e.map(8);
  e.uint(1).bytes(ByteSpan(v.ueid.data(), v.ueid.size()));
  e.uint(2).bytes(ByteSpan(v.devid_pub.data(), v.devid_pub.size()));
  e.uint(3).bytes(v.csr);
  e.uint(4);
  if (v.devid_cert.empty()) {
    e.null();
  } else {
    e.bytes(v.devid_cert);
  }
  e.uint(5).bytes(v.alias_cert);
  e.uint(6).text(v.hwmodel);
  e.uint(7).uint(v.svn);
  e.uint(8).bytes(ByteSpan(v.fwid.data(), v.fwid.size()));
  return e.status();
}

Status decode_body(ByteSpan body, IdentityResponse* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  IdentityResponse r;
  auto on_field = [&r](int64_t key, Decoder& d, unsigned* idx) -> Status {
    switch (key) {
      case 1: LOCUS_TRY(detail::read_ueid(d, r.ueid.data())); break;
      case 2: LOCUS_TRY(detail::read_pub(d, r.devid_pub.data())); break;
      case 3: LOCUS_TRY(detail::read_bstr_range(d, 1, kMaxDerSize, &r.csr)); break;
      case 4: {
        Result<MajorType> t = d.peek();
        LOCUS_TRY(t.status());
        if (*t == MajorType::kSimple) {
          if (!d.read_null().ok()) {
            return ProtocolError::kFieldWrongType;
          }
          r.devid_cert = ByteSpan();
        } else {
          LOCUS_TRY(detail::read_bstr_range(d, 1, kMaxDerSize, &r.devid_cert));
        }
        break;
      }
      case 5: LOCUS_TRY(detail::read_bstr_range(d, 1, kMaxDerSize, &r.alias_cert)); break;
      case 6: LOCUS_TRY(detail::read_text_range(d, 1, kMaxTextSize, &r.hwmodel)); break;
      case 7: LOCUS_TRY(detail::read_uint_as(d, 0, UINT32_MAX, &r.svn)); break;
      case 8: LOCUS_TRY(detail::read_bstr_fixed(d, r.fwid.data(), kFwidSize)); break;
      default: return ProtocolError::kUnknownField;
    }
    *idx = static_cast<unsigned>(key - 1);
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(body, 8, on_field));
  *out = r;
  return Status::Ok();
}

// ---- INSTALL_DEVID_CERT / INSTALL_VERIFIER_KEY / ROTATE_VERIFIER_KEY -----------------

Status encode_body(Encoder& e, const InstallDevidCertRequest& v) {
  return encode_bstr_body(e, v.cert, 1, kMaxDerSize);
}
Status decode_body(ByteSpan body, InstallDevidCertRequest* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  return decode_bstr_body(body, 1, kMaxDerSize, &out->cert);
}
Status encode_body(Encoder& e, const InstallDevidCertResponse&) {
  return encode_null(e);
}
Status decode_body(ByteSpan body, InstallDevidCertResponse*) {
  return decode_null(body);
}

Status encode_body(Encoder& e, const InstallVerifierKeyRequest& v) {
  if (!detail::pub_ok(v.key.data())) {
    return ProtocolError::kBadPublicKey;
  }
  e.bytes(ByteSpan(v.key.data(), v.key.size()));
  return e.status();
}
Status decode_body(ByteSpan body, InstallVerifierKeyRequest* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  ByteSpan b;
  LOCUS_TRY(decode_bstr_body(body, 0, kMaxPayload, &b));
  if (b.size != kP256PubSize || !detail::pub_ok(b.data)) {
    return ProtocolError::kBadPublicKey;
  }
  for (size_t i = 0; i < kP256PubSize; ++i) {
    out->key[i] = b.data[i];
  }
  return Status::Ok();
}
Status encode_body(Encoder& e, const InstallVerifierKeyResponse&) {
  return encode_null(e);
}
Status decode_body(ByteSpan body, InstallVerifierKeyResponse*) {
  return decode_null(body);
}

Status encode_body(Encoder& e, const RotateVerifierKeyRequest& v) {
  return encode_bstr_body(e, v.cose_sign1, 1, kMaxPayload);
}
Status decode_body(ByteSpan body, RotateVerifierKeyRequest* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  return decode_bstr_body(body, 1, kMaxPayload, &out->cose_sign1);
}
Status encode_body(Encoder& e, const RotateVerifierKeyResponse&) {
  return encode_null(e);
}
Status decode_body(ByteSpan body, RotateVerifierKeyResponse*) {
  return decode_null(body);
}

// ---- GET_EVIDENCE ---------------------------------------------------------------------

Status encode_body(Encoder& e, const GetEvidenceRequest& v) {
  if (!detail::nonce_ok(v.nonce)) {
    return ProtocolError::kBadNonceSize;
  }
  e.bytes(v.nonce);
  return e.status();
}
Status decode_body(ByteSpan body, GetEvidenceRequest* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  ByteSpan b;
  LOCUS_TRY(decode_bstr_body(body, 0, kMaxPayload, &b));
  if (!detail::nonce_ok(b)) {
    return ProtocolError::kBadNonceSize;
  }
  out->nonce = b;
  return Status::Ok();
}
Status encode_body(Encoder& e, const EvidenceResponse& v) {
  return encode_bstr_body(e, v.cose_sign1, 1, kMaxPayload);
}
Status decode_body(ByteSpan body, EvidenceResponse* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  return decode_bstr_body(body, 1, kMaxPayload, &out->cose_sign1);
}

// ---- APPLY_LICENSE / GET_STATUS -------------------------------------------------------

Status encode_body(Encoder& e, const ApplyLicenseRequest& v) {
  return encode_bstr_body(e, v.cose_sign1, 1, kMaxPayload);
}
Status decode_body(ByteSpan body, ApplyLicenseRequest* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  return decode_bstr_body(body, 1, kMaxPayload, &out->cose_sign1);
}
Status encode_body(Encoder& e, const ApplyLicenseResponse& v) {
  return encode_status_info(e, v.status);
}
Status decode_body(ByteSpan body, ApplyLicenseResponse* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  return decode_status_info(body, &out->status);
}
Status encode_body(Encoder& e, const GetStatusRequest&) {
  return encode_null(e);
}
Status decode_body(ByteSpan body, GetStatusRequest*) {
  return decode_null(body);
}
Status encode_body(Encoder& e, const StatusResponse& v) {
  return encode_status_info(e, v.status);
}
Status decode_body(ByteSpan body, StatusResponse* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  return decode_status_info(body, &out->status);
}

// ---- LM_SETUP / LM_ROUND / LM_CLOSE ---------------------------------------------------

Status encode_body(Encoder& e, const LmSetupRequest& v) {
  if (!detail::nonce_ok(v.lm_nonce) || !detail::nonce_ok(v.verifier_nonce)) {
    return ProtocolError::kBadNonceSize;
  }
  if (!detail::pub_ok(v.lm_eph_pub.data())) {
    return ProtocolError::kBadPublicKey;
  }
  if (v.rounds < 1 || v.rounds > kMaxRounds) {
    return ProtocolError::kFieldOutOfRange;
  }
  e.map(5);
  e.uint(1).bytes(ByteSpan(v.session_id.data(), v.session_id.size()));
  e.uint(2).bytes(v.lm_nonce);
  e.uint(3).bytes(ByteSpan(v.lm_eph_pub.data(), v.lm_eph_pub.size()));
  e.uint(4).uint(v.rounds);
  e.uint(5).bytes(v.verifier_nonce);
  return e.status();
}

Status decode_body(ByteSpan body, LmSetupRequest* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  LmSetupRequest r;
  auto on_field = [&r](int64_t key, Decoder& d, unsigned* idx) -> Status {
    switch (key) {
      case 1: LOCUS_TRY(detail::read_bstr_fixed(d, r.session_id.data(), kSessionIdSize)); break;
      case 2: LOCUS_TRY(detail::read_nonce(d, &r.lm_nonce)); break;
      case 3: LOCUS_TRY(detail::read_pub(d, r.lm_eph_pub.data())); break;
      case 4: LOCUS_TRY(detail::read_uint_as(d, 1, kMaxRounds, &r.rounds)); break;
      case 5: LOCUS_TRY(detail::read_nonce(d, &r.verifier_nonce)); break;
      default: return ProtocolError::kUnknownField;
    }
    *idx = static_cast<unsigned>(key - 1);
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(body, 5, on_field));
  *out = r;
  return Status::Ok();
}

Status encode_body(Encoder& e, const LmSetupResponse& v) {
  if (!detail::pub_ok(v.dev_eph_pub.data())) {
    return ProtocolError::kBadPublicKey;
  }
  e.map(1);
  e.uint(1).bytes(ByteSpan(v.dev_eph_pub.data(), v.dev_eph_pub.size()));
  return e.status();
}

Status decode_body(ByteSpan body, LmSetupResponse* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  LmSetupResponse r;
  auto on_field = [&r](int64_t key, Decoder& d, unsigned* idx) -> Status {
    if (key != 1) {
      return ProtocolError::kUnknownField;
    }
    LOCUS_TRY(detail::read_pub(d, r.dev_eph_pub.data()));
    *idx = 0;
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(body, 1, on_field));
  *out = r;
  return Status::Ok();
}

Status encode_body(Encoder& e, const LmRoundRequest& v) {
  if (v.round >= kMaxRounds) {
    return ProtocolError::kFieldOutOfRange;
  }
  e.array(2).uint(v.round).bytes(ByteSpan(v.challenge.data(), v.challenge.size()));
  return e.status();
}

Status decode_body(ByteSpan body, LmRoundRequest* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  LOCUS_TRY(cbor::validate(body, detail::limits()));
  Decoder d(body);
  LOCUS_TRY(expect_type(d, MajorType::kArray, ProtocolError::kBodyWrongType));
  uint64_t n = 0;
  LOCUS_TRY(d.read_array(&n));
  if (n != 2) {
    return ProtocolError::kWrongArity;
  }
  LmRoundRequest r;
  uint64_t round = 0;
  LOCUS_TRY(detail::read_uint_range(d, 0, kMaxRounds - 1, &round));
  r.round = static_cast<uint8_t>(round);
  LOCUS_TRY(detail::read_bstr_fixed(d, r.challenge.data(), kChallengeSize));
  *out = r;
  return Status::Ok();
}

Status encode_body(Encoder& e, const LmRoundResponse& v) {
  e.bytes(ByteSpan(v.answer.data(), v.answer.size()));
  return e.status();
}

Status decode_body(ByteSpan body, LmRoundResponse* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  ByteSpan b;
  LOCUS_TRY(decode_bstr_body(body, kAnswerSize, kAnswerSize, &b));
  for (size_t i = 0; i < kAnswerSize; ++i) {
    out->answer[i] = b.data[i];
  }
  return Status::Ok();
}

Status encode_body(Encoder& e, const LmCloseRequest& v) {
  e.map(1);
  e.uint(1).bytes(ByteSpan(v.session_id.data(), v.session_id.size()));
  return e.status();
}

Status decode_body(ByteSpan body, LmCloseRequest* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  LmCloseRequest r;
  auto on_field = [&r](int64_t key, Decoder& d, unsigned* idx) -> Status {
    if (key != 1) {
      return ProtocolError::kUnknownField;
    }
    LOCUS_TRY(detail::read_bstr_fixed(d, r.session_id.data(), kSessionIdSize));
    *idx = 0;
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(body, 1, on_field));
  *out = r;
  return Status::Ok();
}

Status encode_body(Encoder& e, const LmCloseResponse& v) {
  return encode_bstr_body(e, v.cose_sign1, 1, kMaxPayload);
}
Status decode_body(ByteSpan body, LmCloseResponse* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  return decode_bstr_body(body, 1, kMaxPayload, &out->cose_sign1);
}

// ---- error ----------------------------------------------------------------------------

Status encode_body(Encoder& e, const ErrorResponse& v) {
  if (v.code == 0) {
    return ProtocolError::kBadErrorCode;
  }
  e.uint(v.code);
  return e.status();
}

Status decode_body(ByteSpan body, ErrorResponse* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  LOCUS_TRY(cbor::validate(body, detail::limits()));
  Decoder d(body);
  LOCUS_TRY(expect_type(d, MajorType::kUnsigned, ProtocolError::kBodyWrongType));
  uint64_t v = 0;
  LOCUS_TRY(d.read_uint(&v));
  if (v == 0 || v > 0xFFFF) {
    return ProtocolError::kBadErrorCode;
  }
  out->code = static_cast<uint16_t>(v);
  return Status::Ok();
}

// ---- fast frame -----------------------------------------------------------------------

Status encode_fast_round(const FastRound& r, MutByteSpan out, size_t* out_len) {
  if (out_len == nullptr) {
    return CoreError::kInvalidArgument;
  }
  *out_len = 0;
  if (r.round >= kMaxRounds) {
    return ProtocolError::kBadFastRound;
  }
  if (out.size < kFastRoundSize || out.data == nullptr) {
    return ProtocolError::kOutputTooSmall;
  }
  out.data[0] = r.round;
  for (size_t i = 0; i < r.value.size(); ++i) {
    out.data[1 + i] = r.value[i];
  }
  *out_len = kFastRoundSize;
  return Status::Ok();
}

Status decode_fast_round(ByteSpan payload, FastRound* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  if (payload.size != kFastRoundSize || payload.data == nullptr) {
    return ProtocolError::kBadFastRound;
  }
  if (payload.data[0] >= kMaxRounds) {
    return ProtocolError::kBadFastRound;
  }
  out->round = payload.data[0];
  for (size_t i = 0; i < out->value.size(); ++i) {
    out->value[i] = payload.data[1 + i];
  }
  return Status::Ok();
}

Status encode_fast_frame(const FastRound& r, MutByteSpan out, size_t* out_len) {
  uint8_t payload[kFastRoundSize];
  size_t n = 0;
  LOCUS_TRY(encode_fast_round(r, MutByteSpan(payload, sizeof payload), &n));
  return encode_frame(kRevFast, ByteSpan(payload, n), out, out_len);
}

}  // namespace locus::protocol
