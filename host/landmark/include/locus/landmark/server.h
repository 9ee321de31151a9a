// locus/landmark/server.h: the landmark timing server (DESIGN §4).
//
// Many sessions at once, bounded. TCP carries set-up and close as length-prefixed JSON
// messages (4-byte big-endian length, at most 64 KiB, bytes as lowercase hex); UDP carries
// the timed rounds, all sessions on the one configured UDP port.
//
// Threads: the serve() thread accepts connections and holds every connection that has not
// yet sent its complete "setup" message in one poll() set (an idle connection costs a file
// descriptor, not a session); such a connection is closed after setup_timeout_ms. A complete
// set-up request gets a session thread, within max_sessions in total and
// max_sessions_per_source per source address (else an "error" message: busy). One UDP
// thread receives every datagram with its kernel receive timestamp (SO_TIMESTAMPNS) and
// hands it to the session it names (session id in bytes 1..16).
//
// Timing: a round's RTT runs from CLOCK_MONOTONIC just before sendto() to the kernel's
// receive timestamp of the answer (converted to CLOCK_MONOTONIC), so neither the hand-off
// between threads nor a busy core adds to it. Both ends of that interval lie outside the
// true flight time (send starts after t0, the kernel stamps after arrival), so the RTT never
// comes out short. A timestamp that is missing or does not fall between the send and the
// moment the session read it (a wall-clock step) falls back to the time the session read it,
// which is longer, never shorter.
//
// Checks: every answer against the landmark's own copy of the table (one wrong answer fails
// the session), the device-signed transcript at close (signature by the Alias key in its
// x5chain; the verifier checks the chain); then the landmark signs the record.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "locus/common/result.h"
#include "locus/crypto/p256.h"
#include "locus/landmark/errors.h"
#include "locus/status.h"

namespace locus::landmark {

struct LandmarkConfig {
  std::string id;
  double lat_deg = 0, lon_deg = 0;
  std::string key_file;
  std::string listen = "127.0.0.1";
  uint16_t tcp_port = 0;  // 0: a free port
  uint16_t udp_port = 0;
  int timeout_ms = 10000;       // every wait inside a session once it is set up
  int setup_timeout_ms = 2000;  // a new connection's complete "setup" message within this
  size_t max_sessions = 64;     // sessions running at once
  size_t max_sessions_per_source = 8;
  size_t max_pending = 1024;  // connections waiting for their "setup" message
  size_t max_pending_per_source = 64;
  bool kernel_timestamps = true;  // SO_TIMESTAMPNS (false: every round on the session's clock)
};

// TOML: id, lat, lon, key_file (relative to base_dir), listen, tcp_port, udp_port, timeout_ms,
// setup_timeout_ms, max_sessions, max_sessions_per_source, max_pending,
// max_pending_per_source, kernel_timestamps. Errors: HostError::kConfig, naming the key.
host::HStatus parse_config_toml(const std::string& text, const std::string& base_dir,
                                LandmarkConfig* out);

// Counters (read by other threads while serve() runs).
struct ServerStats {
  size_t ok = 0, failed = 0;     // sessions finished
  size_t busy = 0;               // set-up refused: session caps
  size_t refused = 0;            // connections closed at once: pending caps
  size_t setup_timeouts = 0;     // connections closed: no complete "setup" in time
  size_t kernel_timestamps = 0;  // rounds timed by a kernel receive timestamp
  size_t user_timestamps = 0;    // rounds timed by the session's own clock (fallback)
};

class Server {
 public:
  Server(const LandmarkConfig& cfg, const crypto::P256PrivateKey& key);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds both sockets (ports 0 -> free ports) and raises RLIMIT_NOFILE to its hard limit.
  // Errors: LocationError::kBadConfig (listen address), LandmarkError::kNetwork (bind, listen).
  host::HStatus start();
  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t udp_port() const { return udp_port_; }
  // Serves sessions until *stop becomes true (checked at least every 200 ms) or max_sessions
  // (0 = unlimited) were started; then waits for the running ones. Each session's outcome is
  // logged as one JSON line on stderr when log is true.
  void serve(const std::atomic<bool>* stop, size_t max_sessions = 0, bool log = true);
  // Counted after each session's connection is closed (another thread may read them).
  size_t sessions_ok() const;
  size_t sessions_failed() const;
  // Waits until at least n sessions were counted OK (a completion signal, no polling); false
  // when timeout_ms passed first.
  bool wait_sessions_ok(size_t n, int timeout_ms) const;
  ServerStats stats() const;
  // The landmark's metrics in the Prometheus text format (docs/operator-guide.md "Metrics");
  // served by MetricsHttp (metrics_http.h) when `--metrics-listen` is given.
  std::string metrics_text() const;

  struct Impl;

 private:
  LandmarkConfig cfg_;
  crypto::P256PrivateKey key_;
  int tcp_fd_ = -1, udp_fd_ = -1;
  uint16_t tcp_port_ = 0, udp_port_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace locus::landmark
