// Corpus replay runner (built with any compiler, registered in CTest with label fuzz):
//   locus_fuzz_replay TARGET CORPUS_DIR [MUTATIONS] [SEED]
// Runs the target's entry function over every file in CORPUS_DIR, then over MUTATIONS
// (default 20000) deterministic pseudo-random mutations of those files (xorshift64 with a
// fixed seed, so a failure reproduces exactly). A broken invariant traps; ASan/UBSan builds
// also catch memory errors. Prints the count of inputs run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_targets.h"

namespace {

using Entry = int (*)(const uint8_t*, size_t);

struct Target {
  const char* name;
  Entry fn;
};
const Target kTargets[] = {
    {"cbor", locus_fuzz_cbor},
    {"cose", locus_fuzz_cose},
};

struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

// Values that sit on CBOR head boundaries and type bytes.
const uint8_t kInteresting[] = {0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x3b, 0x40, 0x5f,
                                0x60, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xd2, 0xd8, 0xf4, 0xf6,
                                0xf7, 0xf9, 0xfb, 0xff, 0x7f, 0x01};

void mutate(std::vector<uint8_t>& b, Rng& r, const std::vector<std::vector<uint8_t>>& corpus) {
  const size_t ops = 1 + r.below(4);
  for (size_t k = 0; k < ops; ++k) {
    switch (r.below(8)) {
      case 0:  // flip one bit
        if (!b.empty()) b[r.below(b.size())] ^= static_cast<uint8_t>(1u << r.below(8));
        break;
      case 1:  // set a byte to an interesting value
        if (!b.empty()) b[r.below(b.size())] = kInteresting[r.below(sizeof kInteresting)];
        break;
      case 2:  // random byte
        if (!b.empty()) b[r.below(b.size())] = static_cast<uint8_t>(r.next());
        break;
      case 3:  // insert a byte
        if (b.size() < 4096) b.insert(b.begin() + static_cast<long>(r.below(b.size() + 1)), static_cast<uint8_t>(r.next()));
        break;
      case 4:  // delete a byte
        if (!b.empty()) b.erase(b.begin() + static_cast<long>(r.below(b.size())));
        break;
      case 5:  // truncate
        if (!b.empty()) b.resize(r.below(b.size()));
        break;
      case 6: {  // duplicate a chunk
        if (b.empty() || b.size() > 2048) break;
        const size_t at = r.below(b.size()), len = 1 + r.below(std::min<size_t>(16, b.size() - at));
        std::vector<uint8_t> chunk(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(at + len));
        b.insert(b.begin() + static_cast<long>(r.below(b.size() + 1)), chunk.begin(), chunk.end());
        break;
      }
      default: {  // splice with another corpus file
        const std::vector<uint8_t>& o = corpus[r.below(corpus.size())];
        if (o.empty()) break;
        const size_t cut = r.below(b.size() + 1), from = r.below(o.size());
        b.resize(cut);
        b.insert(b.end(), o.begin() + static_cast<long>(from), o.end());
        break;
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s TARGET CORPUS_DIR [MUTATIONS] [SEED]\n", argv[0]);
    return 2;
  }
  Entry fn = nullptr;
  for (const Target& t : kTargets) {
    if (strcmp(t.name, argv[1]) == 0) fn = t.fn;
  }
  if (fn == nullptr) {
    fprintf(stderr, "unknown target %s\n", argv[1]);
    return 2;
  }
  const unsigned long mutations = argc > 3 ? strtoul(argv[3], nullptr, 10) : 20000;
  Rng rng{argc > 4 ? strtoull(argv[4], nullptr, 10) : 0x9E3779B97F4A7C15ULL};
  if (rng.s == 0) rng.s = 1;

  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(argv[2])) {
    if (entry.is_regular_file()) names.push_back(entry.path().string());
  }
  std::sort(names.begin(), names.end());  // directory order is not deterministic
  std::vector<std::vector<uint8_t>> corpus;
  for (const std::string& n : names) {
    std::ifstream f(n, std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  if (corpus.empty()) {
    fprintf(stderr, "empty corpus %s\n", argv[2]);
    return 2;  // a replay with nothing to replay must not pass
  }
  for (const auto& c : corpus) fn(c.data(), c.size());
  for (unsigned long i = 0; i < mutations; ++i) {
    std::vector<uint8_t> b = corpus[rng.below(corpus.size())];
    mutate(b, rng, corpus);
    fn(b.data(), b.size());
  }
  printf("%s: %zu seeds + %lu mutations run\n", argv[1], corpus.size(), mutations);
  return 0;
}
