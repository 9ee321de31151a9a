// Private helpers shared by messages.cpp and claims.cpp: strict field readers over a
// cbor::Decoder positioned on a validated input, and a map walker that enforces "every key
// required, no unknown key".
#pragma once

#include "locus/crypto/cbor.h"
#include "locus/protocol/errors.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::protocol::detail {

// Limits for validate(): our payloads nest at most 4 deep (transcript rounds).
inline cbor::Limits limits() {
  cbor::Limits l;
  l.max_depth = 8;
  l.max_items = 1024;
  return l;
}

Status expect_type(cbor::Decoder& d, cbor::MajorType t, ProtocolError if_not);
Status read_bstr_fixed(cbor::Decoder& d, uint8_t* out, size_t n);
Status read_bstr_range(cbor::Decoder& d, size_t min, size_t max, ByteSpan* out);
Status read_text_range(cbor::Decoder& d, size_t min, size_t max, ByteSpan* out);
Status read_nonce(cbor::Decoder& d, ByteSpan* out);  // kBadNonceSize outside 16..64
Status read_ueid(cbor::Decoder& d, uint8_t* out33);  // kBadUeid
Status read_pub(cbor::Decoder& d, uint8_t* out65);   // kBadPublicKey
Status read_uint_range(cbor::Decoder& d, uint64_t min, uint64_t max, uint64_t* out);
Status read_bool_field(cbor::Decoder& d, bool* out);
// read_uint_range into a narrower field (min..max must fit T).
template <typename T>
Status read_uint_as(cbor::Decoder& d, uint64_t min, uint64_t max, T* out) {
  uint64_t v = 0;
  LOCUS_TRY(read_uint_range(d, min, max, &v));
  *out = static_cast<T>(v);
  return Status::Ok();
}

// Encoder-side checks (the encoder refuses what the decoder would refuse).
bool nonce_ok(ByteSpan n);
bool ueid_ok(const uint8_t* u);
bool pub_ok(const uint8_t* q);

// Walks a map body: validates `in`, requires a map, calls on_field(key, decoder, &index) for
// each entry (it must consume the value and set index 0..nfields-1, or return
// kUnknownField), then checks that every index 0..nfields-1 was seen.
template <typename F>
Status walk_map(ByteSpan in, unsigned nfields, F&& on_field) {
  LOCUS_TRY(cbor::validate(in, limits()));
  cbor::Decoder d(in);
  LOCUS_TRY(expect_type(d, cbor::MajorType::kMap, ProtocolError::kBodyWrongType));
  uint64_t n = 0;
  LOCUS_TRY(d.read_map(&n));
  uint64_t seen = 0;
  for (uint64_t i = 0; i < n; ++i) {
    Result<cbor::MajorType> kt = d.peek();
    LOCUS_TRY(kt.status());
    if (*kt != cbor::MajorType::kUnsigned && *kt != cbor::MajorType::kNegative) {
      return ProtocolError::kUnknownField;
    }
    int64_t key = 0;
    if (!d.read_int(&key).ok()) {
      return ProtocolError::kUnknownField;  // beyond int64
    }
    unsigned index = nfields;
    LOCUS_TRY(on_field(key, d, &index));
    if (index >= nfields) {
      return ProtocolError::kUnknownField;
    }
    seen |= (uint64_t{1} << index);
  }
  if (seen != (uint64_t{1} << nfields) - 1) {
    return ProtocolError::kMissingField;
  }
  return Status::Ok();
}

// Finishes an encoding: kBufferFull -> kOutputTooSmall.
Status finish(const cbor::Encoder& e, size_t* out_len);

}  // namespace locus::protocol::detail
