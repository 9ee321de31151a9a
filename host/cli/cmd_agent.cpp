// `locus agent ...`: the host agent (attestation loop, one-shot attestation, board status).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "locus/agent/agent.h"
#include "locus/boardlink/link.h"
#if __has_include("locus/tpm/quote.h")
#include "locus/tpm/quote.h"
#endif

namespace {

using json = nlohmann::json;
using locus::cli::fail;
using locus::host::HostError;
namespace ag = locus::agent;

std::atomic<bool> g_stop{false};
void on_stop_signal(int) {
  g_stop.store(true);
}

struct AgentOpts {
  std::string link, verifier, tcti, ak, pcrs, verifier_ca, client_cert, client_key;
  bool once = false;
  int64_t renew_margin_s = 60, max_backoff_s = 60, min_backoff_ms = 1000;
  int link_timeout_ms = 10000, http_timeout_ms = 10000;
};

std::vector<uint32_t> parse_pcrs(const CliContext& ctx, const std::string& text) {
  std::vector<uint32_t> out;
  if (text.empty()) return out;
#if __has_include("locus/tpm/quote.h")
  auto r = locus::tpm::parse_pcr_list(text);
  if (!r.ok())
    fail(ctx, HostError::kUsage, "--pcrs wants a list like 0,1,7 (each 0..23), got '" + text + "'");
  out = r.value();
#else
  (void)ctx;
#endif
  return out;
}

std::string hex(const uint8_t* p, size_t n) {
  return locus::host::hex_encode(locus::ByteSpan(p, n));
}

void print_result(const CliContext& ctx, const ag::AttemptResult& r) {
  json j = {{"outcome", ag::to_string(r.outcome)},
            {"stage", r.stage},
            {"reason", r.reason},
            {"ueid", r.ueid_hex},
            {"decision", r.decision},
            {"ear", r.ear.empty() ? json() : json(r.ear)},
            {"landmark_sessions", r.landmark_sessions},
            {"tpm_quoted", r.tpm_quoted}};
  if (r.have_status) j["status"] = ag::status_json(r.status);
  std::string human;
  const std::string who =
      r.ueid_hex.empty() ? std::string("board") : "board " + r.ueid_hex.substr(0, 16) + "..";
  if (r.outcome == ag::Outcome::kFull) {
    char b[160];
    (void)std::snprintf(b, sizeof b, "%s: interconnect FULL for %.0f s (license #%llu)",
                        who.c_str(), static_cast<double>(r.status.lease_remaining_ms) / 1000.0,
                        static_cast<unsigned long long>(r.status.license_counter));
    human = b;
  } else {
    human = who + ": " + (r.outcome == ag::Outcome::kRefused ? "REFUSED" : "FAILED") + " at " +
            r.stage + ": " + r.reason;
    if (r.have_status) human += "\n" + who + ": " + ag::status_line(r.status);
  }
  if (!r.decision.is_null()) human += "\ndecision: " + ag::decision_summary(r.decision);
  if (!r.ear.empty()) human += "\nEAR (signed attestation result, JWT): " + r.ear;
  if (r.landmark_sessions > 0)
    human += "\nlandmark sessions: " + std::to_string(r.landmark_sessions);
  if (r.tpm_quoted) human += "\nhost TPM quote: included";
  locus::cli::emit(ctx, j.dump(), human);
}

void run_agent(const AgentOpts& o, CliContext& ctx) {
  // A verifier or board that closes its end must give a write error, not kill the agent
  // (OpenSSL writes to the socket without MSG_NOSIGNAL).
  (void)signal(SIGPIPE, SIG_IGN);
  ag::AgentConfig c;
  c.link = o.link;
  c.verifier = o.verifier;
  c.verifier_ca = o.verifier_ca;
  c.client_cert = o.client_cert;
  c.client_key = o.client_key;
  c.tcti = o.tcti;
  c.ak_path = o.ak;
  c.pcrs = parse_pcrs(ctx, o.pcrs);
  if (!c.tcti.empty() && c.ak_path.empty())
    fail(ctx, HostError::kUsage, "--tcti needs --ak (the AK blob file from `locus tpm ak create`)");
  if (o.renew_margin_s < 0 || o.max_backoff_s < 1 || o.min_backoff_ms < 1)
    fail(ctx, HostError::kUsage,
         "--renew-margin must be >= 0, --max-backoff >= 1, --min-backoff-ms >= 1");
  if (o.verifier.rfind("http://", 0) != 0 && o.verifier.rfind("https://", 0) != 0)
    fail(ctx, HostError::kUsage,
         "--verifier wants http://HOST:PORT or https://HOST:PORT, got '" + o.verifier + "'");
  if (o.verifier.rfind("https://", 0) != 0 &&
      !(o.verifier_ca.empty() && o.client_cert.empty() && o.client_key.empty()))
    fail(ctx, HostError::kUsage,
         "--verifier-ca, --client-cert and --client-key need an https:// verifier");
  if (o.client_cert.empty() != o.client_key.empty())
    fail(ctx, HostError::kUsage, "--client-cert and --client-key go together");
  c.renew_margin_s = o.renew_margin_s;
  c.max_backoff_s = o.max_backoff_s;
  c.min_backoff_ms = o.min_backoff_ms;
  c.link_timeout_ms = o.link_timeout_ms;
  c.http_timeout_ms = o.http_timeout_ms;
  ag::Agent agent(c);

  if (o.once) {  // default signal actions: nothing to clean up, the board keeps its own state
    ag::AttemptResult r = agent.attest_once();
    print_result(ctx, r);
    switch (r.outcome) {
      case ag::Outcome::kFull: ctx.exit_code = 0; break;
      case ag::Outcome::kRefused: ctx.exit_code = 1; break;
      case ag::Outcome::kConfig: ctx.exit_code = 3; break;
      case ag::Outcome::kIoError: ctx.exit_code = 4; break;
      default: ctx.exit_code = 5; break;
    }
    return;
  }
  // Loop mode: SIGINT/SIGTERM end the current wait at once (and the current request within
  // its timeout), then the agent logs agent.stopped and exits 0.
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  ag::AttemptResult last = agent.run(&g_stop);
  (void)last;
  ctx.exit_code = 0;
}

void open_link(const CliContext& ctx, locus::boardlink::Link* link, const std::string& spec) {
  locus::host::HStatus s = link->open(spec, 5000);
  if (!s.ok()) fail(ctx, s.error());
  link->set_timeout_ms(10000);
}

}  // namespace

void register_agent_commands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<AgentOpts>();
  CLI::App* a = app.add_subcommand(
      "agent", "Host agent: relay attestation between board and verifier, keep the license fresh");
  a->require_subcommand(1);

  CLI::App* r = a->add_subcommand(
      "run", "Attest the board and renew its license before the lease ends (until SIGINT/SIGTERM)");
  r->add_option("--link", o->link, "Board link: tcp:HOST:PORT or unix:PATH")->required();
  r->add_option("--verifier", o->verifier,
                "Verifier base URL, http://HOST:PORT or https://HOST:PORT")
      ->required();
  r->add_option("--verifier-ca", o->verifier_ca,
                "https: CA certificate (PEM) the verifier's certificate must chain to")
      ->check(CLI::ExistingFile);
  r->add_option("--client-cert", o->client_cert, "https: this agent's client certificate (PEM)")
      ->check(CLI::ExistingFile);
  r->add_option("--client-key", o->client_key, "https: the client certificate's private key (PEM)")
      ->check(CLI::ExistingFile);
  r->add_option(
      "--tcti", o->tcti,
      "Host TPM (tctildr string, e.g. swtpm:host=127.0.0.1,port=2321); omit for no quote");
  r->add_option("--ak", o->ak, "AK blob file (from `locus tpm ak create`), with --tcti");
  r->add_option("--pcrs", o->pcrs,
                "PCRs of the sha256 bank to quote (default: the verifier's quote policy for the "
                "board, else 0,1,7)");
  r->add_flag("--once", o->once, "One attestation, then exit: 0 FULL, 1 refused, 3 config, 4 I/O");
  r->add_option("--renew-margin", o->renew_margin_s,
                "Renew this many seconds before the lease ends (capped at half the lease)")
      ->capture_default_str();
  r->add_option("--max-backoff", o->max_backoff_s, "Longest wait between failed attempts, seconds")
      ->capture_default_str();
  r->add_option("--min-backoff-ms", o->min_backoff_ms,
                "First wait after a failure, milliseconds (doubles each time)")
      ->capture_default_str();
  r->add_option("--link-timeout-ms", o->link_timeout_ms, "Bound on each board request")
      ->capture_default_str();
  r->add_option("--http-timeout-ms", o->http_timeout_ms, "Bound on each verifier request")
      ->capture_default_str();
  r->callback([o, &ctx]() { run_agent(*o, ctx); });

  CLI::App* st = a->add_subcommand(
      "status", "Print the board's status (mode, lease, license counter, provisioning)");
  st->add_option("--link", o->link, "Board link: tcp:HOST:PORT or unix:PATH")->required();
  st->callback([o, &ctx]() {
    locus::boardlink::Link link;
    open_link(ctx, &link, o->link);
    locus::protocol::StatusInfo s;
    locus::host::HStatus hs = link.get_status(&s);
    if (!hs.ok()) fail(ctx, hs.error());
    locus::cli::emit(ctx, ag::status_json(s).dump(), ag::status_line(s));
  });

  CLI::App* id =
      a->add_subcommand("identity", "Print the board's identity (UEID, hardware model, FWID, SVN)");
  id->add_option("--link", o->link, "Board link: tcp:HOST:PORT or unix:PATH")->required();
  id->callback([o, &ctx]() {
    locus::boardlink::Link link;
    open_link(ctx, &link, o->link);
    locus::boardlink::Identity i;
    locus::host::HStatus hs = link.get_identity(&i);
    if (!hs.ok()) fail(ctx, hs.error());
    json j = {{"ueid", hex(i.ueid.data(), i.ueid.size())},
              {"hwmodel", i.hwmodel},
              {"fwid", hex(i.fwid.data(), i.fwid.size())},
              {"svn", i.svn},
              {"has_devid_cert", !i.devid_cert.empty()}};
    std::string human = "ueid    " + j["ueid"].get<std::string>() + "\nhwmodel " + i.hwmodel +
                        "\nfwid    " + j["fwid"].get<std::string>() + "\nsvn     " +
                        std::to_string(i.svn) + "\ndevid   " +
                        (i.devid_cert.empty() ? "not certified" : "certified");
    locus::cli::emit(ctx, j.dump(), human);
  });
}
