// Firmware only: the static arena behind mbed TLS's calloc/free.
//
// locus_mbedtls_fw.h sets MBEDTLS_PLATFORM_STD_CALLOC/FREE to the two C functions below, so
// mbed TLS's allocator pointers hold them from reset: no initialisation order to get
// wrong, and mbedtls_platform_set_calloc_free() can still replace them (tests).
#include <mbedtls/platform.h>

#include "locus/crypto/arena.h"

namespace locus::crypto {
namespace {
alignas(8) uint8_t g_arena_mem[kFwCryptoArenaSize];
Arena g_arena;
bool g_arena_ready = false;

Arena& arena() {
  if (!g_arena_ready) {  // first use; the firmware is single-threaded
    g_arena.init(g_arena_mem, sizeof(g_arena_mem));
    g_arena_ready = true;
  }
  return g_arena;
}
}  // namespace

ArenaStats fw_crypto_arena_stats() {
  return arena().stats();
}

}  // namespace locus::crypto

extern "C" void* locus_fw_calloc(size_t n, size_t size) {
  return locus::crypto::arena().calloc(n, size);
}
extern "C" void locus_fw_free(void* p) {
  locus::crypto::arena().free(p);
}
