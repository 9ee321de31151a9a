// Reset and exception entry for the QEMU Cortex-M4 boards.
//
// Order at reset: enable the FPU (the image is built hard-float, so no C code may run
// before CPACR grants CP10/CP11), copy .data, zero .bss, paint the unused stack with a
// pattern (for the high-water mark), run C++ constructors, start SysTick, bring the UART
// up, call main(), and end the emulation with main's return value (semihosting exit).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"

extern "C" {
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
void Reset_Handler();
void Reset_C();
void Default_Handler();
void HardFault_Handler();
void SysTick_Handler();
}

namespace {
constexpr uint32_t kStackPaint = 0x5AC3A55Au;
}

// The first instructions: CPACR (0xE000ED88) |= CP10/CP11 full access, then barriers, then C.
extern "C" __attribute__((naked, noreturn)) void Reset_Handler() {
  __asm volatile(
      "ldr r0, =0xE000ED88\n"
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n"
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "b Reset_C\n");
}

extern "C" __attribute__((noreturn, used)) void Reset_C() {
  const uint32_t* src = __data_load;
  for (uint32_t* dst = __data_start; dst < __data_end;) {
    *dst++ = *src++;
  }
  for (uint32_t* p = __bss_start; p < __bss_end;) {
    *p++ = 0;
  }

  // Paint from the stack limit up to a little below the current stack pointer.
  uint32_t* sp = nullptr;
  __asm volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t* p = __stack_limit; p < sp - 16;) {
    *p++ = kStackPaint;
  }

  for (void (**f)() = __init_array_start; f < __init_array_end; ++f) {
    (*f)();
  }

  locus::cm::systick_start();
  locus::cm::port::uart_init();
  const int rc = main();
  locus::cm::semi::exit(static_cast<uint32_t>(rc));
}

namespace locus::cm {
size_t stack_size() {
  return static_cast<size_t>(reinterpret_cast<uintptr_t>(__stack_top) -
                             reinterpret_cast<uintptr_t>(__stack_limit));
}
size_t stack_high_water() {
  const uint32_t* p = __stack_limit;
  while (p < __stack_top && *p == kStackPaint) {
    ++p;
  }
  return static_cast<size_t>(reinterpret_cast<uintptr_t>(__stack_top) -
                             reinterpret_cast<uintptr_t>(p));
}
}  // namespace locus::cm

// A fault ends the emulation with a distinctive status instead of hanging a test.
extern "C" void HardFault_Handler() {
  locus::cm::semi::write0("locus: HardFault\n");
  locus::cm::uart_write("\r\nlocus: HardFault\r\n");
  locus::cm::semi::exit(0x7F);
}
extern "C" void Default_Handler() {
  locus::cm::semi::write0("locus: unexpected exception\n");
  locus::cm::semi::exit(0x7E);
}

// newlib's malloc grows its pool here. The firmware images have an empty .heap (so this
// always fails, and nothing in them calls malloc); the on-target test suites give the heap
// the RAM the image leaves (sections.ld: __heap_fill). Never past __heap_end, never into the stack.
extern "C" uint8_t __heap_start[], __heap_end[];
extern "C" void* _sbrk(ptrdiff_t incr) {
  static uint8_t* brk = nullptr;  // .bss: the image's .data stays as it was
  if (brk == nullptr) {
    brk = __heap_start;
  }
  if (incr < 0 || static_cast<size_t>(__heap_end - brk) < static_cast<size_t>(incr)) {
    return reinterpret_cast<void*>(-1);
  }
  uint8_t* const old = brk;
  brk += incr;
  return old;
}

using Vector = void (*)();
extern "C" __attribute__((section(".vectors"), used)) const Vector g_vectors[16 + 32] = {
    reinterpret_cast<Vector>(__stack_top),
    Reset_Handler,
    Default_Handler,    // NMI
    HardFault_Handler,  // HardFault
    HardFault_Handler,  // MemManage
    HardFault_Handler,  // BusFault
    HardFault_Handler,  // UsageFault
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    Default_Handler,  // SVCall
    Default_Handler,  // DebugMon
    nullptr,
    Default_Handler,  // PendSV
    SysTick_Handler,
    // 32 external interrupts, none enabled.
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
    Default_Handler,
};
