// Deterministic CBOR (RFC 8949 §4.2): encoder, one-pass validator and pull decoder.
// Allocation-free and freestanding: fixed stack frames, no recursion.
#include "locus/crypto/cbor.h"

#include <string.h>

namespace locus::cbor {

namespace {

constexpr uint8_t kAiOneByte = 24;
constexpr uint8_t kAiTwoBytes = 25;
constexpr uint8_t kAiFourBytes = 26;
constexpr uint8_t kAiEightBytes = 27;
constexpr uint8_t kAiIndefinite = 31;
constexpr uint8_t kSimpleFalse = 20;
constexpr uint8_t kSimpleTrue = 21;
constexpr uint8_t kSimpleNull = 22;

struct Head {
  uint8_t major = 0;
  uint8_t ai = 0;
  uint64_t arg = 0;
  size_t len = 0;  // bytes of the head itself
};

// Reads one head at in[pos]. Shared by validate() and Decoder so that both apply the same
// rules: complete, no reserved/indefinite additional info, shortest-form argument, and for
// major type 7 only false/true/null.
Status read_head(ByteSpan in, size_t pos, Head* h) {
  if (pos >= in.size) {
    return CborError::kTruncated;
  }
  const uint8_t ib = in.data[pos];
  h->major = static_cast<uint8_t>(ib >> 5);
  h->ai = static_cast<uint8_t>(ib & 0x1F);
  if (h->major == 7) {
    // Simple values and floats. The argument of ai 24..27 is not an integer here, so the
    // shortest-form rule does not apply; everything but false/true/null is unsupported.
    if (h->ai == kSimpleFalse || h->ai == kSimpleTrue || h->ai == kSimpleNull) {
      h->arg = h->ai;
      h->len = 1;
      return Status::Ok();
    }
    if (h->ai == kAiIndefinite) {
      return CborError::kIndefiniteLength;  // a "break"
    }
    if (h->ai >= 28) {
      return CborError::kReservedAdditionalInfo;
    }
    return CborError::kUnsupportedType;
  }
  if (h->ai < kAiOneByte) {
    h->arg = h->ai;
    h->len = 1;
    return Status::Ok();
  }
  if (h->ai == kAiIndefinite) {
    // Only majors 2..5 have an indefinite form; for 0, 1 and 6 ai 31 is not well-formed.
    if (h->major >= 2 && h->major <= 5) {
      return CborError::kIndefiniteLength;
    }
    return CborError::kReservedAdditionalInfo;
  }
  if (h->ai > kAiEightBytes) {
    return CborError::kReservedAdditionalInfo;
  }
  const size_t n = static_cast<size_t>(1) << (h->ai - kAiOneByte);  // 1, 2, 4, 8
  if (in.size - pos - 1 < n) {
    return CborError::kTruncated;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v = (v << 8) | in.data[pos + 1 + i];
  }
  // Shortest form: the value must not fit the next smaller encoding.
  static constexpr uint64_t kMin[4] = {24, 0x100, 0x10000, 0x100000000ULL};
  if (v < kMin[h->ai - kAiOneByte]) {
    return CborError::kNonCanonical;
  }
  h->arg = v;
  h->len = 1 + n;
  return Status::Ok();
}

// UTF-8 per RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool utf8_valid(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c == 0xE0) {
      extra = 2;
      lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      extra = 2;
    } else if (c == 0xED) {
      extra = 2;
      hi = 0x9F;  // U+D800..DFFF are surrogates
    } else if (c == 0xF0) {
      extra = 3;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      extra = 3;
    } else if (c == 0xF4) {
      extra = 3;
      hi = 0x8F;
    } else {
      return false;  // continuation byte, overlong lead C0/C1, or F5..FF
    }
    if (n - i - 1 < extra) {
      return false;
    }
    if (p[i + 1] < lo || p[i + 1] > hi) {
      return false;
    }
    for (size_t k = 2; k <= extra; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) {
        return false;
      }
    }
    i += 1 + extra;
  }
  return true;
}

// Bytewise lexicographic comparison of two encoded keys (RFC 8949 §4.2.1): <0, 0, >0.
int compare_keys(const uint8_t* a, size_t an, const uint8_t* b, size_t bn) {
  const size_t n = an < bn ? an : bn;
  const int c = n == 0 ? 0 : memcmp(a, b, n);
  if (c != 0) {
    return c;
  }
  if (an == bn) {
    return 0;
  }
  return an < bn ? -1 : 1;
}

}  // namespace

const char* to_string(CborError e) {
  switch (e) {
    case CborError::kTruncated: return "CBOR input ends inside an item";
    case CborError::kBufferFull: return "CBOR encoder buffer full";
    case CborError::kWrongType: return "CBOR item of another major type than expected";
    case CborError::kIndefiniteLength: return "CBOR indefinite length not accepted";
    case CborError::kNonCanonical: return "CBOR argument not in shortest form";
    case CborError::kUnsortedMapKeys: return "CBOR map keys not in bytewise order";
    case CborError::kDuplicateMapKey: return "CBOR duplicate map key";
    case CborError::kTooDeep: return "CBOR nesting deeper than the limit";
    case CborError::kTooManyItems: return "CBOR more items than the limit";
    case CborError::kUnsupportedType: return "CBOR float, undefined or simple value not supported";
    case CborError::kReservedAdditionalInfo: return "CBOR reserved additional information";
    case CborError::kTrailingBytes: return "CBOR bytes after the top-level item";
    case CborError::kIntegerOverflow: return "CBOR integer does not fit the requested type";
    case CborError::kLengthTooLarge: return "CBOR length runs past the end of the input";
    case CborError::kBadUtf8: return "CBOR text string is not valid UTF-8";
    case CborError::kWrongTag: return "CBOR unexpected tag number";
    case CborError::kWrongLength: return "CBOR item has another length than required";
    default: return "unknown CBOR error";
  }
}

// ---------------------------------------------------------------------------------------
// Encoder

void Encoder::put(const uint8_t* p, size_t n) {
  if (!status_.ok()) {
    return;
  }
  if (cap_ - len_ < n) {
    status_ = CborError::kBufferFull;
    return;
  }
  if (n != 0 && !measuring_) {
    memcpy(buf_ + len_, p, n);
  }
  len_ += n;
}

void Encoder::head(uint8_t major, uint64_t arg) {
  uint8_t h[9];
  size_t n = 0;
  const uint8_t mt = static_cast<uint8_t>(major << 5);
  if (arg < 24) {
    h[n++] = static_cast<uint8_t>(mt | arg);
  } else if (arg <= 0xFF) {
    h[n++] = static_cast<uint8_t>(mt | kAiOneByte);
    h[n++] = static_cast<uint8_t>(arg);
  } else if (arg <= 0xFFFF) {
    h[n++] = static_cast<uint8_t>(mt | kAiTwoBytes);
    for (int s = 8; s >= 0; s -= 8) {
      h[n++] = static_cast<uint8_t>(arg >> s);
    }
  } else if (arg <= 0xFFFFFFFFULL) {
    h[n++] = static_cast<uint8_t>(mt | kAiFourBytes);
    for (int s = 24; s >= 0; s -= 8) {
      h[n++] = static_cast<uint8_t>(arg >> s);
    }
  } else {
    h[n++] = static_cast<uint8_t>(mt | kAiEightBytes);
    for (int s = 56; s >= 0; s -= 8) {
      h[n++] = static_cast<uint8_t>(arg >> s);
    }
  }
  put(h, n);
}

Encoder& Encoder::uint(uint64_t v) {
  head(0, v);
  return *this;
}

Encoder& Encoder::int64(int64_t v) {
  if (v >= 0) {
    head(0, static_cast<uint64_t>(v));
  } else {
    // -1 - v without overflow for INT64_MIN: ~v reinterpreted as unsigned.
    head(1, ~static_cast<uint64_t>(v));
  }
  return *this;
}

Encoder& Encoder::negative(uint64_t n) {
  head(1, n);
  return *this;
}

Encoder& Encoder::bytes(ByteSpan b) {
  head(2, b.size);
  put(b.data, b.size);
  return *this;
}

Encoder& Encoder::text(const char* s) {
  size_t n = 0;
  if (s != nullptr) {
    while (s[n] != '\0') {
      ++n;
    }
  }
  return text(ByteSpan(reinterpret_cast<const uint8_t*>(s), n));
}

Encoder& Encoder::text(ByteSpan s) {
  head(3, s.size);
  put(s.data, s.size);
  return *this;
}

Encoder& Encoder::array(uint64_t n) {
  head(4, n);
  return *this;
}

Encoder& Encoder::map(uint64_t n) {
  head(5, n);
  return *this;
}

Encoder& Encoder::tag(uint64_t t) {
  head(6, t);
  return *this;
}

Encoder& Encoder::boolean(bool b) {
  const uint8_t v = static_cast<uint8_t>(0xE0 | (b ? kSimpleTrue : kSimpleFalse));
  put(&v, 1);
  return *this;
}

Encoder& Encoder::null() {
  const uint8_t v = static_cast<uint8_t>(0xE0 | kSimpleNull);
  put(&v, 1);
  return *this;
}

Encoder& Encoder::raw(ByteSpan encoded) {
  put(encoded.data, encoded.size);
  return *this;
}

uint8_t* Encoder::reserve_bytes(size_t n) {
  head(2, n);
  if (!status_.ok()) {
    return nullptr;
  }
  if (measuring_) {
    status_ = CborError::kBufferFull;
    return nullptr;
  }
  if (cap_ - len_ < n) {
    status_ = CborError::kBufferFull;
    return nullptr;
  }
  uint8_t* p = buf_ + len_;
  len_ += n;
  return p;
}

Result<size_t> Encoder::finish() const {
  if (!status_.ok()) {
    return status_;
  }
  return len_;
}

// ---------------------------------------------------------------------------------------
// validate()

namespace {

struct Frame {
  uint32_t remaining;   // items still to come in this container (a map counts 2 per entry)
  uint32_t key_start;   // map: where the current key began
  uint32_t prev_start;  // map: the previous key, for the order check
  uint32_t prev_end;
  bool is_map;
  bool have_prev;
  bool item_started;  // the current item's first head (possibly a tag) has been read
};

}  // namespace

Status validate(ByteSpan in, Limits limits) {
  if (in.data == nullptr && in.size != 0) {
    return CoreError::kInvalidArgument;
  }
  if (in.size > kMaxInputSize) {
    return CborError::kLengthTooLarge;
  }
  if (in.size == 0) {
    return CborError::kTruncated;
  }
  const uint8_t max_depth = limits.max_depth < kMaxDepthCap ? limits.max_depth : kMaxDepthCap;
  Frame stack[kMaxDepthCap];
  size_t depth = 0;  // frames in use
  size_t pos = 0;
  uint32_t items = 0;

  for (;;) {
    if (depth > 0) {
      Frame& f = stack[depth - 1];
      if (!f.item_started) {
        f.item_started = true;
        if (f.is_map && (f.remaining % 2) == 0) {
          f.key_start = static_cast<uint32_t>(pos);
        }
      }
    }
    Head h;
    LOCUS_TRY(read_head(in, pos, &h));
    if (items >= limits.max_items) {
      return CborError::kTooManyItems;
    }
    ++items;
    pos += h.len;
    const size_t left = in.size - pos;
    bool complete = false;
    switch (h.major) {
      case 0:
      case 1:
      case 7: complete = true; break;
      case 2:
      case 3:
        if (h.arg > left) {
          return CborError::kLengthTooLarge;
        }
        if (h.major == 3 && !utf8_valid(in.data + pos, static_cast<size_t>(h.arg))) {
          return CborError::kBadUtf8;
        }
        pos += static_cast<size_t>(h.arg);
        complete = true;
        break;
      case 4:
      case 5:
      case 6: {
        uint64_t count = h.arg;
        if (h.major == 6) {
          count = 1;  // a tag wraps exactly one item
        } else if (h.major == 5) {
          if (h.arg > left / 2) {
            return CborError::kLengthTooLarge;
          }
          count = h.arg * 2;
        } else if (h.arg > left) {
          return CborError::kLengthTooLarge;  // every item needs at least one byte
        }
        if (count == 0) {
          complete = true;
          break;
        }
        if (depth >= max_depth) {
          return CborError::kTooDeep;
        }
        Frame& nf = stack[depth++];
        nf.remaining = static_cast<uint32_t>(count);
        nf.key_start = 0;
        nf.prev_start = 0;
        nf.prev_end = 0;
        nf.is_map = h.major == 5;
        nf.have_prev = false;
        nf.item_started = false;
        break;
      }
      default: return CborError::kUnsupportedType;  // unreachable: major is 3 bits
    }
    // Close every container the completed item finishes.
    while (complete) {
      if (depth == 0) {
        if (pos != in.size) {
          return CborError::kTrailingBytes;
        }
        return Status::Ok();
      }
      Frame& f = stack[depth - 1];
      if (f.is_map && (f.remaining % 2) == 0) {
        const uint32_t key_end = static_cast<uint32_t>(pos);
        if (f.have_prev) {
          const int c = compare_keys(in.data + f.prev_start, f.prev_end - f.prev_start,
                                     in.data + f.key_start, key_end - f.key_start);
          if (c == 0) {
            return CborError::kDuplicateMapKey;
          }
          if (c > 0) {
            return CborError::kUnsortedMapKeys;
          }
        }
        f.prev_start = f.key_start;
        f.prev_end = key_end;
        f.have_prev = true;
      }
      f.item_started = false;
      if (--f.remaining == 0) {
        --depth;  // the container (or tag) itself is now a completed item of its parent
      } else {
        complete = false;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Decoder

Status Decoder::head(uint8_t* major, uint64_t* arg, uint8_t* ai) {
  if (in_.data == nullptr && in_.size != 0) {
    return CoreError::kInvalidArgument;
  }
  Head h;
  LOCUS_TRY(read_head(in_, pos_, &h));
  *major = h.major;
  *arg = h.arg;
  *ai = h.ai;
  return Status::Ok();
}

Result<MajorType> Decoder::peek() const {
  if (pos_ >= in_.size) {
    return CborError::kTruncated;
  }
  return static_cast<MajorType>(in_.data[pos_] >> 5);
}

namespace {

// Reads a head of the wanted major type without consuming anything on failure.
Status expect_head(ByteSpan in, size_t pos, uint8_t want, Head* h) {
  if (in.data == nullptr && in.size != 0) {
    return CoreError::kInvalidArgument;
  }
  if (pos >= in.size) {
    return CborError::kTruncated;
  }
  if ((in.data[pos] >> 5) != want) {
    return CborError::kWrongType;
  }
  return read_head(in, pos, h);
}

}  // namespace

Status Decoder::read_uint(uint64_t* v) {
  Head h;
  LOCUS_TRY(expect_head(in_, pos_, 0, &h));
  *v = h.arg;
  pos_ += h.len;
  return Status::Ok();
}

Status Decoder::read_int(int64_t* v) {
  if (pos_ >= in_.size) {
    return CborError::kTruncated;
  }
  const uint8_t major = static_cast<uint8_t>(in_.data[pos_] >> 5);
  if (major != 0 && major != 1) {
    return CborError::kWrongType;
  }
  Head h;
  LOCUS_TRY(read_head(in_, pos_, &h));
  if (h.arg > static_cast<uint64_t>(INT64_MAX)) {
    return CborError::kIntegerOverflow;
  }
  const int64_t a = static_cast<int64_t>(h.arg);
  *v = major == 0 ? a : -1 - a;
  pos_ += h.len;
  return Status::Ok();
}

Status Decoder::read_negative(uint64_t* n) {
  Head h;
  LOCUS_TRY(expect_head(in_, pos_, 1, &h));
  *n = h.arg;
  pos_ += h.len;
  return Status::Ok();
}

Status Decoder::read_bytes(ByteSpan* v) {
  Head h;
  LOCUS_TRY(expect_head(in_, pos_, 2, &h));
  if (h.arg > in_.size - pos_ - h.len) {
    return CborError::kLengthTooLarge;
  }
  *v = ByteSpan(in_.data + pos_ + h.len, static_cast<size_t>(h.arg));
  pos_ += h.len + static_cast<size_t>(h.arg);
  return Status::Ok();
}

Status Decoder::read_bytes_exact(ByteSpan* v, size_t n) {
  const size_t start = pos_;
  ByteSpan b;
  LOCUS_TRY(read_bytes(&b));
  if (b.size != n) {
    pos_ = start;
    return CborError::kWrongLength;
  }
  *v = b;
  return Status::Ok();
}

Status Decoder::read_text(ByteSpan* v) {
  Head h;
  LOCUS_TRY(expect_head(in_, pos_, 3, &h));
  if (h.arg > in_.size - pos_ - h.len) {
    return CborError::kLengthTooLarge;
  }
  const uint8_t* p = in_.data + pos_ + h.len;
  if (!utf8_valid(p, static_cast<size_t>(h.arg))) {
    return CborError::kBadUtf8;
  }
  *v = ByteSpan(p, static_cast<size_t>(h.arg));
  pos_ += h.len + static_cast<size_t>(h.arg);
  return Status::Ok();
}

Status Decoder::read_array(uint64_t* n) {
  Head h;
  LOCUS_TRY(expect_head(in_, pos_, 4, &h));
  if (h.arg > in_.size - pos_ - h.len) {
    return CborError::kLengthTooLarge;
  }
  *n = h.arg;
  pos_ += h.len;
  return Status::Ok();
}

Status Decoder::read_map(uint64_t* n) {
  Head h;
  LOCUS_TRY(expect_head(in_, pos_, 5, &h));
  if (h.arg > (in_.size - pos_ - h.len) / 2) {
    return CborError::kLengthTooLarge;
  }
  *n = h.arg;
  pos_ += h.len;
  return Status::Ok();
}

Status Decoder::read_tag(uint64_t* t) {
  Head h;
  LOCUS_TRY(expect_head(in_, pos_, 6, &h));
  *t = h.arg;
  pos_ += h.len;
  return Status::Ok();
}

Status Decoder::expect_tag(uint64_t t) {
  Head h;
  LOCUS_TRY(expect_head(in_, pos_, 6, &h));
  if (h.arg != t) {
    return CborError::kWrongTag;
  }
  pos_ += h.len;
  return Status::Ok();
}

Status Decoder::read_bool(bool* v) {
  if (pos_ >= in_.size) {
    return CborError::kTruncated;
  }
  const uint8_t b = in_.data[pos_];
  if (b == (0xE0 | kSimpleFalse) || b == (0xE0 | kSimpleTrue)) {
    *v = b == (0xE0 | kSimpleTrue);
    ++pos_;
    return Status::Ok();
  }
  return CborError::kWrongType;
}

Status Decoder::read_null() {
  if (pos_ >= in_.size) {
    return CborError::kTruncated;
  }
  if (in_.data[pos_] != (0xE0 | kSimpleNull)) {
    return CborError::kWrongType;
  }
  ++pos_;
  return Status::Ok();
}

Status Decoder::skip(ByteSpan* item, uint8_t max_depth) {
  if (in_.data == nullptr && in_.size != 0) {
    return CoreError::kInvalidArgument;
  }
  const uint8_t limit = max_depth < kMaxDepthCap ? max_depth : kMaxDepthCap;
  // remaining[i]: items still to come at nesting level i + 1.
  uint32_t remaining[kMaxDepthCap];
  size_t depth = 0;
  size_t pos = pos_;
  for (;;) {
    Head h;
    LOCUS_TRY(read_head(in_, pos, &h));
    pos += h.len;
    const size_t left = in_.size - pos;
    uint64_t count = 0;
    switch (h.major) {
      case 2:
      case 3:
        if (h.arg > left) {
          return CborError::kLengthTooLarge;
        }
        if (h.major == 3 && !utf8_valid(in_.data + pos, static_cast<size_t>(h.arg))) {
          return CborError::kBadUtf8;
        }
        pos += static_cast<size_t>(h.arg);
        break;
      case 4:
        if (h.arg > left) {
          return CborError::kLengthTooLarge;
        }
        count = h.arg;
        break;
      case 5:
        if (h.arg > left / 2) {
          return CborError::kLengthTooLarge;
        }
        count = h.arg * 2;
        break;
      case 6: count = 1; break;
      default: break;
    }
    if (count != 0) {
      if (depth >= limit) {
        return CborError::kTooDeep;
      }
      if (count > 0xFFFFFFFFULL) {
        return CborError::kLengthTooLarge;
      }
      remaining[depth++] = static_cast<uint32_t>(count);
      continue;
    }
    // The item is complete: close every container it finishes.
    while (depth > 0 && --remaining[depth - 1] == 0) {
      --depth;
    }
    if (depth == 0) {
      break;
    }
  }
  if (item != nullptr) {
    *item = ByteSpan(in_.data + pos_, pos - pos_);
  }
  pos_ = pos;
  return Status::Ok();
}

}  // namespace locus::cbor
