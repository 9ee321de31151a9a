// The landmark timing server. Phases and checks: server.h, docs/location.md.
#include "locus/landmark/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include <toml++/toml.h>

#include "locus/common/common.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/drbg.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/x509_host.h"
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

std::string json_escape(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace

std::string parse_config_toml(const std::string& text, const std::string& base_dir, LandmarkConfig* out) {
  toml::table t;
  try {
    t = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return std::string("landmark config: ") + std::string(e.description());
  }
  LandmarkConfig c;
  // Every number but lat/lon is an integer: toml++ converts a float node to int64 with a
  // cast that is undefined beyond int64's range (found by fuzz target landmark_config).
  for (const auto& [k, v] : t) {
    if (v.is_floating_point() && k != "lat" && k != "lon") return "landmark config: '" + std::string(k.str()) + "' must be an integer";
  }
  auto id = t["id"].value<std::string>();
  auto lat = t["lat"].value<double>();
  auto lon = t["lon"].value<double>();
  auto key = t["key_file"].value<std::string>();
  if (!id || id->empty() || id->size() > 64) return "landmark config: 'id' (1..64 chars) is required";
  if (!lat || !lon || std::fabs(*lat) > 90 || std::fabs(*lon) > 180) return "landmark config: 'lat'/'lon' missing or out of range";
  if (!key) return "landmark config: 'key_file' is required";
  c.id = *id;
  c.lat_deg = *lat;
  c.lon_deg = *lon;
  c.key_file = (!key->empty() && (*key)[0] == '/') ? *key : base_dir + "/" + *key;
  c.listen = t["listen"].value_or(std::string("127.0.0.1"));
  const int64_t tp = t["tcp_port"].value_or(int64_t(0));
  const int64_t up = t["udp_port"].value_or(int64_t(0));
  const int64_t to = t["timeout_ms"].value_or(int64_t(10000));
  if (tp < 0 || tp > 65535 || up < 0 || up > 65535) return "landmark config: ports must be 0..65535";
  if (to < 100 || to > 600000) return "landmark config: timeout_ms must be 100..600000";
  c.tcp_port = uint16_t(tp);
  c.udp_port = uint16_t(up);
  c.timeout_ms = int(to);
  *out = c;
  return "";
}

Server::Server(const LandmarkConfig& cfg, const crypto::P256PrivateKey& key) : cfg_(cfg) { key_.d = key.d; }

Server::~Server() {
  if (tcp_fd_ >= 0) ::close(tcp_fd_);
  if (udp_fd_ >= 0) ::close(udp_fd_);
}

Status Server::start(std::string* why) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (inet_pton(AF_INET, cfg_.listen.c_str(), &a.sin_addr) != 1) {
    if (why) *why = "listen address must be an IPv4 address: " + cfg_.listen;
    return LocationError::kBadConfig;
  }
  tcp_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  udp_fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  a.sin_port = htons(cfg_.tcp_port);
  if (tcp_fd_ < 0 || ::bind(tcp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(tcp_fd_, 8) != 0) {
    if (why) *why = "cannot listen on TCP " + cfg_.listen + ":" + std::to_string(cfg_.tcp_port) + ": " + std::strerror(errno);
    return LocationError::kNetwork;
  }
  a.sin_port = htons(cfg_.udp_port);
  if (udp_fd_ < 0 || ::bind(udp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (why) *why = "cannot bind UDP " + cfg_.listen + ":" + std::to_string(cfg_.udp_port) + ": " + std::strerror(errno);
    return LocationError::kNetwork;
  }
  sockaddr_in b{};
  socklen_t bl = sizeof b;
  getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&b), &bl);
  tcp_port_ = ntohs(b.sin_port);
  bl = sizeof b;
  getsockname(udp_fd_, reinterpret_cast<sockaddr*>(&b), &bl);
  udp_port_ = ntohs(b.sin_port);
  return Status::Ok();
}

void Server::serve(const std::atomic<bool>* stop, size_t max_sessions, bool log) {
  size_t handled = 0;
  while (!(stop && stop->load()) && (max_sessions == 0 || handled < max_sessions)) {
    if (!net::wait_readable(tcp_fd_, 200)) continue;
    const int c = ::accept4(tcp_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string why;
    const Status s = serve_one(c, &why);
    ::close(c);
    ++handled;
    if (s.ok()) ++ok_;
    else ++failed_;
    if (log) {
      std::fprintf(stderr, "{\"event\":\"landmark.session\",\"landmark\":%s,\"ok\":%s,\"code\":%u,\"detail\":%s}\n",
                   json_escape(cfg_.id).c_str(), s.ok() ? "true" : "false", unsigned(s.code()),
                   json_escape(why).c_str());
      std::fflush(stderr);
    }
  }
}

Status Server::serve_one(int fd, std::string* why_out) {
  std::string why;
  auto fail = [&](LocationError e, const std::string& w) -> Status {
    why = w;
    nlohmann::json err = {{"type", "error"}, {"error", "landmark " + cfg_.id + ": " + w}};
    (void)net::send_msg(fd, err, 1000, nullptr);
    if (why_out) *why_out = w;
    return e;
  };
  const int to = cfg_.timeout_ms;
  // ---- set-up (untimed) -----------------------------------------------------------------
  nlohmann::json m;
  Status s = net::recv_msg(fd, &m, to, &why);
  if (!s.ok()) return fail(LocationError::kNetwork, "set-up: " + why);
  std::vector<uint8_t> vnonce, ueid;
  uint64_t rounds = 0;
  if (m["type"] != "setup" || !net::get_hex(m, "verifier_nonce", 16, 64, &vnonce) || !net::get_hex(m, "ueid", 33, 33, &ueid) ||
      !net::get_uint(m, "rounds", dbound::kMaxRounds, &rounds) || rounds < dbound::kMinRounds) {
    return fail(LocationError::kProtocol, "set-up: expected {type:setup, verifier_nonce(16..64), ueid(33), rounds(1..64)}");
  }
  auto sec = std::make_unique<SessionSecrets>();
  std::array<uint8_t, 16> sid{};
  std::vector<uint8_t> lm_nonce(32);
  crypto::P256PublicKey lm_pub;
  {
    crypto::Drbg drbg;
    static const uint8_t kPers[] = "locus landmark";
    if (!host::os_random(sid.data(), sid.size()) || !host::os_random(lm_nonce.data(), lm_nonce.size()) ||
        !drbg.seed(host::os_entropy, nullptr, ByteSpan(kPers, sizeof kPers - 1)).ok() ||
        !crypto::p256_generate_key(drbg, &sec->eph).ok() || !crypto::p256_public_key(sec->eph, &lm_pub).ok()) {
      return fail(LocationError::kNetwork, "internal: randomness or key generation failed");
    }
  }
  nlohmann::json su = {{"type", "setup_ok"},        {"landmark_id", cfg_.id},
                       {"session_id", net::hex(sid.data(), sid.size())},
                       {"lm_nonce", net::hex(lm_nonce.data(), lm_nonce.size())},
                       {"lm_eph_pub", net::hex(lm_pub.q.data(), 65)},
                       {"rounds", rounds},          {"udp_port", udp_port_}};
  if (!net::send_msg(fd, su, to, &why).ok()) return fail(LocationError::kNetwork, "set-up: " + why);
  s = net::recv_msg(fd, &m, to, &why);
  if (!s.ok()) return fail(s == Status(LocationError::kTimeout) ? LocationError::kTimeout : LocationError::kNetwork, "set-up: " + why);
  std::vector<uint8_t> dev_pub_v;
  if (m["type"] != "dev_key" || !net::get_hex(m, "dev_eph_pub", 65, 65, &dev_pub_v)) {
    return fail(LocationError::kProtocol, "set-up: expected {type:dev_key, dev_eph_pub(65)}");
  }
  crypto::P256PublicKey dev_pub;
  std::copy(dev_pub_v.begin(), dev_pub_v.end(), dev_pub.q.begin());
  {
    std::array<uint8_t, 32> shared{};
    if (!crypto::p256_check_public(dev_pub).ok() || !crypto::ecdh_p256(sec->eph, dev_pub, &shared).ok()) {
      return fail(LocationError::kProtocol, "set-up: dev_eph_pub is not a valid P-256 point");
    }
    const Status ks = dbound::derive_session_key(ByteSpan(shared), ByteSpan(lm_nonce), ByteSpan(sid), ByteSpan(lm_pub.q),
                                                 ByteSpan(dev_pub.q), ByteSpan(vnonce), sec->key);
    crypto::zeroize(shared.data(), shared.size());
    if (!ks.ok() || !dbound::derive_table(sec->key, rounds, &sec->table).ok()) {
      return fail(LocationError::kProtocol, "set-up: table derivation failed");
    }
    crypto::zeroize(sec->key, sizeof sec->key);
  }
  // Drop stale datagrams from earlier sessions before announcing readiness.
  for (int i = 0; i < 1024; ++i) {
    uint8_t junk[64];
    if (::recv(udp_fd_, junk, sizeof junk, MSG_DONTWAIT) < 0) break;
  }
  if (!net::send_msg(fd, {{"type", "ready"}}, to, &why).ok()) return fail(LocationError::kNetwork, "set-up: " + why);
  // ---- timed rounds (UDP) ------------------------------------------------------------------
  sockaddr_storage peer{};
  socklen_t peer_len = 0;
  {
    const int64_t deadline = net::now_ns() + int64_t(to) * 1000000;
    for (int guard = 0; guard < 100000; ++guard) {
      const int64_t left = (deadline - net::now_ns()) / 1000000;
      if (left < 0 || !net::wait_readable(udp_fd_, int(left))) return fail(LocationError::kTimeout, "no UDP hello from the client");
      uint8_t b[64];
      sockaddr_storage from{};
      socklen_t fl = sizeof from;
      const ssize_t n = ::recvfrom(udp_fd_, b, sizeof b, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n == 17 && b[0] == kDgHello && std::memcmp(b + 1, sid.data(), 16) == 0) {
        peer = from;
        peer_len = fl;
        break;
      }
    }
    if (peer_len == 0) return fail(LocationError::kTimeout, "no UDP hello from the client");
  }
  std::vector<location::TranscriptRound> sent(rounds);
  std::vector<uint64_t> rtts(rounds, 0);
  for (uint64_t i = 0; i < rounds; ++i) {
    location::TranscriptRound& r = sent[i];
    r.round = i;
    if (!host::os_random(r.challenge.data(), 12)) return fail(LocationError::kNetwork, "internal: randomness failed");
    uint8_t dg[kDgRoundSize];
    dg[0] = kDgRound;
    std::memcpy(dg + 1, sid.data(), 16);
    dg[17] = uint8_t(i);
    std::memcpy(dg + 18, r.challenge.data(), 12);
    uint8_t ans[64];
    ssize_t n = -1;
    const int64_t t0 = net::now_ns();
    if (::sendto(udp_fd_, dg, sizeof dg, 0, reinterpret_cast<sockaddr*>(&peer), peer_len) != ssize_t(sizeof dg)) {
      return fail(LocationError::kNetwork, "round " + std::to_string(i) + ": UDP send failed");
    }
    int64_t t1 = 0;
    const int64_t deadline = t0 + int64_t(to) * 1000000;
    for (int guard = 0; guard < 100000; ++guard) {
      // Busy-poll briefly, then block: keeps wake-up latency out of the measurement.
      n = ::recv(udp_fd_, ans, sizeof ans, MSG_DONTWAIT);
      t1 = net::now_ns();
      if (n < 0) {
        if (t1 > deadline) break;
        if (t1 - t0 > 2000000) (void)net::wait_readable(udp_fd_, int((deadline - t1) / 1000000) + 1);
        continue;
      }
      if (n == ssize_t(kDgRoundSize) && ans[0] == kDgAnswer && std::memcmp(ans + 1, sid.data(), 16) == 0 && ans[17] == uint8_t(i)) {
        break;
      }
      n = -1;  // stale or foreign datagram: ignore, keep timing
    }
    if (n < 0) return fail(LocationError::kTimeout, "round " + std::to_string(i) + ": no answer within " + std::to_string(to) + " ms");
    rtts[i] = uint64_t(t1 - t0);
    std::memcpy(r.answer.data(), ans + 18, 12);
    uint8_t expect[12];
    dbound::answer(sec->table, size_t(i), r.challenge.data(), expect);
    const bool good = crypto::ct_equal(ByteSpan(expect, 12), ByteSpan(r.answer));
    crypto::zeroize(expect, sizeof expect);
    if (!good) return fail(LocationError::kWrongAnswer, "round " + std::to_string(i) + ": wrong answer (relay guessing or pre-asking?)");
  }
  dbound::zeroize(&sec->table);
  const uint64_t rtt_min = *std::min_element(rtts.begin(), rtts.end());
  if (!net::send_msg(fd, {{"type", "rounds_done"}, {"rtts_ns", rtts}}, to, &why).ok()) return fail(LocationError::kNetwork, why);
  // ---- close (untimed) ---------------------------------------------------------------------
  s = net::recv_msg(fd, &m, to, &why);
  if (!s.ok()) return fail(LocationError::kNetwork, "close: " + why);
  std::vector<uint8_t> tcose;
  if (m["type"] != "close" || !net::get_hex(m, "transcript", 16, 16384, &tcose)) {
    return fail(LocationError::kProtocol, "close: expected {type:close, transcript}");
  }
  cose::Sign1View v;
  if (!cose::sign1_decode(ByteSpan(tcose), &v).ok() || v.x5chain_len < 1) {
    return fail(LocationError::kMalformed, "close: transcript is not a COSE_Sign1 with an x5chain");
  }
  crypto::Certificate alias;
  crypto::P256PublicKey alias_pub;
  if (!alias.parse(v.x5chain[0]).ok() || !alias.public_key(&alias_pub).ok()) {
    return fail(LocationError::kMalformed, "close: x5chain[0] is not a P-256 certificate");
  }
  location::Transcript t;
  s = location::verify_transcript(ByteSpan(tcose), alias_pub, &t);
  if (!s.ok()) {
    return fail(s == Status(LocationError::kBadSignature) ? LocationError::kBadSignature : LocationError::kMalformed,
                "close: transcript signature or payload invalid");
  }
  bool same = t.rounds.size() == rounds && crypto::ct_equal(ByteSpan(t.session_id), ByteSpan(sid)) &&
              crypto::ct_equal(ByteSpan(t.lm_nonce), ByteSpan(lm_nonce)) &&
              crypto::ct_equal(ByteSpan(t.verifier_nonce), ByteSpan(vnonce)) &&
              crypto::ct_equal(ByteSpan(t.lm_eph_pub), ByteSpan(lm_pub.q)) &&
              crypto::ct_equal(ByteSpan(t.dev_eph_pub), ByteSpan(dev_pub.q)) && crypto::ct_equal(ByteSpan(t.ueid), ByteSpan(ueid));
  for (size_t i = 0; same && i < t.rounds.size(); ++i) {
    same = t.rounds[i].round == i && crypto::ct_equal(ByteSpan(t.rounds[i].challenge), ByteSpan(sent[i].challenge)) &&
           crypto::ct_equal(ByteSpan(t.rounds[i].answer), ByteSpan(sent[i].answer));
  }
  if (!same) return fail(LocationError::kTranscriptInconsistent, "close: transcript differs from what the landmark sent and received");
  location::LandmarkRecord rec;
  rec.landmark_id = cfg_.id;
  rec.ueid = ueid;
  rec.verifier_nonce = vnonce;
  rec.rtt_min_ns = rtt_min;
  rec.rounds = rounds;
  rec.lm_nonce = lm_nonce;
  crypto::Digest h{};
  if (!crypto::sha256(ByteSpan(tcose), &h).ok()) return fail(LocationError::kMalformed, "internal: hash failed");
  rec.transcript_hash.assign(h.begin(), h.end());
  const std::vector<uint8_t> payload = location::encode_record(rec);
  std::vector<uint8_t> record;
  if (payload.empty() ||
      !location::sign_cose(key_, ByteSpan(payload), ByteSpan(reinterpret_cast<const uint8_t*>(cfg_.id.data()), cfg_.id.size()),
                           {}, &record).ok()) {
    return fail(LocationError::kMalformed, "internal: record signing failed");
  }
  nlohmann::json out = {{"type", "record"}, {"record", net::hex(record.data(), record.size())}, {"rtt_min_ns", rtt_min}, {"rtts_ns", rtts}};
  if (!net::send_msg(fd, out, to, &why).ok()) return fail(LocationError::kNetwork, "close: " + why);
  if (why_out) {
    char b[160];
    std::snprintf(b, sizeof b, "rounds=%llu rtt_min_ns=%llu", static_cast<unsigned long long>(rounds),
                  static_cast<unsigned long long>(rtt_min));
    *why_out = b;
  }
  return Status::Ok();
}

}  // namespace locus::landmark
