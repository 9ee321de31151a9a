// Arm MPS2 AN386 under QEMU (-M mps2-an386): Cortex-M4 at 25 MHz, console/link on CMSDK APB
// UART0 at 0x40004000 (QEMU's first -serial).
//
// CMSDK APB UART registers (Arm DDI 0479, QEMU hw/char/cmsdk-apb-uart.c):
//   0x00 DATA, 0x04 STATE (bit0 TX full, bit1 RX full), 0x08 CTRL (bit0 TX enable,
//   bit1 RX enable), 0x10 BAUDDIV (>= 16). The RX buffer holds one byte; QEMU holds further
//   input back in the chardev until it is read, so nothing is lost while the core computes.
#include <stdint.h>

#include "locus/boards/cortex_m.h"

namespace locus::cm::port {
namespace {
constexpr uintptr_t kUart0 = 0x40004000u;
volatile uint32_t& reg(uintptr_t off) {
  return *reinterpret_cast<volatile uint32_t*>(kUart0 + off);
}
constexpr uint32_t kStateTxFull = 1u << 0;
constexpr uint32_t kStateRxFull = 1u << 1;
}  // namespace

const uint32_t kCpuHz = 25000000u;
const char* const kHwModel = "locus-qemu-mps2-an386";

void uart_init() {
  reg(0x08) = 0;                 // disable while configuring
  reg(0x10) = kCpuHz / 115200u;  // 115200 baud (QEMU does not pace, but checks >= 16)
  reg(0x08) = 0x3;               // TX + RX enable, no interrupts
}

void uart_put(uint8_t b) {
  while ((reg(0x04) & kStateTxFull) != 0) {
  }
  reg(0x00) = b;
}

// CMSDK APB timer 0 at 0x40000000 (QEMU: clocked by the 25 MHz system clock): a 32-bit
// down-counter, 0x00 CTRL (bit0 enable), 0x04 VALUE, 0x08 RELOAD. Wraps every 171 s.
namespace {
volatile uint32_t& timer_reg(uintptr_t off) {
  return *reinterpret_cast<volatile uint32_t*>(0x40000000u + off);
}
}  // namespace
const uint32_t kTimerHz = 25000000u;
void timer_init() {
  timer_reg(0x00) = 0;
  timer_reg(0x08) = 0xFFFFFFFFu;
  timer_reg(0x04) = 0xFFFFFFFFu;
  timer_reg(0x00) = 1;  // enable, internal clock, no interrupt
}
uint32_t timer_count() {
  return ~timer_reg(0x04);
}  // as an up-counter

bool uart_try_get(uint8_t* b) {
  if ((reg(0x04) & kStateRxFull) == 0) {
    return false;
  }
  *b = static_cast<uint8_t>(reg(0x00) & 0xFF);
  return true;
}

// No watchdog is armed on this board (the AST1030 is the one with a serviced watchdog).
bool watchdog_start(uint32_t) {
  return false;
}
void watchdog_kick() {}

}  // namespace locus::cm::port
