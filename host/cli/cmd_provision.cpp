// `locus provision ...`: manufacturer CA, license key, enrollment, export.
#include <nlohmann/json.hpp>

#include "commands.h"
#include "locus/audit/audit.h"
#include "locus/provision/provision.h"
#include "locus/registry/registry.h"

namespace {

using json = nlohmann::json;
using locus::cli::fail;
using locus::host::HostError;
namespace prov = locus::provision;

struct ProvOpts {
  std::string ca_key = "ca.key", ca_cert = "ca.pem",
              subject = "CN=locus Manufacturer Root CA,O=locus";
  std::string license_key = "license.key", license_pub = "license.pub";
  std::string db = "locus.db", audit_log;
  std::string link, site, host, hwmodel, batch, out;
  bool force = false;
  std::string audit_path() const { return audit_log.empty() ? db + ".audit.jsonl" : audit_log; }
};

std::unique_ptr<locus::registry::Registry> open_db(const CliContext& ctx, const std::string& path) {
  auto r = locus::registry::open(path);
  if (!r.ok()) fail(ctx, r.error());
  return r.take();
}

// What enroll and enroll-batch both need: the CA, the license public key, the registry
// and the audit log (loaded in that order; any failure ends the command).
struct EnrollEnv {
  prov::Ca ca;
  locus::crypto::P256PublicKey lpub;
  std::unique_ptr<locus::registry::Registry> reg;
  std::unique_ptr<locus::audit::AuditLog> log;

  EnrollEnv(const CliContext& ctx, const ProvOpts& o) {
    auto c = prov::load_ca({o.ca_key, o.ca_cert});
    if (!c.ok()) fail(ctx, c.error());
    ca = c.take();
    auto s = prov::load_license_public(o.license_key, &lpub);
    if (!s.ok()) fail(ctx, s.error());
    reg = open_db(ctx, o.db);
    log = std::make_unique<locus::audit::AuditLog>(o.audit_path(), reg.get());
  }
};

void add_key_opts(CLI::App* c, ProvOpts& o) {
  c->add_option("--ca-key", o.ca_key, "Manufacturer CA private key (PEM)")->capture_default_str();
  c->add_option("--ca-cert", o.ca_cert, "Manufacturer CA certificate (PEM)")->capture_default_str();
  c->add_option(
       "--license-key", o.license_key,
       "Verifier license key: the private key PEM or its public key PEM (installed on the board)")
      ->capture_default_str();
  c->add_option("--db", o.db, "Registry: SQLite file or postgresql:// URL")->capture_default_str();
  c->add_option("--audit-log", o.audit_log, "Audit log (default: <db>.audit.jsonl)");
}

json result_json(const prov::EnrollOptions& e,
                 const locus::host::HostResult<prov::EnrollResult>& r) {
  json j = {{"link", e.link}, {"site", e.site}, {"host", e.host}, {"ok", r.ok()}};
  if (r.ok()) {
    j["ueid"] = locus::host::hex_encode(r.value().ueid);
    j["devid_serial"] = r.value().serial_hex;
    j["hwmodel"] = r.value().hwmodel;
  } else {
    j["error"] = r.message();
    j["exit_code"] = locus::cli::exit_code_for(r.code());
  }
  return j;
}

}  // namespace

void register_provision_commands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<ProvOpts>();
  CLI::App* p = app.add_subcommand(
      "provision", "Operator provisioning: CA, license key, board enrollment, export");
  p->require_subcommand(1);

  CLI::App* ica = p->add_subcommand(
      "init-ca", "Create the manufacturer root CA (P-256 key + self-signed certificate)");
  ica->add_option("--key", o->ca_key, "Private key output (PEM, mode 0600)")->capture_default_str();
  ica->add_option("--cert", o->ca_cert, "Certificate output (PEM)")->capture_default_str();
  ica->add_option("--subject", o->subject, "Subject name of the root")->capture_default_str();
  ica->add_flag("--force", o->force, "Replace existing files");
  ica->callback([o, &ctx]() {
    auto s = prov::init_ca({o->ca_key, o->ca_cert}, o->subject, o->force);
    if (!s.ok()) fail(ctx, s.error());
    locus::cli::emit(
        ctx, json{{"key", o->ca_key}, {"cert", o->ca_cert}, {"subject", o->subject}}.dump(),
        "manufacturer CA written: key " + o->ca_key + " (0600), certificate " + o->ca_cert);
  });

  CLI::App* ilk =
      p->add_subcommand("init-license-key", "Create the verifier's license-signing key");
  ilk->add_option("--key", o->license_key, "Private key output (PEM, mode 0600)")
      ->capture_default_str();
  ilk->add_option("--pub", o->license_pub, "Public key output (PEM)")->capture_default_str();
  ilk->add_flag("--force", o->force, "Replace existing files");
  ilk->callback([o, &ctx]() {
    auto s = prov::init_license_key(o->license_key, o->license_pub, o->force);
    if (!s.ok()) fail(ctx, s.error());
    locus::cli::emit(
        ctx, json{{"key", o->license_key}, {"pub", o->license_pub}}.dump(),
        "license key written: " + o->license_key + " (0600), public key " + o->license_pub);
  });

  CLI::App* en = p->add_subcommand(
      "enroll", "Enroll one board over its link: DeviceID certificate, verifier key, registry");
  en->add_option("--link", o->link, "Board link, tcp:HOST:PORT or unix:PATH")->required();
  en->add_option("--site", o->site,
                 "Site the board is licensed for (a [site.<name>] of the policy)")
      ->required();
  en->add_option("--host", o->host, "Host server the board is installed in")->required();
  en->add_option("--hwmodel", o->hwmodel,
                 "Hardware model (default: as the board reports it; must match)");
  add_key_opts(en, *o);
  en->callback([o, &ctx]() {
    EnrollEnv env(ctx, *o);
    prov::EnrollOptions e{o->link, o->site, o->host, o->hwmodel};
    auto r = prov::enroll(e, env.ca, env.lpub, env.reg.get(), env.log.get());
    if (!r.ok()) fail(ctx, r.error());
    locus::cli::emit(ctx, result_json(e, r).dump(),
                     "enrolled " + locus::host::hex_encode(r.value().ueid) + " (" +
                         r.value().hwmodel + ") at site " + o->site + ", host " + o->host +
                         ", DeviceID serial " + r.value().serial_hex);
  });

  CLI::App* eb = p->add_subcommand(
      "enroll-batch",
      "Enroll many boards from FILE (lines: LINK SITE HOST [HWMODEL]; CSV also accepted)");
  eb->add_option("FILE", o->batch, "Batch file")->required();
  add_key_opts(eb, *o);
  eb->callback([o, &ctx]() {
    auto text = locus::host::read_text_file(o->batch, 16u << 20);
    if (!text.ok()) fail(ctx, HostError::kConfig, text.message());
    auto list = prov::parse_batch(text.value(), o->batch);
    if (!list.ok()) fail(ctx, list.error());
    EnrollEnv env(ctx, *o);
    json results = json::array();
    size_t ok = 0, failed = 0;
    int worst = 0;
    locus::cli::Progress prog(ctx, list.value().size(), "enroll");
    for (const auto& e : list.value()) {
      prog.step(e.link);
      auto r = prov::enroll(e, env.ca, env.lpub, env.reg.get(), env.log.get());
      results.push_back(result_json(e, r));
      if (r.ok()) {
        ok++;
      } else {
        failed++;
        int c = locus::cli::exit_code_for(r.code());
        if (worst == 0 || c == 1) worst = c;
      }
      prog.clear();
      if (!ctx.json) {
        std::printf(
            "%-28s %-12s %-16s %s\n", e.link.c_str(), e.site.c_str(), e.host.c_str(),
            r.ok() ? ("ok " + locus::host::hex_encode(r.value().ueid).substr(0, 18) + "...").c_str()
                   : ("FAILED: " + r.message()).c_str());
        (void)std::fflush(stdout);
      }
    }
    prog.done();
    json sum = {
        {"total", list.value().size()}, {"enrolled", ok}, {"failed", failed}, {"results", results}};
    if (ctx.json)
      std::printf("%s\n", sum.dump().c_str());
    else
      std::printf("summary: %zu enrolled, %zu failed of %zu\n", ok, failed, list.value().size());
    (void)std::fflush(stdout);
    if (failed != 0u) throw CLI::RuntimeError(worst != 0 ? worst : 1);
  });

  CLI::App* ex = p->add_subcommand(
      "export", "Export certificates, evidence, licenses and decisions as files for auditors");
  ex->add_option("--out", o->out, "Output directory")->required();
  ex->add_option("--db", o->db, "Registry database")->capture_default_str();
  ex->add_option("--ca-cert", o->ca_cert, "Manufacturer CA certificate to include")
      ->capture_default_str();
  ex->add_option("--audit-log", o->audit_log, "Audit log to include (default: <db>.audit.jsonl)");
  ex->add_flag("--force", o->force, "Replace existing files in the output directory");
  ex->callback([o, &ctx]() {
    // Read-only: an export never creates, migrates or writes the registry (a mistyped --db is
    // "no such registry", not an empty export; a replica or a registry in use reads as it is).
    auto opened = locus::registry::open_read_only(o->db);
    if (!opened.ok()) fail(ctx, opened.error());
    auto reg = opened.take();
    std::string ca = locus::host::file_exists(o->ca_cert) ? o->ca_cert : "";
    auto r = prov::export_artifacts(o->out, reg.get(), ca, o->audit_path(), o->force);
    if (!r.ok()) fail(ctx, r.error());
    const auto& s = r.value();
    locus::cli::emit(ctx,
                     json{{"out", o->out},
                          {"certificates", s.certs},
                          {"evidence", s.evidence},
                          {"licenses", s.licenses},
                          {"decisions", s.decisions},
                          {"bundles", s.bundles}}
                         .dump(),
                     "exported to " + o->out + ": " + std::to_string(s.certs) + " certificates, " +
                         std::to_string(s.evidence) + " evidence tokens, " +
                         std::to_string(s.licenses) + " licenses, " + std::to_string(s.decisions) +
                         " decisions, " + std::to_string(s.bundles) + " evidence bundles");
  });

  CLI::App* ls = p->add_subcommand("list", "List enrolled devices");
  ls->add_option("--db", o->db, "Registry database")->capture_default_str();
  ls->callback([o, &ctx]() {
    auto reg = open_db(ctx, o->db);
    auto d = reg->list_devices();
    if (!d.ok()) fail(ctx, d.error());
    json j = json::array();
    std::string human;
    for (const auto& x : d.value()) {
      std::string u = locus::host::hex_encode(x.ueid);
      j.push_back({{"ueid", u},
                   {"site", x.site},
                   {"host", x.host},
                   {"hwmodel", x.hwmodel},
                   {"devid_serial", x.serial_hex},
                   {"revoked", x.revoked}});
      human += u + "  " + x.site + "  " + x.host + "  " + x.hwmodel + "  serial " + x.serial_hex +
               (x.revoked ? "  REVOKED" : "") + "\n";
    }
    locus::cli::emit(ctx, j.dump(), human.empty() ? "no devices enrolled" : human);
  });
}
