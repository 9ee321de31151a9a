// locus/verifier/service.h: the verifier's HTTP API (docs/protocol.md "Agent ↔ verifier: HTTP API") on
// cpp-httplib. JSON bodies; binary fields base64 (standard, padded); UEIDs hex.
//   GET  /v1/health, POST /v1/nonce, POST /v1/attest,
//   GET  /v1/landmarks/required?ueid=, GET /v1/quote-policy?ueid=
// Malformed requests get 4xx {"error": "<specific>"}; a "no" from appraisal is a 200 with a
// "contraindicated" decision and "license": null.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "locus/verifier/verifier.h"

namespace locus::verifier {

constexpr char kVersion[] = "0.1.0";

class HttpService {
 public:
  explicit HttpService(Verifier* v);
  ~HttpService();
  // Binds host:port (port 0: the kernel picks one). Returns the bound port or an error.
  HostResult<int> bind(const std::string& host, int port);
  // Serves until stop() (from another thread or a signal-safe path). Blocking.
  HStatus run();
  void stop();

  // The request handlers, callable without a socket (unit tests). Returns HTTP status and
  // writes the JSON body.
  int handle_nonce(const std::string& body, std::string* out);
  int handle_attest(const std::string& body, std::string* out);
  int handle_required(const std::string& ueid_hex, std::string* out);
  int handle_quote_policy(const std::string& ueid_hex, std::string* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Verifier* v_;
};

}  // namespace locus::verifier
