// Audit log tests: a clean chain verifies; each kind of tampering is detected and names
// the first bad record.
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "locus/audit/audit.h"
#include "locus_test/testproc.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

using namespace locus;

namespace {

std::string g_dir;
int g_n = 0;

struct Fixture {
  std::string log;
  std::unique_ptr<registry::Registry> reg;
  registry::AuditHead head() {
    audit::AuditLog l(log, reg.get());
    return reg->get_audit_head(l.head_key()).value();
  }
};

// A fresh log with 5 records (kinds alternate) and its registry.
Fixture make(int records = 5) {
  Fixture f;
  std::string base = g_dir + "/t" + std::to_string(g_n++);
  f.log = base + ".audit.jsonl";
  f.reg = registry::open_sqlite(base + ".db").take();
  audit::AuditLog l(f.log, f.reg.get());
  for (int i = 0; i < records; i++) {
    auto r = l.append((i % 2) != 0 ? "decision" : "provision", "{\"i\":" + std::to_string(i) + "}");
    assert_true(r.ok());
    assert_int_equal(r.value().seq, static_cast<uint64_t>(i + 1));
  }
  return f;
}

std::vector<std::string> lines(const std::string& p) {
  std::ifstream in(p);
  std::vector<std::string> v;
  std::string l;
  while (std::getline(in, l)) v.push_back(l);
  return v;
}

void write_lines(const std::string& p, const std::vector<std::string>& v) {
  std::ofstream out(p, std::ios::trunc);
  for (auto& l : v) out << l << "\n";
}

// An untouched log verifies, with and without the registry head.
void test_clean(void**) {
  Fixture f = make();
  registry::AuditHead h = f.head();
  assert_int_equal(h.count, 5);
  auto r = audit::verify_log(f.log, &h);
  assert_true(r.ok);
  assert_int_equal(r.records, 5);
  assert_string_equal(r.head_hash_hex.c_str(), h.hash_hex.c_str());
  assert_true(audit::verify_log(f.log, nullptr).ok);
}

// One character of record 3's body changed (valid JSON still): refused at record 3.
void test_edited(void**) {
  Fixture f = make();
  auto v = lines(f.log);
  size_t pos = v[2].find("\"i\":2");
  assert_true(pos != std::string::npos);
  v[2][pos + 4] = '7';
  write_lines(f.log, v);
  registry::AuditHead h = f.head();
  auto r = audit::verify_log(f.log, &h);
  assert_false(r.ok);
  assert_int_equal(r.first_bad_seq, 3);
  assert_non_null(strstr(r.reason.c_str(), "record 3"));
}

// Editing the record AND recomputing its hash still breaks the chain at the next record.
void test_edited_rehashed(void**) {
  Fixture f = make();
  auto v = lines(f.log);
  nlohmann::json j = nlohmann::json::parse(v[1]);
  j["body"]["i"] = 42;
  j.erase("hash");
  j["hash"] = audit::record_hash(j["prev_hash"].get<std::string>(), j.dump()).value();
  v[1] = j.dump();
  write_lines(f.log, v);
  auto r = audit::verify_log(f.log, nullptr);
  assert_false(r.ok);
  assert_int_equal(r.first_bad_seq, 3);
}

// A record deleted from the middle: refused at the record that follows the gap.
void test_deleted(void**) {
  Fixture f = make();
  auto v = lines(f.log);
  v.erase(v.begin() + 1);
  write_lines(f.log, v);
  auto r = audit::verify_log(f.log, nullptr);
  assert_false(r.ok);
  assert_int_equal(r.first_bad_seq, 2);
}

// Two records swapped: refused at the first position that is out of order.
void test_reordered(void**) {
  Fixture f = make();
  auto v = lines(f.log);
  std::swap(v[2], v[3]);
  write_lines(f.log, v);
  auto r = audit::verify_log(f.log, nullptr);
  assert_false(r.ok);
  assert_int_equal(r.first_bad_seq, 3);
}

// The last two records cut off: the chain alone is consistent, the registry head is not.
void test_truncated(void**) {
  Fixture f = make();
  auto v = lines(f.log);
  v.resize(3);
  write_lines(f.log, v);
  assert_true(audit::verify_log(f.log, nullptr).ok);  // why the head is kept in the registry
  registry::AuditHead h = f.head();
  auto r = audit::verify_log(f.log, &h);
  assert_false(r.ok);
  assert_int_equal(r.first_bad_seq, 4);
  assert_non_null(strstr(r.reason.c_str(), "truncated"));
}

// A torn last line (no newline) is refused and further appends refuse to chain onto it.
void test_torn_tail(void**) {
  Fixture f = make(2);
  {
    std::ofstream out(f.log, std::ios::app);
    out << "{\"seq\":3";
  }
  assert_false(audit::verify_log(f.log, nullptr).ok);
  audit::AuditLog l(f.log, f.reg.get());
  assert_false(l.append("decision", "{}").ok());
}

// Records longer than the first tail piece append() reads (4 KiB) and than several pieces
// (20 KiB, 70 KiB), one after the other and after short ones: each chains onto the one
// before (seq and prev_hash), and the whole log verifies against the registry head.
void test_long_records(void**) {
  Fixture f = make(2);
  audit::AuditLog l(f.log, f.reg.get());
  for (size_t len : {5000u, 20000u, 70000u, 10u, 70000u}) {
    auto r = l.append("decision", "{\"pad\":\"" + std::string(len, 'x') + "\"}");
    assert_true(r.ok());
  }
  const auto v = lines(f.log);
  assert_int_equal(v.size(), 7);
  registry::AuditHead h = f.head();
  assert_int_equal(h.count, 7);
  audit::VerifyReport rep = audit::verify_log(f.log, &h);
  if (!rep.ok) fail_msg("%s", rep.reason.c_str());
  assert_int_equal(rep.records, 7);
}

// A body that is not a JSON object is refused by append().
void test_bad_body(void**) {
  Fixture f = make(0);
  audit::AuditLog l(f.log, f.reg.get());
  assert_false(l.append("decision", "[1]").ok());
  assert_false(l.append("decision", "not json").ok());
}

}  // namespace

int main() {
  g_dir = host::test::make_temp_dir("locus-audit-");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean),           cmocka_unit_test(test_edited),
      cmocka_unit_test(test_edited_rehashed), cmocka_unit_test(test_deleted),
      cmocka_unit_test(test_reordered),       cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_torn_tail),       cmocka_unit_test(test_bad_body),
      cmocka_unit_test(test_long_records),
  };
  int rc = cmocka_run_group_tests(tests, nullptr, nullptr);
  host::test::remove_tree(g_dir);
  return rc;
}
