// locus/crypto/cbor.h: deterministic CBOR (RFC 8949 §4.2) without allocation.
//
// Supported: unsigned/negative integers (64-bit), byte and text strings, arrays, maps,
// tags, false/true/null. Not supported (rejected by the decoder): floats, undefined,
// other simple values, indefinite lengths.
//
// Encoder: writes into a caller buffer, always in the shortest form; the first error is
// sticky and reported by finish(). Map key order is the caller's duty (keys sorted by
// their encoded bytes); validate() checks it.
// Decoder: a pull parser over a byte span. Call validate() on untrusted input first; it
// checks well-formedness, canonical form and limits (depth, items) in one bounded pass.
#pragma once

#include "locus/span.h"
#include "locus/status.h"

namespace locus::cbor {

enum class CborError : uint8_t {
  kTruncated = 1,         // input ends inside an item
  kBufferFull = 2,        // encoder ran out of space
  kWrongType = 3,         // item has another major type than asked for
  kIndefiniteLength = 4,  // indefinite-length items are not accepted
  kNonCanonical = 5,      // an argument not in its shortest form
  kUnsortedMapKeys = 6,   // map keys not in bytewise lexicographic order
  kDuplicateMapKey = 7,
  kTooDeep = 8,                  // nesting deeper than the limit
  kTooManyItems = 9,             // more items than the limit
  kUnsupportedType = 10,         // float, undefined or other simple value
  kReservedAdditionalInfo = 11,  // additional info 28..30
  kTrailingBytes = 12,           // bytes after the top-level item
  kIntegerOverflow = 13,         // value does not fit the requested C++ type
  kLengthTooLarge = 14,          // a length that runs past the end of the input
  kBadUtf8 = 15,                 // text string that is not valid UTF-8
  kWrongTag = 16,                // tag number other than the one expected
  kWrongLength = 17,             // string or container with another length than required
};
const char* to_string(CborError e);

enum class MajorType : uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7,
};

class Encoder {
 public:
  Encoder(uint8_t* buf, size_t cap) : buf_(buf), cap_(cap) {}
  explicit Encoder(MutByteSpan out) : buf_(out.data), cap_(out.size) {}
  // An encoder that writes nothing and has no capacity limit: its size() is the exact length
  // the same calls write into a buffer, to size one for a second pass. reserve_bytes() fails
  // on it (kBufferFull): it has no memory to hand out.
  static Encoder measuring() {
    Encoder e(nullptr, SIZE_MAX);
    e.measuring_ = true;
    return e;
  }

  Encoder& uint(uint64_t v);
  Encoder& int64(int64_t v);
  // Negative integer -1 - n (major type 1 with argument n): reaches -2^64, which int64 cannot.
  Encoder& negative(uint64_t n);
  Encoder& bytes(ByteSpan b);
  Encoder& text(const char* s);  // NUL-terminated
  Encoder& text(ByteSpan s);
  Encoder& array(uint64_t n);
  Encoder& map(uint64_t n);
  Encoder& tag(uint64_t t);
  Encoder& boolean(bool b);
  Encoder& null();
  // Appends bytes that are already one or more encoded CBOR items.
  Encoder& raw(ByteSpan encoded);
  // Writes a byte-string head of length n and returns where its n content bytes go
  // (nullptr on error), for callers that fill the content in place.
  uint8_t* reserve_bytes(size_t n);

  size_t size() const { return len_; }
  Status status() const { return status_; }
  // The encoded length, or the first error.
  Result<size_t> finish() const;

 private:
  void head(uint8_t major, uint64_t arg);
  void put(const uint8_t* p, size_t n);
  uint8_t* buf_;
  size_t cap_;
  size_t len_ = 0;
  Status status_ = Status::Ok();
  bool measuring_ = false;
};

// validate() keeps one small frame per nesting level on the stack; max_depth is clamped to
// this cap so that the stack use is fixed (about 20 bytes per level).
constexpr uint8_t kMaxDepthCap = 32;
// Inputs are indexed with 32 bits; validate() refuses larger ones with kLengthTooLarge.
constexpr size_t kMaxInputSize = 0x7FFFFFFF;

struct Limits {
  uint8_t max_depth = 16;     // containers and tags nested inside each other (top level = 1)
  uint32_t max_items = 4096;  // heads in the whole input (every integer, string, container, tag)
};

// Checks that `in` is exactly one well-formed, deterministic CBOR item within limits.
// One iterative pass, no recursion, no allocation. Errors, by first cause found:
//   head cut short -> kTruncated; string length / container count beyond the input ->
//   kLengthTooLarge; ai 28..30 -> kReservedAdditionalInfo; ai 31 -> kIndefiniteLength;
//   non-shortest argument -> kNonCanonical; float/undefined/simple other than
//   false/true/null -> kUnsupportedType; bad UTF-8 -> kBadUtf8; map keys equal ->
//   kDuplicateMapKey, decreasing -> kUnsortedMapKeys; limits -> kTooDeep / kTooManyItems;
//   bytes after the item -> kTrailingBytes.
Status validate(ByteSpan in, Limits limits = Limits());

class Decoder {
 public:
  explicit Decoder(ByteSpan in) : in_(in) {}

  // Type of the next item (kTruncated at end of input).
  Result<MajorType> peek() const;
  Status read_uint(uint64_t* v);
  Status read_int(int64_t* v);        // major 0 or 1, within int64
  Status read_negative(uint64_t* n);  // major 1, raw argument n (the value is -1 - n)
  Status read_bytes(ByteSpan* v);     // zero-copy view into the input
  // A byte string of exactly n bytes (kWrongLength otherwise, nothing consumed): nonces,
  // digests, keys, signatures.
  Status read_bytes_exact(ByteSpan* v, size_t n);
  Status read_text(ByteSpan* v);
  Status read_array(uint64_t* n);
  Status read_map(uint64_t* n);
  Status read_tag(uint64_t* t);
  Status expect_tag(uint64_t t);  // kWrongTag if another tag
  Status read_bool(bool* v);
  Status read_null();
  // Skips one whole item; returns its encoded bytes in *item if given. Iterative (a count of
  // pending items, no recursion, each step consumes input), so its cost is bounded by the
  // input length; nesting deeper than max_depth is refused with kTooDeep.
  Status skip(ByteSpan* item = nullptr, uint8_t max_depth = 16);
  bool at_end() const { return pos_ == in_.size; }
  size_t position() const { return pos_; }
  // The bytes not yet consumed.
  ByteSpan rest() const { return ByteSpan(in_.data + pos_, in_.size - pos_); }
  // Every read_*() either succeeds and consumes its item (for containers and tags: only the
  // head), or fails and leaves the position unchanged. The decoder checks heads and string
  // content itself (shortest form, lengths within the input, UTF-8 of text), so it is safe
  // on any input; validate() adds the whole-item checks (key order, limits, trailing bytes).

 private:
  Status head(uint8_t* major, uint64_t* arg, uint8_t* ai);
  ByteSpan in_;
  size_t pos_ = 0;
};

}  // namespace locus::cbor

namespace locus {
template <>
struct ErrorModule<cbor::CborError> {
  static constexpr Module value = Module::kCbor;
};
}  // namespace locus
