// The board.h contract for the QEMU Cortex-M4 boards (shared by mps2-an386 and ast1030-evb).
//
//   UDS        32 bytes at __uds_start, provisioned by `-device loader,file=uds.bin,addr=..`;
//              copied once, then the region is wiped (a second read fails, as locked OTP would).
//   FWID       SHA-256 over __image_start .. __image_end (vectors, code, rodata, .data image).
//   time       the board's 32-bit timer extended to 64 bits (systick.cpp, micros()).
//   entropy, storage and the write-once region are per board: mps2-an386 uses semihosting
//              (storage_semihosting.cpp, entropy_semihosting.cpp); ast1030-evb its SCU RNG and
//              the SPI NOR flash behind the FMC (boards/ast1030-evb).
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

constexpr size_t kUdsSize = 32;

bool g_uds_taken = false;
bool g_fwid_valid = false;
uint8_t g_fwid[32];

}  // namespace

Status read_uds(uint8_t out[32]) {
  Status st = BoardError::kUdsUnavailable;
  if (g_uds_taken) {
    return st;
  }
  volatile uint8_t* region = __uds_start;
  uint8_t all_or = 0, all_and = 0xFF;
  for (size_t i = 0; i < kUdsSize; ++i) {
    const uint8_t b = region[i];
    out[i] = b;
    all_or = static_cast<uint8_t>(all_or | b);
    all_and = static_cast<uint8_t>(all_and & b);
  }
  // Wipe the provisioned copy: from here on only the core holds the secret.
  for (size_t i = 0; i < kUdsSize; ++i) {
    region[i] = 0;
  }
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
    if (n < 4) {
      return BoardError::kMeasureFailed;
    }
    uint8_t first[4];
    const volatile uint8_t* img = __image_start;
    for (size_t i = 0; i < sizeof(first); ++i) {
      first[i] = img[i];
    }
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

uint64_t monotonic_us() {
  return cm::micros();
}

Result<size_t> link_read(uint8_t* buf, size_t cap, uint32_t timeout_ms) {
  if (buf == nullptr || cap == 0) {
    return BoardError::kLinkIo;
  }
  const uint64_t deadline = monotonic_us() + uint64_t{timeout_ms} * 1000u;
  size_t n = 0;
  for (;;) {
    uint8_t b = 0;
    if (cm::port::uart_try_get(&b)) {
      buf[n++] = b;
      if (n == cap) {
        break;
      }
      continue;  // drain what is already there without waiting
    }
    if (n > 0) {
      break;
    }
    if (monotonic_us() >= deadline) {
      return BoardError::kLinkTimeout;
    }
  }
  return n;
}

Status link_write(const uint8_t* buf, size_t len) {
  if (buf == nullptr && len != 0) {
    return BoardError::kLinkIo;
  }
  for (size_t i = 0; i < len; ++i) {
    cm::port::uart_put(buf[i]);
  }
  return Status::Ok();
}

void set_interconnect(InterconnectMode mode) {
  // Anything but the exact FULL pattern drives the line RESTRICTED (fail closed).
  const bool full = mode == InterconnectMode::kFull;
  const uint8_t v =
      static_cast<uint8_t>(full ? InterconnectMode::kFull : InterconnectMode::kRestricted);
  if (cm::g_interconnect_line == v) {
    return;
  }
  cm::g_interconnect_line = v;
  log(full ? "interconnect: FULL (900 GB/s)" : "interconnect: RESTRICTED (400 GB/s)");
}

void log(const char* line) {
  cm::semi::write0("[locus] ");
  cm::semi::write0(line);
  cm::semi::write0("\n");
}

}  // namespace locus::board
