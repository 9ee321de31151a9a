// qemu_rtt: the round trip of one timed round as the landmark sees it, through a QEMU board's
// emulated UART.
//
// A landmark server (thread, loopback UDP) runs distance-bounding sessions; the client relays
// each round over the agent's board link to the firmware image running in qemu-system-arm
// (started by scripts/qemu-board: the UART is a chardev TCP socket), where the firmware core
// answers it. The same sessions against an in-process table (no board) give the landmark's
// own floor. Prints min / median / p90 RTT per round and the distance c*RTT/2 each adds.
//   usage: qemu_rtt --board ast1030-evb|mps2-an386 --image ELF [--sessions N] [--rounds R]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "fake_device.h"
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

// The landmark client's view of a board behind an agent board link (LM_SETUP, fast-frame
// rounds, LM_CLOSE), as `locus agent` relays them.
class LinkBoard : public landmark::BoardLink {
 public:
  explicit LinkBoard(boardlink::Link* l) : link_(l) {}
  Status lm_setup(const landmark::LmSetupParams& p, std::array<uint8_t, 65>* dev_eph_pub) override {
    protocol::LmSetupRequest r;
    r.session_id = p.session_id;
    r.lm_nonce = ByteSpan(p.lm_nonce.data(), p.lm_nonce.size());
    r.lm_eph_pub = p.lm_eph_pub;
    r.rounds = p.rounds;
    r.verifier_nonce = ByteSpan(p.verifier_nonce.data(), p.verifier_nonce.size());
    return conv(link_->lm_setup(r, dev_eph_pub));
  }
  Status lm_round(uint8_t round, const std::array<uint8_t, 12>& challenge,
                  std::array<uint8_t, 12>* answer) override {
    return link_->fast_round(round, challenge, answer);
  }
  Status lm_close(const std::array<uint8_t, 16>& session_id,
                  std::vector<uint8_t>* transcript) override {
    return conv(link_->lm_close(session_id, transcript));
  }

 private:
  Status conv(const host::HStatus& s) {
    if (s.ok()) return Status::Ok();
    if (link_->board_error() != 0) return Status::FromCode(link_->board_error());
    return landmark::LandmarkError::kBoard;
  }
  boardlink::Link* link_;
};

bool run(landmark::Server& server, landmark::BoardLink& board, ByteSpan ueid, int sessions,
         uint8_t rounds, std::vector<uint64_t>* rtts) {
  const uint8_t nonce[32] = {1, 2, 3};
  for (int k = 0; k < sessions; ++k) {
    landmark::SessionResult r;
    landmark::SessionOptions opt;
    opt.rounds = rounds;
    opt.timeout_ms = 10000;
    std::string why;
    if (!landmark::run_session({"bench", "127.0.0.1", server.tcp_port(), server.udp_port()},
                               ByteSpan(nonce), ueid, board, opt, &r, &why)
             .ok()) {
      std::fprintf(stderr, "qemu_rtt: session failed: %s\n", why.c_str());
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

}  // namespace

int main(int argc, char** argv) {
  std::string board, image;
  int sessions = 10;
  int rounds = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--board") == 0)
      board = argv[i + 1];
    else if (std::strcmp(argv[i], "--image") == 0)
      image = argv[i + 1];
    else if (std::strcmp(argv[i], "--sessions") == 0)
      sessions = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--rounds") == 0)
      rounds = std::atoi(argv[i + 1]);
    else
      board.clear(), i = argc;
  }
  if (board.empty() || image.empty() || sessions < 1 || sessions > 1000 || rounds < 1 ||
      rounds > 64) {
    std::fprintf(stderr,
                 "usage: qemu_rtt --board ast1030-evb|mps2-an386 --image ELF [--sessions 1..1000] "
                 "[--rounds 1..64]\n");
    return 2;
  }
  crypto::P256PrivateKey key;
  const uint8_t seed[16] = {42};
  if (!crypto::p256_derive_key(ByteSpan(seed, 16), ByteSpan(seed, 1), &key).ok()) return 5;
  landmark::LandmarkConfig cfg;
  cfg.id = "bench";
  landmark::Server server(cfg, key);
  std::string why;
  if (!server.start(&why).ok()) {
    std::fprintf(stderr, "qemu_rtt: %s\n", why.c_str());
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
  const std::string dir = host::test::make_temp_dir("locus-qemu-rtt");
  const std::string link = start_board(board, image, dir);
  if (link.empty()) {
    std::fprintf(stderr, "qemu_rtt: the board did not start (see %s/launcher.log)\n", dir.c_str());
    rc = 1;
  } else {
    boardlink::Link l;
    boardlink::Identity id;
    if (!l.open(link, 5000).ok() || !l.get_identity(&id).ok()) {
      std::fprintf(stderr, "qemu_rtt: no answer on %s\n", link.c_str());
      rc = 1;
    } else {
      LinkBoard lb(&l);
      if (!run(server, lb, ByteSpan(id.ueid), sessions, uint8_t(rounds), &board_rtts)) rc = 1;
    }
    l.close();
    stop_board(dir);
  }
  if (rc == 0) host::test::remove_tree(dir);
  stop = true;
  th.join();
  std::printf(
      "qemu_rtt: %s, %d sessions x %d rounds over loopback (c = 299792.458 km/s; km = c*RTT/2)\n",
      board.c_str(), sessions, rounds);
  const Stats a = stats(base), b = stats(board_rtts);
  print("landmark+client", a);
  print(board.c_str(), b);
  if ((a.n != 0u) && (b.n != 0u)) {
    std::printf(
        "QEMU UART path + firmware add %.1f us = %.2f km per round at the minimum (%.2f km at the "
        "median)\n",
        (b.min - a.min) / 1e3, location::rtt_to_km(b.min - a.min),
        location::rtt_to_km(b.median - a.median));
  }
  return rc;
}
