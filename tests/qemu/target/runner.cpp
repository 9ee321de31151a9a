#include "runner.h"

#include "locus/boards/cortex_m.h"

namespace locus::target {

void check_failed(TestState& st, const char* file, int line, const char* expr) {
  st.failed = true;
  cm::uart_write("  check failed: ");
  cm::uart_write(expr);
  cm::uart_write(" at ");
  cm::uart_write(file);
  cm::uart_write(":");
  cm::uart_write_dec(static_cast<uint64_t>(line));
  cm::uart_write("\r\n");
}

void status_failed(TestState& st, const char* file, int line, const char* expr, uint16_t code) {
  check_failed(st, file, line, expr);
  cm::uart_write("  status code: 0x");
  const uint8_t c[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  cm::uart_write_hex(c, 2);
  cm::uart_write("\r\n");
}

bool bytes_equal(const uint8_t* a, const uint8_t* b, size_t n) {
  uint8_t d = 0;
  for (size_t i = 0; i < n; ++i) d = static_cast<uint8_t>(d | (a[i] ^ b[i]));
  return d == 0;
}

namespace {
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

size_t from_hex(const char* hex, uint8_t* out, size_t cap) {
  size_t n = 0;
  for (; hex[0] != '\0'; hex += 2) {
    const int hi = nibble(hex[0]);
    const int lo = hex[1] == '\0' ? -1 : nibble(hex[1]);
    if (hi < 0 || lo < 0 || n == cap) return 0;
    out[n++] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return n;
}

int run_tests(const char* suite, const TestCase* cases, size_t n) {
  cm::uart_write("[==========] ");
  cm::uart_write(suite);
  cm::uart_write(": Running ");
  cm::uart_write_dec(n);
  cm::uart_write(" test(s).\r\n");
  int failed = 0;
  for (size_t i = 0; i < n; ++i) {
    cm::uart_write("[ RUN      ] ");
    cm::uart_write(cases[i].name);
    cm::uart_write("\r\n");
    TestState st;
    const uint64_t t0 = cm::ticks();
    cases[i].fn(st);
    const uint64_t t1 = cm::ticks();
    cm::uart_write(st.failed ? "[  FAILED  ] " : "[       OK ] ");
    cm::uart_write(cases[i].name);
    cm::uart_write(" (");
    cm::uart_write_dec(cm::ticks_to_ns(t1 - t0) / 1000u);
    cm::uart_write(" us)\r\n");
    if (st.failed) ++failed;
  }
  cm::uart_write("[==========] ");
  cm::uart_write_dec(n);
  cm::uart_write(" test(s) run.\r\n[  PASSED  ] ");
  cm::uart_write_dec(n - static_cast<size_t>(failed));
  cm::uart_write(" test(s).\r\n");
  if (failed != 0) {
    cm::uart_write("[  FAILED  ] ");
    cm::uart_write_dec(static_cast<uint64_t>(failed));
    cm::uart_write(" test(s).\r\n");
  }
  cm::uart_write("stack high-water: ");
  cm::uart_write_dec(cm::stack_high_water());
  cm::uart_write(" of ");
  cm::uart_write_dec(cm::stack_size());
  cm::uart_write(" bytes\r\n");
  return failed;
}

}  // namespace locus::target
