// bench/verifier_load: full appraisals per second and the verifier's CPU per decision, with
// 0, 3 and 6 landmarks per decision and with 3 landmarks + a TPM quote (swtpm), over a
// concurrency sweep, against the real `locus verifier serve` on loopback; then, in the same
// run, the host crypto backend's raw P-256 verify/sign rates (crypto_bench_openssl, taken
// before and after the sweeps: their mean, and the drift between them) and the share of that
// crypto bound the verifier reaches.
//
//   build/host-release/bench/verifier_load [--seconds S] [--max-clients N] [--tpm-hosts H]
//                                          [--workers W]   (the verifier's --workers; 0: its
//                                          default)
//                                          [--only 0|3|6|3+TPM]   (just that sweep, e.g. to
//                                          profile the verifier under it)
//                                          [--pin]   (the verifier alone on CPU 0; this
//                                          program, its clients and the swtpms on the others)
//
// Per row: decisions/s (affirming ones), the verifier process's CPU ms per decision (its own
// utime+stime from /proc, so the clients' signing and the swtpm's quoting do not count) and
// the system (kernel: fsync, sockets, wake-ups) part of it, that
// CPU as a share of one core, appraisals per second per core (1000 / CPU ms per decision), and
// the client-side latency per decision (nonce + bundle [+ quote] + attest) p50/p99, and the
// mean group-commit size (durable registry transactions per COMMIT, from /metrics), and the
// verifier's write system calls and KiB written per decision (/proc/PID/io syscw, wchar:
// SQLite's WAL frames (two writes each), checkpoints, the audit log; not socket sends), and
// the context switches of all its threads per decision (csw/d: /proc/PID/task/*/status,
// voluntary + involuntary: hand-offs between the I/O thread, the handlers and the group
// commit, and waits for the disk; -1 if /proc could not be read). The
// clients run on the same cores: where they saturate them, decisions/s is a floor, while CPU
// ms per decision is the verifier's cost. They share the CPUs' caches and the scheduler with the
// verifier, though, which makes its CPU per decision higher than on a machine of its own:
// --pin gives the verifier one core to itself (as a deployed verifier has its cores) and
// leaves the rest to the clients, so "per s/core" is then literally one core's rate; with 2
// cores the one client core is usually what limits decisions/s.
//
// Crypto bound: the signature work one full appraisal must do, at the backend's raw rates:
// per decision 3 + 2 x landmarks ECDSA P-256 verifies (Alias certificate, DeviceID
// certificate, evidence; per landmark its record and the board's transcript), + 1 with a TPM
// quote (the AK's ECDSA signature), and 1 ECDSA sign (the license). bound/s = 1 / (n_verify /
// verify_per_s + 1 / sign_per_s); share = (appraisals/s per core) / bound. That is the work of
// an appraisal with nothing cached. The verifier keeps a cache of certificate chains it has
// checked (verifier.cpp ChainCache: the same Alias and DeviceID certificate bytes under the
// same root), so a renewing board costs 2 verifies fewer; it also signs twice (the license and
// the EAR). The "warm" columns are the bound and share for that work (1 + 2 x landmarks [+ 1]
// verifies + 2 signs), which is what the rows do.
//
//   build/host-release/bench/verifier_load --in-process N [--landmarks 0|3|6] [--tpm]
//
// In-process mode, for profiling: the same world (boards, landmark trust list, policy, swtpm
// host with --tpm) but the verifier is built in this process the way `locus verifier serve`
// builds it, and one thread calls the HTTP handlers directly (HttpService::handle_nonce and
// handle_attest with the bodies the clients above send), N decisions one after the other,
// after one warm-up decision. Prints the handlers' CPU per decision (this thread's CPU
// time: the boards' signing, the landmark records and the TPM quote are built between the
// calls and not counted) and the size of the last stored decision text. Deterministic
// enough for instruction counts: run it under `valgrind --tool=callgrind
// --collect-atstart=no` (arguments e.g. --in-process 50 --landmarks 3 --tpm), which collects
// only inside the two handler calls (callgrind client requests), so the total Ir divided by
// N is the verifier's instructions per decision.
#include <cstring>
#include <exception>
#include <map>
#include <thread>

#include "locus/verifier/service.h"
#include "verifier_load_world.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define LOCUS_COLLECT() CALLGRIND_TOGGLE_COLLECT
#else
#define LOCUS_COLLECT() ((void)0)
#endif

namespace {

// The verifier's durable registry transactions and the COMMITs that made them durable
// (/metrics): their ratio is the mean group-commit size.
struct CommitCounts {
  uint64_t transactions = 0;
  uint64_t commits = 0;
};
CommitCounts commit_counts(int port) {
  CommitCounts c;
  httplib::Client cli("127.0.0.1", port);
  auto r = cli.Get("/metrics");
  if (!r || r->status != 200) return c;
  auto value = [&](const char* name) -> uint64_t {
    const std::string key = std::string("\n") + name + " ";
    const size_t at = r->body.find(key);
    return at == std::string::npos ? 0
                                   : std::strtoull(r->body.c_str() + at + key.size(), nullptr, 10);
  };
  c.transactions = value("locus_verifier_registry_transactions_total");
  c.commits = value("locus_verifier_registry_commits_total");
  return c;
}

// The `locus --version` line of the verifier under test: it names the allocator the binary was
// linked with (host/CMakeLists.txt), which the figures depend on.
std::string verifier_version() {
  std::string out, err;
  if (locus::host::test::run_command({LOCUS_BIN, "--version"}, &out, &err, 10000) != 0)
    return "unknown (locus --version failed)";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

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

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// This thread's system (kernel) CPU time in ms: fsync and the other system calls.
double thread_sys_ms() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return double(u.ru_stime.tv_sec) * 1e3 + double(u.ru_stime.tv_usec) / 1e3;
}

int in_process(int decisions, int landmarks, bool tpm) {
  namespace ver = locus::verifier;
  bench::World w(LOCUS_BIN, 2, {}, tpm ? 1 : 0, /*serve=*/false);
  locus::host::set_log_level(locus::host::LogLevel::kWarn);
  auto pol = ver::load_policy(w.path("policy.toml"));
  if (!pol.ok()) bench::die(pol.message());
  auto keys = ver::load_keys(w.path("ca.pem"), w.path("license.key"));
  if (!keys.ok()) bench::die(keys.message());
  auto reg = locus::registry::open(w.path("locus.db"));
  if (!reg.ok()) bench::die(reg.message());
  locus::audit::AuditLog log(w.path("locus.db.audit.jsonl"), reg.value().get());
  auto v = ver::Verifier::create(pol.take(), reg.value().get(), &log, keys.value());
  if (!v.ok()) bench::die(v.message());
  if (!v.value()->enable_tpm().ok()) bench::die("enable_tpm");
  ver::HttpService svc(v.value().get());
  const bench::Board* board = nullptr;
  for (bench::Board* b : w.boards(landmarks))
    if ((b->tpm != nullptr) == tpm) board = b;
  if (board == nullptr) bench::die("no such board");
  const std::string nonce_req = bench::json{{"ueid", board->ueid_hex}}.dump();
  double cpu_nonce = 0, cpu_attest = 0, wall = 0, sys = 0;
  int affirming = 0;
  size_t body_bytes = 0;
  for (int i = 0; i <= decisions; ++i) {
    const bool measured = i > 0;  // decision 0 warms the chain cache and the statements
    std::string out;
    const auto w0 = std::chrono::steady_clock::now();
    const double s0 = thread_sys_ms();
    const double c0 = thread_cpu_ms();
    if (measured) LOCUS_COLLECT();
    const int ns = svc.handle_nonce(nonce_req, &out, "127.0.0.1");
    if (measured) LOCUS_COLLECT();
    const double c1 = thread_cpu_ms();
    const double s1 = thread_sys_ms();
    const auto w1 = std::chrono::steady_clock::now();
    if (ns != 200) bench::die("nonce: " + out);
    const bench::json nj = bench::json::parse(out, nullptr, false);
    const std::string nonce_b64 = nj.value("nonce", std::string());
    auto nonce = locus::host::b64_decode(nonce_b64);
    if (!nonce.ok()) bench::die("nonce answer: " + out);
    std::string body;
    if (!bench::attest_body(w, *board, nonce_b64, nonce.value(), &body)) bench::die("quote");
    body_bytes = body.size();
    const auto w2 = std::chrono::steady_clock::now();
    const double s2 = thread_sys_ms();
    const double c2 = thread_cpu_ms();
    if (measured) LOCUS_COLLECT();
    const int as = svc.handle_attest(body, &out);
    if (measured) LOCUS_COLLECT();
    const double c3 = thread_cpu_ms();
    const double s3 = thread_sys_ms();
    const auto w3 = std::chrono::steady_clock::now();
    if (as != 200) bench::die("attest: " + out);
    const bench::json aj = bench::json::parse(out, nullptr, false);
    const bool ok = aj.is_object() && aj.contains("license") && aj["license"].is_string();
    if (!ok) bench::die("refused: " + out.substr(0, 2000));
    if (!measured) continue;
    ++affirming;
    cpu_nonce += c1 - c0;
    cpu_attest += c3 - c2;
    sys += (s1 - s0) + (s3 - s2);
    wall += std::chrono::duration<double, std::milli>((w1 - w0) + (w3 - w2)).count();
  }
  const double n = double(decisions);
  std::printf(
      "verifier_load --in-process: %d decisions, %d landmarks%s, %d affirming, attest body %zu "
      "bytes\n",
      decisions, landmarks, tpm ? " + TPM" : "", affirming, body_bytes);
  std::printf("(handlers in this process, allocator: %s)\n", LOCUS_ALLOCATOR_NAME);
  std::printf("%-22s %9s %9s\n", "handler", "cpu ms/d", "wall ms/d");
  std::printf("%-22s %9.3f\n", "POST /v1/nonce", cpu_nonce / n);
  std::printf("%-22s %9.3f\n", "POST /v1/attest", cpu_attest / n);
  std::printf("%-22s %9.3f %9.3f   (%.0f appraisals/s per core)\n", "both",
              (cpu_nonce + cpu_attest) / n, wall / n, 1000.0 * n / (cpu_nonce + cpu_attest));
  std::printf("%-22s %9.3f   (kernel: fsync, file and socket calls)\n", "of which system", sys / n);
  // The stored decision text (what every durable commit writes to the decision row), of the
  // last decision: the figure behind docs/verifier-server.md's WAL bytes per decision.
  auto decs = reg.value()->list_decisions(-1);
  if (!decs.ok() || decs.value().empty()) bench::die("no stored decision");
  const locus::registry::Decision* last = &decs.value().front();
  for (const auto& d : decs.value())
    if (d.id > last->id) last = &d;
  std::printf("%-22s %9zu bytes (decision %lld)\n", "stored decision", last->decision_json.size(),
              static_cast<long long>(last->id));
  auto bundle = reg.value()->get_evidence_bundle(last->id);
  std::printf("%-22s %9zu bytes evidence, %zu bytes license; evidence bundle %zu bytes\n",
              "  and in its row", last->evidence.size(), last->license.size(),
              bundle.ok() ? bundle.value().size() : size_t(0));
  return 0;
}

struct Row {
  std::string what;
  int verifies = 0;
  double cpu_ms = 0;  // per decision, at the row's best throughput
};

}  // namespace

int bench_main(int argc, char** argv) {
  double seconds = 3;
  int max_clients = 64;
  int tpm_hosts = 4;
  int in_proc = 0, landmarks = 3, workers = 0;
  bool tpm = false, bad = false, pin = false;
  std::string only;  // --only: the one sweep to run ("0", "3", "6" or "3+TPM"); "" all
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--tpm") == 0)
      tpm = true;
    else if (std::strcmp(argv[i], "--pin") == 0)
      pin = true;
    else if (has_value && std::strcmp(argv[i], "--seconds") == 0)
      seconds = std::atof(argv[++i]);
    else if (has_value && std::strcmp(argv[i], "--max-clients") == 0)
      max_clients = std::atoi(argv[++i]);
    else if (has_value && std::strcmp(argv[i], "--tpm-hosts") == 0)
      tpm_hosts = std::atoi(argv[++i]);
    else if (has_value && std::strcmp(argv[i], "--in-process") == 0)
      in_proc = std::atoi(argv[++i]);
    else if (has_value && std::strcmp(argv[i], "--landmarks") == 0)
      landmarks = std::atoi(argv[++i]);
    else if (has_value && std::strcmp(argv[i], "--workers") == 0)
      workers = std::atoi(argv[++i]);
    else if (has_value && std::strcmp(argv[i], "--only") == 0)
      only = argv[++i];
    else
      bad = true;
  }
  if (bad || seconds <= 0 || seconds > 600 || max_clients < 1 || max_clients > 256 ||
      tpm_hosts < 0 || tpm_hosts > 16 || in_proc < 0 || in_proc > 100000 || workers < 0 ||
      workers > 256 || (landmarks != 0 && landmarks != 3 && landmarks != 6) ||
      (tpm && landmarks != 3) ||
      !(only.empty() || only == "0" || only == "3" || only == "6" || only == "3+TPM") ||
      (only == "3+TPM" && tpm_hosts == 0)) {
    std::fprintf(stderr,
                 "usage: verifier_load [--seconds 0..600] [--max-clients 1..256] [--tpm-hosts "
                 "0..16] [--workers 0..256]\n"
                 "                     [--only 0|3|6|3+TPM (one sweep; 3+TPM needs TPM hosts)]"
                 " [--pin (verifier alone on CPU 0)]\n"
                 "       verifier_load --in-process 1..100000 [--landmarks 0|3|6] [--tpm "
                 "(with 3 landmarks)]\n");
    return 2;
  }
  if (in_proc > 0) return in_process(in_proc, landmarks, tpm);
  const unsigned ncpu = std::thread::hardware_concurrency();
  if (pin) {
    // Before any thread or child exists: everything started from here (swtpm, the verifier,
    // the client threads) inherits CPUs 1..n-1; the verifier is then moved to CPU 0.
    std::vector<int> rest;
    for (unsigned c = 1; c < ncpu; ++c) rest.push_back(int(c));
    if (ncpu < 2 || !bench::pin_process(0, rest)) {
      std::fprintf(stderr, "verifier_load: --pin needs 2 or more CPUs it may use (has %u)\n", ncpu);
      return 2;
    }
  }
  std::vector<std::string> flags;
  if (workers > 0) flags = {"--workers", std::to_string(workers)};
  bench::World w(LOCUS_BIN, max_clients + tpm_hosts, flags, tpm_hosts);
  if (pin && !bench::pin_process(w.verifier_pid(), {0})) {
    std::fprintf(stderr, "verifier_load: cannot pin the verifier to CPU 0\n");
    return 2;
  }
  std::printf(
      "verifier_load: locus verifier serve on 127.0.0.1:%d, %.1f s per row, %u cores, %d TPM "
      "hosts (swtpm), %s handler threads\n",
      w.port(), seconds, ncpu, tpm_hosts,
      workers > 0 ? std::to_string(workers).c_str() : "default");
  std::printf("placement: %s\n",
              pin ? "verifier alone on CPU 0; clients and swtpm on the other CPUs (--pin)"
                  : "verifier, clients and swtpm share all CPUs");
  std::printf("verifier binary: %s\n", verifier_version().c_str());
  std::printf("%-9s %-8s %10s %10s %9s %9s %7s %11s %9s %8s %7s %6s %7s %6s %7s\n", "landmarks",
              "clients", "decisions", "per s", "cpu ms/d", "sys ms/d", "cpu %", "per s/core",
              "p50 ms", "p99 ms", "txn/cmt", "wr/d", "KiB/d", "csw/d", "errors");
  // The raw crypto rates are taken before and after the sweeps (the machine's speed drifts
  // over minutes on a shared VM); the bound uses their mean and the drift is printed.
  const auto cr0 = crypto_rates(1.0);
  std::vector<Row> rows;
  struct Sweep {
    int lm;
    bool tpm;
  };
  std::vector<Sweep> sweeps = {{0, false}, {3, false}, {6, false}};
  if (tpm_hosts > 0) sweeps.push_back({3, true});
  for (const Sweep& sw : sweeps) {
    if (!only.empty() && only != std::to_string(sw.lm) + (sw.tpm ? "+TPM" : "")) continue;
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
      const CommitCounts k0 = commit_counts(w.port());
      const double cpu0 = bench::process_cpu_ms(w.verifier_pid());
      const double sys0 = bench::process_cpu_ms(w.verifier_pid(), true);
      const bench::IoCounts io0 = bench::process_io(w.verifier_pid());
      const uint64_t csw0 = bench::process_context_switches(w.verifier_pid());
      const auto t0 = std::chrono::steady_clock::now();
      const auto until = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(seconds));
      th.reserve(c);
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
      const double sys = bench::process_cpu_ms(w.verifier_pid(), true) - sys0;
      const bench::IoCounts io1 = bench::process_io(w.verifier_pid());
      const uint64_t csw1 = bench::process_context_switches(w.verifier_pid());
      uint64_t aff = 0, ref = 0, err = 0;
      std::vector<double> ms;
      for (auto& s : st) {
        aff += s.affirming;
        ref += s.refused;
        err += s.errors;
        ms.insert(ms.end(), s.ms.begin(), s.ms.end());
      }
      const uint64_t dec = aff + ref;
      const CommitCounts k1 = commit_counts(w.port());
      const double per_commit =
          k1.commits > k0.commits
              ? double(k1.transactions - k0.transactions) / double(k1.commits - k0.commits)
              : 0.0;
      const double cpu_per = dec != 0u ? cpu / double(dec) : 0.0;
      const double ddec = dec != 0u ? double(dec) : 1.0;
      std::printf(
          "%-9s %-8d %10llu %10.1f %9.3f %9.3f %6.0f%% %11.0f %9.1f %8.1f %7.2f %6.1f %7.1f "
          "%6.1f %7llu%s\n",
          label.c_str(), c, static_cast<unsigned long long>(dec), double(aff) / wall, cpu_per,
          dec != 0u ? sys / double(dec) : 0.0, 100.0 * cpu / (wall * 1000.0),
          cpu_per > 0 ? 1000.0 / cpu_per : 0.0, bench::percentile(ms, 0.5),
          bench::percentile(ms, 0.99), per_commit, double(io1.writes - io0.writes) / ddec,
          double(io1.bytes - io0.bytes) / 1024.0 / ddec,
          csw1 >= csw0 ? double(csw1 - csw0) / ddec : -1.0, static_cast<unsigned long long>(err),
          ref != 0u ? ("  (" + std::to_string(ref) + " refused)").c_str() : "");
      std::fflush(stdout);
      if (double(aff) / wall > best_rate && cpu_per > 0) {
        best_rate = double(aff) / wall;
        best.cpu_ms = cpu_per;
      }
    }
    rows.push_back(best);
  }
  const auto cr1 = crypto_rates(1.0);
  auto rate = [](const std::map<std::string, double>& m, const char* k) {
    return m.count(k) != 0u ? m.at(k) : 0.0;
  };
  const double v0 = rate(cr0, "p256_verify_per_s"), v1 = rate(cr1, "p256_verify_per_s");
  const double s0 = rate(cr0, "p256_sign_per_s"), s1 = rate(cr1, "p256_sign_per_s");
  if (v0 <= 0 || v1 <= 0 || s0 <= 0 || s1 <= 0) return 1;
  const double v = (v0 + v1) / 2, s = (s0 + s1) / 2;
  std::printf(
      "\ncrypto bound, same run (crypto_bench_openssl, mean of before and after the sweeps): "
      "P-256 verify %.0f/s, sign %.0f/s\n(before %.0f / %.0f, after %.0f / %.0f: the machine's "
      "speed moved %+.1f %% during the run)\n",
      v, s, v0, s0, v1, s1, 100.0 * (v1 - v0) / v0);
  std::printf("%-9s %9s %12s %14s %13s %8s   %6s %11s %8s\n", "landmarks", "verifies",
              "crypto ms/d", "bound per s", "per s/core", "share", "warm", "bound per s", "share");
  for (const Row& r : rows) {
    const double crypto_ms = 1000.0 * (r.verifies / v + 1.0 / s);
    const int warm = r.verifies - 2;  // the certificate chain from the verifier's cache
    const double warm_ms = 1000.0 * (warm / v + 2.0 / s);  // license and EAR signatures
    const double per_core = r.cpu_ms > 0 ? 1000.0 / r.cpu_ms : 0.0;
    std::printf("%-9s %9d %12.3f %14.0f %13.0f %7.0f%%   %6d %11.0f %7.0f%%\n", r.what.c_str(),
                r.verifies, crypto_ms, 1000.0 / crypto_ms, per_core,
                100.0 * per_core * crypto_ms / 1000.0, warm, 1000.0 / warm_ms,
                100.0 * per_core * warm_ms / 1000.0);
  }
  std::printf(
      "(per s/core at the row's best throughput; share = per s/core / bound; verifies: nothing "
      "cached, 1 sign; warm: the certificate chain from the verifier's chain cache and 2 signs "
      "(license, EAR), as in these rows)\n");
  return 0;
}

int main(int argc, char** argv) {
  try {
    return bench_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
