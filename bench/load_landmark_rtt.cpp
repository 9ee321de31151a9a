// bench/load_landmark_rtt: does a landmark keep its timing while it serves many sessions?
//
// An in-process landmark server (host/landmark, the code of `locus landmark serve`) and
// clients that answer from the in-process fake device (protocol/dbound tables, no board), on
// loopback. For each timestamp source (kernel receive timestamps SO_TIMESTAMPNS, and the
// session's own clock), it runs L lone sessions one after another, then rounds of 32
// sessions at once, and prints the distribution of the per-session minimum RTT (the figure
// the record carries) and of every round's RTT.
//
//   build/host-release/bench/load_landmark_rtt [--sessions L] [--concurrent C] [--rounds R]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "fake_device.h"
#include "locus/landmark/client.h"
#include "locus/landmark/server.h"
#include "locus/location/geo.h"

using namespace locus;

namespace {

struct Row {
  std::vector<uint64_t> mins, all;
  size_t failed = 0;
};

double pct(std::vector<uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return double(v[std::min(v.size() - 1, size_t(p * double(v.size())))]);
}

void one(const landmark::Server& s, uint8_t seed, uint8_t rounds, Row* row,
         std::atomic<int>* fails) {
  test::FakeDevice dev(seed);
  const uint8_t nonce[32] = {9, 8, 7};
  landmark::SessionResult r;
  landmark::SessionOptions opt;
  opt.rounds = rounds;
  opt.timeout_ms = 10000;
  if (auto st = landmark::run_session({"bench", "127.0.0.1", s.tcp_port(), s.udp_port()},
                                      ByteSpan(nonce), ByteSpan(dev.ueid()), dev, opt, &r);
      !st.ok()) {
    std::fprintf(stderr, "session failed: %s\n", st.message().c_str());
    ++*fails;
    return;
  }
  row->mins.push_back(r.rtt_min_ns);
  row->all.insert(row->all.end(), r.rtts_ns.begin(), r.rtts_ns.end());
}

void print(const char* ts, const char* what, const Row& r) {
  std::printf("%-8s %-16s %6zu %9.1f %9.1f %9.1f %9.1f   %9.1f %9.1f %6zu\n", ts, what,
              r.mins.size(), pct(r.mins, 0) / 1e3, pct(r.mins, 0.5) / 1e3, pct(r.mins, 0.9) / 1e3,
              location::rtt_to_km(pct(r.mins, 0.5)), pct(r.all, 0.5) / 1e3, pct(r.all, 0.99) / 1e3,
              r.failed);
}

}  // namespace

int main(int argc, char** argv) {
  int lone = 64, conc = 32, rounds = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--sessions") == 0) lone = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--concurrent") == 0) conc = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  if (lone < 1 || lone > 10000 || conc < 1 || conc > 64 || rounds < 1 || rounds > 64) {
    std::fprintf(
        stderr,
        "usage: load_landmark_rtt [--sessions 1..10000] [--concurrent 1..64] [--rounds 1..64]\n");
    return 2;
  }
  crypto::P256PrivateKey key;
  const uint8_t seed[] = "bench landmark";
  const uint8_t label[] = "lm";
  if (!crypto::p256_derive_key(ByteSpan(seed, sizeof seed - 1), ByteSpan(label, sizeof label - 1),
                               &key)
           .ok())
    return 2;
  std::printf(
      "landmark RTT, loopback, %d rounds per session, %u cores; per-session minimum RTT (what the "
      "record carries)\n",
      rounds, std::thread::hardware_concurrency());
  std::printf("%-8s %-16s %6s %9s %9s %9s %9s   %9s %9s %6s\n", "stamps", "sessions", "n", "min us",
              "p50 us", "p90 us", "p50 km", "round p50", "p99 us", "failed");
  for (bool kernel : {true, false}) {
    landmark::LandmarkConfig cfg;
    cfg.id = "bench";
    cfg.max_sessions = 64;
    cfg.max_sessions_per_source = 64;
    cfg.kernel_timestamps = kernel;
    landmark::Server server(cfg, key);
    if (auto st = server.start(); !st.ok()) {
      std::fprintf(stderr, "landmark: %s\n", st.message().c_str());
      return 2;
    }
    std::atomic<bool> stop{false};
    std::thread th([&] { server.serve(&stop, 0, false); });
    std::atomic<int> fails{0};
    Row lone_row, conc_row;
    for (int k = 0; k < lone; ++k)
      one(server, uint8_t(1 + k % 200), uint8_t(rounds), &lone_row, &fails);
    lone_row.failed = size_t(fails.exchange(0));
    const int batches = std::max(1, lone / conc + 1);
    for (int b = 0; b < batches; ++b) {
      std::vector<Row> rows(static_cast<size_t>(conc));
      std::vector<std::thread> ts;
      ts.reserve(conc);

      for (int i = 0; i < conc; ++i)
        ts.emplace_back(
            [&, i] { one(server, uint8_t(100 + i), uint8_t(rounds), &rows[size_t(i)], &fails); });
      for (auto& t : ts) t.join();
      for (auto& r : rows) {
        conc_row.mins.insert(conc_row.mins.end(), r.mins.begin(), r.mins.end());
        conc_row.all.insert(conc_row.all.end(), r.all.begin(), r.all.end());
      }
    }
    conc_row.failed = size_t(fails.exchange(0));
    const char* ts = kernel ? "kernel" : "session";
    print(ts, "1 at a time", lone_row);
    print(ts, (std::to_string(conc) + " at once").c_str(), conc_row);
    const auto st = server.stats();
    std::printf("%-8s rounds timed by kernel stamps %zu, by the session clock %zu\n", ts,
                st.kernel_timestamps, st.user_timestamps);
    stop = true;
    th.join();
  }
  return 0;
}
