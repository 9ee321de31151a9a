// locus/agent/agent.h: the host agent (DESIGN §1, §7): relays the board's evidence to the
// verifier and the verifier's license back, before the lease runs out.
//
// One attestation (attest_once):
//   GET_IDENTITY (UEID) -> POST /v1/nonce -> GET /v1/landmarks/required (when the site needs
//   landmarks: one distance-bounding session per landmark, bound to the verifier nonce)
//   -> GET_EVIDENCE(nonce) -> TPM quote when configured (extraData = SHA-256(nonce ||
//   SHA-256(evidence))) -> POST /v1/attest -> APPLY_LICENSE if a license came back.
// The loop (run) repeats it: after a license, at lease_remaining - margin (margin capped at
// half the lease); after any failure, after an exponential backoff with jitter (1 s, 2 s,
// 4 s ... up to max_backoff, each delay drawn uniformly from [d/2, d]), shortened to half the
// time left while the last lease still runs. The agent holds no
// secret and never makes anything up: when it cannot get a license, the board's own lease
// timer returns it to RESTRICTED.
// Logs: JSON lines through host::log (events "agent.*", docs/agent.md).
#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/boardlink/link.h"
#include "locus/common/common.h"
#include "locus/protocol/messages.h"

namespace locus::agent {

struct AgentConfig {
  std::string link;         // tcp:HOST:PORT or unix:PATH
  std::string verifier;     // http://HOST:PORT or https://HOST:PORT
  std::string verifier_ca;  // https: CA file for the verifier's certificate (empty: system store)
  std::string client_cert,
      client_key;               // https: this agent's client certificate and key (PEM), optional
  std::string tcti;             // empty: no TPM quote (e.g. "swtpm:host=127.0.0.1,port=2321")
  std::string ak_path;          // AK blob file (with tcti)
  std::vector<uint32_t> pcrs;   // empty: ask GET /v1/quote-policy (default 0,1,7)
  int64_t renew_margin_s = 60;  // renew this long before the lease ends (capped at lease/2)
  int64_t min_backoff_ms = 1000;
  int64_t max_backoff_s = 60;
  int link_timeout_ms = 10000;
  int http_timeout_ms = 10000;
  int landmark_timeout_ms = 10000;
};

// How one attestation ended.
enum class Outcome : uint8_t {
  kFull = 1,     // license applied; the board reports FULL
  kRefused = 2,  // the verifier (or the board) said no
  kIoError = 3,  // link, verifier or landmark unreachable / timed out / malformed answer
  kConfig = 4,   // local configuration (TPM, AK file, URL)
};
const char* to_string(Outcome o);

// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 is wrong, no member's move throws
struct AttemptResult {
  Outcome outcome = Outcome::kIoError;  // fails closed: only a checked FULL sets kFull
  std::string
      stage;  // where it ended: identity, nonce, landmarks, evidence, tpm, attest, license, status
  std::string reason;  // human-readable why (empty on kFull)
  std::string ueid_hex;
  nlohmann::json decision;  // the verifier's EAR-like decision (null if none)
  std::string ear;          // the verifier's signed EAR (JWT, ES256) for it ("" if none)
  bool have_status = false;
  protocol::StatusInfo status;   // the board's status after the attempt (when read)
  size_t landmark_sessions = 0;  // landmark records collected
  bool tpm_quoted = false;
};

class Agent {
 public:
  explicit Agent(AgentConfig cfg);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // One attestation. Leaves the link closed afterwards (host-sim and UART bridges serve one
  // client at a time; operators' tools can reach the board between attestations).
  AttemptResult attest_once();

  // Attests until *stop becomes true: renews before lease end, backs off on failure.
  // Returns the last attempt's result.
  AttemptResult run(const std::atomic<bool>* stop);

  // The delay before attempt number `failures` (1-based) fails again: min(min*2^(n-1), max),
  // drawn from [d/2, d]. Exposed for tests.
  static int64_t backoff_ms(int failures, int64_t min_ms, int64_t max_ms, uint64_t random);
  // When to renew after a license with lease_remaining_ms: remaining - min(margin, remaining/2).
  static int64_t renew_delay_ms(uint64_t lease_remaining_ms, int64_t margin_s);
  // A failed renewal while the last lease still runs (lease_left_ms > 0) retries no later
  // than half the time left (but not sooner than min_ms): the board should not drop to
  // RESTRICTED just because the backoff grew past the lease end.
  static int64_t cap_to_lease(int64_t backoff_ms, int64_t lease_left_ms, int64_t min_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-line human summary of a decision: "affirming (decision #3)" or
// "contraindicated (decision #4): fwid: FWID not among the reference values".
std::string decision_summary(const nlohmann::json& decision);

// Status map as JSON / one human line ("mode FULL, lease 59.8 s left, license #1, ...").
nlohmann::json status_json(const protocol::StatusInfo& s);
std::string status_line(const protocol::StatusInfo& s);

}  // namespace locus::agent
