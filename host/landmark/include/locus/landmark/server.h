// locus/landmark/server.h: the landmark timing server (DESIGN §4).
//
// One session at a time (sessions are served sequentially; a second client waits in the
// TCP backlog). TCP carries set-up and close as length-prefixed JSON messages (4-byte
// big-endian length, at most 64 KiB, bytes as lowercase hex); UDP carries the timed rounds.
// The landmark times each round with CLOCK_MONOTONIC from just before sendto() to just after
// recvfrom(), keeps the minimum, checks every answer against its own copy of the table (one
// wrong answer fails the session), checks the device-signed transcript at close (signature
// by the Alias key in its x5chain; the verifier checks the chain) and signs the record.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "locus/crypto/p256.h"
#include "locus/status.h"

namespace locus::landmark {

struct LandmarkConfig {
  std::string id;
  double lat_deg = 0, lon_deg = 0;
  std::string key_file;
  std::string listen = "127.0.0.1";
  uint16_t tcp_port = 0;  // 0: a free port
  uint16_t udp_port = 0;
  int timeout_ms = 10000;  // every wait inside a session
};

// TOML: id, lat, lon, key_file (relative to base_dir), listen, tcp_port, udp_port, timeout_ms.
// Returns "" or the error.
std::string parse_config_toml(const std::string& text, const std::string& base_dir, LandmarkConfig* out);

class Server {
 public:
  Server(const LandmarkConfig& cfg, const crypto::P256PrivateKey& key);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds both sockets (ports 0 -> free ports).
  Status start(std::string* why);
  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t udp_port() const { return udp_port_; }
  // Serves sessions until *stop becomes true (checked at least every 200 ms) or max_sessions
  // (0 = unlimited) were handled. Each session's outcome is logged as one JSON line on stderr
  // when log is true.
  void serve(const std::atomic<bool>* stop, size_t max_sessions = 0, bool log = true);
  // Serves one session from an accepted TCP connection; returns its outcome.
  Status serve_one(int conn_fd, std::string* why);
  // Counted after each session's connection is closed (another thread may read them).
  size_t sessions_ok() const { return ok_.load(); }
  size_t sessions_failed() const { return failed_.load(); }

 private:
  LandmarkConfig cfg_;
  crypto::P256PrivateKey key_;
  int tcp_fd_ = -1, udp_fd_ = -1;
  uint16_t tcp_port_ = 0, udp_port_ = 0;
  std::atomic<size_t> ok_{0}, failed_{0};  // read by other threads (tests, benches)
};

}  // namespace locus::landmark
