// Fuzz entry points for locus decoders of untrusted input (tests only).
//
// Each target is one file targets/<name>.cpp defining
//   extern "C" int locus_fuzz_<name>(const uint8_t* data, size_t size);
// which feeds one input to the real decoder, returns 0, and traps (__builtin_trap) when an
// invariant breaks, so libFuzzer, the replay runner and the sanitizers all see a crash.
// A target calls LOCUS_FUZZ_ACCEPTED() when the decoder under test accepted the input: the
// replay runner fails when no committed seed of a target is accepted (a target whose seeds
// all bounce off the first check fuzzes nothing). Add a target: write the file, add one line
// to LOCUS_FUZZ_TARGETS in CMakeLists.txt, commit seeds in corpus/<name>/ (gen_seeds.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern "C" {
// Number of inputs accepted since the last reset (the replay runner reads it).
extern unsigned long locus_fuzz_accepted_count;
}

#define LOCUS_FUZZ_CHECK(cond)     \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

#define LOCUS_FUZZ_ACCEPTED() (++locus_fuzz_accepted_count)

namespace locus_fuzz {

inline bool same_bytes(const uint8_t* a, size_t an, const uint8_t* b, size_t bn) {
  return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

// Splits fuzz input into records: [len u16 big-endian][len bytes]...; a short last record
// takes what is left.
struct Chunks {
  const uint8_t* p;
  size_t left;
  bool next(const uint8_t** out, size_t* n) {
    if (left < 2) return false;
    size_t want = static_cast<size_t>(p[0]) << 8 | p[1];
    p += 2;
    left -= 2;
    if (want > left) want = left;
    *out = p;
    *n = want;
    p += want;
    left -= want;
    return true;
  }
};

}  // namespace locus_fuzz
