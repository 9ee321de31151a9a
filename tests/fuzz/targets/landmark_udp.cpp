// Fuzz target landmark_udp: the UDP datagrams of the timed rounds as the landmark receives
// them. A real landmark::Server serves on 127.0.0.1 (kernel-chosen ports) from a second
// thread; this thread plays the client honestly through the set-up over TCP (setup, dev_key
// with a fixed device key, the UDP hello; the messages built with the landmark's own net
// helpers), then the input drives the rounds. Input: byte 0 = rounds - 1 (mod 4), then
// chunks [len u16][op][bytes] (fuzz_targets.h), one datagram each:
//   op % 3 == 0  the bytes as they are (any size, any content)
//            1  the correct answer to the current challenge (computed with the device-side
//               table of protocol/dbound, as the firmware does)
//            2  a well-formed answer datagram for the current round with a wrong answer
// (a round the input has no more chunks for gets a wrong answer too, so no run waits for
// the landmark's timeout)
// Wire layout (docs/protocol.md): hello 0x01|sid16, round 0x02|sid16|i|challenge12,
// answer 0x03|sid16|i|answer12.
// Invariants: the landmark finishes the rounds ("rounds_done") only if every round got its
// correct answer datagram (op 1) and no earlier well-formed wrong answer; no session
// succeeds (the close carries no valid transcript).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "fuzz_targets.h"
#include "locus/crypto/p256.h"
#include "locus/landmark/server.h"
#include "locus/protocol/dbound.h"
#include "net.h"
#include "serve_landmark.h"

using namespace locus;
namespace db = locus::protocol::dbound;
namespace net = locus::landmark::net;

namespace {

constexpr uint8_t kDgHello = 1, kDgRound = 2, kDgAnswer = 3;
constexpr size_t kDgRoundSize = 1 + 16 + 1 + 12;
// Generous for the untimed set-up under ASan on a loaded machine; no run waits for it, since
// an input that runs out of datagrams in a round ends it with a wrong answer at once.
constexpr int kTimeoutMs = 1000;

crypto::P256PrivateKey key_of(const char* label) {
  static const uint8_t seed[4] = {'f', 'u', 'z', 'z'};
  crypto::P256PrivateKey k;
  if (!crypto::p256_derive_key(ByteSpan(seed, 4),
                               ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)), &k)
           .ok())
    __builtin_trap();
  return k;
}

landmark::Server* make_server() {
  landmark::LandmarkConfig cfg;
  cfg.id = "lm-fuzz";
  cfg.listen = "127.0.0.1";
  cfg.timeout_ms = kTimeoutMs;
  auto* s = new landmark::Server(cfg, key_of("landmark"));
  if (!s->start().ok()) __builtin_trap();
  fuzz::serve_until_exit(s);
  return s;
}

db::Table g_table;

}  // namespace

extern "C" int locus_fuzz_landmark_udp(const uint8_t* data, size_t size) {
  static landmark::Server* server = make_server();
  static const crypto::P256PrivateKey dev = key_of("device eph");
  static crypto::P256PublicKey dev_pub;
  static bool have_pub = crypto::p256_public_key(dev, &dev_pub).ok();
  LOCUS_FUZZ_CHECK(have_pub);
  if (size == 0) return 0;
  const unsigned rounds = data[0] % 4 + 1;
  const size_t ok_before = server->sessions_ok();
  const auto tcp_fd = net::connect_tcp("127.0.0.1", server->tcp_port(), 2000);
  LOCUS_FUZZ_CHECK(tcp_fd.ok());
  const int tcp = tcp_fd.value();
  bool rounds_done = false;
  bool all_correct = true;
  int udp = -1;
  do {
    const std::vector<uint8_t> vn(32, 0x44), ueid(33, 0x01);
    nlohmann::json m = {{"type", "setup"},
                        {"verifier_nonce", net::hex(vn.data(), vn.size())},
                        {"ueid", net::hex(ueid.data(), ueid.size())},
                        {"rounds", rounds}};
    if (!net::send_msg(tcp, m, 1000).ok() || !net::recv_msg(tcp, &m, 1000).ok()) break;
    std::vector<uint8_t> sid, lm_nonce, lm_pub;
    uint64_t udp_port = 0;
    LOCUS_FUZZ_CHECK(net::get_hex(m, "session_id", 16, 16, &sid) &&
                     net::get_hex(m, "lm_nonce", 16, 64, &lm_nonce) &&
                     net::get_hex(m, "lm_eph_pub", 65, 65, &lm_pub) &&
                     net::get_uint(m, "udp_port", 65535, &udp_port));
    crypto::P256PublicKey lp;
    std::copy(lm_pub.begin(), lm_pub.end(), lp.q.begin());
    std::array<uint8_t, 32> shared{};
    uint8_t key[db::kKeySize];
    LOCUS_FUZZ_CHECK(crypto::ecdh_p256(dev, lp, &shared).ok());
    LOCUS_FUZZ_CHECK(db::derive_session_key(ByteSpan(shared), ByteSpan(lm_nonce), ByteSpan(sid),
                                            ByteSpan(lp.q), ByteSpan(dev_pub.q), ByteSpan(vn), key)
                         .ok());
    LOCUS_FUZZ_CHECK(db::derive_table(key, rounds, &g_table).ok());
    if (!net::send_msg(tcp, {{"type", "dev_key"}, {"dev_eph_pub", net::hex(dev_pub.q.data(), 65)}},
                       1000)
             .ok() ||
        !net::recv_msg(tcp, &m, 1000).ok() || m["type"] != "ready") {
      break;
    }
    const auto udp_fd = net::connect_udp("127.0.0.1", static_cast<uint16_t>(udp_port));
    LOCUS_FUZZ_CHECK(udp_fd.ok());
    udp = udp_fd.value();
    uint8_t hello[17] = {kDgHello};
    memcpy(hello + 1, sid.data(), 16);
    (void)send(udp, hello, sizeof hello, 0);
    locus_fuzz::Chunks chunks{data + 1, size - 1};
    for (unsigned i = 0; i < rounds && all_correct; ++i) {
      uint8_t dg[64];
      if (!net::wait_readable(udp, 2 * kTimeoutMs)) {
        all_correct = false;
        break;
      }
      const ssize_t n = recv(udp, dg, sizeof dg, 0);
      LOCUS_FUZZ_CHECK(n == static_cast<ssize_t>(kDgRoundSize) && dg[0] == kDgRound && dg[17] == i);
      bool answered = false;
      const uint8_t* c = nullptr;
      size_t cn = 0;
      while (!answered && chunks.next(&c, &cn)) {
        if (cn == 0) continue;
        uint8_t out[kDgRoundSize] = {kDgAnswer};
        memcpy(out + 1, sid.data(), 16);
        out[17] = static_cast<uint8_t>(i);
        switch (c[0] % 3) {
          case 0: (void)send(udp, c + 1, cn - 1, 0); break;
          case 1:
            db::answer(g_table, i, dg + 18, out + 18);
            (void)send(udp, out, sizeof out, 0);
            answered = true;
            break;
          default:
            db::answer(g_table, i, dg + 18, out + 18);
            out[18] ^= static_cast<uint8_t>(cn > 1 ? c[1] | 1 : 1);
            (void)send(udp, out, sizeof out, 0);
            answered = true;
            all_correct = false;
            break;
        }
      }
      if (!answered) {
        uint8_t out[kDgRoundSize] = {kDgAnswer};
        memcpy(out + 1, sid.data(), 16);
        out[17] = static_cast<uint8_t>(i);
        db::answer(g_table, i, dg + 18, out + 18);
        out[18] ^= 0x80;
        (void)send(udp, out, sizeof out, 0);
        all_correct = false;
      }
    }
    if (all_correct) LOCUS_FUZZ_ACCEPTED();
    // Whatever happened in the rounds, the landmark's next message tells whether it counted
    // them as done (an error message comes back as a failed recv_msg).
    if (net::recv_msg(tcp, &m, 1000).ok() && m["type"] == "rounds_done") rounds_done = true;
    if (!rounds_done) break;
    (void)net::send_msg(tcp, {{"type", "close"}, {"transcript", std::string(64, 'a')}}, 1000);
  } while (false);
  shutdown(tcp, SHUT_WR);
  // Drain until the server has finished the session and closed its end.
  for (int i = 0; i < 1000; ++i) {
    uint8_t junk[4096];
    if (!net::wait_readable(tcp, 5000)) __builtin_trap();  // the server must close
    if (recv(tcp, junk, sizeof junk, 0) <= 0) break;
  }
  if (udp >= 0) close(udp);
  close(tcp);
  LOCUS_FUZZ_CHECK(server->sessions_ok() == ok_before);
  if (rounds_done) LOCUS_FUZZ_CHECK(all_correct);
  return 0;
}
