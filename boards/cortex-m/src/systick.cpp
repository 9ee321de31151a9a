// Monotonic time from SysTick. QEMU models SysTick on its virtual clock; with CLKSOURCE = 1
// it counts at the CPU clock the machine declares (mps2-an386: 25 MHz, AST1030: 200 MHz).
// The 24-bit counter wraps every 2^24 ticks; the wrap interrupt extends it to 64 bits.
#include <stdint.h>

#include "locus/boards/cortex_m.h"

namespace {
volatile uint32_t* const kSystCsr = reinterpret_cast<volatile uint32_t*>(0xE000E010u);
volatile uint32_t* const kSystRvr = reinterpret_cast<volatile uint32_t*>(0xE000E014u);
volatile uint32_t* const kSystCvr = reinterpret_cast<volatile uint32_t*>(0xE000E018u);
volatile uint32_t* const kIcsr = reinterpret_cast<volatile uint32_t*>(0xE000ED04u);
constexpr uint32_t kReload = 0x00FFFFFFu;
constexpr uint64_t kPeriod = uint64_t{kReload} + 1;
constexpr uint32_t kPendStSet = 1u << 26;
volatile uint32_t g_wraps = 0;
}  // namespace

extern "C" void SysTick_Handler() { g_wraps = g_wraps + 1; }

namespace locus::cm {

void systick_start() {
  *kSystCsr = 0;
  *kSystRvr = kReload;
  *kSystCvr = 0;
  *kSystCsr = 0x7;  // ENABLE | TICKINT | CLKSOURCE (processor clock)
}

// Reads (wraps, counter) consistently: with interrupts masked, a wrap that happened but was
// not yet counted shows up as a pending SysTick; the counter value read after checking the
// pending bit then belongs to the next period.
uint64_t ticks() {
  uint32_t primask;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  const uint32_t v1 = *kSystCvr;
  const bool pending = (*kIcsr & kPendStSet) != 0;
  const uint32_t v2 = *kSystCvr;
  const uint32_t w = g_wraps;
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
  if (pending) return (uint64_t{w} + 1) * kPeriod + (kReload - v2);
  return uint64_t{w} * kPeriod + (kReload - v1);
}

uint64_t ticks_to_ns(uint64_t t) {
  // t * 1e9 / hz without overflow for any realistic uptime: split whole seconds off first.
  const uint64_t hz = port::kCpuHz;
  return (t / hz) * 1000000000ull + ((t % hz) * 1000000000ull) / hz;
}

}  // namespace locus::cm
