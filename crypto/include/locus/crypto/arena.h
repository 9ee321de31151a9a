// locus/crypto/arena.h: the bounded allocator that mbed TLS uses on the board.
//
// mbed TLS's legacy API allocates (bignums, MD contexts, X.509 writer name lists). The
// firmware has no heap, so crypto/src/fw_alloc.cpp gives mbed TLS one static Arena of
// kFwCryptoArenaSize bytes (wired in through MBEDTLS_PLATFORM_STD_CALLOC/FREE in
// crypto/config/locus_mbedtls_fw.h, so it is in place before any code runs). When the arena
// is exhausted mbed TLS gets NULL and the operation fails with CryptoError::kOutOfMemory.
// The Arena class is also usable on the host (tests install it to measure peak use).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace locus::crypto {

// Measured peak for the firmware's operations is documented in docs/crypto.md; on target
// (bench/qemu_bench.sh, crypto arena peak over boot, CSR, evidence, license, ECDH set-up and
// transcript signing) it is 3,240 B, so 8 KiB leaves a 2.5x margin.
constexpr size_t kFwCryptoArenaSize = size_t{8} * 1024;

struct ArenaStats {
  size_t capacity = 0;   // bytes managed (headers included)
  size_t in_use = 0;     // bytes currently allocated (headers included)
  size_t peak = 0;       // high-water mark of in_use since init/reset_peak
  size_t failures = 0;   // allocations refused
  size_t bad_frees = 0;  // frees of pointers the arena did not hand out (ignored)
};

// First-fit allocator over a caller-provided buffer: 8-byte aligned blocks with an 8-byte
// header, adjacent free blocks merged. Memory is zeroed on allocation (calloc semantics)
// and on free (mbed TLS frees buffers that held secrets). Not thread-safe: the firmware
// runs crypto from one context.
class Arena {
 public:
  void init(uint8_t* mem, size_t size);
  void* calloc(size_t n, size_t size);
  void free(void* p);
  ArenaStats stats() const { return stats_; }
  void reset_peak() { stats_.peak = stats_.in_use; }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  ArenaStats stats_;
};

// Firmware only: statistics of the arena mbed TLS allocates from.
ArenaStats fw_crypto_arena_stats();

}  // namespace locus::crypto
