// Test hooks for the firmware test images (locus-fw-test-<board>.elf), never in a release
// image: they replace the weak defaults of boards/cortex-m/src/test_hooks_default.cpp.
// Controlled from the semihosting command line (scripts/qemu-board --arg KEY=VALUE):
//   cut=K          power cut at the K-th flash erase/program since reset (1-based)
//   cut_mode=M     before: operation K is not carried out; torn (default): a program writes
//                  the first half of its bytes (an erase is all or nothing, so it completes);
//                  after: operation K completes. Then the CPU stops for good ("TEST power
//                  cut" on the console) and the harness stops QEMU (drives flushed).
//   stall=full     once the interconnect is FULL, the main loop stops servicing the watchdog.
// Every flash operation is logged ("TEST flash op K erase|program ADDR LEN") so a test can
// count the operations of a commit first.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/firmware/board.h"

namespace locus::cm::test {
namespace {

enum class CutMode : uint8_t { kBefore, kTorn, kAfter };
bool g_parsed = false;
uint32_t g_cut_at = 0;  // 0: no cut
CutMode g_mode = CutMode::kTorn;
bool g_stall_on_full = false;
uint32_t g_ops = 0;

uint32_t parse_u32(const char* s) {
  uint32_t v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) {
    if (v > 100000000u) return 0;
    v = v * 10u + static_cast<uint32_t>(*s - '0');
  }
  return *s == '\0' ? v : 0;
}

void parse() {
  if (g_parsed) return;
  g_parsed = true;
  char v[16];
  if (cmdline_value("cut", v, sizeof(v))) g_cut_at = parse_u32(v);
  if (cmdline_value("cut_mode", v, sizeof(v))) {
    if (strcmp(v, "before") == 0) g_mode = CutMode::kBefore;
    if (strcmp(v, "after") == 0) g_mode = CutMode::kAfter;
  }
  if (cmdline_value("stall", v, sizeof(v))) g_stall_on_full = strcmp(v, "full") == 0;
}

char* put_dec(char* p, uint32_t v) {
  char tmp[10];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10u);
    v /= 10u;
  } while (v != 0 && n < 10);
  while (n > 0) *p++ = tmp[--n];
  return p;
}

char* put_hex(char* p, uint32_t v) {
  static const char kHex[] = "0123456789abcdef";
  *p++ = '0';
  *p++ = 'x';
  for (int s = 28; s >= 0; s -= 4) *p++ = kHex[(v >> s) & 0xF];
  return p;
}

}  // namespace

FlashStep flash_op(FlashOp op, uint32_t addr, size_t len) {
  parse();
  const uint32_t k = ++g_ops;
  char line[80];
  char* p = line;
  memcpy(p, "TEST flash op ", 14);
  p = put_dec(p + 14, k);
  const char* what = op == FlashOp::kErase ? " erase " : " program ";
  memcpy(p, what, strlen(what));
  p = put_hex(p + strlen(what), addr);
  *p++ = ' ';
  p = put_dec(p, static_cast<uint32_t>(len));
  *p = '\0';
  board::log(line);
  if (k != g_cut_at) return {len, false};
  switch (g_mode) {
    case CutMode::kBefore: return {0, true};
    case CutMode::kAfter: return {len, true};
    case CutMode::kTorn:
    default: return {op == FlashOp::kErase ? len : len / 2, true};
  }
}

void power_cut() {
  (void)port::watchdog_start(0);  // off: the board is "unpowered" until QEMU is stopped
  board::log("TEST power cut");
  __asm volatile("cpsid i" ::: "memory");
  for (;;) {
    __asm volatile("wfi");
  }
}

bool watchdog_stall() {
  parse();
  return g_stall_on_full &&
         g_interconnect_line == static_cast<uint8_t>(board::InterconnectMode::kFull);
}

void banner() {
  parse();
  board::log("TEST BUILD: power-cut and watchdog-stall hooks enabled. NOT FOR RELEASE.");
}

}  // namespace locus::cm::test
