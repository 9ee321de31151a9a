// locus/common/random.h: the OS CSPRNG (getrandom) and the entropy callback for crypto::Drbg.
#pragma once

#include <cstddef>
#include <cstdint>

namespace locus::host {

// Fills out with bytes from the OS CSPRNG (getrandom). False on failure.
bool os_random(uint8_t* out, size_t len);
// Entropy callback for crypto::Drbg::seed.
int os_entropy(void* ctx, uint8_t* out, size_t len);

}  // namespace locus::host
