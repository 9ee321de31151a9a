// bench/verifier_load: full appraisals per second and the verifier's CPU per decision, with
// 0, 3 and 6 landmarks per decision (no TPM: see verifier_load_world.h), over a concurrency
// sweep of 1..64 clients in flight, against the real `locus verifier serve` on loopback.
//
//   build/host-release/bench/verifier_load [--seconds S] [--max-clients N]
//
// Per row: decisions/s (affirming ones), the verifier process's CPU ms per decision (its own
// utime+stime from /proc, so the clients' signing does not count), that CPU as a share of
// the 2-core machine, and the client-side latency per decision (nonce + bundle + attest)
// p50/p99. The clients run on the same cores: where they saturate them, decisions/s is a
// floor, while CPU ms per decision is the verifier's cost.
#include <cstring>
#include <thread>

#include "verifier_load_world.h"

int main(int argc, char** argv) {
  double seconds = 3;
  int max_clients = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--max-clients") == 0) max_clients = std::atoi(argv[i + 1]);
  }
  if (seconds <= 0 || seconds > 600 || max_clients < 1 || max_clients > 256) {
    std::fprintf(stderr, "usage: verifier_load [--seconds 0..600] [--max-clients 1..256] \n");
    return 2;
  }
  bench::World w(LOCUS_BIN, max_clients, {});
  std::printf(
      "verifier_load: locus verifier serve on 127.0.0.1:%d, %.1f s per row, %u "
      "cores\n",
      w.port(), seconds, std::thread::hardware_concurrency());
  std::printf("%-9s %-8s %10s %10s %9s %9s %9s %8s %7s\n", "landmarks", "clients", "decisions",
              "per s", "cpu ms/d", "cpu %", "p50 ms", "p99 ms", "errors");
  for (int lm : {0, 3, 6}) {
    const auto boards = w.boards(lm);
    for (int c = 1; c <= max_clients; c *= 2) {
      std::vector<bench::ClientStats> st(static_cast<size_t>(c));
      std::vector<std::thread> th;
      const double cpu0 = bench::process_cpu_ms(w.verifier_pid());
      const auto t0 = std::chrono::steady_clock::now();
      const auto until = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(seconds));
      for (int i = 0; i < c; ++i) {
        // Client i attests with its own board (no two clients share a board's counter).
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
      std::printf("%-9d %-8d %10llu %10.1f %9.2f %8.0f%% %9.1f %8.1f %7llu%s\n", lm, c,
                  static_cast<unsigned long long>(dec), double(aff) / wall,
                  dec ? cpu / double(dec) : 0.0, 100.0 * cpu / (wall * 1000.0),
                  bench::percentile(ms, 0.5), bench::percentile(ms, 0.99),
                  static_cast<unsigned long long>(err),
                  ref ? ("  (" + std::to_string(ref) + " refused)").c_str() : "");
      std::fflush(stdout);
    }
  }
  return 0;
}
