// crypto_bench_<backend>: one backend's rates, measured in CPU time of this process
// (CLOCK_PROCESS_CPUTIME_ID, so other load on the machine does not count against it).
// Built once per backend from this file (bench/CMakeLists.txt); run by crypto_bench, which
// prints both side by side. Prints "key value" lines:
//   backend <name>
//   p256_verify_per_s (16 keys in turn), p256_verify_cold_per_s (256 keys in turn: more than
//   any backend keeps prepared), p256_sign_per_s, ecdh_per_s, sha256_mb_per_s (64 KiB blocks),
//   hmac64_per_s (HMAC-SHA256 of 64 bytes)
// Every result is checked; a wrong answer exits with status 1 instead of printing a rate.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vector>

#include "locus/crypto/hash.h"
#include "locus/crypto/p256.h"

using namespace locus;
using namespace locus::crypto;

#ifndef LOCUS_BENCH_BACKEND
#error "LOCUS_BENCH_BACKEND must name the backend this worker is linked with"
#endif

namespace {

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "crypto_bench_%s: %s failed\n", LOCUS_BENCH_BACKEND, what);
  exit(1);
}

// Runs op(i) in batches until `budget` CPU seconds have passed (at most max_iter calls);
// returns calls per CPU second.
template <typename Op>
double rate(double budget, long max_iter, Op op) {
  const double t0 = cpu_now();
  long n = 0;
  double t = t0;
  while (n < max_iter) {
    for (int k = 0; k < 16 && n < max_iter; ++k, ++n) op(n);
    t = cpu_now();
    if (t - t0 >= budget) break;
  }
  return static_cast<double>(n) / (t - t0);
}

}  // namespace

int main(int argc, char** argv) {
  const double budget = argc > 1 ? atof(argv[1]) : 1.0;
  if (!(budget > 0.0 && budget <= 60.0)) {
    fprintf(stderr, "usage: %s [CPU seconds per measurement, 0 < s <= 60]\n", argv[0]);
    return 2;
  }
  constexpr int kKeys = 256;  // the first 16 for the warm rates
  std::vector<P256PrivateKey> keys(kKeys);
  std::vector<P256PublicKey> pubs(kKeys);
  std::vector<Digest> digests(kKeys);
  std::vector<P256Signature> sigs(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    const uint8_t seed[2] = {static_cast<uint8_t>(i), 0x5a};
    const uint8_t label[] = {'b', 'e', 'n', 'c', 'h'};
    if (!p256_derive_key(seed, label, &keys[i]).ok() || !p256_public_key(keys[i], &pubs[i]).ok() ||
        !sha256(ByteSpan(seed, 2), &digests[i]).ok() ||
        !ecdsa_sign_digest(keys[i], digests[i], &sigs[i]).ok()) {
      die("setup");
    }
  }
  const long kMax = 100000000;
  constexpr int kWarm = 16;
  const double verify = rate(budget, kMax, [&](long n) {
    const int i = static_cast<int>(n % kWarm);
    if (!ecdsa_verify_digest(pubs[i], digests[i], sigs[i]).ok()) die("verify");
  });
  const double verify_cold = rate(budget, kMax, [&](long n) {
    const int i = static_cast<int>(n % kKeys);
    if (!ecdsa_verify_digest(pubs[i], digests[i], sigs[i]).ok()) die("verify (cold)");
  });
  const double sign = rate(budget, kMax, [&](long n) {
    const int i = static_cast<int>(n % kWarm);
    P256Signature s;
    if (!ecdsa_sign_digest(keys[i], digests[i], &s).ok()) die("sign");
  });
  const double ecdh = rate(budget, kMax, [&](long n) {
    const int i = static_cast<int>(n % kWarm);
    std::array<uint8_t, 32> z{};
    if (!ecdh_p256(keys[i], pubs[(i + 1) % kWarm], &z).ok()) die("ecdh");
  });
  std::vector<uint8_t> block(size_t{64} * 1024, 0xa5);
  const double sha_calls = rate(budget, kMax, [&](long) {
    Digest h{};
    if (!sha256(ByteSpan(block.data(), block.size()), &h).ok()) die("sha256");
  });
  const uint8_t key[32] = {1};
  const double hmac = rate(budget, kMax, [&](long) {
    Digest h{};
    if (!hmac_sha256(key, ByteSpan(block.data(), 64), &h).ok()) die("hmac");
  });
  printf("backend %s\n", LOCUS_BENCH_BACKEND);
  printf("p256_verify_per_s %.0f\n", verify);
  printf("p256_verify_cold_per_s %.0f\n", verify_cold);
  printf("p256_sign_per_s %.0f\n", sign);
  printf("ecdh_per_s %.0f\n", ecdh);
  printf("sha256_mb_per_s %.1f\n", sha_calls * static_cast<double>(block.size()) / 1e6);
  printf("hmac64_per_s %.0f\n", hmac);
  return fflush(stdout) == 0 ? 0 : 1;
}
