// The release behaviour of the test hooks (locus/boards/cortex_m.h, namespace test): weak
// definitions that change nothing. A test image links strong ones in their place.
#include "locus/boards/cortex_m.h"

namespace locus::cm::test {

__attribute__((weak)) FlashStep flash_op(FlashOp, uint32_t, size_t len) {
  return {len, false};
}

__attribute__((weak)) void power_cut() {
  // Unreachable in release images (flash_op never asks for a cut); end closed if it happens.
  semi::exit(0x7D);
}

__attribute__((weak)) bool watchdog_stall() {
  return false;
}

__attribute__((weak)) void banner() {}

}  // namespace locus::cm::test
