// bench/verifier_load: full appraisals per second and the verifier's CPU per decision, with
// 0, 3 and 6 landmarks per decision and with 3 landmarks + a TPM quote (swtpm), over a
// concurrency sweep, against the real `locus verifier serve` on loopback; then, in the same
// run, the host crypto backend's raw P-256 verify/sign rates (crypto_bench_openssl) and the
// share of that crypto bound the verifier reaches.
//
//   build/host-release/bench/verifier_load [--seconds S] [--max-clients N] [--tpm-hosts H]
//
// Per row: decisions/s (affirming ones), the verifier process's CPU ms per decision (its own
// utime+stime from /proc, so the clients' signing and the swtpm's quoting do not count), that
// CPU as a share of one core, appraisals per second per core (1000 / CPU ms per decision), and
// the client-side latency per decision (nonce + bundle [+ quote] + attest) p50/p99. The
// clients run on the same cores: where they saturate them, decisions/s is a floor, while CPU
// ms per decision is the verifier's cost.
//
// Crypto bound: the signature work one full appraisal must do, at the backend's raw rates:
// per decision 3 + 2 x landmarks ECDSA P-256 verifies (Alias certificate, DeviceID
// certificate, evidence; per landmark its record and the board's transcript), + 1 with a TPM
// quote (the AK's ECDSA signature), and 1 ECDSA sign (the license). bound/s = 1 / (n_verify /
// verify_per_s + 1 / sign_per_s); share = (appraisals/s per core) / bound.
#include <cstring>
#include <map>
#include <thread>

#include "verifier_load_world.h"

namespace {

// Runs crypto_bench_openssl and returns its "key value" lines.
std::map<std::string, double> crypto_rates(double seconds) {
  std::string out, err;
  std::map<std::string, double> m;
  if (locus::host::test::run_command({LOCUS_CRYPTO_BENCH, std::to_string(seconds)}, &out, &err,
                                     120000) != 0) {
    std::fprintf(stderr, "crypto_bench_openssl failed: %s\n", err.c_str());
    return m;
  }
  size_t i = 0;
  while (i < out.size()) {
    size_t j = out.find('\n', i);
    if (j == std::string::npos) j = out.size();
    const std::string line = out.substr(i, j - i);
    const size_t sp = line.find(' ');
    if (sp != std::string::npos) m[line.substr(0, sp)] = std::atof(line.c_str() + sp + 1);
    i = j + 1;
  }
  return m;
}

struct Row {
  std::string what;
  int verifies = 0;
  double cpu_ms = 0;  // per decision, at the row's best throughput
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int max_clients = 64;
  int tpm_hosts = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--max-clients") == 0) max_clients = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--tpm-hosts") == 0) tpm_hosts = std::atoi(argv[i + 1]);
  }
  if (seconds <= 0 || seconds > 600 || max_clients < 1 || max_clients > 256 || tpm_hosts < 0 ||
      tpm_hosts > 16) {
    std::fprintf(stderr,
                 "usage: verifier_load [--seconds 0..600] [--max-clients 1..256] [--tpm-hosts "
                 "0..16]\n");
    return 2;
  }
  bench::World w(LOCUS_BIN, max_clients + tpm_hosts, {}, tpm_hosts);
  std::printf(
      "verifier_load: locus verifier serve on 127.0.0.1:%d, %.1f s per row, %u cores, %d TPM "
      "hosts (swtpm)\n",
      w.port(), seconds, std::thread::hardware_concurrency(), tpm_hosts);
  std::printf("%-9s %-8s %10s %10s %9s %7s %11s %9s %8s %7s\n", "landmarks", "clients", "decisions",
              "per s", "cpu ms/d", "cpu %", "per s/core", "p50 ms", "p99 ms", "errors");
  std::vector<Row> rows;
  struct Sweep {
    int lm;
    bool tpm;
  };
  std::vector<Sweep> sweeps = {{0, false}, {3, false}, {6, false}};
  if (tpm_hosts > 0) sweeps.push_back({3, true});
  for (const Sweep& sw : sweeps) {
    std::vector<bench::Board*> boards;
    for (bench::Board* b : w.boards(sw.lm))
      if ((b->tpm != nullptr) == sw.tpm) boards.push_back(b);
    const int most = sw.tpm ? std::min(max_clients, tpm_hosts) : max_clients;
    const std::string label = std::to_string(sw.lm) + (sw.tpm ? "+TPM" : "");
    Row best{label, 3 + 2 * sw.lm + (sw.tpm ? 1 : 0), 0};
    double best_rate = -1;
    for (int c = 1; c <= most; c *= 2) {
      std::vector<bench::ClientStats> st(static_cast<size_t>(c));
      std::vector<std::thread> th;
      const double cpu0 = bench::process_cpu_ms(w.verifier_pid());
      const auto t0 = std::chrono::steady_clock::now();
      const auto until = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(seconds));
      for (int i = 0; i < c; ++i) {
        // Client i attests with its own board (no two clients share a board's counter or a
        // TPM).
        th.emplace_back(
            [&, i] { bench::client_loop(w, {boards[size_t(i)]}, until, 1000000, &st[size_t(i)]); });
      }
      for (auto& t : th) t.join();
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cpu = bench::process_cpu_ms(w.verifier_pid()) - cpu0;
      uint64_t aff = 0, ref = 0, err = 0;
      std::vector<double> ms;
      for (auto& s : st) {
        aff += s.affirming;
        ref += s.refused;
        err += s.errors;
        ms.insert(ms.end(), s.ms.begin(), s.ms.end());
      }
      const uint64_t dec = aff + ref;
      const double cpu_per = dec ? cpu / double(dec) : 0.0;
      std::printf("%-9s %-8d %10llu %10.1f %9.3f %6.0f%% %11.0f %9.1f %8.1f %7llu%s\n",
                  label.c_str(), c, static_cast<unsigned long long>(dec), double(aff) / wall,
                  cpu_per, 100.0 * cpu / (wall * 1000.0), cpu_per > 0 ? 1000.0 / cpu_per : 0.0,
                  bench::percentile(ms, 0.5), bench::percentile(ms, 0.99),
                  static_cast<unsigned long long>(err),
                  ref ? ("  (" + std::to_string(ref) + " refused)").c_str() : "");
      std::fflush(stdout);
      if (double(aff) / wall > best_rate && cpu_per > 0) {
        best_rate = double(aff) / wall;
        best.cpu_ms = cpu_per;
      }
    }
    rows.push_back(best);
  }
  const auto cr = crypto_rates(1.0);
  const double v = cr.count("p256_verify_per_s") ? cr.at("p256_verify_per_s") : 0;
  const double s = cr.count("p256_sign_per_s") ? cr.at("p256_sign_per_s") : 0;
  if (v <= 0 || s <= 0) return 1;
  std::printf("\ncrypto bound, same run (crypto_bench_openssl): P-256 verify %.0f/s, sign %.0f/s\n",
              v, s);
  std::printf("%-9s %9s %12s %14s %13s %8s\n", "landmarks", "verifies", "crypto ms/d",
              "bound per s", "per s/core", "share");
  for (const Row& r : rows) {
    const double crypto_ms = 1000.0 * (r.verifies / v + 1.0 / s);
    const double per_core = r.cpu_ms > 0 ? 1000.0 / r.cpu_ms : 0.0;
    std::printf("%-9s %9d %12.3f %14.0f %13.0f %7.0f%%\n", r.what.c_str(), r.verifies, crypto_ms,
                1000.0 / crypto_ms, per_core, 100.0 * per_core * crypto_ms / 1000.0);
  }
  std::printf("(per s/core at the row's best throughput; share = per s/core / bound)\n");
  return 0;
}
