// locus_test/mutate.h: the seeded mutator shared by the fuzz tests (host only). The same
// seed gives the same sequence of inputs, so a failure reproduces exactly.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <vector>

namespace locus_test {

constexpr uint64_t kDefaultFuzzSeed = 0x9E3779B97F4A7C15ull;

// xorshift64 (a zero seed is replaced by 1: the generator would stay at 0).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed = kDefaultFuzzSeed) : s(seed == 0 ? 1 : seed) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  // Uniform enough in [0, n); 0 when n == 0.
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

// Applies 1..4 random edits to b: bit flip, byte set to a CBOR/DER/protocol boundary
// value, random byte, insertion, deletion, truncation, duplicated chunk, a plausible 16-bit
// big-endian length field (0x00 0xNN), and (when corpus is given and not empty) a splice
// with another corpus input. Insertions stop growing b beyond kMaxMutatedSize bytes.
constexpr size_t kMaxMutatedSize = 4096;
void mutate(std::vector<uint8_t>& b, Rng& r,
            const std::vector<std::vector<uint8_t>>* corpus = nullptr);

// A mutated copy of in.
inline std::vector<uint8_t> mutated(const std::vector<uint8_t>& in, Rng& r,
                                    const std::vector<std::vector<uint8_t>>* corpus = nullptr) {
  std::vector<uint8_t> b = in;
  mutate(b, r, corpus);
  return b;
}

}  // namespace locus_test
