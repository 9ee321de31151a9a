// locus/verifier/service.h: the verifier's HTTP API (docs/protocol.md "Agent ↔ verifier: HTTP
// API") on Boost.Beast/Asio, plain HTTP or HTTPS (OpenSSL). JSON bodies; binary fields base64
// (standard, padded); UEIDs hex.
//   GET  /v1/health, POST /v1/nonce, POST /v1/attest,
//   GET  /v1/landmarks/required?ueid=, GET /v1/quote-policy?ueid=, GET /v1/ear-key,
//   GET  /metrics (Prometheus text), GET /fleet + POST /fleet/login (operator token only)
// POST /v1/attest answers {"decision", "license", "ear"} (ear: the signed EAR JWT, ear.h).
// Malformed requests get 4xx {"error": "<specific>"}; a "no" from appraisal is a 200 with a
// "contraindicated" decision and "license": null. A full work queue is 503 with Retry-After.
//
// Why it holds up against slow and idle clients (docs/verifier-server.md): one event-driven
// I/O thread owns every socket (an idle connection costs a file descriptor, not a thread);
// every read has a deadline (idle wait, whole header, whole body); connections are capped in
// total and per source address; bodies are capped per route at the largest legal request;
// handlers run on a pool of workers fed by a bounded queue that is served round-robin across
// source addresses, so one flooding source cannot starve another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "locus/verifier/verifier.h"

namespace locus::verifier {

constexpr char kVersion[] = "0.1.0";

// The largest legal request bodies (docs/protocol.md): POST /v1/attest carries at most 32
// landmark pairs (record and transcript each fit one 3072-byte frame payload), one evidence
// object (one frame payload), a nonce of at most 64 bytes and a TPM quote object; everything
// binary is base64 (4/3). POST /v1/nonce carries one 33-byte UEID.
constexpr size_t kMaxNonceBody = 1024;
constexpr size_t kMaxAttestBody = size_t{300} * 1024;

struct ServiceOptions {
  // Listen backlog (the kernel caps it at net.core.somaxconn). cpp-httplib's 5 dropped SYNs at
  // 32 boards in flight.
  int backlog = 4096;
  // Open connections at most, in total and from one source address. Beyond the caps a new
  // connection is accepted and closed at once. The total is lowered to fit RLIMIT_NOFILE.
  size_t max_connections = 4096;
  size_t max_per_source = 64;
  // Deadlines: for the first byte of a request on an idle connection, for the whole header
  // once it started, for the whole body once the header is in, for writing the response, and
  // for the TLS handshake.
  int idle_timeout_ms = 30000;
  int header_timeout_ms = 5000;
  int body_timeout_ms = 10000;
  int write_timeout_ms = 10000;
  int handshake_timeout_ms = 5000;
  // Bounded work queue: requests waiting for a worker, in total and per source address. A
  // request beyond either bound is answered 503 at once.
  size_t queue_depth = 512;
  size_t queue_per_source = 16;
  // Requests per second from one source address (token bucket, burst = 2 s worth); beyond it
  // 429 with Retry-After, answered on the I/O thread without touching a worker. A nonce flood
  // costs the verifier a parse and a counter per request. 0: no limit.
  double rate_per_source = 200;
  // Worker threads running the handlers (0: four per core, so that the cores keep appraising
  // while decisions wait for their commit, and concurrent commits group; docs/verifier-server.md).
  unsigned workers = 0;
  // HTTPS: server certificate chain and key (PEM); both empty = plain HTTP. With
  // tls_client_ca set, every client must present a certificate issued by that CA.
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
  // The operator token for the fleet page (GET /fleet, POST /fleet/login); empty: the fleet
  // page does not exist (404). See fleet_page.h and load_operator_token().
  std::string operator_token;
};

// Reads an operator token file: one line of 16..256 characters from [A-Za-z0-9._~-] (it
// travels in an Authorization header and a cookie), a trailing newline allowed. kConfig with
// the reason otherwise.
HostResult<std::string> load_operator_token(const std::string& path);

// Counters for tests and benchmarks (read while the server runs).
struct ServiceStats {
  uint64_t accepted = 0;        // connections accepted and kept
  uint64_t refused_total = 0;   // closed at once: total cap
  uint64_t refused_source = 0;  // closed at once: per-source cap
  uint64_t timed_out = 0;       // closed by a deadline
  uint64_t requests = 0;        // requests answered
  uint64_t busy = 0;            // answered 503 (queue full)
  uint64_t rate_limited = 0;    // answered 429 (per-source rate)
  uint64_t open = 0;            // connections open now
};

class HttpService {
 public:
  explicit HttpService(Verifier* v, ServiceOptions opt = {});
  ~HttpService();
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  // Loads the TLS material (when configured) and binds host:port (port 0: the kernel picks
  // one). Returns the bound port or an error.
  HostResult<int> bind(const std::string& host, int port);
  // Serves until stop() (callable from any thread). Blocking.
  HStatus run();
  void stop();
  ServiceStats stats() const;
  const ServiceOptions& options() const;

  // The request handlers, callable without a socket (unit tests). Returns HTTP status and
  // writes the JSON body. Safe to call from several threads at once.
  // source: the client's address (nonces are evicted per board and source, verifier.h).
  int handle_nonce(const std::string& body, std::string* out, const std::string& source = "");
  int handle_attest(const std::string& body, std::string* out);
  int handle_required(const std::string& ueid_hex, std::string* out);
  int handle_quote_policy(const std::string& ueid_hex, std::string* out);
  // GET /v1/ear-key: {"alg", "kid", "jwk", "pem"} of the EAR signing key.
  std::string ear_key_body() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  Verifier* v_;
};

}  // namespace locus::verifier
