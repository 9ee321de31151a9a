// firmware/src/core_internal.h: helpers shared by the Core's source files (one file per
// role: boot, link, provision, evidence, license, dbound). Private to firmware/src.
#pragma once

#include <string.h>

#include "locus/crypto/cbor.h"
#include "locus/firmware/core.h"
#include "locus/protocol/errors.h"
#include "locus/protocol/messages.h"

namespace locus::firmware::detail {

using board::InterconnectMode;
using cbor::Decoder;
using protocol::ProtocolError;
namespace db = protocol::dbound;

constexpr uint8_t inv(InterconnectMode m) {
  return static_cast<uint8_t>(~static_cast<uint8_t>(m));
}

inline int board_entropy(void*, uint8_t* out, size_t len) {
  return board::entropy(out, len).ok() ? 0 : -1;
}

// Appends the decimal form of v to buf at *n (buf has room: callers size it).
inline void put_dec(char* buf, size_t* n, uint64_t v) {
  char tmp[21];
  size_t k = 0;
  do {
    tmp[k++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && k < sizeof(tmp));
  while (k > 0) {
    buf[(*n)++] = tmp[--k];
  }
}
inline void put_str(char* buf, size_t* n, const char* s) {
  while (*s != '\0') {
    buf[(*n)++] = *s++;
  }
}

// Encodes a whole response with the protocol library's codec; an output buffer that is too
// small becomes the firmware's kResponseTooLarge.
template <typename Body>
Status respond(uint32_t id, const Body& body, MutByteSpan out, size_t* n) {
  const Status st = protocol::encode_message(id, body, out, n);
  if (st == Status(ProtocolError::kOutputTooSmall)) {
    return FirmwareError::kResponseTooLarge;
  }
  return st;
}

// The request body through the protocol library's strict decoder. Schema violations the
// firmware documents with its own code (a wrong nonce size, a bad key, ...) are mapped by the
// caller; anything else is kBadMessage.
template <typename Req>
Status decode_request(ByteSpan body, Req* req, ProtocolError special, Status special_code,
                      Status other_code = FirmwareError::kBadMessage) {
  const Status st = protocol::decode_body(body, req);
  if (st.ok()) {
    return st;
  }
  if (st == Status(special)) {
    return special_code;
  }
  return other_code;
}

inline bool find(ByteSpan hay, ByteSpan needle) {
  if (needle.size == 0 || hay.size < needle.size) {
    return false;
  }
  for (size_t i = 0; i + needle.size <= hay.size; ++i) {
    if (memcmp(hay.data + i, needle.data, needle.size) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace locus::firmware::detail
