// newlib system calls for the on-target CMocka suites (test images only; the firmware
// images have no heap and no stdio). stdout/stderr go to QEMU's semihosting console
// (SYS_OPEN ":tt" for writing, SYS_WRITE), exit/abort end the emulation with their status
// (SYS_EXIT_EXTENDED), the heap is the linker's .heap region (__heap_size, set per image in
// tests/qemu/target/CMakeLists.txt; _sbrk lives in boards/cortex-m/src/startup.cpp).
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "locus/boards/cortex_m.h"

namespace semi = locus::cm::semi;

extern "C" uint8_t __heap_start[], __heap_end[];

namespace {
// Before main(): how much heap this image has (a suite that runs out aborts, status 134).
__attribute__((constructor)) void report_heap() {
  char line[48] = "heap: ";
  size_t n = static_cast<size_t>(__heap_end - __heap_start);
  char digits[12];
  int d = 0;
  do {
    digits[d++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0 && d < 11);
  size_t i = 6;
  while (d > 0) line[i++] = digits[--d];
  memcpy(line + i, " bytes\n", 8);
  semi::write0(line);
}

int console() {
  static int fh = -1;
  if (fh < 0) fh = semi::open(":tt", 4);  // mode 4: "w"
  return fh;
}
}  // namespace

extern "C" {

int _write(int fd, const char* buf, int len) {
  if (fd != 1 && fd != 2) {
    errno = EBADF;
    return -1;
  }
  const int fh = console();
  if (fh < 0 || len < 0) {
    errno = EIO;
    return -1;
  }
  // SYS_WRITE returns the number of bytes NOT written.
  const int left = semi::write(fh, buf, static_cast<size_t>(len));
  return left < 0 ? -1 : len - left;
}
int _read(int, char*, int) {
  errno = EBADF;
  return -1;
}
int _close(int) {
  return 0;
}
int _lseek(int, int, int) {
  errno = ESPIPE;
  return -1;
}
int _fstat(int, struct stat* st) {
  st->st_mode = S_IFCHR;
  return 0;
}
int _isatty(int fd) {
  return fd <= 2 ? 1 : 0;
}
int _getpid() {
  return 1;
}
// raise()/abort() end up here: the test image ends with 128 + the signal (as a shell reports).
int _kill(int, int sig) {
  semi::write0("locus: test image killed by a signal (abort)\n");
  semi::exit(static_cast<uint32_t>(128 + sig));
}
[[noreturn]] void _exit(int status) {
  semi::exit(static_cast<uint32_t>(status));
}

}  // extern "C"
