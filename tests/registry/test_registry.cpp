// Registry tests: schema migrations (from empty and from an older schema), device rows,
// revocation, nonce single use and expiry, persistent license counters.
#include <sqlite3.h>

#include <string>

#include "locus/common/testproc.h"
#include "locus/registry/registry.h"
#include <cstring>

// cmocka last: it defines macros (fail) that clash with the C++ library.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
extern "C" {
#include <cmocka.h>
}

using namespace locus;
using registry::NonceCheck;

namespace {

std::string g_dir;

std::string db_path(const char* name) { return g_dir + "/" + name; }

host::Bytes ueid_n(uint8_t n) {
  host::Bytes u(33, n);
  u[0] = 0x01;
  return u;
}

registry::Device device(uint8_t n) {
  registry::Device d;
  d.ueid = ueid_n(n);
  d.site = "sg-1";
  d.host = "host-" + std::to_string(n);
  d.hwmodel = "locus-host-sim";
  d.devid_cert = {0x30, 0x01, n};
  d.serial_hex = "aa" + host::hex_encode(host::Bytes{n});
  return d;
}

int count_rows(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  int n = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

// An empty file migrates to the latest schema: version rows 1..N, WAL mode on.
void test_migrate_from_empty(void**) {
  auto r = registry::open_sqlite(db_path("empty.db"));
  assert_true(r.ok());
  auto v = r.value()->schema_version();
  assert_true(v.ok());
  assert_int_equal(v.value(), registry::latest_schema_version());
  assert_int_equal(count_rows(db_path("empty.db"), "SELECT COUNT(*) FROM schema_version"), registry::latest_schema_version());
  sqlite3* db = nullptr;
  sqlite3_open(db_path("empty.db").c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr);
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  assert_string_equal(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

// A database at schema 1 with a device in it migrates to the latest; the device survives and
// the newer tables work (revoked serials, audit heads, hosts).
void test_migrate_from_older(void**) {
  std::string p = db_path("old.db");
  {
    auto r = registry::open_sqlite_at_version(p, 1);
    assert_true(r.ok());
    assert_int_equal(r.value()->schema_version().value(), 1);
    assert_true(r.value()->add_device(device(7)).ok());
    // Version 1 has no revoked_serials table yet.
    assert_false(r.value()->revoke_serial("aa07", "x").ok());
  }
  auto r = registry::open_sqlite(p);
  assert_true(r.ok());
  assert_int_equal(r.value()->schema_version().value(), registry::latest_schema_version());
  auto d = r.value()->get_device(ueid_n(7));
  assert_true(d.ok());
  assert_string_equal(d.value().host.c_str(), "host-7");
  assert_true(r.value()->revoke_serial("aa07", "x").ok());
  registry::HostRecord h;
  h.host = "host-7";
  h.golden_pcrs_json = R"({"sha256":{"0":"00"}})";
  assert_true(r.value()->upsert_host(h).ok());
  assert_true(r.value()->get_host("host-7").ok());
  // Re-opening an up-to-date database applies nothing.
  auto again = registry::open_sqlite(p);
  assert_true(again.ok());
  assert_int_equal(count_rows(p, "SELECT COUNT(*) FROM schema_version"), registry::latest_schema_version());
}

// A database written by a newer locus (schema beyond ours) is refused, not "migrated".
void test_refuses_newer_schema(void**) {
  std::string p = db_path("new.db");
  { assert_true(registry::open_sqlite(p).ok()); }
  sqlite3* db = nullptr;
  sqlite3_open(p.c_str(), &db);
  assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_version VALUES(999, 0)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto r = registry::open_sqlite(p);
  assert_false(r.ok());
  assert_int_equal(static_cast<int>(r.code()), static_cast<int>(host::HostError::kSchemaTooNew));
}

// Devices: duplicate UEIDs are refused; unknown UEIDs are kNotFound; revocation by UEID
// and by serial are both visible.
void test_devices_and_revocation(void**) {
  auto r = registry::open_sqlite(db_path("dev.db"));
  auto& reg = *r.value();
  assert_true(reg.add_device(device(1)).ok());
  auto dup = reg.add_device(device(1));
  assert_int_equal(static_cast<int>(dup.code()), static_cast<int>(host::HostError::kDuplicate));
  assert_int_equal(static_cast<int>(reg.get_device(ueid_n(2)).code()), static_cast<int>(host::HostError::kNotFound));
  assert_true(reg.revoke_ueid(ueid_n(1), "stolen").ok());
  assert_true(reg.get_device(ueid_n(1)).value().revoked);
  assert_string_equal(reg.get_device(ueid_n(1)).value().revoke_reason.c_str(), "stolen");
  assert_false(reg.revoke_ueid(ueid_n(9), "x").ok());
  assert_false(reg.serial_revoked("aa01").value());
  assert_true(reg.revoke_serial("aa01", "key compromise").ok());
  assert_true(reg.serial_revoked("aa01").value());
  assert_int_equal(static_cast<int>(reg.list_devices().value().size()), 1);
}

// Nonces: first use OK, second use kUsed; an expired nonce is kExpired; a nonce issued to
// another device is kWrongDevice; an unknown one kUnknown. Nonces survive a re-open.
void test_nonces(void**) {
  std::string p = db_path("nonce.db");
  host::Bytes n1(32, 1), n2(32, 2), n3(32, 3), n4(32, 4);
  {
    auto r = registry::open_sqlite(p);
    auto& reg = *r.value();
    assert_true(reg.put_nonce(n1, ueid_n(1), 1000).ok());
    assert_true(reg.put_nonce(n2, ueid_n(1), 1000).ok());
    assert_true(reg.put_nonce(n3, ueid_n(1), 1000).ok());
    assert_false(reg.put_nonce(n1, ueid_n(1), 1000).ok());  // collision refused
  }
  auto r = registry::open_sqlite(p);  // "restart"
  auto& reg = *r.value();
  assert_int_equal(static_cast<int>(reg.consume_nonce(n1, ueid_n(1), 999).value()), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(static_cast<int>(reg.consume_nonce(n1, ueid_n(1), 999).value()), static_cast<int>(NonceCheck::kUsed));
  assert_int_equal(static_cast<int>(reg.consume_nonce(n2, ueid_n(1), 1001).value()), static_cast<int>(NonceCheck::kExpired));
  assert_int_equal(static_cast<int>(reg.consume_nonce(n3, ueid_n(2), 999).value()), static_cast<int>(NonceCheck::kWrongDevice));
  // A nonce that failed once is consumed: it cannot be used by the right device afterwards.
  assert_int_equal(static_cast<int>(reg.consume_nonce(n3, ueid_n(1), 999).value()), static_cast<int>(NonceCheck::kUsed));
  assert_int_equal(static_cast<int>(reg.consume_nonce(n4, ueid_n(1), 999).value()), static_cast<int>(NonceCheck::kUnknown));
  assert_true(reg.purge_nonces(2000).ok());
  assert_int_equal(static_cast<int>(reg.consume_nonce(n1, ueid_n(1), 999).value()), static_cast<int>(NonceCheck::kUnknown));
}

// License counters increase strictly per device, also across re-opening the database.
void test_license_counters(void**) {
  std::string p = db_path("ctr.db");
  {
    auto r = registry::open_sqlite(p);
    assert_int_equal(r.value()->next_license_counter(ueid_n(1)).value(), 1);
    assert_int_equal(r.value()->next_license_counter(ueid_n(1)).value(), 2);
    assert_int_equal(r.value()->next_license_counter(ueid_n(2)).value(), 1);
  }
  auto r = registry::open_sqlite(p);
  assert_int_equal(r.value()->last_license_counter(ueid_n(1)).value(), 2);
  assert_int_equal(r.value()->next_license_counter(ueid_n(1)).value(), 3);
  assert_int_equal(r.value()->last_license_counter(ueid_n(3)).value(), 0);
}

// Decisions and audit heads round-trip.
void test_decisions_and_heads(void**) {
  auto r = registry::open_sqlite(db_path("dec.db"));
  auto& reg = *r.value();
  registry::Decision d;
  d.ueid = ueid_n(1);
  d.status = "affirming";
  d.decision_json = "{}";
  d.evidence = {1, 2, 3};
  d.license = {4, 5};
  auto id = reg.add_decision(d);
  assert_true(id.ok());
  assert_true(reg.set_decision_json(id.value(), R"({"x":1})").ok());
  auto l = reg.list_decisions(-1);
  assert_int_equal(static_cast<int>(l.value().size()), 1);
  assert_string_equal(l.value()[0].decision_json.c_str(), R"({"x":1})");
  assert_int_equal(static_cast<int>(l.value()[0].license.size()), 2);
  assert_int_equal(reg.get_audit_head("/x").value().count, 0);
  assert_true(reg.set_audit_head("/x", {5, "ab"}).ok());
  assert_int_equal(reg.get_audit_head("/x").value().count, 5);
}

}  // namespace

int main() {
  g_dir = host::test::make_temp_dir("locus-registry-");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_migrate_from_empty),  cmocka_unit_test(test_migrate_from_older),
      cmocka_unit_test(test_refuses_newer_schema), cmocka_unit_test(test_devices_and_revocation),
      cmocka_unit_test(test_nonces),               cmocka_unit_test(test_license_counters),
      cmocka_unit_test(test_decisions_and_heads),
  };
  int rc = cmocka_run_group_tests(tests, nullptr, nullptr);
  host::test::remove_tree(g_dir);
  return rc;
}
