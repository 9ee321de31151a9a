// `locus verifier ...`: the HTTP verifier service, revocation, policy check, decisions.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.h"
#include "locus/audit/audit.h"
#include "locus/common/json_read.h"
#include "locus/common/keys.h"
#include "locus/registry/registry.h"
#include "locus/verifier/ear.h"
#include "locus/verifier/policy.h"
#include "locus/verifier/service.h"
#include "locus/verifier/verifier.h"

namespace {
using json = nlohmann::json;
using locus::cli::fail;
using locus::host::HostError;
namespace ver = locus::verifier;

struct VerOpts {
  std::string policy, db = "locus.db", ca = "ca.pem", license_key = "license.key",
                      listen = "127.0.0.1:0";
  std::string audit_log, ueid, serial, reason = "revoked by operator";
  std::string operator_token_file;
  int64_t limit = 50;
  ver::ServiceOptions svc;
  std::string audit_path() const { return audit_log.empty() ? db + ".audit.jsonl" : audit_log; }
};

bool split_listen(const std::string& s, std::string* host, int* port) {
  size_t c = s.rfind(':');
  if (c == std::string::npos || c == 0) return false;
  *host = s.substr(0, c);
  try {
    size_t used = 0;
    int p = std::stoi(s.substr(c + 1), &used);
    if (used != s.size() - c - 1 || p < 0 || p > 65535) return false;
    *port = p;
  } catch (...) {
    return false;
  }
  return true;
}

void serve(const VerOpts& o, CliContext& ctx) {
  std::string host;
  int port = 0;
  if (!split_listen(o.listen, &host, &port))
    fail(ctx, HostError::kUsage, "--listen wants HOST:PORT, got '" + o.listen + "'");
  auto pol = ver::load_policy(o.policy);
  if (!pol.ok()) fail(ctx, pol.error());
  auto keys = ver::load_keys(o.ca, o.license_key);
  if (!keys.ok()) fail(ctx, keys.error());
  if (locus::registry::is_postgres_url(o.db) && o.audit_log.empty())
    fail(ctx, HostError::kUsage,
         "--db is a PostgreSQL URL: pass --audit-log FILE (one per replica)");
  auto reg = locus::registry::open(o.db);
  if (!reg.ok()) fail(ctx, reg.error());
  locus::audit::AuditLog log(o.audit_path(), reg.value().get());
  auto v = ver::Verifier::create(pol.take(), reg.value().get(), &log, keys.value());
  if (!v.ok()) fail(ctx, v.error());
  auto ts = v.value()->enable_tpm(o.db);
  if (!ts.ok()) fail(ctx, ts.error());
  ver::ServiceOptions so = o.svc;
  if (!o.operator_token_file.empty()) {
    auto tok = ver::load_operator_token(o.operator_token_file);
    if (!tok.ok()) fail(ctx, tok.error());
    so.operator_token = tok.take();
  }
  ver::HttpService svc(v.value().get(), so);
  // Signals are taken by a dedicated thread (sigwait) that stops the server cleanly.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  (void)signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an error on its socket, not a signal
  auto bound = svc.bind(host, port);
  if (!bound.ok()) fail(ctx, bound.error());
  std::thread sig([&svc, set]() {
    int s = 0;
    sigwait(&set, &s);
    svc.stop();
  });
  locus::host::log(locus::host::LogLevel::kInfo, "verifier_started",
                   json{{"listen", host + ":" + std::to_string(bound.value())},
                        {"policy", o.policy},
                        {"db", o.db},
                        {"audit_log", o.audit_path()},
                        {"tls", !so.tls_cert_file.empty()},
                        {"client_certs", !so.tls_client_ca_file.empty()},
                        {"fleet_page", !so.operator_token.empty()},
                        {"max_connections", svc.options().max_connections},
                        {"max_per_source", so.max_per_source}}
                       .dump());
  std::printf("listening on %s:%d\n", host.c_str(), bound.value());
  (void)std::fflush(stdout);
  auto r = svc.run();
  // Wake the signal thread if the server ended for another reason. SIGTERM is blocked and
  // the thread waits for it in sigwait(): it is delivered as a wake-up, not as a kill.
  // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread): a sigwait() wake-up (above), not a kill
  pthread_kill(sig.native_handle(), SIGTERM);
  sig.join();
  if (!r.ok()) fail(ctx, r.error());
  locus::host::log(locus::host::LogLevel::kInfo, "verifier_stopped");
}
}  // namespace

void register_verifier_commands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<VerOpts>();
  CLI::App* v = app.add_subcommand(
      "verifier", "Appraise evidence against policy and issue interconnect licenses");
  v->require_subcommand(1);

  CLI::App* s = v->add_subcommand(
      "serve", "Run the verifier HTTP service (prints 'listening on HOST:PORT' when ready)");
  s->add_option("--policy", o->policy, "Policy file (TOML)")->required();
  s->add_option("--db", o->db, "Registry: SQLite file or postgresql:// URL")->capture_default_str();
  s->add_option("--ca", o->ca, "Manufacturer root CA certificate (PEM)")->capture_default_str();
  s->add_option("--license-key", o->license_key, "License-signing private key (PEM)")
      ->capture_default_str();
  s->add_option("--listen", o->listen, "HOST:PORT to listen on (PORT 0: any free port)")
      ->capture_default_str();
  s->add_option("--audit-log", o->audit_log, "Audit log (default: <db>.audit.jsonl)");
  auto& so = o->svc;
  s->add_option("--tls-cert", so.tls_cert_file,
                "HTTPS: server certificate chain (PEM); plain HTTP without");
  s->add_option("--tls-key", so.tls_key_file, "HTTPS: server private key (PEM)");
  s->add_option("--tls-client-ca", so.tls_client_ca_file,
                "HTTPS: require client certificates issued by this CA (PEM)");
  s->add_option("--max-connections", so.max_connections,
                "Open connections at most (lowered to fit RLIMIT_NOFILE)")
      ->capture_default_str()
      ->check(CLI::Range(size_t(1), size_t(1) << 20));
  s->add_option("--max-per-source", so.max_per_source, "Open connections at most from one address")
      ->capture_default_str()
      ->check(CLI::Range(size_t(1), size_t(1) << 20));
  s->add_option("--backlog", so.backlog, "Listen backlog")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  s->add_option("--queue-depth", so.queue_depth,
                "Requests waiting for a worker at most (beyond: 503)")
      ->capture_default_str()
      ->check(CLI::Range(size_t(1), size_t(1) << 20));
  s->add_option("--queue-per-source", so.queue_per_source,
                "Requests waiting at most from one address")
      ->capture_default_str()
      ->check(CLI::Range(size_t(1), size_t(1) << 20));
  s->add_option("--header-timeout-ms", so.header_timeout_ms, "Whole request header within this")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  s->add_option("--body-timeout-ms", so.body_timeout_ms, "Whole request body within this")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  s->add_option("--idle-timeout-ms", so.idle_timeout_ms, "Close a connection idle this long")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  s->add_option("--rate-per-source", so.rate_per_source,
                "Requests per second from one address (burst: 2 s worth; beyond: 429); 0: no limit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  s->add_option("--operator-token-file", o->operator_token_file,
                "Serve the read-only fleet page (GET /fleet) to holders of this token (one line, "
                "16..256 of A-Z a-z 0-9 . _ ~ -); without it there is no fleet page");
  s->add_option("--workers", so.workers,
                "Handler threads (0: four per core: while one waits for the disk, the others "
                "appraise, and the waiting decisions share one commit)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 256u));
  s->callback([o, &ctx]() { serve(*o, ctx); });

  CLI::App* rv = v->add_subcommand(
      "revoke", "Revoke a device (by UEID) or a DeviceID certificate (by serial)");
  rv->add_option("--ueid", o->ueid, "UEID (66 hex digits)");
  rv->add_option("--serial", o->serial, "DeviceID certificate serial (hex)");
  rv->add_option("--reason", o->reason, "Reason, recorded in the registry and the audit log")
      ->capture_default_str();
  rv->add_option("--db", o->db, "Registry database")->capture_default_str();
  rv->add_option("--audit-log", o->audit_log, "Audit log (default: <db>.audit.jsonl)");
  rv->callback([o, &ctx]() {
    if (o->ueid.empty() == o->serial.empty())
      fail(ctx, HostError::kUsage, "give exactly one of --ueid or --serial");
    auto reg = locus::registry::open(o->db);
    if (!reg.ok()) fail(ctx, reg.error());
    locus::audit::AuditLog log(o->audit_path(), reg.value().get());
    locus::host::HStatus st;
    json out;
    if (!o->ueid.empty()) {
      auto u = locus::host::hex_decode(o->ueid);
      if (!u.ok() || u.value().size() != 33)
        fail(ctx, HostError::kUsage, "--ueid must be 66 hex digits");
      st = reg.value()->revoke_ueid(u.value(), o->reason);
      out = {{"revoked_ueid", locus::host::hex_encode(u.value())}, {"reason", o->reason}};
      if (st.ok()) {
        auto a = log.append("revoke", out.dump());
        if (!a.ok()) st = a.status();
      }
    } else {
      auto sb = locus::host::hex_decode(o->serial);
      if (!sb.ok() || sb.value().empty() || sb.value().size() > 20)
        fail(ctx, HostError::kUsage, "--serial must be 1..20 bytes of hex");
      std::string serial = locus::host::hex_encode(sb.value());
      st = reg.value()->revoke_serial(serial, o->reason);
      out = {{"revoked_serial", serial}, {"reason", o->reason}};
      if (st.ok()) {
        auto a = log.append("revoke", out.dump());
        if (!a.ok()) st = a.status();
      }
    }
    if (!st.ok()) fail(ctx, st.error());
    locus::cli::emit(ctx, out.dump(), "revoked: " + out.dump());
  });

  CLI::App* cp = v->add_subcommand(
      "check-policy", "Parse and check a policy file (errors name file, line and key)");
  cp->add_option("--policy", o->policy, "Policy file (TOML)")->required();
  cp->callback([o, &ctx]() {
    auto p = ver::load_policy(o->policy);
    if (!p.ok()) fail(ctx, p.error());
    json sites = json::array(), hws = json::array();
    for (auto& [k, sp] : p.value().sites)
      sites.push_back({{"site", k}, {"landmarks", sp.landmarks}, {"zones", sp.zones.size()}});
    for (auto& [k, hp] : p.value().hwmodels)
      hws.push_back({{"hwmodel", k}, {"fwids", hp.fwids.size()}, {"min_svn", hp.min_svn}});
    locus::cli::emit(ctx, json{{"ok", true}, {"sites", sites}, {"hwmodels", hws}}.dump(),
                     o->policy + ": OK (" + std::to_string(sites.size()) + " sites, " +
                         std::to_string(hws.size()) + " hardware models)");
  });

  CLI::App* dc = v->add_subcommand("decisions", "List recorded decisions");
  dc->add_option("--db", o->db, "Registry database")->capture_default_str();
  dc->add_option("--limit", o->limit, "The newest N decisions, oldest first (-1: all)")
      ->capture_default_str();
  dc->callback([o, &ctx]() {
    // Read-only: a listing neither migrates the registry nor creates a file for a mistyped
    // --db (it used to open read-write, create an empty registry and say "no decisions").
    auto reg = locus::registry::open_read_only(o->db);
    if (!reg.ok()) fail(ctx, reg.error());
    // One decision as its JSON (the stored text if it does not parse) and its human line.
    auto describe = [](const locus::registry::Decision& x, json* out, std::string* line) {
      json j = locus::host::parse_json(x.decision_json);
      *out = j.is_discarded() ? json(x.decision_json) : j;
      std::string why;
      if (!j.is_discarded() && j.contains("checks"))
        for (const auto& c : j["checks"])
          if (!c.value("pass", false)) {
            why = c.value("name", "") + ": " + c.value("reason", "");
            break;
          }
      *line = "#" + std::to_string(x.id) + "  " + locus::host::hex_encode(x.ueid).substr(0, 18) +
              "...  " + x.status + (why.empty() ? "" : "  (" + why + ")") + "\n";
    };
    if (o->limit < 0) {
      // The whole history, printed as it is read a page at a time (registry::
      // for_each_decision): memory stays bounded however long it is. An error part-way ends
      // the output where it is, with the error on stderr and a non-zero exit.
      size_t n = 0;
      if (ctx.json) (void)std::fputs("[", stdout);
      locus::host::HStatus read = locus::registry::for_each_decision(
          *reg.value(), 0,
          [&](const locus::registry::Decision& x)
              -> locus::host::HostResult<locus::registry::Visit> {
            json j;
            std::string line;
            describe(x, &j, &line);
            if (ctx.json)
              (void)std::printf("%s%s", n == 0 ? "" : ",", j.dump().c_str());
            else
              (void)std::fputs(line.c_str(), stdout);
            ++n;
            return locus::registry::Visit::kNext;
          });
      if (!read.ok()) {
        (void)std::fputs("\n", stdout);
        (void)std::fflush(stdout);
        fail(ctx, read.error());
      }
      if (ctx.json) (void)std::fputs("]\n", stdout);
      if (!ctx.json && n == 0) (void)std::fputs("no decisions\n", stdout);
      (void)std::fflush(stdout);
      return;
    }
    auto d = reg.value()->list_decisions(o->limit);
    if (!d.ok()) fail(ctx, d.error());
    json arr = json::array();
    std::string human;
    for (const auto& x : d.value()) {
      json j;
      std::string line;
      describe(x, &j, &line);
      arr.push_back(std::move(j));
      human += line;
    }
    locus::cli::emit(ctx, arr.dump(), human.empty() ? "no decisions" : human);
  });

  CLI::App* ek = v->add_subcommand(
      "ear-key",
      "Print the public key that verifies this verifier's EAR tokens (PEM; --json: JWK too)");
  ek->add_option("--license-key", o->license_key,
                 "License-signing private key (PEM); the EAR key is derived from it")
      ->capture_default_str();
  ek->callback([o, &ctx]() {
    auto kp = locus::host::read_text_file(o->license_key, 1u << 16);
    if (!kp.ok()) fail(ctx, HostError::kConfig, kp.message());
    locus::crypto::P256PrivateKey lk, ek_priv;
    auto ls = locus::host::private_key_from_pem(kp.value(), &lk);
    if (!ls.ok()) fail(ctx, HostError::kConfig, o->license_key + ": " + ls.message());
    auto d = ver::derive_ear_key(lk, &ek_priv);
    if (!d.ok()) fail(ctx, d.error());
    locus::crypto::P256PublicKey pub;
    if (!locus::crypto::p256_public_key(ek_priv, &pub).ok())
      fail(ctx, HostError::kInternal, "EAR public key");
    auto pem = locus::host::public_key_to_pem(pub);
    if (!pem.ok()) fail(ctx, pem.error());
    locus::cli::emit(ctx,
                     json{{"alg", "ES256"},
                          {"kid", ver::ear_key_id(pub)},
                          {"jwk", ver::ear_public_jwk(pub)},
                          {"pem", pem.value()}}
                         .dump(),
                     pem.value());
  });

  register_explain_command(*v, ctx);
}
