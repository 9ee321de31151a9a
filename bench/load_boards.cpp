// bench/load_boards: N simulated boards against one verifier for a bounded time (issue 11's
// load generator). Each board attests back to back over its own keep-alive connection
// (nonce, evidence + landmark sessions, attest), against the real `locus verifier serve`.
//
//   build/host-release/bench/load_boards [--boards N] [--seconds S] [--landmarks 0|3|6]
//
//
// Prints decisions/s, p50/p99 latency per decision, errors (transport or HTTP status) and
// refusals, then checks that no audit record was lost: the audit log must hold exactly one
// "decision" record per decision the clients received, the chain must verify
// (`locus audit verify`), and the registry must list the same number of decisions.
// Exits 1 if a check fails.
#include <cstring>
#include <exception>
#include <thread>

#include "verifier_load_world.h"

int bench_main(int argc, char** argv) {
  int boards = 16, landmarks = 3;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--boards") == 0) boards = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--landmarks") == 0) landmarks = std::atoi(argv[i + 1]);
  }
  if (boards < 1 || boards > 512 || seconds <= 0 || seconds > 3600 ||
      (landmarks != 0 && landmarks != 3 && landmarks != 6)) {
    std::fprintf(stderr,
                 "usage: load_boards [--boards 1..512] [--seconds S] [--landmarks 0|3|6] "
                 "\n");
    return 2;
  }
  bench::World w(LOCUS_BIN, boards, {});
  const auto bs = w.boards(landmarks);
  std::vector<bench::ClientStats> st(static_cast<size_t>(boards));
  std::vector<std::thread> th;
  const double cpu0 = bench::process_cpu_ms(w.verifier_pid());
  const auto t0 = std::chrono::steady_clock::now();
  const auto until = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(seconds));
  th.reserve(boards);
  for (int i = 0; i < boards; ++i) {
    th.emplace_back(
        [&, i] { bench::client_loop(w, {bs[size_t(i)]}, until, 1000000, &st[size_t(i)]); });
  }
  for (auto& t : th) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
  std::printf("load_boards: %d boards, %d landmarks each, %.1f s\n", boards, landmarks, wall);
  std::printf("%-26s %llu (%.1f/s)\n", "decisions", static_cast<unsigned long long>(dec),
              double(dec) / wall);
  std::printf("%-26s %llu\n", "affirming", static_cast<unsigned long long>(aff));
  std::printf("%-26s %llu\n", "refused", static_cast<unsigned long long>(ref));
  std::printf("%-26s %llu\n", "errors", static_cast<unsigned long long>(err));
  std::printf("%-26s %.1f / %.1f ms\n", "latency p50 / p99", bench::percentile(ms, 0.5),
              bench::percentile(ms, 0.99));
  std::printf("%-26s %.2f ms\n", "verifier CPU per decision", dec != 0u ? cpu / double(dec) : 0.0);

  // No lost audit records: one "decision" record per decision received, chain intact.
  std::ifstream audit(w.path("locus.db.audit.jsonl"));
  uint64_t audit_decisions = 0, lines = 0;
  for (std::string line; std::getline(audit, line) && lines < 100000000; ++lines) {
    const auto j = bench::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("kind", std::string()) == "decision") ++audit_decisions;
  }
  std::string out, e2;
  const int vrc = locus::host::test::run_command(
      {LOCUS_BIN, "audit", "verify", "--log", w.path("locus.db.audit.jsonl")}, &out, &e2);
  const int drc = locus::host::test::run_command(
      {LOCUS_BIN, "--json", "verifier", "decisions", "--db", w.path("locus.db"), "--limit", "-1"},
      &out, &e2, 120000);
  const auto dj = bench::json::parse(out, nullptr, false);
  const uint64_t reg_decisions = dj.is_array() ? dj.size() : 0;
  const bool ok = vrc == 0 && drc == 0 && audit_decisions == dec && reg_decisions == dec;
  std::printf("%-26s %llu %s\n", "audit decision records",
              static_cast<unsigned long long>(audit_decisions),
              audit_decisions == dec ? "(= decisions)" : "(MISMATCH)");
  std::printf("%-26s %llu %s\n", "registry decisions",
              static_cast<unsigned long long>(reg_decisions),
              reg_decisions == dec ? "(= decisions)" : "(MISMATCH)");
  std::printf("%-26s %s\n", "audit chain", vrc == 0 ? "verifies" : "BROKEN");
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return bench_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
