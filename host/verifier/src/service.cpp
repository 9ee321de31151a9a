// HTTP front of the verifier (cpp-httplib).
#include "locus/verifier/service.h"

#include <httplib.h>

#include <mutex>

namespace locus::verifier {

using json = nlohmann::json;
using host::HostError;

struct HttpService::Impl {
  httplib::Server srv;
  std::mutex mu;  // appraisal is serialised: decisions and counters are ordered per verifier
};

namespace {

std::string err_body(const std::string& e) { return json{{"error", e}}.dump(); }

int status_for(HostError e) {
  switch (e) {
    case HostError::kNotFound: return 404;
    case HostError::kParse:
    case HostError::kUsage: return 400;
    default: return 500;
  }
}

bool get_hex(const json& j, const char* k, size_t want, host::Bytes* out, std::string* err) {
  if (!j.contains(k) || !j[k].is_string()) { *err = std::string("missing or non-string field '") + k + "'"; return false; }
  auto b = host::hex_decode(j[k].get<std::string>());
  if (!b.ok() || (want && b.value().size() != want)) { *err = std::string("field '") + k + "' must be " + std::to_string(want) + " bytes of hex"; return false; }
  *out = b.take();
  return true;
}

bool get_b64(const json& j, const char* k, host::Bytes* out, std::string* err) {
  if (!j.contains(k) || !j[k].is_string()) { *err = std::string("missing or non-string field '") + k + "'"; return false; }
  auto b = host::b64_decode(j[k].get<std::string>());
  if (!b.ok()) { *err = std::string("field '") + k + "': " + b.message(); return false; }
  *out = b.take();
  return true;
}

}  // namespace

HttpService::HttpService(Verifier* v) : impl_(new Impl), v_(v) {
  auto& s = impl_->srv;
  s.set_payload_max_length(1u << 20);
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  s.Get("/v1/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(json{{"status", "ok"}, {"version", kVersion}}.dump(), "application/json");
  });
  s.Post("/v1/nonce", [this](const httplib::Request& req, httplib::Response& res) {
    std::string out;
    res.status = handle_nonce(req.body, &out);
    res.set_content(out, "application/json");
  });
  s.Post("/v1/attest", [this](const httplib::Request& req, httplib::Response& res) {
    std::string out;
    res.status = handle_attest(req.body, &out);
    res.set_content(out, "application/json");
  });
  s.Get("/v1/landmarks/required", [this](const httplib::Request& req, httplib::Response& res) {
    std::string out;
    res.status = handle_required(req.get_param_value("ueid"), &out);
    res.set_content(out, "application/json");
  });
  s.Get("/v1/quote-policy", [this](const httplib::Request& req, httplib::Response& res) {
    std::string out;
    res.status = handle_quote_policy(req.get_param_value("ueid"), &out);
    res.set_content(out, "application/json");
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(err_body("internal error"), "application/json");
  });
}

HttpService::~HttpService() = default;

int HttpService::handle_nonce(const std::string& body, std::string* out) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) { *out = err_body("body is not a JSON object"); return 400; }
  host::Bytes ueid;
  std::string e;
  if (!get_hex(j, "ueid", 33, &ueid, &e)) { *out = err_body(e); return 400; }
  auto n = v_->issue_nonce(ueid);
  if (!n.ok()) {
    *out = err_body(n.code() == HostError::kNotFound ? "unknown device" : n.message());
    return status_for(n.code());
  }
  *out = json{{"nonce", host::b64_encode(n.value().nonce)}, {"expires_in_s", n.value().expires_in_s}}.dump();
  return 200;
}

int HttpService::handle_attest(const std::string& body, std::string* out) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) { *out = err_body("body is not a JSON object"); return 400; }
  AttestRequest r;
  std::string e;
  if (!get_hex(j, "ueid", 33, &r.ueid, &e) || !get_b64(j, "nonce", &r.nonce, &e) || !get_b64(j, "evidence", &r.evidence, &e)) {
    *out = err_body(e);
    return 400;
  }
  if (r.nonce.size() < 16 || r.nonce.size() > 64) { *out = err_body("nonce must be 16..64 bytes"); return 400; }
  if (j.contains("landmark_records") && !j["landmark_records"].is_null()) {
    const json& lr = j["landmark_records"];
    if (!lr.is_array() || lr.size() > 32) { *out = err_body("landmark_records must be an array (at most 32)"); return 400; }
    for (const auto& p : lr) {
      LandmarkPair lp;
      if (!p.is_object() || !get_b64(p, "record", &lp.record, &e) || !get_b64(p, "transcript", &lp.transcript, &e)) {
        *out = err_body(e.empty() ? "landmark_records entries must be objects" : "landmark_records: " + e);
        return 400;
      }
      r.landmarks.push_back(std::move(lp));
    }
  }
  if (j.contains("tpm")) r.tpm = j["tpm"];
  AttestResult res;
  {
    std::lock_guard<std::mutex> g(impl_->mu);
    res = v_->attest(r);
  }
  json o = {{"decision", res.decision}, {"license", nullptr}};
  if (res.affirming && !res.license.empty()) o["license"] = host::b64_encode(res.license);
  host::log(host::LogLevel::kInfo, "decision",
            json{{"ueid", host::hex_encode(r.ueid)}, {"status", res.decision.value("status", "")},
                 {"decision_id", res.decision_id}, {"reason", res.first_failure()}}.dump());
  *out = o.dump();
  return 200;
}

int HttpService::handle_required(const std::string& ueid_hex, std::string* out) {
  auto u = host::hex_decode(ueid_hex);
  if (!u.ok() || u.value().size() != 33) { *out = err_body("query parameter 'ueid' must be 33 bytes of hex"); return 400; }
  auto r = v_->required_landmarks(u.value());
  if (!r.ok()) { *out = err_body(r.code() == HostError::kNotFound ? r.message() : "internal error"); return status_for(r.code()); }
  *out = r.value().dump();
  return 200;
}

int HttpService::handle_quote_policy(const std::string& ueid_hex, std::string* out) {
  auto u = host::hex_decode(ueid_hex);
  if (!u.ok() || u.value().size() != 33) { *out = err_body("query parameter 'ueid' must be 33 bytes of hex"); return 400; }
  auto r = v_->quote_policy(u.value());
  if (!r.ok()) { *out = err_body(r.code() == HostError::kNotFound ? r.message() : "internal error"); return status_for(r.code()); }
  *out = r.value().dump();
  return 200;
}

HostResult<int> HttpService::bind(const std::string& hostaddr, int port) {
  if (port == 0) {
    int p = impl_->srv.bind_to_any_port(hostaddr);
    if (p <= 0) return {HostError::kNetwork, "cannot bind " + hostaddr};
    return p;
  }
  if (!impl_->srv.bind_to_port(hostaddr, port)) return {HostError::kNetwork, "cannot bind " + hostaddr + ":" + std::to_string(port)};
  return port;
}

HStatus HttpService::run() {
  if (!impl_->srv.listen_after_bind()) return {HostError::kNetwork, "server stopped with an error"};
  return HStatus::Ok();
}

void HttpService::stop() { impl_->srv.stop(); }

}  // namespace locus::verifier
