// locus/common/clock.h: wall and monotonic clocks.
#pragma once

#include <cstdint>

namespace locus::host {

// Wall clock (seconds since the epoch) and a monotonic clock in milliseconds.
int64_t unix_time();
int64_t monotonic_ms();

}  // namespace locus::host
