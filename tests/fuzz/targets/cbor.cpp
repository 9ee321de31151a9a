// Fuzz target cbor: cbor::validate() and the Decoder on arbitrary bytes.
// Invariants checked:
//   - nothing crashes or reads out of bounds (ASan/UBSan in the fuzz builds);
//   - every Decoder read either consumes input or fails without moving;
//   - for input validate() accepts: skip() consumes exactly the whole input, and walking it
//     with the pull decoder and re-encoding every head with the Encoder reproduces the
//     input byte for byte (deterministic encoding is a fixed point).
#include "locus/crypto/cbor.h"

#include <string.h>

#include "fuzz_targets.h"

using locus::ByteSpan;
using locus::cbor::Decoder;
using locus::cbor::Encoder;
using locus::cbor::MajorType;

namespace {

// Reads one head (strings with their content) and re-encodes it into e. Returns false when
// the decoder refuses the item (then the position must not have moved).
bool walk_one(Decoder& d, Encoder& e) {
  const size_t before = d.position();
  auto p = d.peek();
  if (!p.ok()) return false;
  bool ok = false;
  uint64_t u = 0;
  ByteSpan s;
  switch (p.value()) {
    case MajorType::kUnsigned:
      ok = d.read_uint(&u).ok();
      if (ok) e.uint(u);
      break;
    case MajorType::kNegative:
      ok = d.read_negative(&u).ok();
      if (ok) e.negative(u);
      break;
    case MajorType::kBytes:
      ok = d.read_bytes(&s).ok();
      if (ok) e.bytes(s);
      break;
    case MajorType::kText:
      ok = d.read_text(&s).ok();
      if (ok) e.text(s);
      break;
    case MajorType::kArray:
      ok = d.read_array(&u).ok();
      if (ok) e.array(u);
      break;
    case MajorType::kMap:
      ok = d.read_map(&u).ok();
      if (ok) e.map(u);
      break;
    case MajorType::kTag:
      ok = d.read_tag(&u).ok();
      if (ok) e.tag(u);
      break;
    case MajorType::kSimple: {
      bool b = false;
      if (d.read_bool(&b).ok()) {
        e.boolean(b);
        ok = true;
      } else if (d.read_null().ok()) {
        e.null();
        ok = true;
      }
      break;
    }
  }
  if (ok) {
    LOCUS_FUZZ_CHECK(d.position() > before);
  } else {
    LOCUS_FUZZ_CHECK(d.position() == before);
  }
  return ok;
}

uint8_t g_out[1 << 16];

}  // namespace

extern "C" int locus_fuzz_cbor(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  const bool valid = locus::cbor::validate(in).ok();
  if (valid) LOCUS_FUZZ_ACCEPTED();
  // Tight limits exercise the limit paths on the same input.
  locus::cbor::Limits tight;
  tight.max_depth = 3;
  tight.max_items = 8;
  const bool valid_tight = locus::cbor::validate(in, tight).ok();
  LOCUS_FUZZ_CHECK(!valid_tight || valid);  // tighter limits never accept more

  Decoder sk(in);
  ByteSpan item;
  const bool skipped = sk.skip(&item, locus::cbor::kMaxDepthCap).ok();
  if (valid) {
    LOCUS_FUZZ_CHECK(skipped && sk.at_end() && item.size == size);
  } else if (!skipped) {
    LOCUS_FUZZ_CHECK(sk.position() == 0);
  }

  // Walk every head. Each successful step consumes at least one byte, so at most `size`.
  Decoder d(in);
  Encoder e(g_out, sizeof g_out);
  size_t steps = 0;
  while (!d.at_end() && steps <= size) {
    if (!walk_one(d, e)) break;
    ++steps;
  }
  if (valid && size <= sizeof g_out) {
    LOCUS_FUZZ_CHECK(d.at_end());
    auto r = e.finish();
    LOCUS_FUZZ_CHECK(r.ok() && r.value() == size && memcmp(g_out, data, size) == 0);
  }
  return 0;
}
