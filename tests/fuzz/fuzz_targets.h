// Fuzz entry points for locus decoders of untrusted input. Each takes one input and returns
// 0; it aborts (via __builtin_trap) when an invariant breaks, so both libFuzzer and the
// corpus replay runner see a crash. Add a target: write fuzz_<name>.cpp defining
// extern "C" int locus_fuzz_<name>(const uint8_t*, size_t), add one line <name>:<library>
// to LOCUS_FUZZ_TARGETS in CMakeLists.txt, and commit seeds in corpus/<name>/. The replay
// runner's table is generated from that list; declaring the function here is optional.
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {
int locus_fuzz_cbor(const uint8_t* data, size_t size);
int locus_fuzz_cose(const uint8_t* data, size_t size);
}

#define LOCUS_FUZZ_CHECK(cond) \
  do {                         \
    if (!(cond)) __builtin_trap(); \
  } while (0)
