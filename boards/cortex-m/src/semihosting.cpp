// ARM semihosting (Arm "Semihosting for AArch32 and AArch64", v2) as QEMU implements it for
// M-profile: BKPT 0xAB with the operation in r0 and a parameter block pointer in r1. Requires
// `-semihosting-config enable=on,target=native`; without it the BKPT faults.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"

namespace locus::cm::semi {
namespace {

enum Op : uint32_t {
  kSysOpen = 0x01,
  kSysClose = 0x02,
  kSysWrite0 = 0x04,
  kSysWrite = 0x05,
  kSysRead = 0x06,
  kSysSeek = 0x0A,
  kSysFlen = 0x0C,
  kSysClock = 0x10,
  kSysTime = 0x11,
  kSysGetCmdline = 0x15,
  kSysExitExtended = 0x20,
  kSysElapsed = 0x30,
  kSysTickFreq = 0x31,
};
constexpr uint32_t kAdpStoppedApplicationExit = 0x20026;

uint32_t call(uint32_t op, const void* arg) {
  register uint32_t r0 __asm("r0") = op;
  register const void* r1 __asm("r1") = arg;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

}  // namespace

int open(const char* path, int mode) {
  const uint32_t block[3] = {reinterpret_cast<uint32_t>(path), static_cast<uint32_t>(mode),
                             static_cast<uint32_t>(strlen(path))};
  return static_cast<int>(call(kSysOpen, block));
}
int close(int fh) {
  const uint32_t block[1] = {static_cast<uint32_t>(fh)};
  return static_cast<int>(call(kSysClose, block));
}
int write(int fh, const void* buf, size_t len) {
  const uint32_t block[3] = {static_cast<uint32_t>(fh), reinterpret_cast<uint32_t>(buf),
                             static_cast<uint32_t>(len)};
  return static_cast<int>(call(kSysWrite, block));
}
int read(int fh, void* buf, size_t len) {
  const uint32_t block[3] = {static_cast<uint32_t>(fh), reinterpret_cast<uint32_t>(buf),
                             static_cast<uint32_t>(len)};
  return static_cast<int>(call(kSysRead, block));
}
int seek(int fh, size_t pos) {
  const uint32_t block[2] = {static_cast<uint32_t>(fh), static_cast<uint32_t>(pos)};
  return static_cast<int>(call(kSysSeek, block));
}
long flen(int fh) {
  const uint32_t block[1] = {static_cast<uint32_t>(fh)};
  return static_cast<long>(static_cast<int32_t>(call(kSysFlen, block)));
}
void write0(const char* s) {
  (void)call(kSysWrite0, s);
}
uint32_t time_s() {
  return call(kSysTime, nullptr);
}
uint32_t clock_cs() {
  return call(kSysClock, nullptr);
}

uint64_t elapsed_ns() {
  uint32_t block[2] = {0, 0};
  if (call(kSysElapsed, block) != 0) {
    return 0;
  }
  const uint32_t freq = call(kSysTickFreq, nullptr);
  const uint64_t t = uint64_t{block[1]} << 32 | block[0];
  if (freq == 0 || freq == 0xFFFFFFFFu) {
    return 0;
  }
  return (t / freq) * 1000000000ull + ((t % freq) * 1000000000ull) / freq;
}

bool get_cmdline(char* buf, size_t cap) {
  if (cap == 0) {
    return false;
  }
  uint32_t block[2] = {reinterpret_cast<uint32_t>(buf), static_cast<uint32_t>(cap)};
  if (call(kSysGetCmdline, block) != 0) {
    buf[0] = '\0';
    return false;
  }
  buf[cap - 1] = '\0';
  return true;
}

void exit(uint32_t status) {
  const uint32_t block[2] = {kAdpStoppedApplicationExit, status};
  for (;;) {
    (void)call(kSysExitExtended, block);
  }
}

}  // namespace locus::cm::semi
