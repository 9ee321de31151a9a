// Audit log durability (docs/audit.md "Durability"): records appended through a registry
// transaction are durable in the registry (audit_pending) while the file is written without
// its own fsync; after a simulated power cut (the file cut at a record boundary or mid-line)
// the repair brings the file back byte for byte from the registry, and refuses, changing
// nothing, whatever it cannot prove. Run against SQLite and, with --pg, against a real
// PostgreSQL server the test starts (audit_durable_pg_test; skipped where it is absent).
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "locus/audit/audit.h"
#include "locus_test/testproc.h"
#include "pg_server.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

using namespace locus;

namespace {

std::string g_dir;
pgtest::Server* g_pg = nullptr;  // set in --pg mode
int g_n = 0;

constexpr int kRecords = 10;
// No sync by age during a test: the pending rows are exactly the records since the last sync.
constexpr audit::SyncPolicy kNoAgeSync{1000, int64_t{3600} * 1000};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}

// Byte offset just past line n (n >= 1) of data.
size_t after_line(const std::string& data, int n) {
  size_t pos = 0;
  for (int i = 0; i < n; i++) pos = data.find('\n', pos) + 1;
  return pos;
}

struct Fixture {
  std::string log, db;
  std::unique_ptr<registry::Registry> reg;
  std::string key;
  std::string full;  // the file after the appends (what a repair must restore)
  registry::AuditHead head() { return reg->get_audit_head(key).value(); }
  std::vector<registry::AuditPending> pending() { return reg->list_audit_pending(key, 0).value(); }
  audit::VerifyReport verify() {
    registry::AuditHead h = head();
    auto p = pending();
    return audit::verify_log(log, &h, &p);
  }
};

// A registry (this backend) and a log with kRecords records, appended in one registry
// transaction (as the verifier does) beside another registry write.
Fixture make(const audit::SyncPolicy& policy = kNoAgeSync, int records = kRecords) {
  Fixture f;
  std::string name = "d" + std::to_string(g_n++);
  f.log = g_dir + "/" + name + ".audit.jsonl";
  f.db = g_pg != nullptr ? g_pg->create_db(name) : g_dir + "/" + name;
  auto r = registry::open(f.db);
  if (!r.ok()) fail_msg("%s", r.message().c_str());
  f.reg = r.take();
  {
    audit::AuditLog l(f.log, f.reg.get());
    l.set_sync_policy(policy);
    for (int i = 0; i < records; i++) {
      host::HStatus s = f.reg->transaction([&]() -> host::HStatus {
        host::HStatus t = f.reg->raise_trust_list_version("signer", i + 1);
        if (!t.ok()) return t;
        auto a = l.append("decision", nlohmann::json{{"decision_id", i + 1}, {"pad", "x"}});
        if (!a.ok()) return a.status();
        if (a.value().seq != static_cast<uint64_t>(i) + 1) return {host::HostError::kDb, "seq"};
        return host::HStatus::Ok();
      });
      if (!s.ok()) fail_msg("append %d: %s", i, s.message().c_str());
    }
    f.key = l.head_key();
  }
  f.full = slurp(f.log);
  return f;
}

// kRecords appended with the age trigger off: no sync (fewer than 1,000 records), so every
// record is pending in the registry, each row the exact line of the file; the head counts
// them all and the log verifies against head and pending rows.
void test_appends_pending_in_registry(void**) {
  Fixture f = make();
  assert_int_equal(f.head().count, kRecords);
  auto p = f.pending();
  assert_int_equal(p.size(), kRecords);
  const auto lines = audit::read_records(f.log).value();
  for (int i = 0; i < kRecords; i++) {
    assert_int_equal(p[i].seq, i + 1);
    assert_string_equal(p[i].line.c_str(), lines[i].c_str());  // the exact line of the file
  }
  auto v = f.verify();
  if (!v.ok) fail_msg("%s", v.reason.c_str());
  assert_int_equal(v.records, kRecords);
}

// With max_pending 4 the file is synced every 4th record and the rows it covers pruned: never
// more than 3 pending rows, and only the records after the last sync.
void test_sync_prunes(void**) {
  Fixture f = make(audit::SyncPolicy{4, int64_t{3600} * 1000});
  auto p = f.pending();
  assert_true(!p.empty() && p.size() < 4);
  assert_int_equal(p.back().seq, kRecords);
  assert_int_equal(p.front().seq, kRecords - p.size() + 1);
  assert_true(f.verify().ok);
}

// Power cut with records 7..10 never reaching the disk (file cut at a record boundary):
// verify says they are durable in the registry, not "truncated"; repair appends them and the
// file is byte-identical to before; no pending row is left; verify is OK.
void test_cut_at_record_boundary(void**) {
  Fixture f = make();
  spit(f.log, f.full.substr(0, after_line(f.full, 6)));
  auto v = f.verify();
  assert_false(v.ok);
  assert_int_equal(v.unsynced, 4);
  assert_int_equal(v.first_bad_seq, 7);
  assert_non_null(strstr(v.reason.c_str(), "durable in the registry but not yet in the file"));
  assert_non_null(strstr(v.reason.c_str(), "locus audit repair"));
  assert_null(strstr(v.reason.c_str(), "truncated"));
  audit::AuditLog l(f.log, f.reg.get());
  auto r = l.repair();
  if (!r.ok()) fail_msg("%s", r.message().c_str());
  assert_int_equal(r.value().file_records, 6);
  assert_int_equal(r.value().appended, 4);
  assert_int_equal(r.value().torn_bytes_cut, 0);
  assert_true(slurp(f.log) == f.full);
  assert_int_equal(f.pending().size(), 0);
  registry::AuditHead h = f.head();
  assert_true(audit::verify_log(f.log, &h).ok);
  // A second repair finds nothing to do.
  auto again = l.repair();
  assert_true(again.ok());
  assert_int_equal(again.value().appended, 0);
}

// Power cut in the middle of record 8's line: the torn bytes are cut (the registry holds
// record 8) and 8..10 appended: byte-identical again.
void test_cut_mid_line(void**) {
  Fixture f = make();
  const size_t cut = after_line(f.full, 7) + 25;
  spit(f.log, f.full.substr(0, cut));
  auto v = f.verify();
  assert_false(v.ok);
  assert_int_equal(v.unsynced, 3);
  assert_non_null(strstr(v.reason.c_str(), "torn"));
  audit::AuditLog l(f.log, f.reg.get());
  auto r = l.repair();
  if (!r.ok()) fail_msg("%s", r.message().c_str());
  assert_int_equal(r.value().torn_bytes_cut, 25);
  assert_int_equal(r.value().appended, 3);
  assert_true(slurp(f.log) == f.full);
  assert_true(f.verify().ok);
}

// The first append after the crash repairs by itself, then appends record 11 onto it.
void test_append_repairs_first(void**) {
  Fixture f = make();
  spit(f.log, f.full.substr(0, after_line(f.full, 3) + 10));
  audit::AuditLog l(f.log, f.reg.get());
  auto a = l.append("decision", nlohmann::json{{"decision_id", 11}});
  if (!a.ok()) fail_msg("%s", a.message().c_str());
  assert_int_equal(a.value().seq, kRecords + 1);
  const std::string now = slurp(f.log);
  assert_true(now.compare(0, f.full.size(), f.full) == 0);
  auto v = f.verify();
  if (!v.ok) fail_msg("%s", v.reason.c_str());
  assert_int_equal(v.records, kRecords + 1);
}

// A record the registry holds, rewritten in the file with its chain recomputed (so the file
// alone verifies): repair refuses, naming the record, and the file is unchanged; verify says
// the record differs from the registry's copy.
void test_rewritten_line_refused(void**) {
  Fixture f = make();
  std::vector<std::string> lines = audit::read_records(f.log).value();
  lines.resize(6);  // a crash lost 7..10 ...
  std::string prev = nlohmann::json::parse(lines[3])["hash"].get<std::string>();
  for (size_t i = 4; i < 6; i++) {  // ... and records 5 and 6 were rewritten, chain recomputed
    nlohmann::json j = nlohmann::json::parse(lines[i]);
    if (i == 4) j["body"]["decision_id"] = 99;
    j["prev_hash"] = prev;
    j.erase("hash");
    j["hash"] = prev = audit::record_hash(prev, j.dump()).value();
    lines[i] = j.dump();
  }
  std::string data;
  for (auto& l : lines) data += l + "\n";
  spit(f.log, data);
  assert_true(audit::verify_log(f.log, nullptr).ok);  // the chain alone cannot tell
  auto v = f.verify();
  assert_false(v.ok);
  assert_int_equal(v.unsynced, 0);
  assert_int_equal(v.first_bad_seq, 5);
  assert_non_null(strstr(v.reason.c_str(), "differs from the registry"));
  audit::AuditLog l(f.log, f.reg.get());
  auto r = l.repair();
  assert_false(r.ok());
  assert_true(r.code() == Status(host::HostError::kAuditBroken));
  assert_non_null(strstr(r.message().c_str(), "record 5"));
  assert_non_null(strstr(r.message().c_str(), "nothing changed"));
  assert_true(slurp(f.log) == data);
  // An append refuses too (and leaves the file as it is).
  assert_false(l.append("decision", nlohmann::json{{"x", 1}}).ok());
  assert_true(slurp(f.log) == data);
  assert_int_equal(f.pending().size(), kRecords);  // nothing pruned
}

// An edited byte in a complete line (chain broken): refused, file unchanged.
void test_edited_line_refused(void**) {
  Fixture f = make();
  std::string data = f.full.substr(0, after_line(f.full, 5));
  data[data.find("\"decision_id\":3") + 14] = '8';
  spit(f.log, data);
  audit::AuditLog l(f.log, f.reg.get());
  auto r = l.repair();
  assert_false(r.ok());
  assert_non_null(strstr(r.message().c_str(), "record 3"));
  assert_true(slurp(f.log) == data);
}

// A pending row that differs from what was appended (record 8 altered in the registry):
// the copies no longer chain, so repair refuses (file unchanged) and verify says truncated.
void test_pending_row_differs(void**) {
  Fixture f = make();
  auto p = f.pending();
  nlohmann::json j = nlohmann::json::parse(p[7].line);
  j["body"]["decision_id"] = 77;
  assert_true(f.reg->prune_audit_pending(f.key, kRecords).ok());
  for (auto& row : p)
    assert_true(f.reg->add_audit_pending(f.key, row.seq, row.seq == 8 ? j.dump() : row.line).ok());
  const std::string cut = f.full.substr(0, after_line(f.full, 6));
  spit(f.log, cut);
  auto v = f.verify();
  assert_false(v.ok);
  assert_int_equal(v.unsynced, 0);
  assert_non_null(strstr(v.reason.c_str(), "truncated"));
  assert_non_null(strstr(v.reason.c_str(), "record 8"));
  audit::AuditLog l(f.log, f.reg.get());
  auto r = l.repair();
  assert_false(r.ok());
  assert_non_null(strstr(r.message().c_str(), "record 8"));
  assert_true(slurp(f.log) == cut);
}

// Every record synced (max_pending 1: no pending rows) and the file cut afterwards: that is
// real truncation, reported as such, and repair refuses.
void test_head_beyond_file_no_pending(void**) {
  Fixture f = make(audit::SyncPolicy{1, int64_t{3600} * 1000});
  assert_int_equal(f.pending().size(), 0);
  const std::string cut = f.full.substr(0, after_line(f.full, 6));
  spit(f.log, cut);
  auto v = f.verify();
  assert_false(v.ok);
  assert_int_equal(v.unsynced, 0);
  assert_int_equal(v.first_bad_seq, 7);
  assert_non_null(strstr(v.reason.c_str(), "log truncated"));
  audit::AuditLog l(f.log, f.reg.get());
  auto r = l.repair();
  assert_false(r.ok());
  assert_non_null(strstr(r.message().c_str(), "log truncated"));
  assert_true(slurp(f.log) == cut);
  // A torn line whose record the registry does not hold is not cut either.
  spit(f.log, cut + "{\"body\":");
  assert_false(l.repair().ok());
  assert_true(slurp(f.log) == cut + "{\"body\":");
}

// Records beyond the registry head (appended behind locus's back): repair refuses.
void test_beyond_head_refused(void**) {
  Fixture f = make();
  {
    audit::AuditLog outside(f.log, nullptr);
    assert_true(outside.append("decision", nlohmann::json{{"x", 1}}).ok());
  }
  const std::string data = slurp(f.log);
  audit::AuditLog l(f.log, f.reg.get());
  auto r = l.repair();
  assert_false(r.ok());
  assert_non_null(strstr(r.message().c_str(), "beyond the registry head"));
  assert_true(slurp(f.log) == data);
}

// A transaction that fails after its append leaves the record in the file but not in the
// registry; the next append of the same AuditLog puts that record's line in its own
// transaction beside its own and chains on: the log verifies, and a power cut that loses
// both lines is repaired byte for byte.
void test_rolled_back_append(void**) {
  Fixture f = make();
  audit::AuditLog l(f.log, f.reg.get());
  l.set_sync_policy(kNoAgeSync);
  host::HStatus s = f.reg->transaction([&]() -> host::HStatus {
    auto a = l.append("decision", nlohmann::json{{"decision_id", 11}});
    if (!a.ok()) return a.status();
    return {host::HostError::kDb, "injected: commit fails"};
  });
  assert_false(s.ok());
  assert_int_equal(f.head().count, kRecords);
  auto a = l.append("decision", nlohmann::json{{"decision_id", 12}});
  if (!a.ok()) fail_msg("%s", a.message().c_str());
  assert_int_equal(a.value().seq, kRecords + 2);
  assert_true(f.verify().ok);
  // Record 11 joined record 12's transaction: both are pending (no sync was needed).
  auto p = f.pending();
  assert_int_equal(p.size(), kRecords + 2);
  assert_int_equal(p[kRecords].seq, kRecords + 1);
  assert_int_equal(p.back().seq, kRecords + 2);
  const std::string full = slurp(f.log);
  spit(f.log, full.substr(0, after_line(full, kRecords)));
  audit::AuditLog l2(f.log, f.reg.get());
  assert_true(l2.repair().ok());
  assert_true(slurp(f.log) == full);
}

// Two AuditLog objects on one file (two processes, or the CLI beside the verifier): each
// notices the other's appends (size changed) and chains on them.
void test_two_writers(void**) {
  Fixture f = make(kNoAgeSync, 2);
  audit::AuditLog a(f.log, f.reg.get()), b(f.log, f.reg.get());
  for (int i = 0; i < 6; i++) {
    auto r = ((i % 2) != 0 ? a : b).append("decision", nlohmann::json{{"i", i}});
    if (!r.ok()) fail_msg("%s", r.message().c_str());
    assert_int_equal(r.value().seq, 3 + i);
  }
  assert_true(f.verify().ok);
}

// One AuditLog shared by 4 threads appending in their own registry transactions at once (the
// verifier's workers; on PostgreSQL the transactions overlap): every record lands once, the
// chain verifies against the head, and every pending row is the file's line.
void test_concurrent_appends(void**) {
  Fixture f = make(kNoAgeSync, 1);
  audit::AuditLog l(f.log, f.reg.get());
  l.set_sync_policy(kNoAgeSync);
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t]() {
      for (int i = 0; i < kEach; i++) {
        host::HStatus s = f.reg->transaction([&]() -> host::HStatus {
          auto a = l.append("decision", nlohmann::json{{"t", t}, {"i", i}});
          return a.ok() ? host::HStatus::Ok() : a.status();
        });
        if (!s.ok()) failures++;
      }
    });
  for (auto& th : ts) th.join();
  assert_int_equal(failures.load(), 0);
  auto v = f.verify();
  if (!v.ok) fail_msg("%s", v.reason.c_str());
  assert_int_equal(v.records, 1 + kThreads * kEach);
  assert_int_equal(f.head().count, 1 + kThreads * kEach);
}

// The log file replaced under a running AuditLog (same content, new inode, as a copy-and-rename
// would leave it): the next append goes to the file the path names now, not the old inode.
void test_reopens_replaced_file(void**) {
  Fixture f = make(kNoAgeSync, 3);
  audit::AuditLog l(f.log, f.reg.get());
  assert_true(l.append("decision", nlohmann::json{{"i", 4}}).ok());
  const std::string tmp = f.log + ".new";
  spit(tmp, slurp(f.log));
  assert_int_equal(::rename(tmp.c_str(), f.log.c_str()), 0);
  assert_true(l.append("decision", nlohmann::json{{"i", 5}}).ok());
  auto v = f.verify();
  if (!v.ok) fail_msg("%s", v.reason.c_str());
  assert_int_equal(v.records, 5);
}

// The CLI: `audit verify --json` reports the unsynced records (exit 1, "unsynced": 4),
// `audit repair --json` appends them (exit 0), verify is then OK.
void test_cli(void**) {
  Fixture f = make();
  spit(f.log, f.full.substr(0, after_line(f.full, 6)));
  const char* dir = std::getenv("LOCUS_BINARY_DIR");
  if (dir == nullptr) fail_msg("LOCUS_BINARY_DIR is not set (run this test through ctest)");
  const std::string bin = std::string(dir) + "/host/cli/locus";
  std::string out, err;
  int rc = host::test::run_command({bin, "--json", "audit", "verify", "--log", f.log, "--db", f.db},
                                   &out, &err, 60000);
  assert_int_equal(rc, 1);
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object()) fail_msg("verify printed: %s / %s", out.c_str(), err.c_str());
  assert_false(j["ok"].get<bool>());
  assert_int_equal(j["unsynced"].get<int>(), 4);
  rc = host::test::run_command({bin, "--json", "audit", "repair", "--log", f.log, "--db", f.db},
                               &out, &err, 60000);
  if (rc != 0) fail_msg("repair: %d %s %s", rc, out.c_str(), err.c_str());
  j = nlohmann::json::parse(out, nullptr, false);
  assert_true(j.is_object());
  assert_int_equal(j["appended"].get<int>(), 4);
  assert_true(slurp(f.log) == f.full);
  rc = host::test::run_command({bin, "--json", "audit", "verify", "--log", f.log, "--db", f.db},
                               &out, &err, 60000);
  assert_int_equal(rc, 0);
}

}  // namespace

int main(int argc, char** argv) {
  bool pg = argc > 1 && std::strcmp(argv[1], "--pg") == 0;
  g_dir = host::test::make_temp_dir("locus-audit-durable-");
  pgtest::Server server;
  if (pg) {
    std::string why;
    if (!server.start(&why)) {
      std::printf("SKIP: PostgreSQL audit durability suite not run: %s\n", why.c_str());
      host::test::remove_tree(g_dir);
      return pgtest::kSkipCode;
    }
    g_pg = &server;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_appends_pending_in_registry),
      cmocka_unit_test(test_sync_prunes),
      cmocka_unit_test(test_cut_at_record_boundary),
      cmocka_unit_test(test_cut_mid_line),
      cmocka_unit_test(test_append_repairs_first),
      cmocka_unit_test(test_rewritten_line_refused),
      cmocka_unit_test(test_edited_line_refused),
      cmocka_unit_test(test_pending_row_differs),
      cmocka_unit_test(test_head_beyond_file_no_pending),
      cmocka_unit_test(test_beyond_head_refused),
      cmocka_unit_test(test_rolled_back_append),
      cmocka_unit_test(test_two_writers),
      cmocka_unit_test(test_concurrent_appends),
      cmocka_unit_test(test_reopens_replaced_file),
      cmocka_unit_test(test_cli),
  };
  int rc = cmocka_run_group_tests_name(pg ? "audit_durable_postgresql" : "audit_durable_sqlite",
                                       tests, nullptr, nullptr);
  server.stop();
  host::test::remove_tree(g_dir);
  return rc;
}
