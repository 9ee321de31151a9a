// locus/boards/cortex_m.h: what the two QEMU Cortex-M4 boards share.
//
// The common code (boards/cortex-m) provides startup, SysTick time, ARM semihosting, the
// stack high-water mark and the board.h implementation. A board folder adds only its
// constants and its UART driver by defining the functions in namespace locus::cm::port
// below (a link-time seam, one board per image).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace locus::cm {

// ---- what each board folder defines -------------------------------------------------
namespace port {
// CPU clock in Hz; QEMU's SysTick counts at this rate with CLKSOURCE = 1.
extern const uint32_t kCpuHz;
// Human-readable model string (also the EAT hwmodel of the QEMU boards).
extern const char* const kHwModel;
// Brings the console/link UART up (called once from reset, before main).
void uart_init();
// Blocking write of one byte.
void uart_put(uint8_t b);
// Non-blocking read: true and *b if a byte was waiting.
bool uart_try_get(uint8_t* b);
// A free-running 32-bit timer for monotonic time (wraps after minutes, not milliseconds):
// started once from reset, read as an up-counter at kTimerHz (a whole number of MHz).
extern const uint32_t kTimerHz;
void timer_init();
uint32_t timer_count();
// Watchdog: arms the board's watchdog to reset the SoC after timeout_ms without a kick;
// false when the board has none (mps2-an386). timeout_ms 0 turns it off (returns false).
// watchdog_kick restarts the count.
bool watchdog_start(uint32_t timeout_ms);
void watchdog_kick();
}  // namespace port

// ---- test hooks -----------------------------------------------------------------------
// Weak defaults (boards/cortex-m/src/test_hooks_default.cpp) do nothing. Only the test images
// (tests/qemu/target/test_hooks.cpp, image locus-fw-test-<board>) define them; those images
// say "TEST BUILD" at boot. Release images contain the defaults only.
namespace test {
enum class FlashOp : uint8_t { kErase = 1, kProgram = 2 };
// Asked by the flash driver before each erase/program of len bytes at addr: carry out
// `bytes` of it (an erase is all or nothing) and then, if `cut`, call power_cut().
struct FlashStep {
  size_t bytes;
  bool cut;
};
FlashStep flash_op(FlashOp op, uint32_t addr, size_t len);
// The power goes away: the emulation ends on the spot (test images only).
[[noreturn]] void power_cut();
// True once the firmware is to stop servicing its watchdog (test images only).
bool watchdog_stall();
// Called once at boot: test images print their banner.
void banner();
}  // namespace test

// ---- SysTick time (instruction-accurate under -icount; benches and tests) -------------
// Starts SysTick from the CPU clock with its wrap interrupt (done by the reset handler).
void systick_start();
// CPU clock ticks since systick_start(), 64-bit, never wraps in practice.
uint64_t ticks();
// Nanoseconds since start derived from ticks(). Under `qemu -icount shift=0` the virtual
// clock advances 1 ns per guest instruction, so a difference of two readings is an
// instruction count (resolution 1e9 / kCpuHz instructions).
uint64_t ticks_to_ns(uint64_t t);
// Microseconds since start from the board's 32-bit timer (port::timer_count), extended in
// software: board::monotonic_us(). Must be called at least once per timer wrap (minutes);
// the firmware's main loop calls it every few milliseconds. SysTick is not used for this:
// its 24-bit counter wraps every 84 ms at 200 MHz, and when the host deschedules QEMU for
// longer than that, wrap interrupts coalesce and time would be lost.
uint64_t micros();

// ---- semihosting (ARM semihosting v2 via BKPT 0xAB; QEMU -semihosting-config enable=on) -----
namespace semi {
constexpr int kOpenRb = 1, kOpenRPlusB = 3, kOpenWPlusB = 7;
int open(const char* path, int mode);  // handle or -1
int close(int fh);
// Returns the number of bytes NOT transferred (0 on full success), as the ABI does.
int write(int fh, const void* buf, size_t len);
int read(int fh, void* buf, size_t len);
int seek(int fh, size_t pos);  // 0 on success
long flen(int fh);             // -1 on error
void write0(const char* s);    // to QEMU's semihosting console
uint32_t time_s();             // host wall clock (SYS_TIME)
uint32_t clock_cs();           // centiseconds since start (SYS_CLOCK)
uint64_t elapsed_ns();         // host elapsed time (SYS_ELAPSED), 0 if unsupported
// Fills buf with the command line (QEMU: -semihosting-config ...,arg=... or -kernel + -append).
bool get_cmdline(char* buf, size_t cap);
// Ends the emulation with the given exit status (SYS_EXIT_EXTENDED, ApplicationExit).
[[noreturn]] void exit(uint32_t status);
}  // namespace semi

// ---- stack ---------------------------------------------------------------------------
// Bytes of the main stack ever used since reset (the reset handler paints the stack).
size_t stack_high_water();
size_t stack_size();

// ---- small console helpers (write through port::uart_put) -----------------------------
void uart_write(const char* s);
void uart_write_dec(uint64_t v);
void uart_write_hex(const uint8_t* p, size_t n);

// Value of "key=" in the semihosting command line, copied into out (NUL-terminated).
bool cmdline_value(const char* key, char* out, size_t cap);

// The interconnect line the board drives (a GPIO-like latch that tests and the debugger can
// read): the raw InterconnectMode value, 0 before the first set_interconnect().
extern volatile uint8_t g_interconnect_line;

}  // namespace locus::cm
