// Monotonic time from SysTick. QEMU models SysTick on its virtual clock; with CLKSOURCE = 1
// it counts at the CPU clock the machine declares (mps2-an386: 25 MHz, AST1030: 200 MHz).
//
// The 24-bit counter's period is mhz * 2^k ticks (the largest that fits in 24 bits) and the
// wrap interrupt counts periods. Used for instruction-accurate figures under -icount; the
// board's monotonic_us() comes from a 32-bit timer instead (see micros() in cortex_m.h).
#include <stdint.h>

#include "locus/boards/cortex_m.h"

namespace {
volatile uint32_t* const kSystCsr = reinterpret_cast<volatile uint32_t*>(0xE000E010u);
volatile uint32_t* const kSystRvr = reinterpret_cast<volatile uint32_t*>(0xE000E014u);
volatile uint32_t* const kSystCvr = reinterpret_cast<volatile uint32_t*>(0xE000E018u);
volatile uint32_t* const kIcsr = reinterpret_cast<volatile uint32_t*>(0xE000ED04u);
constexpr uint32_t kPendStSet = 1u << 26;
constexpr uint32_t kPendStClr = 1u << 25;
constexpr uint32_t kMaxPeriod = 1u << 24;

volatile uint32_t g_wraps = 0;
uint32_t g_period = kMaxPeriod;  // ticks per SysTick period
uint32_t g_mhz = 1;              // ticks per microsecond

// A consistent (periods, ticks into the period) pair. With interrupts masked, a wrap that
// happened but was not counted yet shows up as a pending SysTick; the counter value read
// after checking the pending bit then belongs to the next period.
void snapshot(uint32_t* wraps, uint32_t* elapsed) {
  uint32_t primask = 0;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  const uint32_t v1 = *kSystCvr;
  const bool pending = (*kIcsr & kPendStSet) != 0;
  const uint32_t v2 = *kSystCvr;
  const uint32_t w = g_wraps;
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
  if (pending && v2 != 0) {  // reloaded: the wrap belongs to the count
    *wraps = w + 1;
    *elapsed = g_period - 1 - v2;
  } else if (pending) {  // at zero, not reloaded yet: the last tick of this period
    *wraps = w;
    *elapsed = g_period - 1;
  } else {
    *wraps = w;
    *elapsed = g_period - 1 - v1;
  }
}
}  // namespace

extern "C" void SysTick_Handler() {
  g_wraps = g_wraps + 1;
}

namespace locus::cm {

void systick_start() {
  g_mhz = port::kCpuHz / 1000000u;
  if (g_mhz == 0 || port::kCpuHz % 1000000u != 0) {  // boards declare whole MHz
    semi::write0("locus: CPU clock is not a whole number of MHz\n");
    semi::exit(0x7D);
  }
  uint32_t k = 0;
  while ((uint64_t{g_mhz} << (k + 1)) <= kMaxPeriod) {
    ++k;
  }
  g_period = g_mhz << k;
  *kSystCsr = 0;
  *kSystRvr = g_period - 1;
  *kSystCvr = 0;
  // Run without the interrupt until the first reload, then drop the wrap that starting
  // from zero may have pended: time starts at zero, not one period in.
  *kSystCsr = 0x5;  // ENABLE | CLKSOURCE (processor clock)
  for (uint32_t i = 0; i < 100000u && *kSystCvr == 0; ++i) {
  }
  *kIcsr = kPendStClr;
  g_wraps = 0;
  *kSystCsr = 0x7;  // ENABLE | TICKINT | CLKSOURCE
  port::timer_init();
}

namespace {
uint32_t g_timer_last = 0;
uint32_t g_timer_rem = 0;  // ticks not yet converted into a whole microsecond
uint64_t g_timer_us = 0;
bool g_timer_started = false;
}  // namespace

// 32-bit arithmetic only: delta / mhz and delta % mhz are single UDIV/MLS instructions.
uint64_t micros() {
  uint32_t primask = 0;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  const uint32_t mhz = port::kTimerHz / 1000000u;
  const uint32_t now = port::timer_count();
  if (!g_timer_started) {
    g_timer_last = now;
    g_timer_started = true;
  }
  const uint32_t delta = now - g_timer_last;
  g_timer_last = now;
  uint32_t add = delta / mhz;
  g_timer_rem += delta % mhz;
  if (g_timer_rem >= mhz) {
    g_timer_rem -= mhz;
    ++add;
  }
  g_timer_us += add;
  const uint64_t us = g_timer_us;
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
  return us;
}

uint64_t ticks() {
  uint32_t w = 0;
  uint32_t e = 0;
  snapshot(&w, &e);
  return uint64_t{w} * g_period + e;
}

uint64_t ticks_to_ns(uint64_t t) {
  // t * 1000 / mhz without overflow for any realistic uptime.
  return (t / g_mhz) * 1000u + ((t % g_mhz) * 1000u) / g_mhz;
}

}  // namespace locus::cm
