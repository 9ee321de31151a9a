// Fuzz entry points for locus decoders of untrusted input. Each takes one input and returns
// 0; it aborts (via __builtin_trap) when an invariant breaks, so both libFuzzer and the
// corpus replay runner see a crash. Add a target: write fuzz_<name>.cpp with
// locus_fuzz_<name>(), declare it here, and add one line to LOCUS_FUZZ_TARGETS in
// CMakeLists.txt (plus a seed folder corpus/<name>/).
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
