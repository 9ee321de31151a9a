// Deterministic replay of the protocol fuzz target (tests/fuzz/fuzz_protocol.cpp): every seed
// in tests/fuzz/corpus/protocol, then MUTATIONS mutations of them (locus_test/mutate.h:
// xorshift64 with a fixed seed, so a failure reproduces exactly). The first byte of an input
// selects the decoder and is kept; the mutations go to the rest. A broken invariant traps;
// ASan/UBSan builds also catch memory errors. Usage: protocol_fuzz_replay CORPUS_DIR [MUTATIONS]
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "locus_test/mutate.h"

extern "C" int locus_fuzz_protocol(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const long mutations = argc > 2 ? atol(argv[2]) : 20000;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1], ec)) {
    if (entry.is_regular_file()) names.push_back(entry.path().string());
  }
  if (ec) return 2;
  std::sort(names.begin(), names.end());  // directory order is not deterministic
  std::vector<std::vector<uint8_t>> seeds;
  for (const std::string& n : names) {
    std::ifstream f(n, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    locus_fuzz_protocol(seeds.back().data(), seeds.back().size());
  }
  if (seeds.empty()) return 2;  // a replay with nothing to replay must not pass
  locus_test::Rng rng;
  std::vector<uint8_t> buf;
  for (long i = 0; i < mutations; ++i) {
    const std::vector<uint8_t>& s = seeds[rng.below(seeds.size())];
    buf.assign(s.size() > 1 ? s.begin() + 1 : s.end(), s.end());
    locus_test::mutate(buf, rng);
    if (!s.empty()) buf.insert(buf.begin(), s[0]);
    locus_fuzz_protocol(buf.data(), buf.size());
  }
  printf("protocol fuzz replay: %zu seeds, %ld mutations\n", seeds.size(), mutations);
  return 0;
}
