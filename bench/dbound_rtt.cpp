// dbound_rtt: what the timed path costs in distance.
//
// A landmark server (thread) times distance-bounding rounds over loopback UDP:
//   (a) "landmark+client": the client answers from an in-process table (no board) — the
//       landmark's own timing floor (UDP over loopback, two wake-ups);
//   (b) "host-sim": the client relays each round to locus-host-sim over its board link
//       (fast frame over a TCP socket, firmware core lookup) — what device + relay add.
// Prints min / median / p90 RTT per round and the distance c*RTT/2 each adds to a radius.
//   usage: dbound_rtt [--host-sim PATH] [--sessions N] [--rounds R]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "fake_device.h"
#include "hostsim_board.h"
#include "locus/landmark/server.h"
#include "locus/location/geo.h"

using namespace locus;

namespace {

struct Stats {
  double min = 0, median = 0, p90 = 0;
  size_t n = 0;
};

Stats stats(std::vector<uint64_t> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.n = v.size();
  s.min = double(v.front());
  s.median = double(v[v.size() / 2]);
  s.p90 = double(v[v.size() * 9 / 10]);
  return s;
}

void print(const char* what, const Stats& s) {
  std::printf(
      "%-18s rounds %4zu  min %8.1f us (%6.2f km)  median %8.1f us (%6.2f km)  p90 %8.1f us (%6.2f "
      "km)\n",
      what, s.n, s.min / 1e3, location::rtt_to_km(s.min), s.median / 1e3,
      location::rtt_to_km(s.median), s.p90 / 1e3, location::rtt_to_km(s.p90));
}

bool run(landmark::Server& server, landmark::BoardLink& board, ByteSpan ueid, int sessions,
         uint8_t rounds, std::vector<uint64_t>* rtts) {
  const uint8_t nonce[32] = {1, 2, 3};
  for (int k = 0; k < sessions; ++k) {
    landmark::SessionResult r;
    landmark::SessionOptions opt;
    opt.rounds = rounds;
    opt.timeout_ms = 5000;
    if (auto st =
            landmark::run_session({"bench", "127.0.0.1", server.tcp_port(), server.udp_port()},
                                  ByteSpan(nonce), ueid, board, opt, &r);
        !st.ok()) {
      std::fprintf(stderr, "dbound_rtt: session failed: %s\n", st.message().c_str());
      return false;
    }
    rtts->insert(rtts->end(), r.rtts_ns.begin(), r.rtts_ns.end());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string hostsim = LOCUS_HOSTSIM_BIN;
  int sessions = 10;
  int rounds = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--host-sim") == 0)
      hostsim = argv[i + 1];
    else if (std::strcmp(argv[i], "--sessions") == 0)
      sessions = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--rounds") == 0)
      rounds = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: dbound_rtt [--host-sim PATH] [--sessions N] [--rounds R]\n");
      return 2;
    }
  }
  if (sessions < 1 || sessions > 1000 || rounds < 1 || rounds > 64) {
    std::fprintf(stderr, "dbound_rtt: sessions 1..1000, rounds 1..64\n");
    return 2;
  }
  crypto::P256PrivateKey key;
  const uint8_t seed[16] = {42};
  if (!crypto::p256_derive_key(ByteSpan(seed, 16), ByteSpan(seed, 1), &key).ok()) return 5;
  landmark::LandmarkConfig cfg;
  cfg.id = "bench";
  landmark::Server server(cfg, key);
  std::string why;
  if (auto st = server.start(); !st.ok()) {
    std::fprintf(stderr, "dbound_rtt: %s\n", st.message().c_str());
    return 4;
  }
  std::atomic<bool> stop{false};
  std::thread th([&] { server.serve(&stop, 0, false); });
  int rc = 0;
  std::vector<uint64_t> base, board_rtts;
  {
    test::FakeDevice fake(1);
    if (!run(server, fake, ByteSpan(fake.ueid()), sessions, uint8_t(rounds), &base)) rc = 1;
  }
  const std::string dir = host::test::make_temp_dir("locus-dbound-rtt");
  {
    test::HostSimBoard hs;
    if (!hs.start(hostsim, dir, &why)) {
      std::fprintf(stderr, "dbound_rtt: %s\n", why.c_str());
      rc = 1;
    } else if (!run(server, hs, ByteSpan(hs.ueid()), sessions, uint8_t(rounds), &board_rtts)) {
      rc = 1;
    }
  }
  host::test::remove_tree(dir);
  stop = true;
  th.join();
  std::printf(
      "dbound_rtt: %d sessions x %d rounds over loopback (c = 299792.458 km/s; km = c*RTT/2)\n",
      sessions, rounds);
  const Stats a = stats(base), b = stats(board_rtts);
  print("landmark+client", a);
  print("host-sim", b);
  if ((a.n != 0u) && (b.n != 0u)) {
    std::printf(
        "device+relay processing adds %.1f us = %.2f km per round at the minimum (%.2f km at the "
        "median)\n",
        (b.min - a.min) / 1e3, location::rtt_to_km(b.min - a.min),
        location::rtt_to_km(b.median - a.median));
  }
  return rc;
}
