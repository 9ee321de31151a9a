// locus/firmware/hardened.h: values and checks for security decisions that a single bit
// flip, a skipped instruction or the optimiser cannot turn into "yes" (after OpenTitan's
// hardened.h and TF-M's fih.h).
//
// - Decisions are 32-bit words with far-apart encodings (Hamming distance >= 16), never bool.
// - launder32() hides a value from the optimiser: an empty asm that claims to change its
//   operand, so the compiler must materialise the constant and really compare, instead of
//   folding a check it can prove redundant. The built Cortex-M image is checked for the
//   constants and the second comparison (tests/firmware/check_hardened.sh).
// - Checks are made twice where it is cheap; a mismatch between the two is a fault, handled
//   by the caller as a refusal (the board stays or goes RESTRICTED).
#pragma once

#include <stdint.h>

namespace locus::firmware::hardened {

// Hamming distance between each pair below is >= 16 bits.
constexpr uint32_t kTrue = 0xC35A69A5u;
constexpr uint32_t kFalse = 0x3CA5965Au;

// Returns v unchanged, but the compiler can no longer see what it is.
inline uint32_t launder32(uint32_t v) {
  asm volatile("" : "+r"(v));
  return v;
}
inline uint64_t launder64(uint64_t v) {
  asm volatile("" : "+r"(v));
  return v;
}

// kTrue if a == b, else kFalse; both operands laundered so the comparison is really made.
inline uint32_t eq(uint32_t a, uint32_t b) {
  return launder32(a) == launder32(b) ? launder32(kTrue) : launder32(kFalse);
}

// True only for exactly kTrue (any other word, including a flipped kTrue, is false).
inline bool is_true(uint32_t v) {
  return launder32(v) == kTrue;
}

}  // namespace locus::firmware::hardened
