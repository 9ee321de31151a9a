// qemu_rtt: the round trip of one timed round as the landmark sees it, through a QEMU board's
// emulated UART.
//
// A landmark server (thread, loopback UDP) runs distance-bounding sessions; the client relays
// each round over the agent's board link to the firmware image running in qemu-system-arm
// (started by scripts/qemu-board: the UART is a chardev TCP socket), where the firmware core
// answers it. The same sessions against an in-process table (no board) give the landmark's
// own floor. Prints min / median / p90 RTT per round and the distance c*RTT/2 each adds.
// Several --image options (e.g. the ast1030-evb firmware at two UART rates) are measured in
// the same run, one board after the other, and compared in one table; each row names the
// image's UART setting as its boot line gives it ("[locus] uart: ..." on ast1030-evb).
// The images take turns (--passes, default 2: A B A B), one board running at a time.
//   usage: qemu_rtt --board ast1030-evb|mps2-an386 --image ELF [--image ELF ...]
//                   [--sessions N] [--rounds R] [--passes P]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fake_device.h"
#include "locus/agent/link_board.h"
#include "locus/boardlink/link.h"
#include "locus/landmark/client.h"
#include "locus/landmark/errors.h"
#include "locus/landmark/server.h"
#include "locus/location/geo.h"
#include "locus/location/records.h"
#include "locus_test/testproc.h"

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
      "%-18s rounds %4zu  min %8.1f us (%7.2f km)  median %8.1f us (%7.2f km)  p90 %8.1f us (%7.2f "
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
    opt.timeout_ms = 10000;
    if (auto st =
            landmark::run_session({"bench", "127.0.0.1", server.tcp_port(), server.udp_port()},
                                  ByteSpan(nonce), ueid, board, opt, &r);
        !st.ok()) {
      std::fprintf(stderr, "qemu_rtt: session failed: %s\n", st.message().c_str());
      return false;
    }
    rtts->insert(rtts->end(), r.rtts_ns.begin(), r.rtts_ns.end());
  }
  return true;
}

// Runs the launcher (scripts/qemu-board) and returns its machine-readable line's link.
std::string start_board(const std::string& board, const std::string& image,
                        const std::string& dir) {
  const std::string cmd = "python3 '" LOCUS_QEMU_BOARD_SCRIPT "' start --board '" + board +
                          "' --image '" + image + "' --dir '" + dir + "' 2>'" + dir +
                          "/launcher.log'";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  if (pclose(p) != 0) return "";
  const size_t at = out.find(" link=");
  if (at == std::string::npos) return "";
  return out.substr(at + 6, out.find(' ', at + 6) - at - 6);
}

void stop_board(const std::string& dir) {
  const std::string cmd =
      "python3 '" LOCUS_QEMU_BOARD_SCRIPT "' stop --dir '" + dir + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "qemu_rtt: stopping the board in %s failed\n", dir.c_str());
}

// The image's UART setting from its boot line on the board's console (empty if none).
std::string uart_line(const std::string& dir) {
  std::ifstream f(dir + "/console.log");
  std::string line;
  while (std::getline(f, line)) {
    const size_t at = line.find("[locus] uart: ");
    if (at != std::string::npos) return line.substr(at + 14);
  }
  return "";
}

struct Measured {
  std::string image, uart;
  std::vector<uint64_t> rtts;
  Stats s;
};

// One board started on out->image, `sessions` sessions through its UART (RTTs appended to
// out->rtts), board stopped.
bool measure(landmark::Server& server, const std::string& board, int sessions, int rounds,
             Measured* out) {
  const std::string dir = host::test::make_temp_dir("locus-qemu-rtt");
  const std::string link = start_board(board, out->image, dir);
  if (link.empty()) {
    std::fprintf(stderr, "qemu_rtt: the board did not start (see %s/launcher.log)\n", dir.c_str());
    return false;
  }
  out->uart = uart_line(dir);
  bool ok = false;
  boardlink::Link l;
  boardlink::Identity id;
  if (!l.open(link, 5000).ok() || !l.get_identity(&id).ok()) {
    std::fprintf(stderr, "qemu_rtt: no answer on %s\n", link.c_str());
  } else {
    agent::LinkBoard lb(&l);
    ok = run(server, lb, ByteSpan(id.ueid), sessions, uint8_t(rounds), &out->rtts);
  }
  l.close();
  stop_board(dir);
  if (ok) host::test::remove_tree(dir);
  return ok;
}

std::string base_name(const std::string& p) {
  const size_t at = p.rfind('/');
  return at == std::string::npos ? p : p.substr(at + 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string board;
  std::vector<std::string> images;
  int sessions = 10;
  int rounds = 64;
  int passes = 2;
  bool bad = false;
  for (int i = 1; i < argc && !bad; i += 2) {
    const char* opt = argv[i];
    const char* val = i + 1 < argc ? argv[i + 1] : nullptr;
    bad = val == nullptr;
    if (bad) break;
    if (std::strcmp(opt, "--board") == 0) {
      board = val;
    } else if (std::strcmp(opt, "--image") == 0) {
      images.emplace_back(val);
    } else if (std::strcmp(opt, "--sessions") == 0) {
      sessions = std::atoi(val);
    } else if (std::strcmp(opt, "--rounds") == 0) {
      rounds = std::atoi(val);
    } else if (std::strcmp(opt, "--passes") == 0) {
      passes = std::atoi(val);
    } else {
      bad = true;
    }
  }
  if (bad || board.empty() || images.empty() || images.size() > 8 || sessions < 1 ||
      sessions > 1000 || rounds < 1 || rounds > 64 || passes < 1 || passes > sessions) {
    std::fprintf(stderr,
                 "usage: qemu_rtt --board ast1030-evb|mps2-an386 --image ELF [--image ELF ...] "
                 "(1..8 images) [--sessions 1..1000] [--rounds 1..64] [--passes 1..sessions]\n");
    return 2;
  }
  crypto::P256PrivateKey key;
  const uint8_t seed[16] = {42};
  if (!crypto::p256_derive_key(ByteSpan(seed, 16), ByteSpan(seed, 1), &key).ok()) return 5;
  landmark::LandmarkConfig cfg;
  cfg.id = "bench";
  landmark::Server server(cfg, key);
  if (auto st = server.start(); !st.ok()) {
    std::fprintf(stderr, "qemu_rtt: %s\n", st.message().c_str());
    return 4;
  }
  std::atomic<bool> stop{false};
  std::thread th([&] { server.serve(&stop, 0, false); });
  int rc = 0;
  std::vector<uint64_t> base;
  {
    test::FakeDevice fake(1);
    if (!run(server, fake, ByteSpan(fake.ueid()), sessions, uint8_t(rounds), &base)) rc = 1;
  }
  // Images in turn, `passes` times (A B A B ...), so that a change of the host's load during
  // the run falls on every image alike; one board runs at a time (each QEMU polls its UART
  // at full speed, two at once would compete for the cores).
  std::vector<Measured> boards(images.size());
  for (size_t k = 0; k < images.size(); ++k) boards[k].image = images[k];
  for (int pass = 0; pass < passes && rc == 0; ++pass) {
    const int n = sessions / passes + (pass < sessions % passes ? 1 : 0);
    for (Measured& m : boards) {
      if (n > 0 && !measure(server, board, n, rounds, &m)) rc = 1;
    }
  }
  for (Measured& m : boards) m.s = stats(m.rtts);
  stop = true;
  th.join();
  std::printf(
      "qemu_rtt: %s, %d sessions x %d rounds per image in %d passes over loopback (c = 299792.458 "
      "km/s; km = c*RTT/2)\n",
      board.c_str(), sessions, rounds, passes);
  const Stats a = stats(base);
  print("landmark+client", a);
  for (const Measured& m : boards) {
    print(board.c_str(), m.s);
    if (a.n > 0 && m.s.n > 0) {
      std::printf(
          "  %s: QEMU UART path + firmware add %.1f us = %.2f km per round at the minimum (%.2f km "
          "at the median)\n",
          base_name(m.image).c_str(), (m.s.min - a.min) / 1e3, location::rtt_to_km(m.s.min - a.min),
          location::rtt_to_km(m.s.median - a.median));
    }
  }
  std::printf("\n| image | UART setting (its boot line) | rounds | min | median | p90 |\n");
  std::printf("|---|---|---:|---:|---:|---:|\n");
  for (const Measured& m : boards) {
    std::printf("| %s | %s | %zu | %.1f us (%.1f km) | %.1f us | %.1f us |\n",
                base_name(m.image).c_str(), m.uart.empty() ? "(no uart line)" : m.uart.c_str(),
                m.s.n, m.s.min / 1e3, location::rtt_to_km(m.s.min), m.s.median / 1e3,
                m.s.p90 / 1e3);
  }
  return rc;
}
