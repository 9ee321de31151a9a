// Decode -> encode round trip shared by the protocol payload targets:
//   - whatever the decoder accepts re-encodes to exactly the input (the encoders are
//     deterministic and the decoders accept only deterministic encodings);
//   - a refused input leaves no partial state: *out is untouched (checked byte for byte
//     against a fill pattern), or, for decoders documented to clear it, reset to T().
#pragma once

#include <string.h>

#include <type_traits>

#include "fuzz_targets.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus_fuzz {

inline uint8_t g_encode_buf[8192];
constexpr uint8_t kFill = 0xA5;

inline bool all_fill(const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != kFill) return false;
  }
  return true;
}

enum class OnError { kUntouched, kCleared };

template <typename T, OnError kOnError = OnError::kUntouched, typename Dec, typename Enc>
void payload_round_trip(const uint8_t* data, size_t size, Dec dec, Enc enc) {
  static_assert(std::is_trivially_copyable<T>::value, "fill-pattern check needs a plain struct");
  alignas(T) static uint8_t storage[sizeof(T)];
  memset(storage, kFill, sizeof storage);
  T* v = reinterpret_cast<T*>(storage);
  const locus::Status s = dec(locus::ByteSpan(data, size), v);
  if (!s.ok()) {
    if (kOnError == OnError::kUntouched) LOCUS_FUZZ_CHECK(all_fill(storage, sizeof storage));
    return;
  }
  LOCUS_FUZZ_ACCEPTED();
  size_t n = 0;
  LOCUS_FUZZ_CHECK(enc(*v, locus::MutByteSpan(g_encode_buf, sizeof g_encode_buf), &n).ok());
  LOCUS_FUZZ_CHECK(same_bytes(g_encode_buf, n, data, size));
}

}  // namespace locus_fuzz
