// The firmware image of the QEMU Cortex-M4 boards: the unchanged firmware core
// (locus_firmware_core) driven by the board's UART. Logs go to the semihosting console
// (QEMU's stderr); the UART carries only protocol frames.
#include "locus/boards/cortex_m.h"
#include "locus/firmware/core.h"

namespace {
locus::firmware::Core g_core;  // all core state, static (no heap)
}

int main() {
  locus::board::log("locus-fw on ");
  locus::board::log(locus::cm::port::kHwModel);
  locus::board::log("EMULATION ONLY: QEMU board, entropy and UDS storage are not secure");
  const locus::Status st = g_core.boot(locus::cm::port::kHwModel);
  locus::board::log(st.ok() ? "boot: ready" : "boot: FAILED (answering with the boot error)");
  for (;;) {
    // kLinkTimeout is the normal idle case; the loop also runs the lease check.
    g_core.run_once(20).IgnoreError();
  }
}
