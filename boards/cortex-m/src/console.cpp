// Small console helpers over the board's UART (no printf: the images stay freestanding).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"

namespace locus::cm {

void uart_write(const char* s) {
  for (; *s != '\0'; ++s) {
    port::uart_put(static_cast<uint8_t>(*s));
  }
}

void uart_write_dec(uint64_t v) {
  char buf[21];
  size_t i = sizeof(buf);
  buf[--i] = '\0';
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && i > 0);
  uart_write(&buf[i]);
}

void uart_write_hex(const uint8_t* p, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    port::uart_put(static_cast<uint8_t>(kHex[p[i] >> 4]));
    port::uart_put(static_cast<uint8_t>(kHex[p[i] & 0xF]));
  }
}

// The command line is a space-separated list; a token "key=value" yields value.
bool cmdline_value(const char* key, char* out, size_t cap) {
  char line[512];  // on the stack: read at storage open and by the test hooks
  if (cap == 0 || !semi::get_cmdline(line, sizeof(line))) {
    return false;
  }
  const size_t klen = strlen(key);
  const char* p = line;
  while (*p != '\0') {
    while (*p == ' ') {
      ++p;
    }
    const char* tok = p;
    while (*p != '\0' && *p != ' ') {
      ++p;
    }
    const size_t tlen = static_cast<size_t>(p - tok);
    if (tlen > klen && strncmp(tok, key, klen) == 0 && tok[klen] == '=') {
      const size_t vlen = tlen - klen - 1;
      if (vlen + 1 > cap) {
        return false;
      }
      memcpy(out, tok + klen + 1, vlen);
      out[vlen] = '\0';
      return true;
    }
  }
  return false;
}

}  // namespace locus::cm
