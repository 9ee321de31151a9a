// The landmark timing server. Phases and checks: server.h, docs/location.md.
#include "locus/landmark/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "locus/common/common.h"
#include "locus/common/json_read.h"
#include "locus/common/metrics.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/drbg.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/x509_host.h"
#include "locus/landmark/errors.h"
#include "locus/location/records.h"
#include "locus/protocol/dbound.h"
#include "net.h"

namespace locus::landmark {

using location::LocationError;
namespace dbound = protocol::dbound;

namespace {

constexpr uint8_t kDgHello = 1, kDgRound = 2, kDgAnswer = 3;
constexpr size_t kDgRoundSize = 1 + 16 + 1 + 12;

// Zeroises the table and the session key however the session ends.
struct SessionSecrets {
  dbound::Table table{};
  uint8_t key[dbound::kKeySize] = {};
  crypto::P256PrivateKey eph;
  ~SessionSecrets() {
    dbound::zeroize(&table);
    crypto::zeroize(key, sizeof key);
  }
};

std::string json_escape(const std::string& s) {
  return nlohmann::json(s).dump();
}

}  // namespace

host::HStatus parse_config_toml(const std::string& text, const std::string& base_dir,
                                LandmarkConfig* out) {
  toml::table t;
  try {
    t = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return {host::HostError::kConfig,
            std::string("landmark config: ") + std::string(e.description())};
  }
  LandmarkConfig c;
  // Every number but lat/lon is an integer: toml++ converts a float node to int64 with a
  // cast that is undefined beyond int64's range (found by fuzz target landmark_config).
  for (const auto& [k, v] : t) {
    if (v.is_floating_point() && k != "lat" && k != "lon")
      return {host::HostError::kConfig,
              "landmark config: '" + std::string(k.str()) + "' must be an integer"};
  }
  auto id = t["id"].value<std::string>();
  auto lat = t["lat"].value<double>();
  auto lon = t["lon"].value<double>();
  auto key = t["key_file"].value<std::string>();
  if (!id || id->empty() || id->size() > 64)
    return {host::HostError::kConfig, "landmark config: 'id' (1..64 chars) is required"};
  // NaN and infinities compare false with everything: refuse them first (found by fuzz target
  // landmark_config: `lat = nan` was accepted).
  if (!lat || !lon || !std::isfinite(*lat) || !std::isfinite(*lon) || std::fabs(*lat) > 90 ||
      std::fabs(*lon) > 180)
    return {host::HostError::kConfig, "landmark config: 'lat'/'lon' missing or out of range"};
  if (!key) return {host::HostError::kConfig, "landmark config: 'key_file' is required"};
  c.id = *id;
  c.lat_deg = *lat;
  c.lon_deg = *lon;
  c.key_file = (!key->empty() && (*key)[0] == '/') ? *key : base_dir + "/" + *key;
  c.listen = t["listen"].value_or(std::string("127.0.0.1"));
  const int64_t tp = t["tcp_port"].value_or(int64_t(0));
  const int64_t up = t["udp_port"].value_or(int64_t(0));
  const int64_t to = t["timeout_ms"].value_or(int64_t(10000));
  const int64_t sto = t["setup_timeout_ms"].value_or(int64_t(2000));
  const int64_t ms = t["max_sessions"].value_or(int64_t(64));
  const int64_t mss = t["max_sessions_per_source"].value_or(int64_t(8));
  const int64_t mp = t["max_pending"].value_or(int64_t(1024));
  const int64_t mps = t["max_pending_per_source"].value_or(int64_t(64));
  if (tp < 0 || tp > 65535 || up < 0 || up > 65535)
    return {host::HostError::kConfig, "landmark config: ports must be 0..65535"};
  if (to < 100 || to > 600000)
    return {host::HostError::kConfig, "landmark config: timeout_ms must be 100..600000"};
  c.tcp_port = uint16_t(tp);
  c.udp_port = uint16_t(up);
  if (sto < 100 || sto > 60000)
    return {host::HostError::kConfig, "landmark config: setup_timeout_ms must be 100..60000"};
  if (ms < 1 || ms > 4096 || mss < 1 || mss > ms) {
    return {
        host::HostError::kConfig,
        "landmark config: max_sessions must be 1..4096, max_sessions_per_source 1..max_sessions"};
  }
  if (mp < 1 || mp > 65536 || mps < 1 || mps > mp) {
    return {host::HostError::kConfig,
            "landmark config: max_pending must be 1..65536, max_pending_per_source 1..max_pending"};
  }
  c.timeout_ms = int(to);
  c.setup_timeout_ms = int(sto);
  c.max_sessions = size_t(ms);
  c.max_sessions_per_source = size_t(mss);
  c.max_pending = size_t(mp);
  c.max_pending_per_source = size_t(mps);
  c.kernel_timestamps = t["kernel_timestamps"].value_or(true);
  *out = c;
  return host::HStatus::Ok();
}

struct Server::Impl {
  // One mailbox per running session, keyed by session id; filled by the UDP thread.
  struct Datagram {
    uint8_t b[64]{};
    size_t n = 0;
    sockaddr_storage from{};
    socklen_t from_len = 0;
    int64_t rx_ns = 0;  // kernel receive time on CLOCK_MONOTONIC; 0 when the kernel gave none
  };
  struct Mailbox {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Datagram> q;
  };
  static constexpr size_t kMailboxDepth = 256;

  std::mutex mu;
  std::map<std::array<uint8_t, 16>, Mailbox*> boxes;
  std::map<std::string, size_t> sessions_per_source;
  size_t running = 0;
  std::atomic<size_t> ok{0}, failed{0}, busy{0}, refused{0}, setup_timeouts{0}, kernel_ts{0},
      user_ts{0};
  std::atomic<bool> udp_stop{false};
  std::thread udp_thread;
  // /metrics: the RTT of every round of a session whose answers were all right (seconds:
  // 10 us .. 100 ms, loopback to intercontinental), and the sessions running now.
  host::metrics::Histogram rtt{
      {1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 1e-1}};
  host::metrics::Gauge active;
  // Signalled each time a session is counted (ok or failed).
  mutable std::mutex done_mu;
  mutable std::condition_variable done_cv;
  void counted() {
    { std::lock_guard<std::mutex> g(done_mu); }
    done_cv.notify_all();
  }

  // Registers a session's mailbox for the lifetime of this object.
  struct Registration {
    Impl* impl;
    std::array<uint8_t, 16> sid;
    Mailbox box;
    Registration(Impl* i, const std::array<uint8_t, 16>& s) : impl(i), sid(s) {
      std::lock_guard<std::mutex> g(impl->mu);
      impl->boxes[sid] = &box;
    }
    ~Registration() {
      std::lock_guard<std::mutex> g(impl->mu);
      impl->boxes.erase(sid);
    }
    // Next datagram for this session before deadline_ns (CLOCK_MONOTONIC); false on timeout.
    // *read_ns is when the session took it.
    bool next(int64_t deadline_ns, Datagram* out, int64_t* read_ns) {
      std::unique_lock<std::mutex> g(box.mu);
      for (int guard = 0; guard < 1000000 && box.q.empty(); ++guard) {
        const int64_t left = deadline_ns - net::now_ns();
        if (left <= 0) return false;
        box.cv.wait_for(g, std::chrono::nanoseconds(left));
      }
      if (box.q.empty()) return false;
      *out = box.q.front();
      box.q.pop_front();
      *read_ns = net::now_ns();
      return true;
    }
  };

  // The UDP thread: every datagram with its kernel receive timestamp, to its session.
  void udp_loop(int fd) {
    while (!udp_stop.load()) {
      if (!net::wait_readable(fd, 100)) continue;
      for (int burst = 0; burst < 256; ++burst) {
        Datagram d;
        iovec iov{d.b, sizeof d.b};
        alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(timespec))];
        msghdr mh{};
        mh.msg_name = &d.from;
        mh.msg_namelen = sizeof d.from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctrl;
        mh.msg_controllen = sizeof ctrl;
        const ssize_t n = ::recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0) break;
        // Realtime -> monotonic, with both clocks read right after the datagram was taken.
        timespec rt{}, mt{};
        clock_gettime(CLOCK_REALTIME, &rt);
        clock_gettime(CLOCK_MONOTONIC, &mt);
        d.n = size_t(n);
        d.from_len = mh.msg_namelen;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
              c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
            timespec ts{};
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            const int64_t real_rx = int64_t(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
            const int64_t offset = (int64_t(rt.tv_sec) * 1000000000LL + rt.tv_nsec) -
                                   (int64_t(mt.tv_sec) * 1000000000LL + mt.tv_nsec);
            d.rx_ns = real_rx - offset;
          }
        }
        if (d.n < 17) continue;  // too short to name a session
        std::array<uint8_t, 16> sid{};
        std::memcpy(sid.data(), d.b + 1, 16);
        std::lock_guard<std::mutex> g(mu);
        auto it = boxes.find(sid);
        if (it == boxes.end()) continue;  // no such session (stale or foreign): dropped
        Mailbox* mb = it->second;
        std::lock_guard<std::mutex> g2(mb->mu);
        if (mb->q.size() < kMailboxDepth) mb->q.push_back(d);
        mb->cv.notify_one();
      }
    }
  }

  bool take_slot(const std::string& src, size_t max_total, size_t max_src) {
    std::lock_guard<std::mutex> g(mu);
    size_t& n = sessions_per_source[src];
    if (running >= max_total || n >= max_src) {
      if (n == 0) sessions_per_source.erase(src);
      return false;
    }
    ++n;
    ++running;
    return true;
  }
  void give_slot(const std::string& src) {
    std::lock_guard<std::mutex> g(mu);
    auto it = sessions_per_source.find(src);
    if (it != sessions_per_source.end() && --it->second == 0) sessions_per_source.erase(it);
    --running;
  }
};

namespace {

// What one session carries from phase to phase.
struct Session {
  int fd = -1;
  int timeout_ms = 0;
  std::vector<uint8_t> vnonce, ueid;
  uint64_t rounds = 0;
  std::unique_ptr<SessionSecrets> sec = std::make_unique<SessionSecrets>();
  std::array<uint8_t, 16> sid{};
  std::vector<uint8_t> lm_nonce = std::vector<uint8_t>(32);
  crypto::P256PublicKey lm_pub, dev_pub;
  std::vector<location::Transcript::Round> sent;
  std::vector<uint64_t> rtts;
  uint64_t rtt_min = 0;
};

// A failed phase: the host error (code and what failed); nothing if the phase succeeded.
using PhaseError = host::Error;
using PhaseResult = std::optional<PhaseError>;

std::string peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t l = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &l) != 0) return "?";
  char b[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, b, sizeof b);
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, b, sizeof b);
  }
  return b;
}

void set_blocking(int fd, bool blocking) {
  const int fl = fcntl(fd, F_GETFL, 0);
  if (fl >= 0) (void)fcntl(fd, F_SETFL, blocking ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK));
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// A connection that has not sent its complete "setup" message yet.
struct Pending {
  int fd = -1;
  std::string src;
  int64_t deadline_ns = 0;
  std::vector<uint8_t> buf;
};
constexpr size_t kMaxSetupMessage = 4096;

size_t message_length(const std::vector<uint8_t>& b) {
  return size_t(b[0]) << 24 | size_t(b[1]) << 16 | size_t(b[2]) << 8 | b[3];
}

}  // namespace

// The three phases of one session (DESIGN §4), each returning what failed.
class SessionRunner {
 public:
  SessionRunner(const LandmarkConfig& cfg, const crypto::P256PrivateKey& key, int udp_fd,
                uint16_t udp_port, Server::Impl* impl)
      : cfg_(cfg), key_(key), udp_fd_(udp_fd), udp_port_(udp_port), impl_(impl) {}

  // Runs a session whose "setup" message m already arrived on fd; returns its outcome.
  // After a success, summary() describes it (rounds, minimum RTT).
  host::HStatus run(int fd, nlohmann::json m) {
    Session s;
    s.fd = fd;
    s.timeout_ms = cfg_.timeout_ms;
    PhaseResult r = setup(m, &s);
    std::unique_ptr<Server::Impl::Registration> reg;
    if (!r) {
      reg = std::make_unique<Server::Impl::Registration>(impl_, s.sid);
      r = ready(&s);
    }
    if (!r) r = timed_rounds(&s, reg.get());
    std::vector<uint8_t> record;
    if (!r) r = close(&s, &record);
    if (r) {
      nlohmann::json err = {{"type", "error"},
                            {"error", "landmark " + cfg_.id + ": " + r->message}};
      (void)net::send_msg(fd, err, 1000);  // best effort: the session has failed anyway
      return *r;
    }
    char b[160];
    (void)std::snprintf(b, sizeof b, "rounds=%llu rtt_min_ns=%llu",
                        static_cast<unsigned long long>(s.rounds),
                        static_cast<unsigned long long>(s.rtt_min));
    summary_ = b;
    return host::HStatus::Ok();
  }
  const std::string& summary() const { return summary_; }

 private:
  // ---- set-up (untimed): parameters, ephemeral key, session key and table -----------------
  PhaseResult setup(nlohmann::json& m, Session* s) {
    const int to = s->timeout_ms;
    if (m["type"] != "setup" || !net::get_hex(m, "verifier_nonce", 16, 64, &s->vnonce) ||
        !net::get_hex(m, "ueid", 33, 33, &s->ueid) ||
        !net::get_uint(m, "rounds", dbound::kMaxRounds, &s->rounds) ||
        s->rounds < dbound::kMinRounds) {
      return PhaseError{landmark::LandmarkError::kProtocol,
                        "set-up: expected {type:setup, verifier_nonce(16..64), ueid(33), "
                        "rounds(1..64)}"};
    }
    {
      crypto::Drbg drbg;
      static const uint8_t kPers[] = "locus landmark";
      if (!host::os_random(s->sid.data(), s->sid.size()) ||
          !host::os_random(s->lm_nonce.data(), s->lm_nonce.size()) ||
          !drbg.seed(host::os_entropy, nullptr, ByteSpan(kPers, sizeof kPers - 1)).ok() ||
          !crypto::p256_generate_key(drbg, &s->sec->eph).ok() ||
          !crypto::p256_public_key(s->sec->eph, &s->lm_pub).ok()) {
        return PhaseError{landmark::LandmarkError::kNetwork,
                          "internal: randomness or key generation failed"};
      }
    }
    nlohmann::json su = {{"type", "setup_ok"},
                         {"landmark_id", cfg_.id},
                         {"session_id", net::hex(s->sid.data(), s->sid.size())},
                         {"lm_nonce", net::hex(s->lm_nonce.data(), s->lm_nonce.size())},
                         {"lm_eph_pub", net::hex(s->lm_pub.q.data(), 65)},
                         {"rounds", s->rounds},
                         {"udp_port", udp_port_}};
    if (auto st = net::send_msg(s->fd, su, to); !st.ok()) {
      return PhaseError{landmark::LandmarkError::kNetwork, "set-up: " + st.message()};
    }
    nlohmann::json k;
    if (auto st = net::recv_msg(s->fd, &k, to); !st.ok()) {
      return PhaseError{st.error().status == Status(landmark::LandmarkError::kTimeout)
                            ? landmark::LandmarkError::kTimeout
                            : landmark::LandmarkError::kNetwork,
                        "set-up: " + st.message()};
    }
    std::vector<uint8_t> dev_pub_v;
    if (k["type"] != "dev_key" || !net::get_hex(k, "dev_eph_pub", 65, 65, &dev_pub_v)) {
      return PhaseError{landmark::LandmarkError::kProtocol,
                        "set-up: expected {type:dev_key, dev_eph_pub(65)}"};
    }
    std::copy(dev_pub_v.begin(), dev_pub_v.end(), s->dev_pub.q.begin());
    std::array<uint8_t, 32> shared{};
    if (!crypto::p256_check_public(s->dev_pub).ok() ||
        !crypto::ecdh_p256(s->sec->eph, s->dev_pub, &shared).ok()) {
      return PhaseError{landmark::LandmarkError::kProtocol,
                        "set-up: dev_eph_pub is not a valid P-256 point"};
    }
    const Status ks = dbound::derive_session_key(
        ByteSpan(shared), ByteSpan(s->lm_nonce), ByteSpan(s->sid), ByteSpan(s->lm_pub.q),
        ByteSpan(s->dev_pub.q), ByteSpan(s->vnonce), s->sec->key);
    crypto::zeroize(shared.data(), shared.size());
    const bool table_ok =
        ks.ok() && dbound::derive_table(s->sec->key, s->rounds, &s->sec->table).ok();
    crypto::zeroize(s->sec->key, sizeof s->sec->key);
    if (!table_ok)
      return PhaseError{landmark::LandmarkError::kProtocol, "set-up: table derivation failed"};
    return std::nullopt;
  }

  // The session's mailbox exists from here on: announce readiness.
  PhaseResult ready(Session* s) {
    if (auto st = net::send_msg(s->fd, {{"type", "ready"}}, s->timeout_ms); !st.ok()) {
      return PhaseError{landmark::LandmarkError::kNetwork, "set-up: " + st.message()};
    }
    return std::nullopt;
  }

  // ---- timed rounds (UDP) -----------------------------------------------------------------
  PhaseResult timed_rounds(Session* s, Server::Impl::Registration* reg) {
    const int to = s->timeout_ms;
    using Datagram = Server::Impl::Datagram;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    {
      const int64_t deadline = net::now_ns() + int64_t(to) * 1000000;
      Datagram d;
      int64_t seen = 0;
      for (int guard = 0; guard < 1024 && peer_len == 0; ++guard) {
        if (!reg->next(deadline, &d, &seen)) break;
        if (d.n == 17 && d.b[0] == kDgHello) {
          peer = d.from;
          peer_len = d.from_len;
        }
      }
      if (peer_len == 0)
        return PhaseError{landmark::LandmarkError::kTimeout, "no UDP hello from the client"};
    }
    s->sent.assign(s->rounds, location::Transcript::Round{});
    s->rtts.assign(s->rounds, 0);
    for (uint64_t i = 0; i < s->rounds; ++i) {
      location::Transcript::Round& r = s->sent[i];
      r.round = i;
      if (!host::os_random(r.challenge.data(), 12)) {
        return PhaseError{landmark::LandmarkError::kNetwork, "internal: randomness failed"};
      }
      uint8_t dg[kDgRoundSize];
      dg[0] = kDgRound;
      std::memcpy(dg + 1, s->sid.data(), 16);
      dg[17] = uint8_t(i);
      std::memcpy(dg + 18, r.challenge.data(), 12);
      const int64_t t0 = net::now_ns();
      if (::sendto(udp_fd_, dg, sizeof dg, 0, reinterpret_cast<sockaddr*>(&peer), peer_len) !=
          ssize_t(sizeof dg)) {
        return PhaseError{landmark::LandmarkError::kNetwork,
                          "round " + std::to_string(i) + ": UDP send failed"};
      }
      const int64_t deadline = t0 + int64_t(to) * 1000000;
      Datagram d;
      int64_t seen = 0;
      bool got = false;
      for (int guard = 0; guard < 1024 && !got; ++guard) {
        if (!reg->next(deadline, &d, &seen)) break;
        got = d.n == kDgRoundSize && d.b[0] == kDgAnswer && d.b[17] == uint8_t(i);
        // anything else (a repeated hello, an answer to an earlier round): ignored
      }
      if (!got) {
        return PhaseError{
            landmark::LandmarkError::kTimeout,
            "round " + std::to_string(i) + ": no answer within " + std::to_string(to) + " ms"};
      }
      // The kernel's receive time when it is plausible, else the (later) time we read it.
      if (d.rx_ns != 0 && d.rx_ns >= t0 && d.rx_ns <= seen) {
        s->rtts[i] = uint64_t(d.rx_ns - t0);
        ++impl_->kernel_ts;
      } else {
        s->rtts[i] = uint64_t(seen - t0);
        ++impl_->user_ts;
      }
      std::memcpy(r.answer.data(), d.b + 18, 12);
      uint8_t expect[12];
      dbound::answer(s->sec->table, size_t(i), r.challenge.data(), expect);
      const bool good = crypto::ct_equal(ByteSpan(expect, 12), ByteSpan(r.answer));
      crypto::zeroize(expect, sizeof expect);
      if (!good) {
        return PhaseError{
            landmark::LandmarkError::kWrongAnswer,
            "round " + std::to_string(i) + ": wrong answer (relay guessing or pre-asking?)"};
      }
    }
    dbound::zeroize(&s->sec->table);
    s->rtt_min = *std::min_element(s->rtts.begin(), s->rtts.end());
    for (uint64_t ns : s->rtts) impl_->rtt.observe(double(ns) / 1e9);
    if (auto st = net::send_msg(s->fd, {{"type", "rounds_done"}, {"rtts_ns", s->rtts}}, to);
        !st.ok()) {
      return PhaseError{landmark::LandmarkError::kNetwork, st.message()};
    }
    return std::nullopt;
  }

  // ---- close (untimed): the device-signed transcript, then the landmark record ------------
  PhaseResult close(Session* s, std::vector<uint8_t>* record) {
    const int to = s->timeout_ms;
    nlohmann::json m;
    if (auto st = net::recv_msg(s->fd, &m, to); !st.ok()) {
      return PhaseError{landmark::LandmarkError::kNetwork, "close: " + st.message()};
    }
    std::vector<uint8_t> tcose;
    if (m["type"] != "close" || !net::get_hex(m, "transcript", 16, 16384, &tcose)) {
      return PhaseError{landmark::LandmarkError::kProtocol,
                        "close: expected {type:close, transcript}"};
    }
    cose::Sign1View v;
    if (!cose::sign1_decode(ByteSpan(tcose), &v).ok() || v.x5chain_len < 1) {
      return PhaseError{LocationError::kMalformed,
                        "close: transcript is not a COSE_Sign1 with an x5chain"};
    }
    crypto::Certificate alias;
    crypto::P256PublicKey alias_pub;
    if (!alias.parse(v.x5chain[0]).ok() || !alias.public_key(&alias_pub).ok()) {
      return PhaseError{LocationError::kMalformed, "close: x5chain[0] is not a P-256 certificate"};
    }
    location::Transcript t;
    const Status vs = location::verify_transcript(ByteSpan(tcose), alias_pub, &t);
    if (!vs.ok()) {
      return PhaseError{vs == Status(LocationError::kBadSignature) ? LocationError::kBadSignature
                                                                   : LocationError::kMalformed,
                        "close: transcript signature or payload invalid"};
    }
    if (!same_transcript(t, *s)) {
      return PhaseError{LocationError::kTranscriptInconsistent,
                        "close: transcript differs from what the landmark sent and received"};
    }
    location::LandmarkRecord rec;
    rec.landmark_id = cfg_.id;
    rec.ueid = s->ueid;
    rec.verifier_nonce = s->vnonce;
    rec.rtt_min_ns = s->rtt_min;
    rec.rounds = s->rounds;
    rec.lm_nonce = s->lm_nonce;
    crypto::Digest h{};
    if (!crypto::sha256(ByteSpan(tcose), &h).ok()) {
      return PhaseError{LocationError::kMalformed, "internal: hash failed"};
    }
    rec.transcript_hash.assign(h.begin(), h.end());
    const std::vector<uint8_t> payload = location::encode_record(rec);
    const ByteSpan kid(reinterpret_cast<const uint8_t*>(cfg_.id.data()), cfg_.id.size());
    if (payload.empty() || !location::sign_cose(key_, ByteSpan(payload), kid, {}, record).ok()) {
      return PhaseError{LocationError::kMalformed, "internal: record signing failed"};
    }
    nlohmann::json out = {{"type", "record"},
                          {"record", net::hex(record->data(), record->size())},
                          {"rtt_min_ns", s->rtt_min},
                          {"rtts_ns", s->rtts}};
    if (auto st = net::send_msg(s->fd, out, to); !st.ok()) {
      return PhaseError{landmark::LandmarkError::kNetwork, "close: " + st.message()};
    }
    return std::nullopt;
  }

  static bool same_transcript(const location::Transcript& t, const Session& s) {
    bool same = t.rounds.size() == s.rounds &&
                crypto::ct_equal(ByteSpan(t.session_id), ByteSpan(s.sid)) &&
                crypto::ct_equal(ByteSpan(t.lm_nonce), ByteSpan(s.lm_nonce)) &&
                crypto::ct_equal(ByteSpan(t.verifier_nonce), ByteSpan(s.vnonce)) &&
                crypto::ct_equal(ByteSpan(t.lm_eph_pub), ByteSpan(s.lm_pub.q)) &&
                crypto::ct_equal(ByteSpan(t.dev_eph_pub), ByteSpan(s.dev_pub.q)) &&
                crypto::ct_equal(ByteSpan(t.ueid), ByteSpan(s.ueid));
    for (size_t i = 0; same && i < t.rounds.size(); ++i) {
      same = t.rounds[i].round == i &&
             crypto::ct_equal(ByteSpan(t.rounds[i].challenge), ByteSpan(s.sent[i].challenge)) &&
             crypto::ct_equal(ByteSpan(t.rounds[i].answer), ByteSpan(s.sent[i].answer));
    }
    return same;
  }

  const LandmarkConfig& cfg_;
  const crypto::P256PrivateKey& key_;
  int udp_fd_;
  uint16_t udp_port_;
  Server::Impl* impl_;
  std::string summary_;
};

Server::Server(const LandmarkConfig& cfg, const crypto::P256PrivateKey& key)
    : cfg_(cfg), impl_(std::make_unique<Impl>()) {
  key_.d = key.d;
}

Server::~Server() {
  impl_->udp_stop = true;
  if (impl_->udp_thread.joinable()) impl_->udp_thread.join();
  if (tcp_fd_ >= 0) ::close(tcp_fd_);
  if (udp_fd_ >= 0) ::close(udp_fd_);
}

size_t Server::sessions_ok() const {
  return impl_->ok.load();
}
size_t Server::sessions_failed() const {
  return impl_->failed.load();
}
bool Server::wait_sessions_ok(size_t n, int timeout_ms) const {
  std::unique_lock<std::mutex> l(impl_->done_mu);
  return impl_->done_cv.wait_for(l, std::chrono::milliseconds(timeout_ms),
                                 [this, n] { return impl_->ok.load() >= n; });
}

ServerStats Server::stats() const {
  ServerStats s;
  s.ok = impl_->ok.load();
  s.failed = impl_->failed.load();
  s.busy = impl_->busy.load();
  s.refused = impl_->refused.load();
  s.setup_timeouts = impl_->setup_timeouts.load();
  s.kernel_timestamps = impl_->kernel_ts.load();
  s.user_timestamps = impl_->user_ts.load();
  return s;
}

std::string Server::metrics_text() const {
  namespace m = host::metrics;
  std::string o;
  const std::string id = m::label("landmark", cfg_.id);
  m::header("locus_landmark_sessions_total",
            "Sessions ended, by outcome (ok: record signed; failed: refused or broken off; busy: "
            "session caps; refused: pending caps; setup_timeout: no set-up in time, also counted "
            "as failed).",
            "counter", &o);
  m::sample("locus_landmark_sessions_total", id + "," + m::label("outcome", "busy"),
            impl_->busy.load(), &o);
  m::sample("locus_landmark_sessions_total", id + "," + m::label("outcome", "failed"),
            impl_->failed.load(), &o);
  m::sample("locus_landmark_sessions_total", id + "," + m::label("outcome", "ok"), impl_->ok.load(),
            &o);
  m::sample("locus_landmark_sessions_total", id + "," + m::label("outcome", "refused"),
            impl_->refused.load(), &o);
  m::sample("locus_landmark_sessions_total", id + "," + m::label("outcome", "setup_timeout"),
            impl_->setup_timeouts.load(), &o);
  m::header("locus_landmark_active_sessions", "Sessions running now.", "gauge", &o);
  m::sample_i("locus_landmark_active_sessions", id, impl_->active.value(), &o);
  m::header("locus_landmark_round_rtt_seconds",
            "Round-trip time of each timed round of sessions whose answers were all right.",
            "histogram", &o);
  impl_->rtt.render("locus_landmark_round_rtt_seconds", id, &o);
  m::header("locus_landmark_rounds_timed_total",
            "Rounds timed, by clock (kernel receive timestamp or the session's own clock).",
            "counter", &o);
  m::sample("locus_landmark_rounds_timed_total", id + "," + m::label("clock", "kernel"),
            impl_->kernel_ts.load(), &o);
  m::sample("locus_landmark_rounds_timed_total", id + "," + m::label("clock", "session"),
            impl_->user_ts.load(), &o);
  return o;
}

host::HStatus Server::start() {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (inet_pton(AF_INET, cfg_.listen.c_str(), &a.sin_addr) != 1) {
    return {LocationError::kBadConfig, "listen address must be an IPv4 address: " + cfg_.listen};
  }
  raise_fd_limit();
  tcp_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  udp_fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  a.sin_port = htons(cfg_.tcp_port);
  if (tcp_fd_ < 0 || ::bind(tcp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(tcp_fd_, 1024) != 0) {
    return {landmark::LandmarkError::kNetwork, "cannot listen on TCP " + cfg_.listen + ":" +
                                                   std::to_string(cfg_.tcp_port) + ": " +
                                                   std::strerror(errno)};
  }
  a.sin_port = htons(cfg_.udp_port);
  if (udp_fd_ < 0 || ::bind(udp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return {landmark::LandmarkError::kNetwork, "cannot bind UDP " + cfg_.listen + ":" +
                                                   std::to_string(cfg_.udp_port) + ": " +
                                                   std::strerror(errno)};
  }
  // Kernel receive timestamps (server.h "Timing"); without them every round falls back to
  // the session's own clock.
  if (cfg_.kernel_timestamps)
    (void)setsockopt(udp_fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  sockaddr_in b{};
  socklen_t bl = sizeof b;
  getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&b), &bl);
  tcp_port_ = ntohs(b.sin_port);
  bl = sizeof b;
  getsockname(udp_fd_, reinterpret_cast<sockaddr*>(&b), &bl);
  udp_port_ = ntohs(b.sin_port);
  impl_->udp_thread = std::thread([this] { impl_->udp_loop(udp_fd_); });
  return host::HStatus::Ok();
}

void Server::serve(const std::atomic<bool>* stop, size_t max_sessions, bool log) {
  struct Worker {
    std::thread t;
    std::atomic<bool> done{false};
  };
  std::list<std::unique_ptr<Worker>> workers;
  std::vector<Pending> pend;
  std::map<std::string, size_t> pend_per_source;
  size_t started = 0;
  auto drop = [&](size_t i) {
    if (pend[i].fd >= 0) ::close(pend[i].fd);
    auto it = pend_per_source.find(pend[i].src);
    if (it != pend_per_source.end() && --it->second == 0) pend_per_source.erase(it);
    pend[i] = std::move(pend.back());
    pend.pop_back();
  };
  auto reap = [&] {
    for (auto it = workers.begin(); it != workers.end();) {
      if ((*it)->done.load()) {
        (*it)->t.join();
        it = workers.erase(it);
      } else {
        ++it;
      }
    }
  };
  auto start_session = [&](int fd, const std::string& src, nlohmann::json m) {
    if (!impl_->take_slot(src, cfg_.max_sessions, cfg_.max_sessions_per_source)) {
      ++impl_->busy;
      nlohmann::json err = {{"type", "error"},
                            {"error", "landmark " + cfg_.id + ": busy (session limit), retry"}};
      (void)net::send_msg(fd, err, 200);  // best effort: refused anyway
      ::close(fd);
      return;
    }
    ++started;
    auto w = std::make_unique<Worker>();
    Worker* wp = w.get();
    w->t = std::thread([this, wp, fd, src, m = std::move(m), log] {
      SessionRunner runner(cfg_, key_, udp_fd_, udp_port_, impl_.get());
      impl_->active.inc();
      const host::HStatus s = runner.run(fd, m);
      impl_->active.dec();
      ::close(fd);
      if (s.ok()) {
        ++impl_->ok;
      } else {
        ++impl_->failed;
      }
      impl_->counted();
      impl_->give_slot(src);
      if (log) {
        (void)std::fprintf(
            stderr,
            "{\"event\":\"landmark.session\",\"landmark\":%s,\"source\":%s,\"ok\":%s,"
            "\"code\":%u,\"detail\":%s}\n",
            json_escape(cfg_.id).c_str(), json_escape(src).c_str(), s.ok() ? "true" : "false",
            unsigned(s.error().status.code()),
            json_escape(s.ok() ? runner.summary() : s.message()).c_str());
        (void)std::fflush(stderr);
      }
      wp->done = true;
    });
    workers.push_back(std::move(w));
  };

  for (;;) {
    reap();
    if (((stop != nullptr) && stop->load()) || (max_sessions != 0 && started >= max_sessions))
      break;
    std::vector<pollfd> pf;
    pf.reserve(pend.size() + 1);
    pf.push_back({tcp_fd_, POLLIN, 0});
    int64_t wait_ms = 200;
    const int64_t now = net::now_ns();
    for (const Pending& p : pend) {
      pf.push_back({p.fd, POLLIN, 0});
      wait_ms =
          std::min<int64_t>(wait_ms, std::max<int64_t>(0, (p.deadline_ns - now) / 1000000 + 1));
    }
    const int r = ::poll(pf.data(), pf.size(), int(wait_ms));
    if (r < 0 && errno != EINTR) break;
    // New connections: into the pending set, within its caps.
    if (r > 0 && ((pf[0].revents & POLLIN) != 0)) {
      for (int burst = 0; burst < 256; ++burst) {
        const int c = ::accept4(tcp_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) break;
        const std::string src = peer_address(c);
        size_t& n = pend_per_source[src];
        if (pend.size() >= cfg_.max_pending || n >= cfg_.max_pending_per_source) {
          if (n == 0) pend_per_source.erase(src);
          ++impl_->refused;
          ::close(c);
          continue;
        }
        ++n;
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pend.push_back({c, src, net::now_ns() + int64_t(cfg_.setup_timeout_ms) * 1000000, {}});
      }
    }
    // Pending connections: read what arrived, never past the end of the first message (what
    // follows stays in the socket for the session); a complete "setup" starts a session.
    // Walk backwards so that drop() (swap with the last) keeps the poll indices valid.
    const size_t polled = pf.size() - 1;
    const int64_t t = net::now_ns();
    for (size_t k = std::min(polled, pend.size()); k-- > 0;) {
      Pending& p = pend[k];
      std::string bad;
      if (pf[k + 1].revents != 0) {
        size_t want = 4 - std::min<size_t>(4, p.buf.size());
        if (want == 0) want = 4 + message_length(p.buf) - p.buf.size();
        uint8_t b[kMaxSetupMessage];
        const ssize_t n = ::recv(p.fd, b, std::min(want, sizeof b), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          ++impl_->failed;  // closed before its set-up: a failed session, as before
          drop(k);
          continue;
        }
        if (n > 0) p.buf.insert(p.buf.end(), b, b + n);
        if (p.buf.size() >= 4) {
          const size_t len = message_length(p.buf);
          if (len == 0 || len > kMaxSetupMessage) {
            bad = "set-up: TCP message length " + std::to_string(len) + " out of range (1.." +
                  std::to_string(kMaxSetupMessage) + ")";
          } else if (p.buf.size() == 4 + len) {
            nlohmann::json m = locus::host::parse_json(std::string_view(
                reinterpret_cast<const char*>(p.buf.data()) + 4, p.buf.size() - 4));
            if (m.is_discarded() || !m.is_object() || !m.contains("type") ||
                !m["type"].is_string()) {
              bad = "set-up: TCP message is not a JSON object with a \"type\"";
            } else {
              const int fd = p.fd;
              const std::string src = p.src;
              p.fd = -1;  // the session owns fd now
              drop(k);
              set_blocking(fd, true);
              start_session(fd, src, std::move(m));
              continue;
            }
          }
        }
      }
      if (!bad.empty()) {
        set_blocking(p.fd, true);
        nlohmann::json err = {{"type", "error"}, {"error", "landmark " + cfg_.id + ": " + bad}};
        (void)net::send_msg(p.fd, err, 200);  // best effort: refused anyway
        ++impl_->failed;
        if (log) {
          (void)std::fprintf(stderr,
                             "{\"event\":\"landmark.session\",\"landmark\":%s,\"source\":%s,"
                             "\"ok\":false,\"detail\":%s}\n",
                             json_escape(cfg_.id).c_str(), json_escape(p.src).c_str(),
                             json_escape(bad).c_str());
        }
        drop(k);
      } else if (t >= p.deadline_ns) {
        ++impl_->setup_timeouts;
        ++impl_->failed;
        drop(k);
      }
    }
  }
  for (size_t k = pend.size(); k-- > 0;) drop(k);
  for (auto& w : workers) w->t.join();
}

}  // namespace locus::landmark
