// locus/tpm/reader.h: a bounded big-endian reader for marshalled TPM structures, shared by the
// quote parser, the ESAPI client and the enrollment checks. Every read checks the remaining
// length; after the first failure all reads fail (sticky), so callers check once at the end.
#pragma once

#include <cstdint>
#include <vector>

#include "locus/span.h"

namespace locus::tpm::detail {

class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && pos_ == in_.size; }
  size_t remaining() const { return ok_ ? in_.size - pos_ : 0; }

  uint8_t u8() { return static_cast<uint8_t>(be(1)); }
  uint16_t u16() { return static_cast<uint16_t>(be(2)); }
  uint32_t u32() { return static_cast<uint32_t>(be(4)); }
  uint64_t u64() { return be(8); }
  // Reads n raw bytes into out (out cleared first).
  void bytes(size_t n, std::vector<uint8_t>* out) {
    out->clear();
    if (!ok_ || n > in_.size - pos_) {
      ok_ = false;
      return;
    }
    out->assign(in_.data + pos_, in_.data + pos_ + n);
    pos_ += n;
  }
  // TPM2B: u16 size then size bytes; size must be <= max.
  void tpm2b(size_t max, std::vector<uint8_t>* out) {
    uint16_t n = u16();
    if (!ok_ || n > max) {
      ok_ = false;
      out->clear();
      return;
    }
    bytes(n, out);
  }
  void fail() { ok_ = false; }

 private:
  uint64_t be(size_t n) {
    if (!ok_ || n > in_.size - pos_) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | in_.data[pos_ + i];
    pos_ += n;
    return v;
  }
  ByteSpan in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

inline void put_u16(std::vector<uint8_t>* v, uint16_t x) {
  v->push_back(static_cast<uint8_t>(x >> 8));
  v->push_back(static_cast<uint8_t>(x));
}
inline void put_u32(std::vector<uint8_t>* v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v->push_back(static_cast<uint8_t>(x >> s));
}

}  // namespace locus::tpm::detail
