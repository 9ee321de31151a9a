#include "codec_util.h"

namespace locus::protocol::detail {

Status expect_type(cbor::Decoder& d, cbor::MajorType t, ProtocolError if_not) {
  Result<cbor::MajorType> got = d.peek();
  LOCUS_TRY(got.status());
  if (*got != t) {
    return if_not;
  }
  return Status::Ok();
}

Status read_bstr_fixed(cbor::Decoder& d, uint8_t* out, size_t n) {
  LOCUS_TRY(expect_type(d, cbor::MajorType::kBytes, ProtocolError::kFieldWrongType));
  ByteSpan b;
  LOCUS_TRY(d.read_bytes(&b));
  if (b.size != n) {
    return ProtocolError::kFieldWrongSize;
  }
  for (size_t i = 0; i < n; ++i) {
    out[i] = b.data[i];
  }
  return Status::Ok();
}

Status read_bstr_range(cbor::Decoder& d, size_t min, size_t max, ByteSpan* out) {
  LOCUS_TRY(expect_type(d, cbor::MajorType::kBytes, ProtocolError::kFieldWrongType));
  ByteSpan b;
  LOCUS_TRY(d.read_bytes(&b));
  if (b.size < min || b.size > max) {
    return ProtocolError::kFieldWrongSize;
  }
  *out = b;
  return Status::Ok();
}

Status read_text_range(cbor::Decoder& d, size_t min, size_t max, ByteSpan* out) {
  LOCUS_TRY(expect_type(d, cbor::MajorType::kText, ProtocolError::kFieldWrongType));
  ByteSpan b;
  LOCUS_TRY(d.read_text(&b));
  if (b.size < min || b.size > max) {
    return ProtocolError::kFieldWrongSize;
  }
  *out = b;
  return Status::Ok();
}

Status read_nonce(cbor::Decoder& d, ByteSpan* out) {
  LOCUS_TRY(expect_type(d, cbor::MajorType::kBytes, ProtocolError::kFieldWrongType));
  ByteSpan b;
  LOCUS_TRY(d.read_bytes(&b));
  if (!nonce_ok(b)) {
    return ProtocolError::kBadNonceSize;
  }
  *out = b;
  return Status::Ok();
}

Status read_ueid(cbor::Decoder& d, uint8_t* out33) {
  LOCUS_TRY(expect_type(d, cbor::MajorType::kBytes, ProtocolError::kFieldWrongType));
  ByteSpan b;
  LOCUS_TRY(d.read_bytes(&b));
  if (b.size != 33 || !ueid_ok(b.data)) {
    return ProtocolError::kBadUeid;
  }
  for (size_t i = 0; i < 33; ++i) {
    out33[i] = b.data[i];
  }
  return Status::Ok();
}

Status read_pub(cbor::Decoder& d, uint8_t* out65) {
  LOCUS_TRY(expect_type(d, cbor::MajorType::kBytes, ProtocolError::kFieldWrongType));
  ByteSpan b;
  LOCUS_TRY(d.read_bytes(&b));
  if (b.size != 65 || !pub_ok(b.data)) {
    return ProtocolError::kBadPublicKey;
  }
  for (size_t i = 0; i < 65; ++i) {
    out65[i] = b.data[i];
  }
  return Status::Ok();
}

Status read_uint_range(cbor::Decoder& d, uint64_t min, uint64_t max, uint64_t* out) {
  LOCUS_TRY(expect_type(d, cbor::MajorType::kUnsigned, ProtocolError::kFieldWrongType));
  uint64_t v = 0;
  LOCUS_TRY(d.read_uint(&v));
  if (v < min || v > max) {
    return ProtocolError::kFieldOutOfRange;
  }
  *out = v;
  return Status::Ok();
}

Status read_bool_field(cbor::Decoder& d, bool* out) {
  LOCUS_TRY(expect_type(d, cbor::MajorType::kSimple, ProtocolError::kFieldWrongType));
  if (!d.read_bool(out).ok()) {
    return ProtocolError::kFieldWrongType;  // null is not a bool
  }
  return Status::Ok();
}

bool nonce_ok(ByteSpan n) {
  return n.size >= 16 && n.size <= 64 && n.data != nullptr;
}
bool ueid_ok(const uint8_t* u) {
  return u[0] == 0x01;
}
bool pub_ok(const uint8_t* q) {
  return q[0] == 0x04;
}

Status finish(const cbor::Encoder& e, size_t* out_len) {
  Result<size_t> r = e.finish();
  if (!r.ok()) {
    if (r.status() == Status(cbor::CborError::kBufferFull)) {
      return ProtocolError::kOutputTooSmall;
    }
    return r.status();
  }
  *out_len = *r;
  return Status::Ok();
}

}  // namespace locus::protocol::detail
