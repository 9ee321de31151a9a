// The board.h contract for the QEMU Cortex-M4 boards (shared by mps2-an386 and ast1030-evb).
//
//   UDS        32 bytes at __uds_start, provisioned by `-device loader,file=uds.bin,addr=..`;
//              copied once, then the region is wiped (a second read fails, as locked OTP would).
//   FWID       SHA-256 over __image_start .. __image_end (vectors, code, rodata, .data image).
//   entropy    EMULATION ONLY, NOT SECURE: QEMU models no TRNG. SHA-256 mix of host
//              /dev/urandom read over semihosting, host time, SysTick jitter and a counter.
//   time       SysTick extended to 64 bits (systick.cpp).
//   storage    a host file over semihosting (storage=<path> on the semihosting command line,
//              default ./locus-storage.bin), kStorageSize bytes, erased state 0xFF.
//   link       the board UART (port::uart_*), polled with a deadline.
//   interconnect  g_interconnect_line + a log line.
//   log        semihosting console (QEMU's stderr), so the UART carries only protocol frames.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/firmware/board.h"

extern "C" {
extern uint8_t __image_start[], __image_end[], __uds_start[];
}

namespace locus::cm {
volatile uint8_t g_interconnect_line = 0;
}

namespace locus::board {
namespace {

constexpr size_t kStorageSize = 16 * 1024;
constexpr size_t kUdsSize = 32;

bool g_uds_taken = false;
bool g_fwid_valid = false;
uint8_t g_fwid[32];
int g_storage_fh = -1;
bool g_storage_failed = false;
uint32_t g_entropy_calls = 0;

// Opens the storage file, creating it filled with 0xFF (erased flash) if absent.
bool storage_open() {
  if (g_storage_fh >= 0) return true;
  if (g_storage_failed) return false;
  char path[160];  // semihosting copies the name at SYS_OPEN
  if (!cm::cmdline_value("storage", path, sizeof(path))) {
    strcpy(path, "locus-storage.bin");
  }
  int fh = cm::semi::open(path, cm::semi::kOpenRPlusB);
  if (fh < 0) {
    fh = cm::semi::open(path, cm::semi::kOpenWPlusB);
    if (fh < 0) {
      g_storage_failed = true;
      return false;
    }
  }
  const long len = cm::semi::flen(fh);
  if (len < 0) {
    (void)cm::semi::close(fh);
    g_storage_failed = true;
    return false;
  }
  if (static_cast<size_t>(len) < kStorageSize) {
    uint8_t ff[256];
    memset(ff, 0xFF, sizeof(ff));
    for (size_t off = static_cast<size_t>(len); off < kStorageSize;) {
      const size_t n = (kStorageSize - off) < sizeof(ff) ? (kStorageSize - off) : sizeof(ff);
      if (cm::semi::seek(fh, off) != 0 || cm::semi::write(fh, ff, n) != 0) {
        (void)cm::semi::close(fh);
        g_storage_failed = true;
        return false;
      }
      off += n;
    }
  }
  g_storage_fh = fh;
  return true;
}

bool range_ok(size_t offset, size_t len) {
  return offset <= kStorageSize && len <= kStorageSize - offset;
}

}  // namespace

Status read_uds(uint8_t out[32]) {
  Status st = BoardError::kUdsUnavailable;
  if (g_uds_taken) return st;
  volatile uint8_t* region = __uds_start;
  uint8_t all_or = 0, all_and = 0xFF;
  for (size_t i = 0; i < kUdsSize; ++i) {
    const uint8_t b = region[i];
    out[i] = b;
    all_or = static_cast<uint8_t>(all_or | b);
    all_and = static_cast<uint8_t>(all_and & b);
  }
  // Wipe the provisioned copy: from here on only the core holds the secret.
  for (size_t i = 0; i < kUdsSize; ++i) region[i] = 0;
  g_uds_taken = true;
  if (all_or == 0 || all_and == 0xFF) {  // never provisioned (blank)
    crypto::zeroize(out, kUdsSize);
    return st;
  }
  st = Status::Ok();
  return st;
}

Status measure_image(uint8_t fwid[32]) {
  if (!g_fwid_valid) {
    // The image starts at address 0 (the vector table), which a span would take for a null
    // pointer: the first word goes through a copy, the rest straight from the image.
    const size_t n = static_cast<size_t>(__image_end - __image_start);
    if (n < 4) return BoardError::kMeasureFailed;
    uint8_t first[4];
    const volatile uint8_t* img = __image_start;
    for (size_t i = 0; i < sizeof(first); ++i) first[i] = img[i];
    crypto::Sha256 h;
    crypto::Digest d{};
    if (!h.update(ByteSpan(first, sizeof(first))).ok() ||
        !h.update(ByteSpan(__image_start + sizeof(first), n - sizeof(first))).ok() ||
        !h.finish(&d).ok()) {
      return BoardError::kMeasureFailed;
    }
    memcpy(g_fwid, d.data(), sizeof(g_fwid));
    g_fwid_valid = true;
  }
  memcpy(fwid, g_fwid, sizeof(g_fwid));
  return Status::Ok();
}

// EMULATION ONLY. Every block is SHA-256(domain | counter | host urandom | host time |
// SysTick samples), so a missing host source degrades to jitter only, never to zeros.
Status entropy(uint8_t* out, size_t len) {
  static const char kDomain[] = "locus/qemu-entropy/v1 EMULATION ONLY";
  uint8_t host_rand[32];
  memset(host_rand, 0, sizeof(host_rand));
  bool have_host = false;
  const int fh = cm::semi::open("/dev/urandom", cm::semi::kOpenRb);
  if (fh >= 0) {
    have_host = cm::semi::read(fh, host_rand, sizeof(host_rand)) == 0;
    (void)cm::semi::close(fh);
  }
  size_t done = 0;
  while (done < len) {
    crypto::Sha256 h;
    const uint32_t counter = ++g_entropy_calls;
    const uint32_t t = cm::semi::time_s();
    const uint32_t c = cm::semi::clock_cs();
    uint64_t samples[8];
    for (auto& s : samples) s = cm::ticks();
    bool ok = h.update(ByteSpan(reinterpret_cast<const uint8_t*>(kDomain), sizeof(kDomain))).ok();
    ok = ok && h.update(ByteSpan(reinterpret_cast<const uint8_t*>(&counter), sizeof(counter))).ok();
    ok = ok && h.update(ByteSpan(host_rand, sizeof(host_rand))).ok();
    ok = ok && h.update(ByteSpan(reinterpret_cast<const uint8_t*>(&t), sizeof(t))).ok();
    ok = ok && h.update(ByteSpan(reinterpret_cast<const uint8_t*>(&c), sizeof(c))).ok();
    ok = ok && h.update(ByteSpan(reinterpret_cast<const uint8_t*>(samples), sizeof(samples))).ok();
    crypto::Digest d{};
    ok = ok && h.finish(&d).ok();
    if (!ok) {
      crypto::zeroize(host_rand, sizeof(host_rand));
      return BoardError::kEntropyFailed;
    }
    const size_t n = (len - done) < d.size() ? (len - done) : d.size();
    memcpy(out + done, d.data(), n);
    crypto::zeroize(d.data(), d.size());
    done += n;
  }
  crypto::zeroize(host_rand, sizeof(host_rand));
  (void)have_host;
  return Status::Ok();
}

bool entropy_is_emulated() { return true; }

uint64_t monotonic_us() { return cm::micros(); }

size_t storage_size() { return kStorageSize; }

Status storage_read(size_t offset, uint8_t* out, size_t len) {
  if (!range_ok(offset, len)) return BoardError::kStorageRange;
  if (len == 0) return Status::Ok();
  if (!storage_open()) return BoardError::kStorageIo;
  if (cm::semi::seek(g_storage_fh, offset) != 0) return BoardError::kStorageIo;
  if (cm::semi::read(g_storage_fh, out, len) != 0) return BoardError::kStorageIo;
  return Status::Ok();
}

Status storage_write(size_t offset, const uint8_t* in, size_t len) {
  if (!range_ok(offset, len)) return BoardError::kStorageRange;
  if (len == 0) return Status::Ok();
  if (!storage_open()) return BoardError::kStorageIo;
  if (cm::semi::seek(g_storage_fh, offset) != 0) return BoardError::kStorageIo;
  if (cm::semi::write(g_storage_fh, in, len) != 0) return BoardError::kStorageIo;
  return Status::Ok();
}

// Semihosting writes go straight to the host file (write(2)); nothing is buffered in the guest.
Status storage_flush() {
  if (!storage_open()) return BoardError::kStorageIo;
  return Status::Ok();
}

Result<size_t> link_read(uint8_t* buf, size_t cap, uint32_t timeout_ms) {
  if (buf == nullptr || cap == 0) return BoardError::kLinkIo;
  const uint64_t deadline = monotonic_us() + uint64_t{timeout_ms} * 1000u;
  size_t n = 0;
  for (;;) {
    uint8_t b;
    if (cm::port::uart_try_get(&b)) {
      buf[n++] = b;
      if (n == cap) break;
      continue;  // drain what is already there without waiting
    }
    if (n > 0) break;
    if (monotonic_us() >= deadline) return BoardError::kLinkTimeout;
  }
  return n;
}

Status link_write(const uint8_t* buf, size_t len) {
  if (buf == nullptr && len != 0) return BoardError::kLinkIo;
  for (size_t i = 0; i < len; ++i) cm::port::uart_put(buf[i]);
  return Status::Ok();
}

void set_interconnect(InterconnectMode mode) {
  // Anything but the exact FULL pattern drives the line RESTRICTED (fail closed).
  const bool full = mode == InterconnectMode::kFull;
  const uint8_t v = static_cast<uint8_t>(full ? InterconnectMode::kFull : InterconnectMode::kRestricted);
  if (cm::g_interconnect_line == v) return;
  cm::g_interconnect_line = v;
  log(full ? "interconnect: FULL (900 GB/s)"
                                      : "interconnect: RESTRICTED (400 GB/s)");
}

void log(const char* line) {
  cm::semi::write0("[locus] ");
  cm::semi::write0(line);
  cm::semi::write0("\n");
}

}  // namespace locus::board
