// Deterministic replay of the protocol fuzz target (tests/fuzz/fuzz_protocol.cpp): every seed
// in tests/fuzz/corpus/protocol, then MUTATIONS mutations of them (xorshift, fixed seed, so a
// failure reproduces exactly). A broken invariant traps; ASan/UBSan builds also catch memory
// errors. Usage: protocol_fuzz_replay CORPUS_DIR [MUTATIONS]
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stddef.h>
#include <stdint.h>

extern "C" int locus_fuzz_protocol(const uint8_t* data, size_t size);

namespace {

constexpr size_t kMaxSeeds = 256;
constexpr size_t kMaxLen = 8192;
uint8_t g_seeds[kMaxSeeds][kMaxLen];
size_t g_len[kMaxSeeds];

uint64_t g_s = 0x9E3779B97F4A7C15ull;
uint64_t next() {
  g_s ^= g_s << 13;
  g_s ^= g_s >> 7;
  g_s ^= g_s << 17;
  return g_s;
}
size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }

const uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x0c, 0x0d, 0x10, 0x17, 0x18, 0x19, 0x1a, 0x3a, 0x40,
                                0x41, 0x4c, 0x50, 0x58, 0x5d, 0x5e, 0x7d, 0x7e, 0x80, 0xa0, 0xf4, 0xf5, 0xf6, 0xff};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const long mutations = argc > 2 ? atol(argv[2]) : 20000;
  DIR* d = opendir(argv[1]);
  if (d == nullptr) return 2;
  size_t n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.' || n == kMaxSeeds) continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    FILE* f = fopen(path, "rb");
    if (f == nullptr) continue;
    g_len[n] = fread(g_seeds[n], 1, kMaxLen, f);
    fclose(f);
    locus_fuzz_protocol(g_seeds[n], g_len[n]);
    ++n;
  }
  closedir(d);
  if (n == 0) return 2;
  static uint8_t buf[kMaxLen];
  for (long i = 0; i < mutations; ++i) {
    const size_t s = below(n);
    size_t len = g_len[s];
    memcpy(buf, g_seeds[s], len);
    const size_t ops = 1 + below(4);
    for (size_t k = 0; k < ops; ++k) {
      switch (below(6)) {
        case 0: if (len > 1) buf[1 + below(len - 1)] ^= static_cast<uint8_t>(1u << below(8)); break;
        case 1: if (len > 1) buf[1 + below(len - 1)] = kInteresting[below(sizeof kInteresting)]; break;
        case 2: if (len > 1) buf[1 + below(len - 1)] = static_cast<uint8_t>(next()); break;
        case 3: if (len > 1) len = 1 + below(len); break;  // truncate, keep the selector
        case 4:  // insert
          if (len > 1 && len < kMaxLen) {
            const size_t at = 1 + below(len - 1);
            memmove(buf + at + 1, buf + at, len - at);
            buf[at] = static_cast<uint8_t>(next());
            ++len;
          }
          break;
        default:  // delete
          if (len > 2) {
            const size_t at = 1 + below(len - 1);
            memmove(buf + at, buf + at + 1, len - at - 1);
            --len;
          }
          break;
      }
    }
    locus_fuzz_protocol(buf, len);
  }
  printf("protocol fuzz replay: %zu seeds, %ld mutations\n", n, mutations);
  return 0;
}
