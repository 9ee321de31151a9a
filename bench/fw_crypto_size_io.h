// bench: the volatile input and sink of the never-run size images (fw_crypto_size*.cpp), so
// that nothing the image references can be folded away. Each image includes this once.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "locus/status.h"

// Each image includes this header exactly once, and the unnamed namespace keeps what it
// defines inside that image: no ODR question arises.
// NOLINTBEGIN(misc-definitions-in-headers)
namespace {
volatile uint8_t g_input[64];
volatile uint32_t g_sink;

int entropy(void*, uint8_t* out, size_t len) {
  for (size_t i = 0; i < len; ++i) out[i] = g_input[i % sizeof(g_input)];
  return 0;
}

void sink(locus::Status s) {
  g_sink = g_sink + s.code();
}
}  // namespace
// NOLINTEND(misc-definitions-in-headers)
