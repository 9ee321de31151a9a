// The host agent: attestation, renewal and backoff (see agent.h).
#include "locus/agent/agent.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "locus/agent/link_board.h"
#include "locus/common/json_read.h"
#include "locus/landmark/client.h"
#include "locus/tpm/esapi.h"
#include "locus/tpm/quote_json.h"

namespace locus::agent {

using boardlink::Identity;
using boardlink::Link;
using boardlink::status_code_hex;
using host::Bytes;
using host::HostError;
using host::HostResult;
using host::HStatus;
using host::LogLevel;
using json = nlohmann::json;

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::kFull: return "full";
    case Outcome::kRefused: return "refused";
    case Outcome::kIoError: return "io_error";
    case Outcome::kConfig: return "config_error";
    default: return "unknown";
  }
}

std::string decision_summary(const json& d) {
  if (!d.is_object()) return "no decision";
  std::string status = d.value("status", std::string("?"));
  std::string out = status;
  if (d.contains("decision_id") && d["decision_id"].is_number_integer())
    out += " (decision #" + std::to_string(d["decision_id"].get<int64_t>()) + ")";
  if (status != "affirming" && d.contains("checks") && d["checks"].is_array()) {
    for (const auto& c : d["checks"]) {
      if (c.is_object() && c.contains("pass") && c["pass"].is_boolean() && !c["pass"].get<bool>()) {
        out += ": " + c.value("name", std::string("?")) + ": " + c.value("reason", std::string(""));
        break;
      }
    }
  }
  return out;
}

json status_json(const protocol::StatusInfo& s) {
  return json{{"mode", s.mode == protocol::kModeFull ? "FULL" : "RESTRICTED"},
              {"mode_code", s.mode},
              {"lease_remaining_ms", s.lease_remaining_ms},
              {"license_counter", s.license_counter},
              {"boot_count", s.boot_count},
              {"svn", s.svn},
              {"min_svn", s.min_svn},
              {"has_devid_cert", s.has_devid_cert},
              {"has_verifier_key", s.has_verifier_key},
              {"storage", s.storage == protocol::kStorageOk          ? "ok"
                          : s.storage == protocol::kStorageRecovered ? "recovered"
                                                                     : "fault"}};
}

std::string status_line(const protocol::StatusInfo& s) {
  char b[256];
  if (s.mode == protocol::kModeFull) {
    (void)std::snprintf(b, sizeof b, "mode FULL, lease %.1f s left, license #%llu, boot %u, svn %u",
                        static_cast<double>(s.lease_remaining_ms) / 1000.0,
                        static_cast<unsigned long long>(s.license_counter), s.boot_count, s.svn);
  } else {
    (void)std::snprintf(b, sizeof b, "mode RESTRICTED, last license #%llu, boot %u, svn %u, %s, %s",
                        static_cast<unsigned long long>(s.license_counter), s.boot_count, s.svn,
                        s.has_devid_cert ? "DeviceID certified" : "DeviceID NOT certified",
                        s.has_verifier_key ? "verifier key installed" : "NO verifier key");
  }
  std::string line = b;
  // DESIGN §5a: an operator must see a storage problem without asking for it.
  if (s.storage == protocol::kStorageRecovered)
    line += ", storage RECOVERED (one journal copy was invalid)";
  if (s.storage == protocol::kStorageFault)
    line += ", storage FAULT (board stays RESTRICTED until serviced)";
  return line;
}

int64_t Agent::backoff_ms(int failures, int64_t min_ms, int64_t max_ms, uint64_t random) {
  if (min_ms < 1) min_ms = 1;
  if (max_ms < min_ms) max_ms = min_ms;
  int64_t d = min_ms;
  for (int i = 1; i < failures && d < max_ms; i++) d = d > max_ms / 2 ? max_ms : d * 2;
  if (d > max_ms) d = max_ms;
  const int64_t half = d / 2;
  return half + static_cast<int64_t>(random % static_cast<uint64_t>(d - half + 1));
}

int64_t Agent::renew_delay_ms(uint64_t lease_remaining_ms, int64_t margin_s) {
  const int64_t rem = static_cast<int64_t>(std::min<uint64_t>(lease_remaining_ms, 86400ull * 1000));
  int64_t margin = margin_s < 0 ? 0 : margin_s * 1000;
  if (margin > rem / 2) margin = rem / 2;
  return rem - margin;
}

int64_t Agent::cap_to_lease(int64_t backoff, int64_t lease_left_ms, int64_t min_ms) {
  if (lease_left_ms <= 0) return backoff;
  const int64_t cap = std::max<int64_t>(min_ms, lease_left_ms / 2);
  return std::min(backoff, cap);
}

namespace {

std::string b64(const Bytes& b) {
  return host::b64_encode(ByteSpan(b.data(), b.size()));
}

}  // namespace

struct Agent::Impl {
  AgentConfig cfg;
  Link link;
  std::unique_ptr<tpm::Tpm> tpm;

  // HTTP helpers: kNetwork when unreachable or 5xx, kRefused for 4xx (the message carries
  // the verifier's "error"), kParse for a body that is not JSON.
  // One keep-alive connection to the verifier for the agent's life (TCP_NODELAY: a request
  // is one or two writes, and a delayed ACK would stall the second). httplib reconnects by
  // itself when the verifier closed an idle connection.
  std::unique_ptr<httplib::Client> cli;

  HStatus http_client() {
    if (cli) return HStatus::Ok();
    const bool https = cfg.verifier.rfind("https://", 0) == 0;
    if (!https && cfg.verifier.rfind("http://", 0) != 0) {
      return {HostError::kConfig, "verifier URL '" + cfg.verifier + "' is not http(s)://HOST:PORT"};
    }
    if (!https &&
        (!cfg.verifier_ca.empty() || !cfg.client_cert.empty() || !cfg.client_key.empty())) {
      return {HostError::kConfig,
              "TLS options (CA, client certificate) need an https:// verifier URL"};
    }
    if (cfg.client_cert.empty() != cfg.client_key.empty()) {
      return {HostError::kConfig, "a client certificate needs its key, and the other way round"};
    }
    auto c = cfg.client_cert.empty()
                 ? std::make_unique<httplib::Client>(cfg.verifier)
                 : std::make_unique<httplib::Client>(cfg.verifier, cfg.client_cert, cfg.client_key);
    if (!c->is_valid())
      return {HostError::kConfig, "verifier URL '" + cfg.verifier +
                                      "' is not http(s)://HOST:PORT (or TLS files unreadable)"};
    const time_t sec = cfg.http_timeout_ms / 1000;
    const time_t usec = static_cast<time_t>(cfg.http_timeout_ms % 1000) * 1000;
    c->set_connection_timeout(sec, usec);
    c->set_read_timeout(sec, usec);
    c->set_write_timeout(sec, usec);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    if (https) {
      if (!cfg.verifier_ca.empty()) c->set_ca_cert_path(cfg.verifier_ca.c_str());
      c->enable_server_certificate_verification(true);
    }
    cli = std::move(c);
    return HStatus::Ok();
  }

  // HTTP helpers: kNetwork when unreachable or 5xx, kRefused for 4xx (the message carries
  // the verifier's "error"), kParse for a body that is not JSON.
  HostResult<json> http(const std::string& method, const std::string& path, const json* body) {
    HStatus cs = http_client();
    if (!cs.ok()) return cs;
    httplib::Result r = method == "GET" ? cli->Get(path)
                                        : cli->Post(path, body != nullptr ? body->dump() : "{}",
                                                    "application/json");
    if (!r) {
      const std::string why = httplib::to_string(r.error());
      cli.reset();  // a fresh connection next time
      return {HostError::kNetwork,
              method + " " + path + ": verifier " + cfg.verifier + " unreachable (" + why + ")"};
    }
    json j = locus::host::parse_json(r->body);
    if (r->status >= 500)
      return {HostError::kNetwork, method + " " + path + ": HTTP " + std::to_string(r->status)};
    if (r->status >= 400) {
      std::string e = j.is_object() && j.contains("error") && j["error"].is_string()
                          ? j["error"].get<std::string>()
                          : r->body.substr(0, 200);
      return {HostError::kRefused,
              method + " " + path + ": HTTP " + std::to_string(r->status) + ": " + e};
    }
    if (r->status != 200 || j.is_discarded() || !j.is_object())
      return {HostError::kParse,
              method + " " + path + ": unexpected answer (HTTP " + std::to_string(r->status) + ")"};
    return j;
  }

  static void fail(AttemptResult* r, Outcome o, const std::string& stage, const std::string& why) {
    r->outcome = o;
    r->stage = stage;
    r->reason = why;
  }
  static Outcome outcome_for(Status e) {
    switch (host::host_error_of(e)) {
      case HostError::kRefused:
      case HostError::kRevoked: return Outcome::kRefused;
      case HostError::kConfig:
      case HostError::kUsage: return Outcome::kConfig;
      default: return Outcome::kIoError;
    }
  }

  // Landmark sessions for the site, bound to the verifier nonce. Failed sessions are logged
  // and left out: the verifier decides whether what remains is enough.
  HStatus landmarks(const Bytes& ueid, const Bytes& nonce, json* records, AttemptResult* res) {
    auto req = http("GET", "/v1/landmarks/required?ueid=" + res->ueid_hex, nullptr);
    if (!req.ok()) return req.status();
    const json& j = req.value();
    if (!j.contains("landmarks") || !j["landmarks"].is_array())
      return {HostError::kParse, "landmarks/required: no 'landmarks' list"};
    if (j["landmarks"].empty()) return HStatus::Ok();
    int rounds = j.value("rounds", 16);
    if (rounds < 1 || rounds > 64)
      return {HostError::kParse, "landmarks/required: rounds out of 1..64"};
    LinkBoard board(&link);
    for (const auto& e : j["landmarks"]) {
      landmark::LandmarkAddress a;
      a.id = e.value("id", std::string());
      a.host = e.value("host", std::string());
      a.tcp_port = static_cast<uint16_t>(e.value("tcp_port", 0));
      a.udp_port = static_cast<uint16_t>(e.value("udp_port", 0));
      if (a.host.empty() || a.tcp_port == 0 || a.udp_port == 0) {
        host::log(
            LogLevel::kWarn, "agent.landmark_skipped",
            json{{"landmark", a.id}, {"reason", "no address in the verifier's trust list"}}.dump());
        continue;
      }
      landmark::SessionOptions opt;
      opt.rounds = static_cast<uint8_t>(rounds);
      opt.timeout_ms = cfg.landmark_timeout_ms;
      landmark::SessionResult sr;
      const int64_t t0 = host::monotonic_ms();
      const host::HStatus s =
          landmark::run_session(a, ByteSpan(nonce.data(), nonce.size()),
                                ByteSpan(ueid.data(), ueid.size()), board, opt, &sr);
      if (!s.ok()) {
        host::log(LogLevel::kWarn, "agent.landmark_failed",
                  json{{"landmark", a.id},
                       {"code", status_code_hex(s.code().code())},
                       {"reason", s.message()}}
                      .dump());
        continue;
      }
      host::log(LogLevel::kInfo, "agent.landmark_session",
                json{{"landmark", a.id},
                     {"rtt_min_ns", sr.rtt_min_ns},
                     {"rounds", rounds},
                     {"ms", host::monotonic_ms() - t0}}
                    .dump());
      records->push_back(
          json{{"record", b64(sr.pair.record)}, {"transcript", b64(sr.pair.transcript)}});
      res->landmark_sessions++;
    }
    return HStatus::Ok();
  }

  // PCRs to quote: --pcrs, else the verifier's quote policy for this board, else 0,1,7.
  std::vector<uint32_t> quote_pcrs(const std::string& ueid_hex) {
    if (!cfg.pcrs.empty()) return cfg.pcrs;
    std::vector<uint32_t> pcrs;
    auto qp = http("GET", "/v1/quote-policy?ueid=" + ueid_hex, nullptr);
    if (qp.ok() && qp.value().contains("pcrs") && qp.value()["pcrs"].is_array()) {
      for (const auto& v : qp.value()["pcrs"]) {
        if (!v.is_number_unsigned() || v.get<uint64_t>() > 23) return {0, 1, 7};
        pcrs.push_back(v.get<uint32_t>());
      }
    }
    if (pcrs.empty()) pcrs = {0, 1, 7};
    return pcrs;
  }

  HStatus quote(const std::string& ueid_hex, const Bytes& nonce, const Bytes& evidence, json* out) {
    const std::vector<uint32_t> pcrs = quote_pcrs(ueid_hex);
    if (!tpm) {
      tpm = std::make_unique<tpm::Tpm>();
      Status s = tpm->open(cfg.tcti);
      if (s.ok()) {
        auto ak = tpm->load_ak(cfg.ak_path);
        if (!ak.ok()) s = ak.status();
      }
      if (!s.ok()) {
        std::string why = "TPM (" + cfg.tcti + ", AK " + cfg.ak_path + "): " + tpm->last_error() +
                          " (" + status_code_hex(s.code()) + ")";
        tpm.reset();
        return {HostError::kIo, why};
      }
    }
    auto q = tpm->quote_evidence(ByteSpan(nonce.data(), nonce.size()),
                                 ByteSpan(evidence.data(), evidence.size()), pcrs);
    if (!q.ok()) {
      std::string why =
          "TPM quote: " + tpm->last_error() + " (" + status_code_hex(q.status().code()) + ")";
      tpm.reset();  // reopen next time (swtpm restarted, TPM reset)
      return {HostError::kIo, why};
    }
    *out = locus::host::parse_json(tpm::quote_to_json(q.value()));
    if (out->is_discarded()) return {HostError::kInternal, "quote JSON"};
    return HStatus::Ok();
  }

  AttemptResult attempt() {
    AttemptResult res;
    const int64_t t0 = host::monotonic_ms();
    link.set_timeout_ms(cfg.link_timeout_ms);
    if (link.spec() != cfg.link) {
      HStatus o = link.open(cfg.link, cfg.link_timeout_ms);
      if (!o.ok()) {
        fail(&res, outcome_for(o.code()), "identity", o.message());
        return res;
      }
    }
    // 1. Who is the board?
    Identity id;
    HStatus s = link.get_identity(&id);
    if (!s.ok()) {
      fail(&res, outcome_for(s.code() == HostError::kRefused ? HostError::kNetwork : s.code()),
           "identity", s.message());
      return res;
    }
    Bytes ueid(id.ueid.begin(), id.ueid.end());
    res.ueid_hex = host::hex_encode(ByteSpan(ueid.data(), ueid.size()));

    // 2. A fresh nonce from the verifier.
    const json nreq = {{"ueid", res.ueid_hex}};
    auto nr = http("POST", "/v1/nonce", &nreq);
    if (!nr.ok()) {
      fail(&res, outcome_for(nr.code()), "nonce", nr.message());
      return res;
    }
    Bytes nonce;
    {
      auto n = nr.value().contains("nonce") && nr.value()["nonce"].is_string()
                   ? host::b64_decode(nr.value()["nonce"].get<std::string>())
                   : HostResult<Bytes>(HostError::kParse, "no nonce");
      if (!n.ok() || n.value().size() < protocol::kMinNonceSize ||
          n.value().size() > protocol::kMaxNonceSize) {
        fail(&res, Outcome::kIoError, "nonce", "verifier sent no usable nonce");
        return res;
      }
      nonce = n.take();
    }

    // 3. Landmarks the site requires, bound to the nonce.
    json records = json::array();
    s = landmarks(ueid, nonce, &records, &res);
    if (!s.ok()) {
      fail(&res, outcome_for(s.code()), "landmarks", s.message());
      return res;
    }

    // 4. Evidence answering the nonce.
    Bytes evidence;
    s = link.get_evidence(ByteSpan(nonce.data(), nonce.size()), &evidence);
    if (!s.ok()) {
      fail(&res, s.code() == HostError::kRefused ? Outcome::kRefused : outcome_for(s.code()),
           "evidence", s.message());
      return res;
    }

    // 5. The host's TPM quote over (nonce, evidence).
    json body = {{"ueid", res.ueid_hex},
                 {"nonce", b64(nonce)},
                 {"evidence", b64(evidence)},
                 {"landmark_records", records}};
    if (!cfg.tcti.empty()) {
      json q;
      s = quote(res.ueid_hex, nonce, evidence, &q);
      if (!s.ok()) {
        fail(&res, s.code() == HostError::kIo ? Outcome::kIoError : outcome_for(s.code()), "tpm",
             s.message());
        return res;
      }
      body["tpm"] = q;
      res.tpm_quoted = true;
    }

    // 6. Appraisal.
    auto ar = http("POST", "/v1/attest", &body);
    if (!ar.ok()) {
      fail(&res, outcome_for(ar.code()), "attest", ar.message());
      return res;
    }
    res.decision = ar.value().contains("decision") ? ar.value()["decision"] : json();
    if (ar.value().contains("ear") && ar.value()["ear"].is_string())
      res.ear = ar.value()["ear"].get<std::string>();
    const json lic = ar.value().contains("license") ? ar.value()["license"] : json();
    host::log(LogLevel::kInfo, "agent.decision",
              json{{"ueid", res.ueid_hex},
                   {"summary", decision_summary(res.decision)},
                   {"landmarks", res.landmark_sessions},
                   {"tpm", res.tpm_quoted}}
                  .dump());
    if (!lic.is_string()) {
      fail(&res, Outcome::kRefused, "attest",
           "verifier refused: " + decision_summary(res.decision));
      read_status(&res);
      return res;
    }

    // 7. The license: the board checks it and switches itself.
    auto lb = host::b64_decode(lic.get<std::string>());
    if (!lb.ok()) {
      fail(&res, Outcome::kIoError, "license", "license is not base64");
      return res;
    }
    protocol::StatusInfo st;
    s = link.apply_license(ByteSpan(lb.value().data(), lb.value().size()), &st);
    if (!s.ok()) {
      fail(&res, s.code() == HostError::kRefused ? Outcome::kRefused : outcome_for(s.code()),
           "license", s.message());
      read_status(&res);
      return res;
    }
    res.have_status = true;
    res.status = st;
    if (st.mode != protocol::kModeFull) {
      fail(&res, Outcome::kRefused, "license", "board accepted the license but reports RESTRICTED");
      return res;
    }
    host::log(LogLevel::kInfo, "agent.license_applied",
              json{{"ueid", res.ueid_hex},
                   {"mode", "FULL"},
                   {"lease_remaining_ms", st.lease_remaining_ms},
                   {"license_counter", st.license_counter},
                   {"ms", host::monotonic_ms() - t0}}
                  .dump());
    res.stage = "license";
    res.outcome = Outcome::kFull;
    return res;
  }

  void read_status(AttemptResult* res) {
    protocol::StatusInfo st;
    if (link.get_status(&st).ok()) {
      res->have_status = true;
      res->status = st;
    }
  }
};

Agent::Agent(AgentConfig cfg) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(cfg);
}
Agent::~Agent() = default;

AttemptResult Agent::attest_once() {
  AttemptResult r = impl_->attempt();
  impl_->link.close();
  if (r.outcome != Outcome::kFull) {
    host::log(r.outcome == Outcome::kRefused ? LogLevel::kWarn : LogLevel::kError,
              "agent.attest_failed",
              json{{"ueid", r.ueid_hex},
                   {"outcome", to_string(r.outcome)},
                   {"stage", r.stage},
                   {"reason", r.reason}}
                  .dump());
  }
  return r;
}

AttemptResult Agent::run(const std::atomic<bool>* stop) {
  AttemptResult last;
  int failures = 0;
  int64_t lease_end_ms = 0;  // monotonic time the last applied lease ends (0: none)
  host::log(LogLevel::kInfo, "agent.started",
            json{{"link", impl_->cfg.link},
                 {"verifier", impl_->cfg.verifier},
                 {"tpm", !impl_->cfg.tcti.empty()},
                 {"renew_margin_s", impl_->cfg.renew_margin_s},
                 {"max_backoff_s", impl_->cfg.max_backoff_s}}
                .dump());
  while (!stop->load()) {
    last = attest_once();
    int64_t delay = 0;
    if (last.outcome == Outcome::kFull) {
      failures = 0;
      lease_end_ms = host::monotonic_ms() + static_cast<int64_t>(std::min<uint64_t>(
                                                last.status.lease_remaining_ms, 86400000ull));
      delay = renew_delay_ms(last.status.lease_remaining_ms, impl_->cfg.renew_margin_s);
      host::log(
          LogLevel::kInfo, "agent.renew_scheduled",
          json{{"in_ms", delay}, {"lease_remaining_ms", last.status.lease_remaining_ms}}.dump());
    } else {
      failures++;
      uint64_t rnd = 0;
      if (!host::os_random(reinterpret_cast<uint8_t*>(&rnd), sizeof rnd))
        rnd = static_cast<uint64_t>(host::monotonic_ms());
      delay = backoff_ms(failures, impl_->cfg.min_backoff_ms, impl_->cfg.max_backoff_s * 1000, rnd);
      delay = cap_to_lease(delay, lease_end_ms - host::monotonic_ms(), impl_->cfg.min_backoff_ms);
      host::log(LogLevel::kWarn, "agent.backoff",
                json{{"failures", failures},
                     {"in_ms", delay},
                     {"stage", last.stage},
                     {"reason", last.reason}}
                    .dump());
    }
    const int64_t until = host::monotonic_ms() + delay;
    while (!stop->load() && host::monotonic_ms() < until) {
      const int64_t left = until - host::monotonic_ms();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, 50)));
    }
  }
  host::log(LogLevel::kInfo, "agent.stopped");
  return last;
}

}  // namespace locus::agent
