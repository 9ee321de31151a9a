// Aspeed AST1030 MiniBMC under QEMU (-M ast1030-evb): Cortex-M4 at 200 MHz, console/link on
// UART5 at 0x7E784000 (QEMU's first -serial), a 16550-compatible UART with 4-byte register
// stride (QEMU serial_mm, regshift 2). QEMU's model needs no clock or reset setup in the SCU.
//
//   0x00 RBR/THR (DLL when LCR.DLAB), 0x04 IER (DLM), 0x08 FCR, 0x0C LCR, 0x10 MCR, 0x14 LSR
//   LSR bit0 = data ready, bit5 = THR empty.
//
// The line rate is the image's link-time UART setting (uart_setting.h: the divisor for
// LOCUS_AST1030_UART_BAUD on the 24 MHz / 13 UART clock). uart_init reads the divisor back
// from DLL/DLM and names rate and divisor on the semihosting console at reset.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "uart_setting.h"

namespace locus::cm::port {
namespace {
constexpr uintptr_t kUart5 = 0x7E784000u;
volatile uint32_t& reg(uintptr_t off) {
  return *reinterpret_cast<volatile uint32_t*>(kUart5 + off);
}
constexpr uint32_t kLsrDataReady = 1u << 0;
constexpr uint32_t kLsrThrEmpty = 1u << 5;

// "[locus] uart: ..." on the semihosting console (the UART carries only protocol frames).
void write_dec(uint32_t v) {
  char buf[11];
  size_t i = sizeof(buf) - 1;
  buf[i] = 0;
  do {
    buf[--i] = static_cast<char>('0' + v % 10u);
    v /= 10u;
  } while (v != 0 && i > 0);
  semi::write0(&buf[i]);
}
}  // namespace

const uint32_t kCpuHz = 200000000u;
const char* const kHwModel = "locus-qemu-ast1030-evb";

void uart_init() {
  const uint32_t div = ast1030::kUartDivisor;
  reg(0x0C) = 0x80;               // DLAB
  reg(0x00) = div & 0xFF;         // DLL
  reg(0x04) = (div >> 8) & 0xFF;  // DLM
  const uint32_t read_back = (reg(0x00) & 0xFF) | ((reg(0x04) & 0xFF) << 8);
  reg(0x0C) = 0x03;  // 8N1, DLAB off
  // FIFOs on, receive trigger level 14: QEMU's 16550 then takes up to 14 bytes from the
  // chardev per main-loop turn instead of one, which shortens a timed round (a 19-byte
  // frame). Enabling the FIFOs clears them, so bytes a host sent before this instruction
  // (microseconds after reset) are dropped: scripts/qemu-board reports the link only after
  // "boot: ready", and the test harness repeats its first request until it is answered.
  reg(0x08) = 0xC7;  // FCR: FIFO enable, clear RX/TX, RX trigger 14
  reg(0x04) = 0;     // no interrupts: polled
  reg(0x10) = 0x03;  // DTR | RTS
  // e.g. "[locus] uart: UART5 115200 baud, divisor 1 (read back), 115384 baud at 24 MHz/13, 8N1"
  semi::write0("[locus] uart: UART5 ");
  write_dec(ast1030::kUartBaud);
  semi::write0(" baud, divisor ");
  write_dec(read_back);
  if (read_back == div) {
    semi::write0(" (read back), ");
    write_dec(ast1030::kUartClockHz24 / (ast1030::kUartClockDiv * 16u * div));
    semi::write0(" baud at 24 MHz/13, 8N1\n");
  } else {
    // The link will not work at the rate the host expects; say so rather than hide it.
    semi::write0(" read back, FAULT: programmed ");
    write_dec(div);
    semi::write0("\n");
  }
}

void uart_put(uint8_t b) {
  while ((reg(0x14) & kLsrThrEmpty) == 0) {
  }
  reg(0x00) = b;
}

// Aspeed timer 1 at 0x7E782000 with the 1 MHz external clock (QEMU hw/timer/aspeed_timer.c):
// 0x00 counter (down), 0x04 reload, 0x30 control (timer 1: bit0 enable, bit1 external
// clock; on the AST2600/AST1030 a write sets bits and 0x3C clears them). Wraps every 71 min.
namespace {
volatile uint32_t& timer_reg(uintptr_t off) {
  return *reinterpret_cast<volatile uint32_t*>(0x7E782000u + off);
}
}  // namespace
const uint32_t kTimerHz = 1000000u;
void timer_init() {
  timer_reg(0x3C) = 0xF;          // timer 1 off
  timer_reg(0x04) = 0xFFFFFFFFu;  // reload
  timer_reg(0x30) = 0x3;          // enable, external 1 MHz clock, no interrupt
}
uint32_t timer_count() {
  return ~timer_reg(0x00);
}  // as an up-counter

bool uart_try_get(uint8_t* b) {
  if ((reg(0x14) & kLsrDataReady) == 0) {
    return false;
  }
  *b = static_cast<uint8_t>(reg(0x00) & 0xFF);
  return true;
}

// Watchdog 1 at 0x7E785000 (QEMU hw/watchdog/wdt_aspeed.c, AST2600 flavour, 1 MHz count):
// 0x04 reload value (us), 0x08 restart (write 0x4755), 0x0C control: bit0 enable, bit1 reset
// the system on expiry (reset mode bits 6:5 = 0: SoC reset). QEMU's action on expiry is a
// system reset: the CPU restarts from the image, the flash keeps its content.
namespace {
volatile uint32_t& wdt_reg(uintptr_t off) {
  return *reinterpret_cast<volatile uint32_t*>(0x7E785000u + off);
}
constexpr uint32_t kWdtRestartMagic = 0x4755u;
}  // namespace

bool watchdog_start(uint32_t timeout_ms) {
  wdt_reg(0x0C) = 0;  // off while configuring
  if (timeout_ms == 0 || timeout_ms > 0xFFFFFFFFu / 1000u) {
    return false;
  }
  wdt_reg(0x04) = timeout_ms * 1000u;
  wdt_reg(0x08) = kWdtRestartMagic;
  wdt_reg(0x0C) = 0x3;  // enable, reset the system on expiry
  return (wdt_reg(0x0C) & 0x3) == 0x3;
}

void watchdog_kick() {
  wdt_reg(0x08) = kWdtRestartMagic;
}

}  // namespace locus::cm::port
