#include "locus/protocol/claims.h"

#include <string.h>

#include "codec_util.h"

namespace locus::protocol {

using cbor::Decoder;
using cbor::Encoder;
using detail::walk_map;

namespace {

bool text_ok(ByteSpan t) {
  return t.size >= 1 && t.size <= kMaxTextSize && t.data != nullptr;
}
ByteSpan span_of(const uint8_t* p, size_t n) {
  return ByteSpan(p, n);
}
ByteSpan cstr_span(const char* s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s), strlen(s));
}

Status start(MutByteSpan out, size_t* out_len) {
  if (out_len == nullptr || (out.data == nullptr && out.size != 0)) {
    return CoreError::kInvalidArgument;
  }
  *out_len = 0;
  return Status::Ok();
}

}  // namespace

// ---- EAT claims -----------------------------------------------------------------------

Status encode_claims(const EatClaims& c, MutByteSpan out, size_t* out_len) {
  LOCUS_TRY(start(out, out_len));
  if (!detail::nonce_ok(c.nonce)) {
    return ProtocolError::kBadNonceSize;
  }
  if (!detail::ueid_ok(c.ueid.data())) {
    return ProtocolError::kBadUeid;
  }
  if (!text_ok(c.hwmodel) || !text_ok(c.swname)) {
    return ProtocolError::kFieldWrongSize;
  }
  if (c.dbgstat > kDbgstatMax) {
    return ProtocolError::kFieldOutOfRange;
  }
  if (c.mode != kModeRestricted && c.mode != kModeFull) {
    return ProtocolError::kFieldOutOfRange;
  }
  if (c.storage < kStorageOk || c.storage > kStorageFault) {
    return ProtocolError::kFieldOutOfRange;
  }
  Encoder e(out);
  // Keys in deterministic order (RFC 8949 §4.2.1): unsigned keys first, then negative ones.
  e.map(13);
  e.uint(kClaimNonce).bytes(c.nonce);
  e.uint(kClaimUeid).bytes(span_of(c.ueid.data(), c.ueid.size()));
  e.uint(kClaimHwmodel).bytes(c.hwmodel);
  e.uint(kClaimDbgstat).uint(c.dbgstat);
  e.uint(kClaimProfile).text(kEatProfile);
  e.uint(kClaimBootCount).uint(c.boot_count);
  e.uint(kClaimSwname).text(c.swname);
  e.int64(kClaimFwid).bytes(span_of(c.fwid.data(), c.fwid.size()));
  e.int64(kClaimSvn).uint(c.svn);
  e.int64(kClaimMode).uint(c.mode);
  e.int64(kClaimLicenseCounter).uint(c.license_counter);
  e.int64(kClaimBoardNonce).bytes(span_of(c.board_nonce.data(), c.board_nonce.size()));
  e.int64(kClaimStorage).uint(c.storage);
  return detail::finish(e, out_len);
}

Status decode_claims(ByteSpan in, EatClaims* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  EatClaims c;
  auto on_field = [&c](int64_t key, Decoder& d, unsigned* idx) -> Status {
    switch (key) {
      case kClaimNonce:
        LOCUS_TRY(detail::read_nonce(d, &c.nonce));
        *idx = 0;
        break;
      case kClaimUeid:
        LOCUS_TRY(detail::read_ueid(d, c.ueid.data()));
        *idx = 1;
        break;
      case kClaimHwmodel:
        LOCUS_TRY(detail::read_bstr_range(d, 1, kMaxTextSize, &c.hwmodel));
        *idx = 2;
        break;
      case kClaimDbgstat:
        LOCUS_TRY(detail::read_uint_as(d, 0, kDbgstatMax, &c.dbgstat));
        *idx = 3;
        break;
      case kClaimProfile: {
        ByteSpan p;
        LOCUS_TRY(detail::read_text_range(d, 0, 0xFFFF, &p));
        const ByteSpan want = cstr_span(kEatProfile);
        if (p.size != want.size || memcmp(p.data, want.data, want.size) != 0) {
          return ProtocolError::kBadProfile;
        }
        *idx = 4;
        break;
      }
      case kClaimSwname:
        LOCUS_TRY(detail::read_text_range(d, 1, kMaxTextSize, &c.swname));
        *idx = 5;
        break;
      case kClaimFwid:
        LOCUS_TRY(detail::read_bstr_fixed(d, c.fwid.data(), kFwidSize));
        *idx = 6;
        break;
      case kClaimSvn:
        LOCUS_TRY(detail::read_uint_as(d, 0, UINT32_MAX, &c.svn));
        *idx = 7;
        break;
      case kClaimBootCount:
        LOCUS_TRY(detail::read_uint_as(d, 0, UINT32_MAX, &c.boot_count));
        *idx = 8;
        break;
      case kClaimMode:
        LOCUS_TRY(detail::read_uint_as(d, kModeRestricted, kModeFull, &c.mode));
        *idx = 9;
        break;
      case kClaimLicenseCounter:
        LOCUS_TRY(detail::read_uint_range(d, 0, UINT64_MAX, &c.license_counter));
        *idx = 10;
        break;
      case kClaimBoardNonce:
        LOCUS_TRY(detail::read_bstr_fixed(d, c.board_nonce.data(), kBoardNonceSize));
        *idx = 11;
        break;
      case kClaimStorage:
        LOCUS_TRY(detail::read_uint_as(d, kStorageOk, kStorageFault, &c.storage));
        *idx = 12;
        break;
      default: return ProtocolError::kUnknownField;
    }
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(in, 13, on_field));
  *out = c;
  return Status::Ok();
}

// ---- license --------------------------------------------------------------------------

Status encode_license(const License& l, MutByteSpan out, size_t* out_len) {
  LOCUS_TRY(start(out, out_len));
  if (!detail::ueid_ok(l.ueid.data())) {
    return ProtocolError::kBadUeid;
  }
  if (!detail::nonce_ok(l.nonce)) {
    return ProtocolError::kBadNonceSize;
  }
  if (l.mode != kModeFull) {
    return ProtocolError::kBadLicenseMode;
  }
  if (l.lease_s < 1 || l.lease_s > kMaxLeaseSeconds) {
    return ProtocolError::kBadLeaseLength;
  }
  if (!text_ok(l.site)) {
    return ProtocolError::kFieldWrongSize;
  }
  Encoder e(out);
  e.map(8);
  e.uint(1).bytes(span_of(l.ueid.data(), l.ueid.size()));
  e.uint(2).bytes(l.nonce);
  e.uint(3).uint(l.counter);
  e.uint(4).uint(l.mode);
  e.uint(5).uint(l.lease_s);
  e.uint(6).text(l.site);
  e.uint(7).bytes(span_of(l.fwid.data(), l.fwid.size()));
  e.uint(8).bytes(span_of(l.board_nonce.data(), l.board_nonce.size()));
  return detail::finish(e, out_len);
}

Status decode_license(ByteSpan in, License* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  License l;
  auto on_field = [&l](int64_t key, Decoder& d, unsigned* idx) -> Status {
    switch (key) {
      case 1: LOCUS_TRY(detail::read_ueid(d, l.ueid.data())); break;
      case 2: LOCUS_TRY(detail::read_nonce(d, &l.nonce)); break;
      case 3: LOCUS_TRY(detail::read_uint_range(d, 0, UINT64_MAX, &l.counter)); break;
      case 4: {
        // A well-formed uint that is not FULL gets its own code (the firmware reports it).
        Status st = detail::read_uint_as(d, kModeFull, kModeFull, &l.mode);
        if (st == Status(ProtocolError::kFieldOutOfRange)) {
          return ProtocolError::kBadLicenseMode;
        }
        LOCUS_TRY(st);
        break;
      }
      case 5: {
        Status st = detail::read_uint_as(d, 1, kMaxLeaseSeconds, &l.lease_s);
        if (st == Status(ProtocolError::kFieldOutOfRange)) {
          return ProtocolError::kBadLeaseLength;
        }
        LOCUS_TRY(st);
        break;
      }
      case 6: LOCUS_TRY(detail::read_text_range(d, 1, kMaxTextSize, &l.site)); break;
      case 7: LOCUS_TRY(detail::read_bstr_fixed(d, l.fwid.data(), kFwidSize)); break;
      case 8: LOCUS_TRY(detail::read_bstr_fixed(d, l.board_nonce.data(), kBoardNonceSize)); break;
      default: return ProtocolError::kUnknownField;
    }
    *idx = static_cast<unsigned>(key - 1);
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(in, 8, on_field));
  *out = l;
  return Status::Ok();
}

// ---- verifier key rotation ------------------------------------------------------------

Status encode_rotation(const VerifierKeyRotation& r, MutByteSpan out, size_t* out_len) {
  LOCUS_TRY(start(out, out_len));
  if (!detail::pub_ok(r.new_key.data())) {
    return ProtocolError::kBadPublicKey;
  }
  Encoder e(out);
  e.map(2);
  e.uint(1).bytes(span_of(r.new_key.data(), r.new_key.size()));
  e.uint(2).uint(r.counter);
  return detail::finish(e, out_len);
}

Status decode_rotation(ByteSpan in, VerifierKeyRotation* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  VerifierKeyRotation r;
  auto on_field = [&r](int64_t key, Decoder& d, unsigned* idx) -> Status {
    switch (key) {
      case 1: LOCUS_TRY(detail::read_pub(d, r.new_key.data())); break;
      case 2: LOCUS_TRY(detail::read_uint_range(d, 0, UINT64_MAX, &r.counter)); break;
      default: return ProtocolError::kUnknownField;
    }
    *idx = static_cast<unsigned>(key - 1);
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(in, 2, on_field));
  *out = r;
  return Status::Ok();
}

// ---- distance-bounding transcript -----------------------------------------------------

Status encode_transcript(const DboundTranscript& t, MutByteSpan out, size_t* out_len) {
  LOCUS_TRY(start(out, out_len));
  if (!detail::nonce_ok(t.lm_nonce) || !detail::nonce_ok(t.verifier_nonce)) {
    return ProtocolError::kBadNonceSize;
  }
  if (!detail::pub_ok(t.lm_eph_pub.data()) || !detail::pub_ok(t.dev_eph_pub.data())) {
    return ProtocolError::kBadPublicKey;
  }
  if (!detail::ueid_ok(t.ueid.data())) {
    return ProtocolError::kBadUeid;
  }
  if (t.round_count == 0) {
    return ProtocolError::kWrongArity;
  }
  if (t.round_count > kMaxRounds) {
    return ProtocolError::kTooManyRounds;
  }
  for (size_t i = 0; i < t.round_count; ++i) {
    if (t.rounds[i].round != i) {
      return ProtocolError::kRoundOutOfOrder;
    }
  }
  Encoder e(out);
  e.map(7);
  e.uint(1).bytes(span_of(t.session_id.data(), t.session_id.size()));
  e.uint(2).bytes(t.lm_nonce);
  e.uint(3).bytes(t.verifier_nonce);
  e.uint(4).bytes(span_of(t.lm_eph_pub.data(), t.lm_eph_pub.size()));
  e.uint(5).bytes(span_of(t.dev_eph_pub.data(), t.dev_eph_pub.size()));
  e.uint(6).bytes(span_of(t.ueid.data(), t.ueid.size()));
  e.uint(7).array(t.round_count);
  for (size_t i = 0; i < t.round_count; ++i) {
    const TranscriptRound& r = t.rounds[i];
    e.array(3).uint(r.round);
    e.bytes(span_of(r.challenge.data(), r.challenge.size()));
    e.bytes(span_of(r.answer.data(), r.answer.size()));
  }
  return detail::finish(e, out_len);
}

namespace {

Status read_rounds(Decoder& d, DboundTranscript* t) {
  LOCUS_TRY(detail::expect_type(d, cbor::MajorType::kArray, ProtocolError::kFieldWrongType));
  uint64_t n = 0;
  LOCUS_TRY(d.read_array(&n));
  if (n == 0) {
    return ProtocolError::kWrongArity;
  }
  if (n > kMaxRounds) {
    return ProtocolError::kTooManyRounds;
  }
  for (uint64_t i = 0; i < n; ++i) {
    LOCUS_TRY(detail::expect_type(d, cbor::MajorType::kArray, ProtocolError::kFieldWrongType));
    uint64_t m = 0;
    LOCUS_TRY(d.read_array(&m));
    if (m != 3) {
      return ProtocolError::kWrongArity;
    }
    TranscriptRound& r = t->rounds[i];
    uint64_t idx = 0;
    LOCUS_TRY(detail::read_uint_range(d, 0, UINT64_MAX, &idx));
    if (idx != i) {
      return ProtocolError::kRoundOutOfOrder;
    }
    r.round = static_cast<uint8_t>(idx);
    LOCUS_TRY(detail::read_bstr_fixed(d, r.challenge.data(), kChallengeSize));
    LOCUS_TRY(detail::read_bstr_fixed(d, r.answer.data(), kAnswerSize));
  }
  t->round_count = static_cast<size_t>(n);
  return Status::Ok();
}

}  // namespace

Status decode_transcript(ByteSpan in, DboundTranscript* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  *out = DboundTranscript();
  DboundTranscript& t = *out;  // large: decoded in place, cleared again on failure
  auto on_field = [&t](int64_t key, Decoder& d, unsigned* idx) -> Status {
    switch (key) {
      case 1: LOCUS_TRY(detail::read_bstr_fixed(d, t.session_id.data(), kSessionIdSize)); break;
      case 2: LOCUS_TRY(detail::read_nonce(d, &t.lm_nonce)); break;
      case 3: LOCUS_TRY(detail::read_nonce(d, &t.verifier_nonce)); break;
      case 4: LOCUS_TRY(detail::read_pub(d, t.lm_eph_pub.data())); break;
      case 5: LOCUS_TRY(detail::read_pub(d, t.dev_eph_pub.data())); break;
      case 6: LOCUS_TRY(detail::read_ueid(d, t.ueid.data())); break;
      case 7: LOCUS_TRY(read_rounds(d, &t)); break;
      default: return ProtocolError::kUnknownField;
    }
    *idx = static_cast<unsigned>(key - 1);
    return Status::Ok();
  };
  Status s = walk_map(in, 7, on_field);
  if (!s.ok()) {
    *out = DboundTranscript();
  }
  return s;
}

// ---- landmark record ------------------------------------------------------------------

Status encode_landmark_record(const LandmarkRecord& r, MutByteSpan out, size_t* out_len) {
  LOCUS_TRY(start(out, out_len));
  if (!text_ok(r.landmark_id)) {
    return ProtocolError::kFieldWrongSize;
  }
  if (!detail::ueid_ok(r.ueid.data())) {
    return ProtocolError::kBadUeid;
  }
  if (!detail::nonce_ok(r.verifier_nonce) || !detail::nonce_ok(r.lm_nonce)) {
    return ProtocolError::kBadNonceSize;
  }
  if (r.rounds < 1 || r.rounds > kMaxRounds) {
    return ProtocolError::kFieldOutOfRange;
  }
  Encoder e(out);
  e.map(7);
  e.uint(1).text(r.landmark_id);
  e.uint(2).bytes(span_of(r.ueid.data(), r.ueid.size()));
  e.uint(3).bytes(r.verifier_nonce);
  e.uint(4).uint(r.rtt_min_ns);
  e.uint(5).uint(r.rounds);
  e.uint(6).bytes(span_of(r.transcript_hash.data(), r.transcript_hash.size()));
  e.uint(7).bytes(r.lm_nonce);
  return detail::finish(e, out_len);
}

Status decode_landmark_record(ByteSpan in, LandmarkRecord* out) {
  if (out == nullptr) {
    return CoreError::kInvalidArgument;
  }
  LandmarkRecord r;
  auto on_field = [&r](int64_t key, Decoder& d, unsigned* idx) -> Status {
    switch (key) {
      case 1: LOCUS_TRY(detail::read_text_range(d, 1, kMaxTextSize, &r.landmark_id)); break;
      case 2: LOCUS_TRY(detail::read_ueid(d, r.ueid.data())); break;
      case 3: LOCUS_TRY(detail::read_nonce(d, &r.verifier_nonce)); break;
      case 4: LOCUS_TRY(detail::read_uint_range(d, 0, UINT64_MAX, &r.rtt_min_ns)); break;
      case 5: LOCUS_TRY(detail::read_uint_as(d, 1, kMaxRounds, &r.rounds)); break;
      case 6:
        LOCUS_TRY(detail::read_bstr_fixed(d, r.transcript_hash.data(), r.transcript_hash.size()));
        break;
      case 7: LOCUS_TRY(detail::read_nonce(d, &r.lm_nonce)); break;
      default: return ProtocolError::kUnknownField;
    }
    *idx = static_cast<unsigned>(key - 1);
    return Status::Ok();
  };
  LOCUS_TRY(walk_map(in, 7, on_field));
  *out = r;
  return Status::Ok();
}

}  // namespace locus::protocol
