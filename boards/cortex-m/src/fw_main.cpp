// The firmware image of the QEMU Cortex-M4 boards: the unchanged firmware core
// (locus_firmware_core) driven by the board's UART. Logs go to the semihosting console
// (QEMU's stderr); the UART carries only protocol frames.
//
// Watchdog (ast1030-evb): armed before boot with kWatchdogMs and kicked on every turn of the
// main loop (each turn waits at most 20 ms for link input, then handles one request; the
// longest request, boot's DICE derivation, is ~100 M instructions). A firmware that stops
// turning the loop is reset by the SoC and boots again RESTRICTED (set_interconnect at reset).
#include "locus/boards/cortex_m.h"
#include "locus/firmware/core.h"

namespace {
locus::firmware::Core g_core;  // all core state, static (no heap)
// Generous against a loaded host: QEMU's watchdog counts host time while TCG may run the
// guest several times slower than usual.
constexpr uint32_t kWatchdogMs = 8000;
}  // namespace

int main() {
  locus::board::log("locus-fw on ");
  locus::board::log(locus::cm::port::kHwModel);
  locus::board::log("EMULATION ONLY: QEMU board, the UDS and the storage are not protected");
  locus::cm::test::banner();
  const bool wdt = locus::cm::port::watchdog_start(kWatchdogMs);
  locus::board::log(wdt ? "watchdog: armed (8 s), serviced by the main loop"
                        : "watchdog: none on this board");
  const locus::Status st = g_core.boot(locus::cm::port::kHwModel);
  locus::board::log(st.ok() ? "boot: ready" : "boot: FAILED (answering with the boot error)");
  for (;;) {
    if (locus::cm::test::watchdog_stall()) {
      locus::board::log("TEST: main loop stalled on purpose; the watchdog must reset the board");
      for (;;) {
      }
    }
    locus::cm::port::watchdog_kick();
    // kLinkTimeout is the normal idle case; the loop also runs the lease check.
    g_core.run_once(20).IgnoreError();
  }
}
