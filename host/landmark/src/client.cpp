// Client side of a distance-bounding session (the agent relays to the board).
#include "locus/landmark/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "net.h"

namespace locus::landmark {

using location::LocationError;

namespace {
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

host::HStatus run_session(const LandmarkAddress& lm, ByteSpan verifier_nonce, ByteSpan ueid,
                          BoardLink& board, const SessionOptions& opt, SessionResult* out) {
  const std::string who =
      "landmark " + (lm.id.empty() ? lm.host + ":" + std::to_string(lm.tcp_port) : lm.id) + ": ";
  // Every message names the landmark, except the landmark's own refusal (it names itself).
  auto fail = [&](Status e, const std::string& w) -> host::HStatus {
    return {e, e == Status(landmark::LandmarkError::kSessionRefused) ? w : who + w};
  };
  auto fail_with = [&](const host::HStatus& st) { return fail(st.error().status, st.message()); };
  if (verifier_nonce.size < 16 || verifier_nonce.size > 64 || ueid.size != 33 || opt.rounds < 1 ||
      opt.rounds > 64) {
    return fail(LocationError::kBadConfig,
                "nonce must be 16..64 bytes, ueid 33 bytes, rounds 1..64");
  }
  const int to = opt.timeout_ms;
  Fd tcp;
  {
    auto c = net::connect_tcp(lm.host, lm.tcp_port, to);
    if (!c.ok()) return fail_with(c.status());
    tcp.fd = c.value();
  }
  // ---- set-up -------------------------------------------------------------------------------
  nlohmann::json m = {{"type", "setup"},
                      {"verifier_nonce", net::hex(verifier_nonce.data, verifier_nonce.size)},
                      {"ueid", net::hex(ueid.data, ueid.size)},
                      {"rounds", opt.rounds}};
  if (auto st = net::send_msg(tcp.fd, m, to); !st.ok()) return fail_with(st);
  if (auto st = net::recv_msg(tcp.fd, &m, to); !st.ok()) return fail_with(st);
  LmSetupParams p;
  std::vector<uint8_t> sid, pub;
  uint64_t rounds = 0, udp_port = 0;
  if (m["type"] != "setup_ok" || !net::get_hex(m, "session_id", 16, 16, &sid) ||
      !net::get_hex(m, "lm_nonce", 16, 64, &p.lm_nonce) ||
      !net::get_hex(m, "lm_eph_pub", 65, 65, &pub) || !net::get_uint(m, "rounds", 64, &rounds) ||
      rounds != opt.rounds || !net::get_uint(m, "udp_port", 65535, &udp_port) ||
      !m.contains("landmark_id") || !m["landmark_id"].is_string()) {
    return fail(landmark::LandmarkError::kProtocol, "malformed setup_ok");
  }
  std::copy(sid.begin(), sid.end(), p.session_id.begin());
  std::copy(pub.begin(), pub.end(), p.lm_eph_pub.begin());
  p.rounds = opt.rounds;
  p.verifier_nonce.assign(verifier_nonce.begin(), verifier_nonce.end());
  out->landmark_id = m["landmark_id"].get<std::string>();
  std::array<uint8_t, 65> dev_pub{};
  Status s = board.lm_setup(p, &dev_pub);
  if (!s.ok()) return fail(s, "board refused LM_SETUP (code " + std::to_string(s.code()) + ")");
  if (auto st = net::send_msg(
          tcp.fd, {{"type", "dev_key"}, {"dev_eph_pub", net::hex(dev_pub.data(), 65)}}, to);
      !st.ok()) {
    return fail_with(st);
  }
  if (auto st = net::recv_msg(tcp.fd, &m, to); !st.ok()) return fail_with(st);
  if (m["type"] != "ready") return fail(landmark::LandmarkError::kProtocol, "expected ready");
  // ---- timed rounds ---------------------------------------------------------------------------
  const uint16_t port = udp_port != 0 ? uint16_t(udp_port) : lm.udp_port;
  Fd udp;
  {
    auto c = net::connect_udp(lm.host, port);
    if (!c.ok()) return fail_with(c.status());
    udp.fd = c.value();
  }
  uint8_t hello[17];
  hello[0] = 1;
  std::memcpy(hello + 1, p.session_id.data(), 16);
  uint8_t dg[64];
  uint8_t reply[30];
  reply[0] = 3;
  std::memcpy(reply + 1, p.session_id.data(), 16);
  const int64_t deadline0 = net::now_ns() + int64_t(to) * 1000000;
  uint8_t next = 0;
  bool got_first = false;
  for (int attempt = 0; !got_first && attempt < 1000; ++attempt) {
    // Repeat the hello until round 0 arrives (a lost hello must not stall the session).
    if (::send(udp.fd, hello, sizeof hello, 0) != ssize_t(sizeof hello))
      return fail(landmark::LandmarkError::kNetwork, "UDP send failed");
    const int64_t left = (deadline0 - net::now_ns()) / 1000000;
    if (left < 0) return fail(landmark::LandmarkError::kTimeout, "no round 0 from the landmark");
    if (net::wait_readable(udp.fd, int(std::min<int64_t>(left, 250)))) got_first = true;
  }
  if (!got_first) return fail(landmark::LandmarkError::kTimeout, "no round 0 from the landmark");
  for (int guard = 0; next < opt.rounds && guard < 100000; ++guard) {
    // Wait for the next challenge; the landmark reports a failed round on TCP.
    pollfd pf[2] = {{udp.fd, POLLIN, 0}, {tcp.fd, POLLIN, 0}};
    const int pr = ::poll(pf, 2, to);
    if (pr == 0)
      return fail(landmark::LandmarkError::kTimeout,
                  "round " + std::to_string(next) + ": no challenge");
    if (pr < 0) continue;
    if (((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) && ((pf[0].revents & POLLIN) == 0)) {
      const host::HStatus st = net::recv_msg(tcp.fd, &m, to);
      return st.ok() ? fail(landmark::LandmarkError::kProtocol,
                            "unexpected message during the timed rounds")
                     : fail_with(st);
    }
    const ssize_t n = ::recv(udp.fd, dg, sizeof dg, 0);
    if (n != 30 || dg[0] != 2 || std::memcmp(dg + 1, p.session_id.data(), 16) != 0)
      continue;  // not ours
    if (dg[17] != next) return fail(landmark::LandmarkError::kProtocol, "round out of order");
    std::array<uint8_t, 12> ch{}, ans{};
    std::memcpy(ch.data(), dg + 18, 12);
    s = board.lm_round(next, ch, &ans);
    if (!s.ok())
      return fail(s, "board refused LM_ROUND " + std::to_string(next) + " (code " +
                         std::to_string(s.code()) + ")");
    reply[17] = next;
    std::memcpy(reply + 18, ans.data(), 12);
    if (::send(udp.fd, reply, sizeof reply, 0) != ssize_t(sizeof reply))
      return fail(landmark::LandmarkError::kNetwork, "UDP send failed");
    ++next;
  }
  if (auto st = net::recv_msg(tcp.fd, &m, to); !st.ok()) return fail_with(st);
  if (m["type"] != "rounds_done")
    return fail(landmark::LandmarkError::kProtocol, "expected rounds_done");
  // ---- close --------------------------------------------------------------------------------
  std::vector<uint8_t> transcript;
  s = board.lm_close(p.session_id, &transcript);
  if (!s.ok()) return fail(s, "board refused LM_CLOSE (code " + std::to_string(s.code()) + ")");
  if (auto st = net::send_msg(
          tcp.fd,
          {{"type", "close"}, {"transcript", net::hex(transcript.data(), transcript.size())}}, to);
      !st.ok()) {
    return fail_with(st);
  }
  if (auto st = net::recv_msg(tcp.fd, &m, to); !st.ok()) return fail_with(st);
  std::vector<uint8_t> record;
  uint64_t rtt_min = 0;
  if (m["type"] != "record" || !net::get_hex(m, "record", 16, 4096, &record) ||
      !net::get_uint(m, "rtt_min_ns", UINT64_MAX, &rtt_min)) {
    return fail(landmark::LandmarkError::kProtocol, "malformed record message");
  }
  out->rtts_ns.clear();
  if (m.contains("rtts_ns") && m["rtts_ns"].is_array()) {
    for (const auto& x : m["rtts_ns"]) {
      if (x.is_number_unsigned() && out->rtts_ns.size() < 64)
        out->rtts_ns.push_back(x.get<uint64_t>());
    }
  }
  out->pair.record = std::move(record);
  out->pair.transcript = std::move(transcript);
  out->rtt_min_ns = rtt_min;
  return host::HStatus::Ok();
}

}  // namespace locus::landmark
