// board::entropy for boards without a hardware RNG that QEMU models (mps2-an386).
//
// EMULATION ONLY, NOT SECURE: every block is SHA-256(domain | counter | 32 bytes of the host's
// /dev/urandom read over semihosting | host time | SysTick samples), so a missing host source
// degrades to jitter only, never to zeros. entropy_is_emulated() is true: the core says
// "emulation only: entropy is not a TRNG" at boot.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/firmware/board.h"

namespace locus::board {
namespace {
uint32_t g_entropy_calls = 0;
}

Status entropy(uint8_t* out, size_t len) {
  static const char kDomain[] = "locus/qemu-entropy/v1 EMULATION ONLY";
  uint8_t host_rand[32];
  memset(host_rand, 0, sizeof(host_rand));
  const int fh = cm::semi::open("/dev/urandom", cm::semi::kOpenRb);
  if (fh >= 0) {
    (void)cm::semi::read(fh, host_rand, sizeof(host_rand));
    (void)cm::semi::close(fh);
  }
  size_t done = 0;
  while (done < len) {
    crypto::Sha256 h;
    const uint32_t counter = ++g_entropy_calls;
    const uint32_t t = cm::semi::time_s();
    const uint32_t c = cm::semi::clock_cs();
    uint64_t samples[8];
    for (auto& s : samples) {
      s = cm::ticks();
    }
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
  return Status::Ok();
}

bool entropy_is_emulated() {
  return true;
}

}  // namespace locus::board
