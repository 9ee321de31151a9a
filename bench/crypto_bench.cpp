// crypto_bench: P-256 verify/s and sign/s, ECDH/s, SHA-256 MB/s and HMAC/s of both crypto/
// backends in the same run, and their ratio. The two backends define the same symbols, so
// each is measured in its own process (crypto_bench_mbedtls, crypto_bench_openssl, built
// from bench/crypto_bench_worker.cpp), one after the other, never at the same time.
// Rates are per CPU second of the worker (CLOCK_PROCESS_CPUTIME_ID), single thread.
//
// usage: crypto_bench [CPU seconds per measurement, default 1]
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <map>
#include <string>

#ifndef LOCUS_BENCH_MBEDTLS
#error "LOCUS_BENCH_MBEDTLS / LOCUS_BENCH_OPENSSL must be the worker paths"
#endif

namespace {

using Figures = std::map<std::string, double>;

bool run(const char* path, const std::string& seconds, Figures* out) {
  const std::string cmd = std::string("'") + path + "' " + seconds;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  char line[256];
  int lines = 0;
  while (lines < 64 && fgets(line, sizeof(line), p) != nullptr) {
    ++lines;
    char key[64];
    double v = 0;
    if (sscanf(line, "%63s %lf", key, &v) == 2) (*out)[key] = v;
  }
  const int st = pclose(p);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string seconds = argc > 1 ? argv[1] : "1";
  const double s = atof(seconds.c_str());
  if (!(s > 0.0 && s <= 60.0)) {
    fprintf(stderr, "usage: %s [CPU seconds per measurement, 0 < s <= 60]\n", argv[0]);
    return 2;
  }
  Figures m, o;
  if (!run(LOCUS_BENCH_MBEDTLS, seconds, &m) || !run(LOCUS_BENCH_OPENSSL, seconds, &o)) {
    fprintf(stderr, "crypto_bench: a worker failed\n");
    return 1;
  }
  struct Row {
    const char* key;
    const char* label;
  };
  const Row rows[] = {
      {"p256_verify_per_s", "ECDSA P-256 verify / s (16 keys)"},
      {"p256_verify_cold_per_s", "ECDSA P-256 verify / s (256 keys)"},
      {"p256_sign_per_s", "ECDSA P-256 sign (RFC 6979) / s"},
      {"ecdh_per_s", "ECDH P-256 / s"},
      {"sha256_mb_per_s", "SHA-256 MB/s (64 KiB blocks)"},
      {"hmac64_per_s", "HMAC-SHA256 (64 B) / s"},
  };
  printf("crypto/ backends, single thread, per CPU second, %s s per measurement\n\n",
         seconds.c_str());
  printf("| %-33s | %12s | %12s | %16s |\n", "operation", "mbedtls", "openssl", "openssl/mbedtls");
  printf("|%s|%s|%s|%s|\n", std::string(35, '-').c_str(), std::string(14, '-').c_str(),
         std::string(14, '-').c_str(), std::string(18, '-').c_str());
  for (const Row& r : rows) {
    if (m.count(r.key) == 0 || o.count(r.key) == 0 || m[r.key] <= 0) {
      fprintf(stderr, "crypto_bench: %s missing from a worker's output\n", r.key);
      return 1;
    }
    printf("| %-33s | %12.1f | %12.1f | %15.2fx |\n", r.label, m[r.key], o[r.key],
           o[r.key] / m[r.key]);
  }
  return 0;
}
