// `locus audit ...`: verify and show the audit log; re-verify recorded decisions offline.
#include <nlohmann/json.hpp>

#include "commands.h"
#include "locus/audit/audit.h"
#include "locus/audit/merkle.h"
#include "locus/common/json_read.h"
#include "locus/common/keys.h"
#include "locus/provision/provision.h"
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
  // Transparency log (merkle.h).
  std::string head, old_head, new_head, proof, pub, key, out;
  uint64_t size = 0;
  int64_t decision = 0;
  bool force = false;
};

namespace ma = locus::audit;

json read_json_file(const CliContext& ctx, const std::string& path, const char* what) {
  auto t = locus::host::read_text_file(path, 16u << 20);
  if (!t.ok()) fail(ctx, HostError::kIo, t.message());
  json j = locus::host::parse_json(t.value());
  if (j.is_discarded()) fail(ctx, HostError::kParse, path + ": " + what + " is not JSON");
  return j;
}

ma::SignedHead read_head(const CliContext& ctx, const std::string& path) {
  auto h = ma::head_from_json(read_json_file(ctx, path, "tree head"));
  if (!h.ok()) fail(ctx, HostError::kParse, path + ": " + h.message());
  return h.value();
}

locus::crypto::P256PublicKey read_pub(const CliContext& ctx, const std::string& path) {
  if (path.empty())
    fail(ctx, HostError::kUsage, "pass --pub FILE (the audit public key) to check tree heads");
  auto t = locus::host::read_text_file(path, 1u << 16);
  if (!t.ok()) fail(ctx, HostError::kIo, t.message());
  locus::crypto::P256PublicKey k;
  auto s = locus::host::public_key_from_pem(t.value(), &k);
  if (!s.ok()) fail(ctx, HostError::kConfig, path + ": " + s.message());
  return k;
}

ma::LogLeaves read_log(const CliContext& ctx, const std::string& path) {
  auto l = ma::read_leaves(path);
  if (!l.ok()) fail(ctx, l.error());
  return l.take();
}

json hashes_json(const std::vector<ma::Hash>& v) {
  json a = json::array();
  for (const auto& h : v) a.push_back(ma::hash_hex(h));
  return a;
}

std::vector<ma::Hash> hashes_from(const CliContext& ctx, const json& j, const char* what) {
  std::vector<ma::Hash> out;
  if (!j.is_array() || j.size() > 128)
    fail(ctx, HostError::kParse, std::string(what) + ": not an array of hashes");
  for (const auto& e : j) {
    if (!e.is_string()) fail(ctx, HostError::kParse, std::string(what) + ": not a hex string");
    auto h = ma::hash_from_hex(e.get<std::string>());
    if (!h.ok()) fail(ctx, HostError::kParse, std::string(what) + ": " + h.message());
    out.push_back(h.value());
  }
  return out;
}

void verify_failed(const CliContext& ctx, json j, const std::string& why) {
  j["ok"] = false;
  j["reason"] = why;
  locus::cli::emit(ctx, j.dump(), "FAILED: " + why);
  throw CLI::RuntimeError(1);
}

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
  CLI::App* a = app.add_subcommand(
      "audit",
      "The audit log (hash chain + RFC 9162 Merkle tree), proofs, offline re-verification");
  a->require_subcommand(1);

  CLI::App* v = a->add_subcommand(
      "verify",
      "Check the chain; detect edited, deleted, reordered or truncated records (exit 1); after "
      "a power cut, say how many records only the registry holds yet (then `audit repair`)");
  v->add_option("--log", o->log,
                "Audit log file: check the chain (and, with --head, the signed tree head)");
  v->add_option("--db", o->db,
                "Registry holding the log head (default: the log path without .audit.jsonl)");
  v->add_flag("--no-db", o->no_db, "Chain check only (cannot detect truncation of the tail)");
  v->add_option("--head", o->head,
                "Signed tree head (JSON from `audit head`): with --log, the log must have it as "
                "a prefix; with --proof, the inclusion proof is checked against it");
  v->add_option("--old", o->old_head, "Older signed tree head (with --new and --proof)");
  v->add_option("--new", o->new_head, "Newer signed tree head (with --old and --proof)");
  v->add_option("--proof", o->proof,
                "Proof (JSON from `audit prove` or `audit consistency`), checked offline");
  v->add_option("--pub", o->pub, "Audit public key (PEM) that signs tree heads");
  v->callback([o, &ctx]() {
    if (!o->proof.empty() && !o->old_head.empty() && !o->new_head.empty()) {
      // A consistency proof between two signed heads: no log needed.
      auto pub = read_pub(ctx, o->pub);
      ma::SignedHead h1 = read_head(ctx, o->old_head), h2 = read_head(ctx, o->new_head);
      json j = {{"mode", "consistency"}, {"old_size", h1.tree_size}, {"new_size", h2.tree_size}};
      for (const auto* h : {&h1, &h2}) {
        auto s = ma::verify_head(*h, pub);
        if (!s.ok()) verify_failed(ctx, j, s.message());
      }
      json p = read_json_file(ctx, o->proof, "consistency proof");
      if (!p.is_object() || p.value("old_size", json()) != h1.tree_size ||
          p.value("new_size", json()) != h2.tree_size || !p.contains("proof"))
        verify_failed(ctx, j, "the proof is not between these two heads' sizes");
      if (auto st = ma::verify_consistency(h1.tree_size, h2.tree_size, h1.root, h2.root,
                                           hashes_from(ctx, p["proof"], "proof"));
          !st.ok())
        verify_failed(ctx, j, st.message());
      j["ok"] = true;
      locus::cli::emit(ctx, j.dump(),
                       "consistent: the tree of " + std::to_string(h2.tree_size) +
                           " records extends the signed tree of " + std::to_string(h1.tree_size));
      return;
    }
    if (!o->proof.empty()) {
      if (o->head.empty())
        fail(ctx, HostError::kUsage, "an inclusion proof needs --head (or --old and --new)");
      auto pub = read_pub(ctx, o->pub);
      ma::SignedHead h = read_head(ctx, o->head);
      json j = {{"mode", "inclusion"}, {"tree_size", h.tree_size}};
      auto s = ma::verify_head(h, pub);
      if (!s.ok()) verify_failed(ctx, j, s.message());
      json p = read_json_file(ctx, o->proof, "inclusion proof");
      if (!p.is_object() || !p.contains("leaf") || !p["leaf"].is_string() ||
          !p.contains("leaf_index") || !p["leaf_index"].is_number_unsigned() ||
          !p.contains("audit_path"))
        verify_failed(ctx, j, "not an inclusion proof (leaf, leaf_index, audit_path)");
      if (p.value("tree_size", json()) != h.tree_size)
        verify_failed(ctx, j, "the proof is for another tree size than the head");
      const std::string leaf = p["leaf"].get<std::string>();
      ma::Hash lh = ma::leaf_hash(
          locus::ByteSpan(reinterpret_cast<const uint8_t*>(leaf.data()), leaf.size()));
      uint64_t idx = p["leaf_index"].get<uint64_t>();
      j["leaf_index"] = idx;
      if (auto st = ma::verify_inclusion(idx, h.tree_size, lh,
                                         hashes_from(ctx, p["audit_path"], "audit_path"), h.root);
          !st.ok())
        verify_failed(ctx, j, st.message());
      j["ok"] = true;
      locus::cli::emit(ctx, j.dump(),
                       "included: record " + std::to_string(idx + 1) +
                           " is in the signed tree of " + std::to_string(h.tree_size) + " records");
      return;
    }
    if (o->log.empty())
      fail(ctx, HostError::kUsage,
           "give --log (whole log), --proof with --head (inclusion) or --proof with --old and "
           "--new (consistency)");
    if (!locus::host::file_exists(o->log)) fail(ctx, HostError::kIo, o->log + ": no such file");
    locus::registry::AuditHead head;
    std::vector<locus::registry::AuditPending> pending;
    bool have_head = false;
    std::string db = o->db.empty() ? default_db(o->log) : o->db;
    if (!o->no_db) {
      if (db.empty() || (!locus::registry::is_postgres_url(db) && !locus::host::file_exists(db)))
        fail(ctx, HostError::kUsage,
             "no registry to compare the head with: pass --db FILE|URL (or --no-db)");
      auto reg = locus::registry::open(db);
      if (!reg.ok()) fail(ctx, reg.error());
      locus::audit::AuditLog l(o->log, reg.value().get());
      auto h = reg.value()->get_audit_head(l.head_key());
      if (!h.ok()) fail(ctx, h.error());
      head = h.value();
      // Records durable in the registry but maybe not yet in the file (docs/audit.md).
      auto p = reg.value()->list_audit_pending(l.head_key(), 0);
      if (!p.ok()) fail(ctx, p.error());
      pending = p.take();
      have_head = true;
    }
    auto r = locus::audit::verify_log(o->log, have_head ? &head : nullptr,
                                      have_head ? &pending : nullptr);
    json j = {{"ok", r.ok}, {"records", r.records}, {"head_hash", r.head_hash_hex}};
    if (r.unsynced > 0) {
      j["unsynced"] = r.unsynced;
      j["action"] = "locus audit repair";
    }
    if (r.ok && !o->head.empty()) {
      // The signed tree head must be this log's tree at its size: any record before it that
      // was rewritten since (even with the chain recomputed) changes the root.
      auto pub = read_pub(ctx, o->pub);
      ma::SignedHead h = read_head(ctx, o->head);
      auto s = ma::verify_head(h, pub);
      ma::LogLeaves l = read_log(ctx, o->log);
      j["tree_size"] = h.tree_size;
      if (!s.ok()) verify_failed(ctx, j, s.message());
      if (h.tree_size > l.hashes.size())
        verify_failed(ctx, j,
                      "the signed head covers " + std::to_string(h.tree_size) +
                          " records, the log holds " + std::to_string(l.hashes.size()) +
                          " (records dropped)");
      if (ma::tree_root(l.hashes, h.tree_size) != h.root)
        verify_failed(ctx, j,
                      "the first " + std::to_string(h.tree_size) +
                          " records do not hash to the signed root (log rewritten)");
      j["root_hash"] = ma::hash_hex(h.root);
    }
    if (!r.ok) {
      j["first_bad_seq"] = r.first_bad_seq;
      j["reason"] = r.reason;
    }
    locus::cli::emit(
        ctx, j.dump(),
        r.ok ? "audit log OK: " + std::to_string(r.records) + " records, head " + r.head_hash_hex
             : (r.unsynced > 0 ? "audit log INCOMPLETE: " : "audit log BROKEN: ") + r.reason);
    if (!r.ok) throw CLI::RuntimeError(1);
  });

  CLI::App* rp = a->add_subcommand(
      "repair",
      "After a crash: append the records the registry holds durably but the file lacks (and "
      "cut a torn last line the registry holds); refuses anything it cannot prove (exit 1)");
  rp->add_option("--log", o->log, "Audit log file")->required();
  rp->add_option("--db", o->db,
                 "Registry holding the log head (default: the log path without .audit.jsonl)");
  rp->callback([o, &ctx]() {
    if (!locus::host::file_exists(o->log)) fail(ctx, HostError::kIo, o->log + ": no such file");
    std::string db = o->db.empty() ? default_db(o->log) : o->db;
    if (db.empty() || (!locus::registry::is_postgres_url(db) && !locus::host::file_exists(db)))
      fail(ctx, HostError::kUsage, "no registry holding the log's head: pass --db FILE|URL");
    auto reg = locus::registry::open(db);
    if (!reg.ok()) fail(ctx, reg.error());
    locus::audit::AuditLog l(o->log, reg.value().get());
    auto r = l.repair();
    if (!r.ok()) fail(ctx, r.error());
    const auto& rep = r.value();
    // What the repair left must verify against the head (with no pending copy needed).
    auto head = reg.value()->get_audit_head(l.head_key());
    if (!head.ok()) fail(ctx, head.error());
    auto chk = locus::audit::verify_log(o->log, &head.value());
    if (!chk.ok) fail(ctx, HostError::kAuditBroken, "after the repair: " + chk.reason);
    json j = {{"ok", true},
              {"file_records", rep.file_records},
              {"head", rep.head},
              {"appended", rep.appended},
              {"torn_bytes_cut", rep.torn_bytes_cut},
              {"records", chk.records},
              {"head_hash", chk.head_hash_hex}};
    std::string text =
        rep.appended == 0 && rep.torn_bytes_cut == 0
            ? "nothing to repair: " + std::to_string(chk.records) + " records, head " +
                  chk.head_hash_hex
            : "repaired: appended " + std::to_string(rep.appended) + " records from the registry" +
                  (rep.torn_bytes_cut > 0 ? " (cut a torn last line of " +
                                                std::to_string(rep.torn_bytes_cut) + " bytes)"
                                          : std::string()) +
                  "; audit log OK: " + std::to_string(chk.records) + " records, head " +
                  chk.head_hash_hex;
    locus::cli::emit(ctx, j.dump(), text);
  });

  CLI::App* ik = a->add_subcommand(
      "init-key", "Create the audit key that signs tree heads (P-256; docs/audit.md)");
  ik->add_option("--key", o->key, "Private key output (PEM)")->required();
  ik->add_option("--pub", o->pub, "Public key output (PEM), for auditors")->required();
  ik->add_flag("--force", o->force, "Replace existing files");
  ik->callback([o, &ctx]() {
    auto s = locus::provision::init_license_key(o->key, o->pub, o->force);
    if (!s.ok()) fail(ctx, s.error());
    locus::cli::emit(ctx, json{{"key", o->key}, {"pub", o->pub}}.dump(),
                     "audit key written: " + o->key + " (public: " + o->pub + ")");
  });

  CLI::App* hd = a->add_subcommand(
      "head", "Sign the tree head (size, root, time) of the log as it is now (or --size N)");
  hd->add_option("--log", o->log, "Audit log file")->required();
  hd->add_option("--key", o->key, "Audit private key (PEM)")->required();
  hd->add_option("--size", o->size, "Tree size to sign (default: every record)");
  hd->add_option("--out", o->out, "Also write the head to this file");
  hd->callback([o, &ctx]() {
    auto kp = locus::host::read_text_file(o->key, 1u << 16);
    if (!kp.ok()) fail(ctx, HostError::kIo, kp.message());
    locus::crypto::P256PrivateKey key;
    auto ks = locus::host::private_key_from_pem(kp.value(), &key);
    if (!ks.ok()) fail(ctx, HostError::kConfig, o->key + ": " + ks.message());
    auto chk = locus::audit::verify_log(o->log, nullptr);
    if (!chk.ok) fail(ctx, HostError::kAuditBroken, "refusing to sign a broken log: " + chk.reason);
    ma::LogLeaves l = read_log(ctx, o->log);
    uint64_t n = o->size != 0u ? o->size : l.hashes.size();
    if (n > l.hashes.size())
      fail(ctx, HostError::kUsage,
           "--size " + std::to_string(n) + " is beyond the log's " +
               std::to_string(l.hashes.size()) + " records");
    auto h = ma::sign_head(n, ma::tree_root(l.hashes, n), key);
    key.d.fill(0);
    if (!h.ok()) fail(ctx, h.error());
    json j = ma::head_to_json(h.value());
    if (!o->out.empty()) {
      auto ws = locus::host::write_text_file(o->out, j.dump(2) + "\n", 0644, true);
      if (!ws.ok()) fail(ctx, ws.error());
    }
    locus::cli::emit(ctx, j.dump(), j.dump(2));
  });

  CLI::App* pv = a->add_subcommand(
      "prove", "Inclusion proof (RFC 9162) of a decision's audit record in the signed tree");
  pv->add_option("--log", o->log, "Audit log file")->required();
  pv->add_option("--decision", o->decision, "Decision id")->required();
  pv->add_option("--head", o->head, "Signed tree head to prove against (default: whole log)");
  pv->add_option("--size", o->size, "Tree size to prove against (instead of --head)");
  pv->callback([o, &ctx]() {
    ma::LogLeaves l = read_log(ctx, o->log);
    uint64_t n = l.hashes.size();
    if (!o->head.empty()) n = read_head(ctx, o->head).tree_size;
    if (o->size != 0u) n = o->size;
    int64_t idx = -1;
    for (size_t i = 0; i < l.lines.size() && idx < 0; i++) {
      json r = locus::host::parse_json(l.lines[i]);
      if (r.is_object() && r.value("kind", "") == "decision" && r.contains("body") &&
          r["body"].is_object() && r["body"].value("decision_id", json()) == o->decision)
        idx = static_cast<int64_t>(i);
    }
    if (idx < 0)
      fail(ctx, HostError::kNotFound,
           o->log + ": no audit record for decision " + std::to_string(o->decision));
    auto p = ma::inclusion_proof(l.hashes, static_cast<uint64_t>(idx), n);
    if (!p.ok()) fail(ctx, p.error());
    json j = {{"decision_id", o->decision},
              {"leaf_index", idx},
              {"tree_size", n},
              {"leaf", l.lines[static_cast<size_t>(idx)]},
              {"leaf_hash", ma::hash_hex(l.hashes[static_cast<size_t>(idx)])},
              {"audit_path", hashes_json(p.value())},
              {"root_hash", ma::hash_hex(ma::tree_root(l.hashes, n))}};
    locus::cli::emit(ctx, j.dump(), j.dump(2));
  });

  CLI::App* cs = a->add_subcommand(
      "consistency", "Consistency proof (RFC 9162) between two signed tree heads of this log");
  cs->add_option("--log", o->log, "Audit log file")->required();
  cs->add_option("--old", o->old_head, "Older signed tree head (JSON)")->required();
  cs->add_option("--new", o->new_head, "Newer signed tree head (JSON)")->required();
  cs->callback([o, &ctx]() {
    ma::SignedHead h1 = read_head(ctx, o->old_head), h2 = read_head(ctx, o->new_head);
    ma::LogLeaves l = read_log(ctx, o->log);
    auto p = ma::consistency_proof(l.hashes, h1.tree_size, h2.tree_size);
    if (!p.ok()) fail(ctx, p.error());
    if (ma::tree_root(l.hashes, h1.tree_size) != h1.root)
      fail(ctx, HostError::kAuditBroken,
           "the log's first " + std::to_string(h1.tree_size) +
               " records no longer hash to the old head's root (log rewritten)");
    if (ma::tree_root(l.hashes, h2.tree_size) != h2.root)
      fail(ctx, HostError::kAuditBroken, "the log does not hash to the new head's root");
    json j = {{"old_size", h1.tree_size},
              {"new_size", h2.tree_size},
              {"old_root", ma::hash_hex(h1.root)},
              {"new_root", ma::hash_hex(h2.root)},
              {"proof", hashes_json(p.value())}};
    locus::cli::emit(ctx, j.dump(), j.dump(2));
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
    auto ps = locus::host::public_key_from_pem(pem.value(), &lpub);
    if (!ps.ok()) fail(ctx, HostError::kConfig, ro->license_pub + ": " + ps.message());
    auto ver = v::Verifier::create_offline(std::move(policy), root.value(), lpub);
    if (!ver.ok()) fail(ctx, ver.error());
    // Decisions arrive one at a time (a page of the registry, or one export manifest): only
    // the result lines are kept, as text, never the history's evidence. Output goes out once
    // at the end, so that an error part-way prints the error alone.
    std::string items;  // the "decisions" array's elements, compact JSON, comma-separated
    size_t same = 0, different = 0, skipped = 0;
    std::string human;
    bool found = false;
    auto one = [&](v::StoredDecision&& d) -> locus::host::HStatus {
      found = true;
      v::ReverifyItem it = v::reverify_decision(*ver.value(), d);
      json j = {{"decision_id", it.decision_id},
                {"outcome", it.outcome},
                {"recorded_status", it.recorded_status},
                {"reappraised_status", it.reappraised_status}};
      if (!it.difference.empty()) j["difference"] = it.difference;
      if (!it.reason.empty()) j["reason"] = it.reason;
      if (!items.empty()) items += ',';
      items += j.dump();
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
      return locus::host::HStatus::Ok();
    };
    locus::host::HStatus read = locus::host::HStatus::Ok();
    if (!ro->db.empty()) {
      auto reg = locus::registry::open_read_only(ro->db);
      if (!reg.ok()) fail(ctx, reg.error());
      read = v::for_each_decision(*reg.value(), ro->decision, one);
    } else {
      read = v::for_each_exported(ro->export_dir, ro->decision, one);
    }
    if (!read.ok()) fail(ctx, read.error());
    if ((ro->decision != 0) && !found)
      fail(ctx, HostError::kNotFound, "no decision " + std::to_string(ro->decision));
    json rest = {{"ok", different == 0},
                 {"same", same},
                 {"different", different},
                 {"skipped", skipped},
                 {"trust_list_version", ver.value()->trust_list_version()},
                 {"policy_sha256", ver.value()->policy().sha256_hex}};
    // The same text json::dump() gives with the array inside: keys sort, "decisions" first.
    const std::string out = "{\"decisions\":[" + items + "]," + rest.dump().substr(1);
    human += std::to_string(same) + " same, " + std::to_string(different) + " different, " +
             std::to_string(skipped) + " skipped";
    locus::cli::emit(ctx, out, human);
    if (different != 0u) throw CLI::RuntimeError(1);
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
      json j = locus::host::parse_json(line);
      if (j.is_discarded()) {
        sel.push_back(json{{"unparsable", line}});
        continue;
      }
      if (!o->kind.empty() && j.value("kind", "") != o->kind) continue;
      sel.push_back(j);
    }
    size_t from = ((o->tail != 0u) && sel.size() > o->tail) ? sel.size() - o->tail : 0;
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
    (void)std::fflush(stdout);
  });
}
