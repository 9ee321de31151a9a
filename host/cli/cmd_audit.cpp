// `locus audit ...`: verify and show the audit log; re-verify recorded decisions offline.
#include <nlohmann/json.hpp>

#include "commands.h"
#include "locus/audit/audit.h"
#include "locus/registry/registry.h"
#include "locus/verifier/reverify.h"

namespace {
using json = nlohmann::json;
using locus::cli::fail;
using locus::host::HostError;

struct AuditOpts {
  std::string log, db, kind;
  size_t tail = 0;
  bool no_db = false;
};

struct ReverifyOpts {
  std::string db, export_dir, ca, license_pub, policy, trust_list, trust_list_signer;
  int64_t decision = 0;
};

// <x>.audit.jsonl -> <x> (the registry next to it), as the other commands default.
std::string default_db(const std::string& log) {
  const std::string suf = ".audit.jsonl";
  if (log.size() > suf.size() && log.compare(log.size() - suf.size(), suf.size(), suf) == 0)
    return log.substr(0, log.size() - suf.size());
  return "";
}
}  // namespace

void register_audit_commands(CLI::App& app, CliContext& ctx) {
  auto o = std::make_shared<AuditOpts>();
  CLI::App* a = app.add_subcommand("audit", "The append-only, hash-chained audit log");
  a->require_subcommand(1);

  CLI::App* v = a->add_subcommand(
      "verify", "Check the chain; detect edited, deleted, reordered or truncated records (exit 1)");
  v->add_option("--log", o->log, "Audit log file")->required();
  v->add_option("--db", o->db,
                "Registry holding the log head (default: the log path without .audit.jsonl)");
  v->add_flag("--no-db", o->no_db, "Chain check only (cannot detect truncation of the tail)");
  v->callback([o, &ctx]() {
    if (!locus::host::file_exists(o->log)) fail(ctx, HostError::kIo, o->log + ": no such file");
    locus::registry::AuditHead head;
    bool have_head = false;
    std::string db = o->db.empty() ? default_db(o->log) : o->db;
    if (!o->no_db) {
      if (db.empty() || !locus::host::file_exists(db))
        fail(ctx, HostError::kUsage,
             "no registry to compare the head with: pass --db FILE (or --no-db)");
      auto reg = locus::registry::open(db);
      if (!reg.ok()) fail(ctx, reg.error());
      locus::audit::AuditLog l(o->log, reg.value().get());
      auto h = reg.value()->get_audit_head(l.head_key());
      if (!h.ok()) fail(ctx, h.error());
      head = h.value();
      have_head = true;
    }
    auto r = locus::audit::verify_log(o->log, have_head ? &head : nullptr);
    json j = {{"ok", r.ok}, {"records", r.records}, {"head_hash", r.head_hash_hex}};
    if (!r.ok) {
      j["first_bad_seq"] = r.first_bad_seq;
      j["reason"] = r.reason;
    }
    locus::cli::emit(
        ctx, j.dump(),
        r.ok ? "audit log OK: " + std::to_string(r.records) + " records, head " + r.head_hash_hex
             : "audit log BROKEN: " + r.reason);
    if (!r.ok) throw CLI::RuntimeError(1);
  });

  auto ro = std::make_shared<ReverifyOpts>();
  CLI::App* rv = a->add_subcommand(
      "reverify",
      "Re-run the appraisal of recorded decisions offline from their evidence bundles and "
      "compare verdict and reasons (exit 1 on any difference)");
  rv->add_option("--db", ro->db, "Registry (SQLite file or postgresql:// URL), opened read-only");
  rv->add_option("--export", ro->export_dir, "Directory written by `locus provision export`");
  rv->add_option("--ca-cert", ro->ca, "Manufacturer root CA certificate (PEM or DER)")->required();
  rv->add_option("--license-pub", ro->license_pub, "License public key (PEM)")->required();
  rv->add_option("--policy", ro->policy, "Verifier policy (TOML) the decisions were made under")
      ->required();
  rv->add_option("--trust-list", ro->trust_list,
                 "Landmark trust list (COSE; default: the one the policy names)");
  rv->add_option("--trust-list-signer", ro->trust_list_signer,
                 "Trust list signer public key (PEM; default: the one the policy names)");
  rv->add_option("--decision", ro->decision, "Only this decision id");
  rv->callback([ro, &ctx]() {
    namespace v = locus::verifier;
    if (ro->db.empty() == ro->export_dir.empty())
      fail(ctx, HostError::kUsage, "give exactly one of --db and --export");
    auto pol = v::load_policy(ro->policy);
    if (!pol.ok()) fail(ctx, pol.error());
    v::Policy policy = pol.take();
    if (!ro->trust_list.empty()) policy.trust_list_path = ro->trust_list;
    if (!ro->trust_list_signer.empty()) policy.trust_list_signer_path = ro->trust_list_signer;
    auto root = v::load_root_cert(ro->ca);
    if (!root.ok()) fail(ctx, root.error());
    auto pem = locus::host::read_text_file(ro->license_pub, 1u << 16);
    if (!pem.ok()) fail(ctx, HostError::kConfig, pem.message());
    locus::crypto::P256PublicKey lpub;
    auto ps = v::public_key_from_pem(pem.value(), &lpub);
    if (!ps.ok()) fail(ctx, HostError::kConfig, ro->license_pub + ": " + ps.message());
    auto ver = v::Verifier::create_offline(std::move(policy), root.value(), lpub);
    if (!ver.ok()) fail(ctx, ver.error());
    locus::host::HostResult<std::vector<v::StoredDecision>> decs =
        locus::host::HostResult<std::vector<v::StoredDecision>>(std::vector<v::StoredDecision>{});
    if (!ro->db.empty()) {
      auto reg = locus::registry::open_read_only(ro->db);
      if (!reg.ok()) fail(ctx, reg.error());
      decs = v::load_decisions(*reg.value());
    } else {
      decs = v::load_export(ro->export_dir);
    }
    if (!decs.ok()) fail(ctx, decs.error());
    json items = json::array();
    size_t same = 0, different = 0, skipped = 0;
    std::string human;
    bool found = false;
    for (const auto& d : decs.value()) {
      if (ro->decision && d.id != ro->decision) continue;
      found = true;
      v::ReverifyItem it = v::reverify_decision(*ver.value(), d);
      json j = {{"decision_id", it.decision_id},
                {"outcome", it.outcome},
                {"recorded_status", it.recorded_status},
                {"reappraised_status", it.reappraised_status}};
      if (!it.difference.empty()) j["difference"] = it.difference;
      if (!it.reason.empty()) j["reason"] = it.reason;
      items.push_back(j);
      if (it.outcome == "same") {
        same++;
        human += "decision " + std::to_string(it.decision_id) + ": same (" + it.recorded_status +
                 (it.reason.empty() ? "" : ": " + it.reason) + ")\n";
      } else if (it.outcome == "skipped") {
        skipped++;
        human += "decision " + std::to_string(it.decision_id) + ": skipped (" + it.reason + ")\n";
      } else {
        different++;
        human +=
            "decision " + std::to_string(it.decision_id) + ": DIFFERENT: " + it.difference + "\n";
      }
    }
    if (ro->decision && !found)
      fail(ctx, HostError::kNotFound, "no decision " + std::to_string(ro->decision));
    json out = {{"ok", different == 0},
                {"same", same},
                {"different", different},
                {"skipped", skipped},
                {"trust_list_version", ver.value()->trust_list_version()},
                {"policy_sha256", ver.value()->policy().sha256_hex},
                {"decisions", items}};
    human += std::to_string(same) + " same, " + std::to_string(different) + " different, " +
             std::to_string(skipped) + " skipped";
    locus::cli::emit(ctx, out.dump(), human);
    if (different) throw CLI::RuntimeError(1);
  });

  CLI::App* s = a->add_subcommand("show", "Print audit records (JSON lines; --json: one array)");
  s->add_option("--log", o->log, "Audit log file")->required();
  s->add_option("--kind", o->kind, "Only records of this kind (decision, provision, revoke, ...)");
  s->add_option("--tail", o->tail, "Only the last N records");
  s->callback([o, &ctx]() {
    auto recs = locus::audit::read_records(o->log);
    if (!recs.ok()) fail(ctx, recs.error());
    std::vector<json> sel;
    for (const auto& line : recs.value()) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        sel.push_back(json{{"unparsable", line}});
        continue;
      }
      if (!o->kind.empty() && j.value("kind", "") != o->kind) continue;
      sel.push_back(j);
    }
    size_t from = (o->tail && sel.size() > o->tail) ? sel.size() - o->tail : 0;
    if (ctx.json) {
      json arr = json::array();
      for (size_t i = from; i < sel.size(); i++) arr.push_back(sel[i]);
      std::printf("%s\n", arr.dump().c_str());
    } else {
      for (size_t i = from; i < sel.size(); i++) {
        const json& j = sel[i];
        if (j.contains("unparsable")) {
          std::printf("?? %s\n", j["unparsable"].get<std::string>().c_str());
          continue;
        }
        std::printf("#%s %s %-9s %s\n", j.value("seq", json()).dump().c_str(),
                    j.value("time", json()).dump().c_str(), j.value("kind", "").c_str(),
                    j.value("body", json()).dump().c_str());
      }
    }
    std::fflush(stdout);
  });
}
