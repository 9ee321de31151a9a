// `locus audit ...`: verify and show the hash-chained audit log.
#include <nlohmann/json.hpp>

#include "commands.h"
#include "locus/audit/audit.h"
#include "locus/registry/registry.h"

namespace {
using json = nlohmann::json;
using locus::cli::fail;
using locus::host::HostError;

struct AuditOpts {
  std::string log, db, kind;
  size_t tail = 0;
  bool no_db = false;
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
