// Entropy from the SCU's random number generator. QEMU models its data register at SCU +
// 0x540 (hw/misc/aspeed_scu.c, AST2600_RNG_DATA: a fresh 32-bit word per read from the
// host's cryptographic RNG); on silicon it is the SoC's ring-oscillator RNG (Aspeed's own
// drivers read it after setting the mode in the control register at 0x520; check the
// AST1030 datasheet before relying on these offsets on a real board). Each 32-byte block is
// SHA-256(domain | counter | 16 raw words) after a health check on the raw words: a word
// equal to its predecessor, or all-zero/all-one words, fail closed (kEntropyFailed).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/firmware/board.h"

namespace locus::board {
namespace {
volatile uint32_t& scu_reg(uintptr_t off) {
  return *reinterpret_cast<volatile uint32_t*>(0x7E6E2000u + off);
}
constexpr uintptr_t kScuRngData = 0x540;
uint32_t g_rng_blocks = 0;
}  // namespace

Status entropy(uint8_t* out, size_t len) {
  static const char kDomain[] = "locus/ast1030-scu-rng/v1";
  if (out == nullptr && len != 0) {
    return BoardError::kEntropyFailed;
  }
  size_t done = 0;
  while (done < len) {
    uint32_t raw[16];
    bool healthy = true;
    for (size_t i = 0; i < 16; ++i) {
      raw[i] = scu_reg(kScuRngData);
      if (raw[i] == 0 || raw[i] == 0xFFFFFFFFu || (i > 0 && raw[i] == raw[i - 1])) {
        healthy = false;
      }
    }
    const uint32_t counter = ++g_rng_blocks;
    crypto::Sha256 h;
    crypto::Digest d{};
    bool ok = healthy;
    ok = ok && h.update(ByteSpan(reinterpret_cast<const uint8_t*>(kDomain), sizeof(kDomain))).ok();
    ok = ok && h.update(ByteSpan(reinterpret_cast<const uint8_t*>(&counter), sizeof(counter))).ok();
    ok = ok && h.update(ByteSpan(reinterpret_cast<const uint8_t*>(raw), sizeof(raw))).ok();
    ok = ok && h.finish(&d).ok();
    crypto::zeroize(reinterpret_cast<uint8_t*>(raw), sizeof(raw));
    if (!ok) {
      crypto::zeroize(d.data(), d.size());
      return BoardError::kEntropyFailed;
    }
    const size_t n = (len - done) < d.size() ? (len - done) : d.size();
    memcpy(out + done, d.data(), n);
    crypto::zeroize(d.data(), d.size());
    done += n;
  }
  return Status::Ok();
}

// The SoC's RNG, not a host substitute (the UDS and the flash are still not protected on
// QEMU: the image says EMULATION ONLY for those).
bool entropy_is_emulated() {
  return false;
}

}  // namespace locus::board
