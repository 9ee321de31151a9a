// locus/crypto/ct.h: constant-time comparison and zeroisation.
#pragma once

#include "locus/span.h"

namespace locus::crypto {

// True only if a and b have the same length and the same bytes. Time depends on the
// length only, never on the contents.
bool ct_equal(ByteSpan a, ByteSpan b);

// Overwrites n bytes at p with zeros in a way the compiler cannot elide.
void zeroize(void* p, size_t n);

}  // namespace locus::crypto
