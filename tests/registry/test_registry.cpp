// Registry tests, one suite run against each backend: SQLite (default) and, with --pg, a real
// PostgreSQL server the test starts itself (skipped, exit 77, where PostgreSQL is absent).
// Covered: schema migrations (from empty and from an older schema, a newer one refused),
// device rows and pending enrollments, revocation, nonce single use, expiry and eviction of
// the oldest outstanding, license counters (strictly increasing, compare-and-set), decisions
// with reserved ids, audit heads, the TPM host tables, trust list versions, transactions
// (rollback leaves nothing), concurrent nonce consumption / counter taking, and group commit
// (concurrent transactions share a COMMIT; a failing or throwing body rolls back alone).
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "db.h"  // host/registry/src: the SQLite connection under the registry
#include "locus/registry/registry.h"
#include "locus_test/testproc.h"
#include "pg_server.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

using namespace locus;
using registry::NonceCheck;

namespace {

std::string g_dir;
pgtest::Server* g_pg = nullptr;  // set in --pg mode
int g_n = 0;

// A fresh, empty registry location for this backend.
std::string fresh(const char* name) {
  std::string n = std::string(name) + std::to_string(g_n++);
  if (g_pg != nullptr) return g_pg->create_db(n);
  return g_dir + "/" + n + ".db";
}

// Raw SQL against the database behind spec (not through the registry).
long long scalar(const std::string& spec, const std::string& sql) {
  if (g_pg != nullptr) return g_pg->scalar(spec.substr(spec.rfind('/') + 1), sql);
  sqlite3* db = nullptr;
  sqlite3_open(spec.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  long long n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}
bool raw_exec(const std::string& spec, const std::string& sql) {
  if (g_pg != nullptr) return g_pg->exec(spec.substr(spec.rfind('/') + 1), sql);
  sqlite3* db = nullptr;
  sqlite3_open(spec.c_str(), &db);
  bool ok = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

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

registry::NonceIssue nonce(const host::Bytes& n, const host::Bytes& ueid, int64_t expires,
                           int64_t issued_us = 0, int max_outstanding = 0) {
  registry::NonceIssue i;
  i.nonce = n;
  i.ueid = ueid;
  i.expires_at = expires;
  i.issued_us = issued_us;
  i.max_outstanding = max_outstanding;
  return i;
}

int nc(const host::HostResult<NonceCheck>& r) {
  assert_true(r.ok());
  return static_cast<int>(r.value());
}
int code(locus::Status s) {
  return s.code();
}

// An empty database migrates to the latest schema: version rows 1..N (SQLite: WAL mode on).
void test_migrate_from_empty(void**) {
  std::string p = fresh("empty");
  auto r = registry::open(p);
  assert_true(r.ok());
  auto v = r.value()->schema_version();
  assert_true(v.ok());
  assert_int_equal(v.value(), registry::latest_schema_version());
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM schema_version"),
                   registry::latest_schema_version());
  if (g_pg == nullptr) {
    sqlite3* db = nullptr;
    sqlite3_open(p.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
}

// A database at schema 1 with a device in it (written the way schema-1 builds wrote it)
// migrates to the latest; the device survives as active and the newer tables work; the dead
// hosts table of schema 3 is gone; re-opening applies nothing.
void test_migrate_from_older(void**) {
  std::string p = fresh("old");
  {
    auto r = registry::open_at_version(p, 1);
    assert_true(r.ok());
    assert_int_equal(r.value()->schema_version().value(), 1);
    // Version 1 has no revoked_serials table yet.
    assert_false(r.value()->revoke_serial("aa07", "x").ok());
  }
  assert_true(raw_exec(p,
                       "INSERT INTO devices(ueid,site,host,hwmodel,devid_cert,serial,enrolled_at)"
                       " VALUES(" +
                           std::string(g_pg ? "'\\x07'" : "X'07'") + ",'sg-1','host-7','hw',''" +
                           (g_pg ? "::bytea" : "") + ",'aa07',5)"));
  auto r = registry::open(p);
  assert_true(r.ok());
  assert_int_equal(r.value()->schema_version().value(), registry::latest_schema_version());
  auto d = r.value()->get_device(host::Bytes{7});
  assert_true(d.ok());
  assert_string_equal(d.value().host.c_str(), "host-7");
  assert_true(d.value().state == registry::DeviceState::kActive);
  assert_true(r.value()->revoke_serial("aa07", "x").ok());
  assert_false(raw_exec(p, "SELECT COUNT(*) FROM hosts"));
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM tpm_hosts"), 0);
  auto again = registry::open(p);
  assert_true(again.ok());
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM schema_version"),
                   registry::latest_schema_version());
}

// A database written by a newer locus (schema beyond ours) is refused, not "migrated".
void test_refuses_newer_schema(void**) {
  std::string p = fresh("new");
  { assert_true(registry::open(p).ok()); }
  assert_true(raw_exec(p, "INSERT INTO schema_version VALUES(999, 0)"));
  auto r = registry::open(p);
  assert_false(r.ok());
  assert_int_equal(code(r.code()), code(host::HostError::kSchemaTooNew));
}

// Devices: duplicate UEIDs are refused; unknown UEIDs are kNotFound; revocation by UEID
// and by serial are both visible; a pending device becomes active once, and only then.
void test_devices_and_revocation(void**) {
  auto r = registry::open(fresh("dev"));
  auto& reg = *r.value();
  assert_true(reg.add_device(device(1)).ok());
  auto dup = reg.add_device(device(1));
  assert_int_equal(code(dup.code()), code(host::HostError::kDuplicate));
  assert_int_equal(code(reg.get_device(ueid_n(2)).code()), code(host::HostError::kNotFound));
  assert_true(reg.revoke_ueid(ueid_n(1), "stolen").ok());
  assert_true(reg.get_device(ueid_n(1)).value().revoked);
  assert_string_equal(reg.get_device(ueid_n(1)).value().revoke_reason.c_str(), "stolen");
  assert_false(reg.revoke_ueid(ueid_n(9), "x").ok());
  assert_false(reg.serial_revoked("aa01").value());
  assert_true(reg.revoke_serial("aa01", "key compromise").ok());
  assert_true(reg.serial_revoked("aa01").value());
  assert_int_equal(static_cast<int>(reg.list_devices().value().size()), 1);
  registry::Device p = device(3);
  p.state = registry::DeviceState::kPending;
  assert_true(reg.add_device(p).ok());
  assert_true(reg.get_device(ueid_n(3)).value().state == registry::DeviceState::kPending);
  assert_int_equal(code(reg.activate_device(ueid_n(1)).code()), code(host::HostError::kNotFound));
  assert_true(reg.activate_device(ueid_n(3)).ok());
  assert_true(reg.get_device(ueid_n(3)).value().state == registry::DeviceState::kActive);
  assert_false(reg.activate_device(ueid_n(3)).ok());
}

// Nonces: first use OK, second use kUsed; an expired nonce is kExpired; a nonce issued to
// another device is kWrongDevice; an unknown one kUnknown; peek never consumes. Nonces
// survive a re-open; purge removes expired ones.
void test_nonces(void**) {
  std::string p = fresh("nonce");
  host::Bytes n1(32, 1), n2(32, 2), n3(32, 3), n4(32, 4);
  {
    auto r = registry::open(p);
    auto& reg = *r.value();
    assert_true(reg.put_nonce(nonce(n1, ueid_n(1), 1000)).ok());
    assert_true(reg.put_nonce(nonce(n2, ueid_n(1), 1000)).ok());
    assert_true(reg.put_nonce(nonce(n3, ueid_n(1), 1000)).ok());
    auto col = reg.put_nonce(nonce(n1, ueid_n(1), 1000));  // collision refused
    assert_int_equal(code(col.code()), code(host::HostError::kDuplicate));
  }
  auto r = registry::open(p);  // "restart"
  auto& reg = *r.value();
  assert_int_equal(nc(reg.peek_nonce(n1, ueid_n(1), 999)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(nc(reg.peek_nonce(n1, ueid_n(1), 999)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(nc(reg.consume_nonce(n1, ueid_n(1), 999)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(nc(reg.consume_nonce(n1, ueid_n(1), 999)), static_cast<int>(NonceCheck::kUsed));
  assert_int_equal(nc(reg.peek_nonce(n1, ueid_n(1), 999)), static_cast<int>(NonceCheck::kUsed));
  assert_int_equal(nc(reg.consume_nonce(n2, ueid_n(1), 1001)),
                   static_cast<int>(NonceCheck::kExpired));
  assert_int_equal(nc(reg.consume_nonce(n3, ueid_n(2), 999)),
                   static_cast<int>(NonceCheck::kWrongDevice));
  // A nonce that failed once is consumed: it cannot be used by the right device afterwards.
  assert_int_equal(nc(reg.consume_nonce(n3, ueid_n(1), 999)), static_cast<int>(NonceCheck::kUsed));
  assert_int_equal(nc(reg.consume_nonce(n4, ueid_n(1), 999)),
                   static_cast<int>(NonceCheck::kUnknown));
  assert_true(reg.purge_nonces(2000).ok());
  assert_int_equal(nc(reg.consume_nonce(n1, ueid_n(1), 999)),
                   static_cast<int>(NonceCheck::kUnknown));
}

// Eviction is per (device, source): requests from one address evict only that address's
// oldest nonces for the device, never another address's. max_per_source caps the unused,
// unexpired nonces of one address over all devices: one more is refused (kNonce) and writes
// nothing; used ones do not count; another address is not affected.
void test_nonce_sources(void**) {
  auto r = registry::open(fresh("sources"));
  auto& reg = *r.value();
  auto from = [](const host::Bytes& n, uint8_t dev, const char* src, int64_t us) {
    registry::NonceIssue i = nonce(n, ueid_n(dev), 1000, us, 2);
    i.source = src;
    i.max_per_source = 3;
    return i;
  };
  host::Bytes honest(32, 0x40);
  assert_true(reg.put_nonce(from(honest, 1, "10.0.0.1", 1000000)).ok());
  host::Bytes f[4];
  for (int i = 0; i < 4; i++) {
    f[i] = host::Bytes(32, static_cast<uint8_t>(0x50 + i));
    // Device 1 from the flooding address; at most 2 kept (and 3 over all its devices).
    auto s = reg.put_nonce(from(f[i], 1, "10.6.6.6", 2000000 + i));
    assert_true(s.ok());
  }
  assert_int_equal(nc(reg.peek_nonce(honest, ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(nc(reg.peek_nonce(f[0], ueid_n(1), 10)), static_cast<int>(NonceCheck::kEvicted));
  assert_int_equal(nc(reg.peek_nonce(f[1], ueid_n(1), 10)), static_cast<int>(NonceCheck::kEvicted));
  assert_int_equal(nc(reg.peek_nonce(f[3], ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
  // The flooder holds f2, f3 (device 1); one for device 2 makes 3 = the cap; a 4th is refused.
  host::Bytes g(32, 0x60), h(32, 0x61), k(32, 0x62);
  assert_true(reg.put_nonce(from(g, 2, "10.6.6.6", 3000000)).ok());
  auto over = reg.put_nonce(from(h, 3, "10.6.6.6", 3000001));
  assert_false(over.ok());
  assert_int_equal(code(over.code()), code(host::HostError::kNonce));
  assert_int_equal(nc(reg.peek_nonce(h, ueid_n(3), 10)), static_cast<int>(NonceCheck::kUnknown));
  // A used one no longer counts; the other address was never limited by the flooder.
  assert_int_equal(nc(reg.consume_nonce(g, ueid_n(2), 10)), static_cast<int>(NonceCheck::kOk));
  assert_true(reg.put_nonce(from(h, 3, "10.6.6.6", 3000002)).ok());
  assert_true(reg.put_nonce(from(k, 3, "10.0.0.1", 3000003)).ok());
}

// At most max_outstanding unused nonces per device: issuing one more evicts the oldest
// (kEvicted, never usable), not the newest, not a consumed one, not another device's. The
// purge in put_nonce deletes only nonces that expired before purge_before.
void test_nonce_eviction_and_purge(void**) {
  auto r = registry::open(fresh("evict"));
  auto& reg = *r.value();
  host::Bytes n[6];
  for (int i = 0; i < 6; i++) n[i] = host::Bytes(32, static_cast<uint8_t>(0x10 + i));
  assert_true(reg.put_nonce(nonce(n[0], ueid_n(1), 1000, 100, 3)).ok());
  assert_true(reg.put_nonce(nonce(n[1], ueid_n(1), 1000, 200, 3)).ok());
  assert_int_equal(nc(reg.consume_nonce(n[1], ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
  assert_true(reg.put_nonce(nonce(n[2], ueid_n(1), 1000, 300, 3)).ok());
  assert_true(reg.put_nonce(nonce(n[5], ueid_n(2), 1000, 50, 3)).ok());  // other device
  assert_true(reg.put_nonce(nonce(n[3], ueid_n(1), 1000, 400, 3)).ok());
  // Unused for device 1: n0, n2, n3 (3 = limit). One more evicts n0, the oldest.
  assert_true(reg.put_nonce(nonce(n[4], ueid_n(1), 1000, 500, 3)).ok());
  assert_int_equal(nc(reg.peek_nonce(n[0], ueid_n(1), 10)), static_cast<int>(NonceCheck::kEvicted));
  assert_int_equal(nc(reg.consume_nonce(n[0], ueid_n(1), 10)),
                   static_cast<int>(NonceCheck::kEvicted));
  assert_int_equal(nc(reg.peek_nonce(n[1], ueid_n(1), 10)), static_cast<int>(NonceCheck::kUsed));
  for (int i : {2, 3, 4})
    assert_int_equal(nc(reg.peek_nonce(n[i], ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(nc(reg.peek_nonce(n[5], ueid_n(2), 10)), static_cast<int>(NonceCheck::kOk));
  // Open nonces (the verifier's /metrics gauge): unused, not evicted, unexpired, all devices:
  // n2, n3, n4 and n5 at t=10; none once they expired.
  assert_int_equal(reg.count_open_nonces(10).value(), 4);
  assert_int_equal(reg.count_open_nonces(1001).value(), 0);
  // Purge: a nonce that expired at 500 goes with purge_before 600; one expiring at 1000 stays.
  host::Bytes old(32, 0x77), fresh_n(32, 0x78);
  assert_true(reg.put_nonce(nonce(old, ueid_n(3), 500, 1)).ok());
  registry::NonceIssue i = nonce(fresh_n, ueid_n(3), 1000, 2);
  i.purge_before = 600;
  assert_true(reg.put_nonce(i).ok());
  assert_int_equal(nc(reg.peek_nonce(old, ueid_n(3), 10)), static_cast<int>(NonceCheck::kUnknown));
  assert_int_equal(nc(reg.peek_nonce(fresh_n, ueid_n(3), 10)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(reg.count_open_nonces(10).value(), 5);
}

// The purge in put_nonce is a bounded batch (64): after a mass expiry of 100 nonces one issue
// deletes 64 of them, the next the remaining 36; unexpired ones are never touched.
void test_nonce_purge_bounded(void**) {
  std::string p = fresh("purge");
  auto r = registry::open(p);
  auto& reg = *r.value();
  assert_true(reg.transaction([&]() -> host::HStatus {
                   for (int i = 0; i < 100; i++) {
                     host::Bytes n(32, 0);
                     n[0] = static_cast<uint8_t>(i);
                     host::HStatus s = reg.put_nonce(nonce(n, ueid_n(4), 500, i));
                     if (!s.ok()) return s;
                   }
                   return host::HStatus::Ok();
                 })
                  .ok());
  registry::NonceIssue a = nonce(host::Bytes(32, 0xE1), ueid_n(5), 5000, 1);
  a.purge_before = 600;
  assert_true(reg.put_nonce(a).ok());
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM nonces WHERE expires_at < 600"), 36);
  registry::NonceIssue b = nonce(host::Bytes(32, 0xE2), ueid_n(5), 5000, 2);
  b.purge_before = 600;
  assert_true(reg.put_nonce(b).ok());
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM nonces WHERE expires_at < 600"), 0);
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM nonces"), 2);
}

// Schema 9 replaces the two indexes that find outstanding nonces by partial ones (WHERE
// used=0). Nonces written at schema 8 keep their state across the migration (outstanding,
// used, evicted), and afterwards the caps still count, evict and free as before.
void test_nonce_indexes_migrate_to_partial(void**) {
  std::string p = fresh("nonce9");
  host::Bytes a(32, 0xA1), b(32, 0xA2), c(32, 0xA3), d(32, 0xA4), e(32, 0xA5);
  {
    auto r = registry::open_at_version(p, 8);
    assert_true(r.ok());
    auto& reg = *r.value();
    assert_true(reg.put_nonce(nonce(a, ueid_n(1), 1000, 100, 2)).ok());
    assert_true(reg.put_nonce(nonce(b, ueid_n(1), 1000, 200, 2)).ok());
    assert_int_equal(nc(reg.consume_nonce(b, ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
    assert_true(reg.put_nonce(nonce(c, ueid_n(1), 1000, 300, 2)).ok());
    assert_true(reg.put_nonce(nonce(d, ueid_n(1), 1000, 400, 2)).ok());  // evicts a
  }
  auto r = registry::open(p);
  assert_true(r.ok());
  auto& reg = *r.value();
  assert_int_equal(reg.schema_version().value(), registry::latest_schema_version());
  const bool pg = g_pg != nullptr;
  for (const char* gone : {"nonces_device_source", "nonces_source_open"})
    assert_int_equal(
        scalar(p, pg ? std::string("SELECT COUNT(*) FROM pg_indexes WHERE indexname='") + gone + "'"
                     : std::string("SELECT COUNT(*) FROM sqlite_master WHERE name='") + gone + "'"),
        0);
  for (const char* partial : {"nonces_open_device", "nonces_open_source"})
    assert_int_equal(
        scalar(p, pg ? std::string("SELECT COUNT(*) FROM pg_indexes WHERE indexname='") + partial +
                           "' AND indexdef LIKE '%WHERE (used = 0)'"
                     : std::string("SELECT COUNT(*) FROM sqlite_master WHERE name='") + partial +
                           "' AND sql LIKE '%WHERE used=0'"),
        1);
  assert_int_equal(nc(reg.peek_nonce(a, ueid_n(1), 10)), static_cast<int>(NonceCheck::kEvicted));
  assert_int_equal(nc(reg.peek_nonce(b, ueid_n(1), 10)), static_cast<int>(NonceCheck::kUsed));
  assert_int_equal(nc(reg.peek_nonce(c, ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(reg.count_open_nonces(10).value(), 2);  // c, d
  // Eviction after the migration: one more for device 1 evicts c (the oldest outstanding).
  assert_true(reg.put_nonce(nonce(e, ueid_n(1), 1000, 500, 2)).ok());
  assert_int_equal(nc(reg.peek_nonce(c, ueid_n(1), 10)), static_cast<int>(NonceCheck::kEvicted));
  assert_int_equal(nc(reg.consume_nonce(d, ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(nc(reg.consume_nonce(e, ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(reg.count_open_nonces(10).value(), 0);
}

// License counters increase strictly per device, also across re-opening the database;
// take_license_counter is a compare-and-set on the last value.
void test_license_counters(void**) {
  std::string p = fresh("ctr");
  {
    auto r = registry::open(p);
    assert_int_equal(r.value()->next_license_counter(ueid_n(1)).value(), 1);
    assert_int_equal(r.value()->next_license_counter(ueid_n(1)).value(), 2);
    assert_int_equal(r.value()->next_license_counter(ueid_n(2)).value(), 1);
  }
  auto r = registry::open(p);
  auto& reg = *r.value();
  assert_int_equal(reg.last_license_counter(ueid_n(1)).value(), 2);
  assert_int_equal(reg.next_license_counter(ueid_n(1)).value(), 3);
  assert_int_equal(reg.last_license_counter(ueid_n(3)).value(), 0);
  assert_true(reg.take_license_counter(ueid_n(3), 0).value());
  assert_false(reg.take_license_counter(ueid_n(3), 0).value());  // 1 is taken
  assert_false(reg.take_license_counter(ueid_n(1), 2).value());  // stale expectation
  assert_true(reg.take_license_counter(ueid_n(1), 3).value());
  assert_int_equal(reg.last_license_counter(ueid_n(1)).value(), 4);
}

// Decisions round-trip with a reserved id (inside a transaction only); audit heads too.
void test_decisions_and_heads(void**) {
  auto r = registry::open(fresh("dec"));
  auto& reg = *r.value();
  assert_false(reg.reserve_decision_id().ok());  // outside a transaction
  registry::Decision d;
  d.ueid = ueid_n(1);
  d.status = "affirming";
  d.decision_json = R"({"x":1})";
  d.evidence = {1, 2, 3};
  d.license = {4, 5};
  int64_t first = 0, second = 0;
  assert_true(reg.transaction([&]() -> host::HStatus {
                   auto id = reg.reserve_decision_id();
                   if (!id.ok()) return id.status();
                   d.id = first = id.value();
                   auto a = reg.add_decision(d);
                   if (!a.ok() || a.value() != first) return {host::HostError::kDb, "id"};
                   auto id2 = reg.reserve_decision_id();
                   if (!id2.ok()) return id2.status();
                   second = id2.value();
                   return host::HStatus::Ok();
                 })
                  .ok());
  assert_true(second > first);
  auto l = reg.list_decisions(-1);
  assert_int_equal(static_cast<int>(l.value().size()), 1);
  assert_int_equal(l.value()[0].id, first);
  assert_string_equal(l.value()[0].decision_json.c_str(), R"({"x":1})");
  assert_int_equal(static_cast<int>(l.value()[0].license.size()), 2);
  assert_int_equal(static_cast<int>(l.value()[0].evidence.size()), 3);
  assert_int_equal(reg.get_audit_head("/x").value().count, 0);
  assert_true(reg.set_audit_head("/x", {5, "ab"}).ok());
  assert_int_equal(reg.get_audit_head("/x").value().count, 5);
  assert_true(reg.set_audit_head("/x", {6, "cd"}).ok());
  assert_string_equal(reg.get_audit_head("/x").value().hash_hex.c_str(), "cd");
}

// decisions_after pages through the whole history in id order: pages of 2 over 5 decisions
// give every id once, ascending, with its bytes; past the end is empty; a limit below 1 is a
// usage error, not "everything".
void test_decisions_after_pages(void**) {
  auto r = registry::open(fresh("pages"));
  auto& reg = *r.value();
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; i++) {
    registry::Decision d;
    d.ueid = ueid_n(static_cast<uint8_t>(1 + (i % 2)));
    d.status = "contraindicated";
    d.decision_json = "{\"n\":" + std::to_string(i) + "}";
    d.evidence = {static_cast<uint8_t>(i)};
    assert_true(reg.transaction([&]() -> host::HStatus {
                     auto id = reg.reserve_decision_id();
                     if (!id.ok()) return id.status();
                     d.id = id.value();
                     ids.push_back(d.id);
                     return reg.add_decision(d).status();
                   })
                    .ok());
  }
  std::vector<int64_t> seen;
  int64_t after = 0;
  int pages = 0;
  for (;;) {
    auto p = reg.decisions_after(after, 2);
    assert_true(p.ok());
    if (p.value().empty()) break;
    assert_true(p.value().size() <= 2);
    pages++;
    for (const auto& d : p.value()) {
      assert_int_equal(static_cast<int>(d.evidence.size()), 1);
      assert_int_equal(d.evidence[0], static_cast<int>(seen.size()));
      seen.push_back(d.id);
    }
    after = p.value().back().id;
  }
  assert_int_equal(pages, 3);
  assert_true(seen == ids);
  assert_true(reg.decisions_after(ids.back(), 10).value().empty());
  auto one = reg.decisions_after(ids[2] - 1, 1);
  assert_int_equal(static_cast<int>(one.value().size()), 1);
  assert_int_equal(one.value()[0].id, ids[2]);
  assert_int_equal(code(reg.decisions_after(0, 0).code()), code(host::HostError::kUsage));

  // for_each_decision: the same history through pages of 2, in order; from an id onwards;
  // stopped by the visitor; a visitor's error and a bad page size come back as they are.
  std::vector<int64_t> walked;
  auto collect = [&](const registry::Decision& d) -> host::HostResult<registry::Visit> {
    walked.push_back(d.id);
    return registry::Visit::kNext;
  };
  assert_true(registry::for_each_decision(reg, 0, collect, 2).ok());
  assert_true(walked == ids);
  walked.clear();
  assert_true(registry::for_each_decision(reg, ids[2], collect, 2).ok());
  assert_true(walked == std::vector<int64_t>(ids.begin() + 3, ids.end()));
  walked.clear();
  assert_true(registry::for_each_decision(
                  reg, 0,
                  [&](const registry::Decision& d) -> host::HostResult<registry::Visit> {
                    walked.push_back(d.id);
                    return walked.size() == 3 ? registry::Visit::kStop : registry::Visit::kNext;
                  },
                  2)
                  .ok());
  assert_true(walked == std::vector<int64_t>(ids.begin(), ids.begin() + 3));
  host::HStatus failed = registry::for_each_decision(
      reg, 0, [&](const registry::Decision&) -> host::HostResult<registry::Visit> {
        return host::HStatus(host::HostError::kIo, "disk full");
      });
  assert_int_equal(code(failed.code()), code(host::HostError::kIo));
  assert_string_equal(failed.message().c_str(), "disk full");
  assert_int_equal(code(registry::for_each_decision(reg, 0, collect, 0).code()),
                   code(host::HostError::kUsage));
}

// The newest decision of each enrolled board, through the decisions_ueid index (the fleet
// page reads these, never the whole history): boards 1 and 2 with several decisions each give
// their last one, without evidence or license bytes; board 3 has none; an unknown UEID's
// decisions are not a board's. list_decisions(N) is the newest N, oldest first.
void test_latest_decisions(void**) {
  const std::string p = fresh("latest");
  auto r = registry::open(p);
  auto& reg = *r.value();
  for (int n : {1, 2, 3}) assert_true(reg.add_device(device(uint8_t(n))).ok());
  std::vector<int64_t> ids;
  for (int n : {1, 2, 1, 9, 2, 1}) {
    registry::Decision d;
    d.ueid = ueid_n(uint8_t(n));
    d.time = 1000 + int64_t(ids.size());
    d.status = n == 2 ? "contraindicated" : "affirming";
    d.decision_json = "{\"n\":" + std::to_string(ids.size()) + "}";
    d.evidence = {1, 2, 3};
    d.license = {4, 5};
    auto id = reg.add_decision(d);
    assert_true(id.ok());
    ids.push_back(id.value());
  }
  auto l = reg.latest_decisions();
  if (!l.ok()) fail_msg("%s", l.message().c_str());
  assert_int_equal(static_cast<int>(l.value().size()), 2);
  assert_int_equal(l.value()[0].id, ids[4]);  // board 2's second
  assert_true(l.value()[0].ueid == ueid_n(2));
  assert_string_equal(l.value()[0].status.c_str(), "contraindicated");
  assert_string_equal(l.value()[0].decision_json.c_str(), "{\"n\":4}");
  assert_int_equal(l.value()[0].time, 1004);
  assert_int_equal(l.value()[1].id, ids[5]);  // board 1's third
  assert_true(l.value()[1].ueid == ueid_n(1));
  assert_true(l.value()[1].evidence.empty() && l.value()[1].license.empty());
  auto newest = reg.list_decisions(2);
  assert_int_equal(static_cast<int>(newest.value().size()), 2);
  assert_int_equal(newest.value()[0].id, ids[4]);
  assert_int_equal(newest.value()[1].id, ids[5]);
  assert_int_equal(static_cast<int>(newest.value()[1].evidence.size()), 3);
  assert_int_equal(static_cast<int>(reg.list_decisions(-1).value().size()), 6);
  // Pages of the boards in UEID order (the fleet page): {1, 2} then {3}; the newest decision
  // of the page's boards only (board 3 has none); the count is of all boards.
  assert_int_equal(reg.count_devices().value(), 3);
  auto p1 = reg.devices_after(host::Bytes{}, 2);
  assert_int_equal(static_cast<int>(p1.value().size()), 2);
  assert_true(p1.value()[0].ueid == ueid_n(1) && p1.value()[1].ueid == ueid_n(2));
  auto p2 = reg.devices_after(ueid_n(2), 2);
  assert_int_equal(static_cast<int>(p2.value().size()), 1);
  assert_true(p2.value()[0].ueid == ueid_n(3));
  assert_true(reg.devices_after(ueid_n(3), 2).value().empty());
  auto lp = reg.latest_decisions_between(ueid_n(1), ueid_n(2));  // board 2 alone
  assert_int_equal(static_cast<int>(lp.value().size()), 1);
  assert_int_equal(lp.value()[0].id, ids[4]);
  assert_int_equal(
      static_cast<int>(reg.latest_decisions_between(host::Bytes{}, ueid_n(2)).value().size()), 2);
  assert_true(reg.latest_decisions_between(ueid_n(2), ueid_n(3)).value().empty());
  assert_true(reg.latest_decisions_between(ueid_n(2), ueid_n(1)).value().empty());
  assert_int_equal(code(reg.devices_after(host::Bytes{}, 0).code()), code(host::HostError::kUsage));
  // The index the lookup goes through is part of the schema on this backend.
  assert_int_equal(scalar(p, g_pg != nullptr ? "SELECT COUNT(*) FROM pg_indexes WHERE "
                                               "indexname='decisions_ueid'"
                                             : "SELECT COUNT(*) FROM sqlite_master WHERE "
                                               "type='index' AND name='decisions_ueid'"),
                   1);
}

// Pending audit records (host/audit's durable copies): written in a transaction (a rolled-back
// one leaves none), listed after a seq in order, per log, once per (log, seq) (if_absent leaves
// an existing row as it is), pruned up to a seq; the table is part of the latest schema on
// both backends.
void test_audit_pending(void**) {
  std::string p = fresh("pending");
  auto r = registry::open(p);
  auto& reg = *r.value();
  assert_true(reg.transaction([&]() -> host::HStatus {
                   for (uint64_t s = 3; s <= 6; s++) {
                     auto a = reg.add_audit_pending("/log", s, "line" + std::to_string(s));
                     if (!a.ok()) return a;
                   }
                   return reg.add_audit_pending("/other", 4, "other4");
                 })
                  .ok());
  assert_false(reg.transaction([&]() -> host::HStatus {
                    host::HStatus a = reg.add_audit_pending("/log", 7, "line7");
                    if (!a.ok()) return a;
                    return {host::HostError::kDb, "injected"};
                  })
                   .ok());
  auto l = reg.list_audit_pending("/log", 0);
  assert_true(l.ok());
  assert_int_equal(l.value().size(), 4);  // not 7: rolled back
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(l.value()[i].seq, 3 + i);
    assert_string_equal(l.value()[i].line.c_str(), ("line" + std::to_string(3 + i)).c_str());
  }
  assert_int_equal(reg.list_audit_pending("/log", 4).value().size(), 2);
  assert_int_equal(code(reg.add_audit_pending("/log", 5, "again").code()),
                   code(host::HostError::kDuplicate));
  // if_absent: an existing row stays as it is; a missing one is added.
  assert_true(reg.add_audit_pending_if_absent("/log", 5, "other").ok());
  assert_true(reg.add_audit_pending_if_absent("/log", 9, "line9").ok());
  l = reg.list_audit_pending("/log", 4);
  assert_int_equal(l.value().size(), 3);
  assert_string_equal(l.value()[0].line.c_str(), "line5");
  assert_string_equal(l.value()[2].line.c_str(), "line9");
  assert_true(reg.prune_audit_pending("/log", 4).ok());
  l = reg.list_audit_pending("/log", 0);
  assert_int_equal(l.value().size(), 3);
  assert_int_equal(l.value()[0].seq, 5);
  assert_int_equal(reg.list_audit_pending("/other", 0).value().size(), 1);  // other log kept
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM audit_pending"), 4);
}

// Evidence bundles: written in the decision's transaction (a rolled-back decision leaves no
// bundle), read back byte for byte, written once per decision; a registry opened read-only
// reads them and refuses every write (the database refuses it, not a flag of ours).
void test_evidence_bundles(void**) {
  std::string p = fresh("bundle");
  auto r = registry::open(p);
  auto& reg = *r.value();
  host::Bytes bundle(3000);
  for (size_t i = 0; i < bundle.size(); i++) bundle[i] = static_cast<uint8_t>(i * 7);
  registry::Decision d;
  d.ueid = ueid_n(1);
  d.status = "contraindicated";
  d.decision_json = "{}";
  int64_t id = 0;
  assert_true(reg.transaction([&]() -> host::HStatus {
                   auto rid = reg.reserve_decision_id();
                   if (!rid.ok()) return rid.status();
                   d.id = id = rid.value();
                   if (!reg.add_decision(d).ok()) return {host::HostError::kDb, "dec"};
                   return reg.put_evidence_bundle(id, bundle);
                 })
                  .ok());
  auto got = reg.get_evidence_bundle(id);
  assert_true(got.ok());
  assert_true(got.value() == bundle);
  auto dup = reg.put_evidence_bundle(id, bundle);
  assert_int_equal(code(dup.code()), code(host::HostError::kDuplicate));
  // Rolled back with its decision.
  host::HStatus s = reg.transaction([&]() -> host::HStatus {
    auto rid = reg.reserve_decision_id();
    if (!rid.ok()) return rid.status();
    d.id = rid.value();
    if (!reg.add_decision(d).ok()) return {host::HostError::kDb, "dec"};
    if (!reg.put_evidence_bundle(d.id, bundle).ok()) return {host::HostError::kDb, "bundle"};
    return {host::HostError::kRefused, "changed my mind"};
  });
  assert_int_equal(code(s.code()), code(host::HostError::kRefused));
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM evidence_bundles"), 1);
  assert_int_equal(code(reg.get_evidence_bundle(id + 1).code()), code(host::HostError::kNotFound));
  // Read-only.
  auto ro = registry::open_read_only(p);
  if (!ro.ok()) fail_msg("%s", ro.message().c_str());
  assert_true(ro.value()->get_evidence_bundle(id).value() == bundle);
  assert_int_equal(static_cast<int>(ro.value()->list_decisions(-1).value().size()), 1);
  assert_false(ro.value()->put_evidence_bundle(id + 5, bundle).ok());
  assert_false(ro.value()->set_audit_head("/x", {1, "ab"}).ok());
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM evidence_bundles"), 1);
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM audit_heads"), 0);
  // An older schema is not migrated by a read-only open.
  std::string old = fresh("bundle_old");
  assert_true(registry::open_at_version(old, 4).ok());
  auto ro_old = registry::open_read_only(old);
  assert_false(ro_old.ok());
  assert_int_equal(scalar(old, "SELECT MAX(version) FROM schema_version"), 4);
}

// A transaction whose body fails leaves nothing behind (nonce, counter, decision), and calls
// inside a transaction see its own writes.
void test_transaction_rollback(void**) {
  std::string p = fresh("txn");
  auto r = registry::open(p);
  auto& reg = *r.value();
  host::Bytes n(32, 9);
  assert_true(reg.put_nonce(nonce(n, ueid_n(1), 1000)).ok());
  host::HStatus s = reg.transaction([&]() -> host::HStatus {
    if (nc(reg.consume_nonce(n, ueid_n(1), 10)) != static_cast<int>(NonceCheck::kOk))
      return {host::HostError::kDb, "consume"};
    if (!reg.take_license_counter(ueid_n(1), 0).value()) return {host::HostError::kDb, "ctr"};
    if (reg.last_license_counter(ueid_n(1)).value() != 1) return {host::HostError::kDb, "see"};
    registry::Decision d;
    d.ueid = ueid_n(1);
    d.status = "affirming";
    d.decision_json = "{}";
    if (!reg.add_decision(d).ok()) return {host::HostError::kDb, "dec"};
    return {host::HostError::kRefused, "changed my mind"};
  });
  assert_int_equal(code(s.code()), code(host::HostError::kRefused));
  assert_int_equal(nc(reg.peek_nonce(n, ueid_n(1), 10)), static_cast<int>(NonceCheck::kOk));
  assert_int_equal(reg.last_license_counter(ueid_n(1)).value(), 0);
  assert_int_equal(scalar(p, "SELECT COUNT(*) FROM decisions"), 0);
}

// TPM host tables: a host round-trips, boards bind to known hosts only, the AK name is
// unique, and the quote baseline only moves forward (compare-and-set).
void test_tpm_tables(void**) {
  auto r = registry::open(fresh("tpm"));
  auto& reg = *r.value();
  registry::TpmHostRow h;
  h.host = "h1";
  h.ek_public = {1};
  h.ek_cert = {2};
  h.ak_public = {3};
  h.ak_name = {4, 4};
  h.pcrs = "0,7";
  h.golden = host::Bytes(64, 5);
  assert_true(reg.put_tpm_host(h).ok());
  auto g = reg.get_tpm_host("h1");
  assert_true(g.ok());
  assert_string_equal(g.value().pcrs.c_str(), "0,7");
  assert_int_equal(static_cast<int>(g.value().golden.size()), 64);
  assert_int_equal(code(reg.get_tpm_host("nope").code()), code(host::HostError::kNotFound));
  assert_true(reg.put_tpm_host(h).ok());  // re-enrollment replaces
  registry::TpmHostRow h2 = h;
  h2.host = "h2";
  assert_false(reg.put_tpm_host(h2).ok());  // same AK name
  assert_string_equal(reg.tpm_host_by_ak_name(host::Bytes{4, 4}).value().c_str(), "h1");
  assert_int_equal(code(reg.bind_board_host("0a", "nope").code()),
                   code(host::HostError::kNotFound));
  assert_true(reg.bind_board_host("0a", "h1").ok());
  assert_string_equal(reg.board_host("0a").value().c_str(), "h1");
  assert_true(reg.record_tpm_quote("h1", 100, 1, 0).value());
  assert_false(reg.record_tpm_quote("h1", 100, 1, 0).value());  // the same quote again
  assert_false(reg.record_tpm_quote("h1", 90, 1, 0).value());   // older
  assert_true(reg.record_tpm_quote("h1", 5, 2, 0).value());     // a reboot (reset + 1)
  assert_int_equal(code(reg.record_tpm_quote("nope", 1, 1, 1).code()),
                   code(host::HostError::kNotFound));
}

// Trust list versions only go up per signer; equal is fine; another signer is separate.
void test_trust_list_versions(void**) {
  std::string p = fresh("tl");
  {
    auto r = registry::open(p);
    assert_int_equal(r.value()->trust_list_version("s").value(), 0);
    assert_true(r.value()->raise_trust_list_version("s", 3).ok());
    assert_true(r.value()->raise_trust_list_version("s", 3).ok());
  }
  auto r = registry::open(p);
  auto older = r.value()->raise_trust_list_version("s", 2);
  assert_int_equal(code(older.code()), code(host::HostError::kRefused));
  assert_non_null(strstr(older.message().c_str(), "older than version 3"));
  assert_true(r.value()->raise_trust_list_version("t", 1).ok());
  assert_true(r.value()->raise_trust_list_version("s", 4).ok());
  assert_int_equal(r.value()->trust_list_version("s").value(), 4);
  assert_false(r.value()->raise_trust_list_version("u", 0).ok());
}

// Many threads on one registry object: 16 threads race to consume each of 40 nonces (exactly
// one kOk per nonce, no errors) and to take counters of one board by compare-and-set
// (every value 1..N taken exactly once).
void test_concurrent_consume_and_counters(void**) {
  auto r = registry::open(fresh("conc"));
  auto& reg = *r.value();
  constexpr int kNonces = 40, kThreads = 16, kTakes = 10;
  for (int i = 0; i < kNonces; i++)
    assert_true(
        reg.put_nonce(nonce(host::Bytes(32, static_cast<uint8_t>(i)), ueid_n(1), 1000)).ok());
  std::atomic<int> ok{0}, errors{0}, taken{0};
  std::vector<std::thread> ts;
  ts.reserve(kThreads);

  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&]() {
      for (int i = 0; i < kNonces; i++) {
        auto c = reg.consume_nonce(host::Bytes(32, static_cast<uint8_t>(i)), ueid_n(1), 10);
        if (c.ok() && c.value() == NonceCheck::kOk)
          ok++;
        else if (!c.ok() || c.value() != NonceCheck::kUsed)
          errors++;
      }
      for (int k = 0; k < kTakes;) {
        auto last = reg.last_license_counter(ueid_n(2));
        if (!last.ok()) {
          errors++;
          return;
        }
        auto took = reg.take_license_counter(ueid_n(2), last.value());
        if (!took.ok()) {
          errors++;
          return;
        }
        if (took.value()) {
          taken++;
          k++;
        }
      }
    });
  for (auto& t : ts) t.join();
  assert_int_equal(errors.load(), 0);
  assert_int_equal(ok.load(), kNonces);
  assert_int_equal(taken.load(), kThreads * kTakes);
  assert_int_equal(reg.last_license_counter(ueid_n(2)).value(), kThreads * kTakes);
}

// Durable transactions from many threads at once (group commit on SQLite): every body that
// returns OK is committed, every body that fails or throws leaves nothing (its savepoint is
// rolled back, the others of its group commit), an exception reaches its own caller, and on
// SQLite the COMMITs are fewer than the transactions (the groups formed).
void test_group_commit(void**) {
  auto r = registry::open(fresh("group"));
  auto& reg = *r.value();
  constexpr int kThreads = 8, kPer = 25;
  auto fails = [](int n) { return n % 7 == 3; };
  auto throws = [](int n) { return n % 50 == 17; };
  const registry::CommitStats before = reg.commit_stats();
  std::atomic<int> wrong{0}, caught{0};
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t]() {
      for (int i = 0; i < kPer; i++) {
        const int n = t * kPer + i;
        try {
          host::HStatus s = reg.transaction([&]() -> host::HStatus {
            if (!reg.add_device(device(static_cast<uint8_t>(n))).ok())
              return {host::HostError::kDb, "add"};
            std::this_thread::sleep_for(std::chrono::microseconds(300));  // others queue
            if (throws(n)) throw std::runtime_error("body " + std::to_string(n));
            if (fails(n)) return {host::HostError::kRefused, "body refuses"};
            return host::HStatus::Ok();
          });
          const bool want_ok = !fails(n);
          if (s.ok() != want_ok || (!want_ok && code(s.code()) != code(host::HostError::kRefused)))
            wrong++;
        } catch (const std::runtime_error& e) {
          if (!throws(n) || std::string(e.what()) != "body " + std::to_string(n)) wrong++;
          caught++;
        }
      }
    });
  for (auto& t : ts) t.join();
  assert_int_equal(wrong.load(), 0);
  int committed = 0;
  for (int n = 0; n < kThreads * kPer; n++) {
    const bool present = reg.get_device(ueid_n(static_cast<uint8_t>(n))).ok();
    const bool want = !fails(n) && !throws(n);
    if (present != want)
      std::printf("device %d: present %d, want %d\n", n, static_cast<int>(present),
                  static_cast<int>(want));
    assert_true(present == want);
    committed += want ? 1 : 0;
  }
  assert_int_equal(caught.load(), 4);  // 17, 67, 117, 167
  const registry::CommitStats after = reg.commit_stats();
  assert_int_equal(after.transactions - before.transactions, committed);
  std::printf("group commit: %d transactions in %llu commits\n", committed,
              static_cast<unsigned long long>(after.commits - before.commits));
  if (g_pg == nullptr) assert_true(after.commits - before.commits < uint64_t(committed));
}

// Nonce issues (non-durable) queue with durable transactions and may share their groups. Each
// result is its own: issues refused by the per-source cap write nothing, the others are all
// readable afterwards, a durable body that fails rolls back alone, and the commit statistics
// count the durable transactions only.
void test_group_commit_with_nonce_issues(void**) {
  auto r = registry::open(fresh("groupnonces"));
  assert_true(r.ok());
  auto& reg = *r.value();
  constexpr int kWriters = 4, kIssuers = 4, kPer = 30, kCap = 20;
  const registry::CommitStats before = reg.commit_stats();
  std::atomic<int> wrong{0}, refused{0};
  std::vector<std::thread> ts;
  ts.reserve(kWriters + kIssuers);
  for (int t = 0; t < kWriters; t++)
    ts.emplace_back([&, t]() {
      for (int i = 0; i < kPer; i++) {
        const int n = t * kPer + i;
        host::HStatus s = reg.transaction([&]() -> host::HStatus {
          if (!reg.add_device(device(static_cast<uint8_t>(n))).ok())
            return {host::HostError::kDb, "add"};
          std::this_thread::sleep_for(std::chrono::microseconds(200));  // issues queue behind
          if (n % 5 == 2) return {host::HostError::kRefused, "body refuses"};
          return host::HStatus::Ok();
        });
        if (s.ok() != (n % 5 != 2)) wrong++;
      }
    });
  for (int t = 0; t < kIssuers; t++)
    ts.emplace_back([&, t]() {
      for (int i = 0; i < kPer; i++) {
        registry::NonceIssue ni =
            nonce(host::Bytes(32, 0), ueid_n(static_cast<uint8_t>(t)), 1 << 30, int64_t(i) + 1);
        ni.nonce[0] = static_cast<uint8_t>(t);
        ni.nonce[1] = static_cast<uint8_t>(i);
        ni.source = "10.0.1." + std::to_string(t);
        ni.max_per_source = kCap;  // issues kCap+1.. of each source are refused
        host::HStatus s = reg.put_nonce(ni);
        if (i < kCap ? !s.ok() : (s.ok() || code(s.code()) != code(host::HostError::kNonce)))
          wrong++;
        if (!s.ok()) refused++;
      }
    });
  for (auto& t : ts) t.join();
  assert_int_equal(wrong.load(), 0);
  assert_int_equal(refused.load(), kIssuers * (kPer - kCap));
  for (int t = 0; t < kIssuers; t++)
    for (int i = 0; i < kPer; i++) {
      host::Bytes n(32, 0);
      n[0] = static_cast<uint8_t>(t);
      n[1] = static_cast<uint8_t>(i);
      auto c = reg.peek_nonce(n, ueid_n(static_cast<uint8_t>(t)), 1000);
      assert_true(c.ok());
      assert_true(c.value() ==
                  (i < kCap ? registry::NonceCheck::kOk : registry::NonceCheck::kUnknown));
    }
  int committed = 0;
  for (int n = 0; n < kWriters * kPer; n++) {
    const bool want = n % 5 != 2;
    assert_true(reg.get_device(ueid_n(static_cast<uint8_t>(n))).ok() == want);
    committed += want ? 1 : 0;
  }
  const registry::CommitStats after = reg.commit_stats();
  assert_int_equal(after.transactions - before.transactions, committed);
}

// The writers' connection switches `synchronous` per transaction (NORMAL for nonce issues
// alone, FULL otherwise), and control statements run from its statement cache: asked inside
// each transaction, over several rounds, the level must be the one that transaction wants
// (2 = FULL, 1 = NORMAL), and FULL again after it. A durable commit at NORMAL would skip its
// fdatasync.
void test_sqlite_sync_level_per_transaction(void**) {
  if (g_pg != nullptr) return;  // SQLite's connection only
  auto b = registry::db::open_sqlite_backend(fresh("pragmas"));
  assert_true(b.ok());
  registry::db::Backend& be = *b.value();
  auto level = [](registry::db::Conn* c) -> int64_t {
    auto r = c->exec("PRAGMA synchronous", {}, nullptr);
    assert_true(r.ok());
    assert_int_equal(r.value().rows.size(), 1);
    return r.value().rows[0][0].as_int();
  };
  for (int round = 0; round < 3; round++) {
    for (const bool durable : {false, true, true, false}) {
      be.writer_enter();
      auto c = be.acquire_writer();
      assert_true(c.ok());
      assert_true(c.value()->begin(durable).ok());
      assert_int_equal(level(c.value()), durable ? 2 : 1);
      assert_true(c.value()->commit().ok());
      assert_int_equal(level(c.value()), 2);  // back to FULL between transactions
      be.release_writer(c.value());
      be.writer_leave();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool pg = argc > 1 && std::strcmp(argv[1], "--pg") == 0;
  g_dir = host::test::make_temp_dir("locus-registry-");
  pgtest::Server server;
  if (pg) {
    std::string why;
    if (!server.start(&why)) {
      std::printf("SKIP: PostgreSQL registry suite not run: %s\n", why.c_str());
      host::test::remove_tree(g_dir);
      return pgtest::kSkipCode;
    }
    g_pg = &server;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_migrate_from_empty),
      cmocka_unit_test(test_migrate_from_older),
      cmocka_unit_test(test_refuses_newer_schema),
      cmocka_unit_test(test_devices_and_revocation),
      cmocka_unit_test(test_nonces),
      cmocka_unit_test(test_nonce_eviction_and_purge),
      cmocka_unit_test(test_nonce_sources),
      cmocka_unit_test(test_nonce_purge_bounded),
      cmocka_unit_test(test_nonce_indexes_migrate_to_partial),
      cmocka_unit_test(test_license_counters),
      cmocka_unit_test(test_decisions_and_heads),
      cmocka_unit_test(test_latest_decisions),
      cmocka_unit_test(test_decisions_after_pages),
      cmocka_unit_test(test_evidence_bundles),
      cmocka_unit_test(test_audit_pending),
      cmocka_unit_test(test_transaction_rollback),
      cmocka_unit_test(test_tpm_tables),
      cmocka_unit_test(test_trust_list_versions),
      cmocka_unit_test(test_concurrent_consume_and_counters),
      cmocka_unit_test(test_group_commit),
      cmocka_unit_test(test_group_commit_with_nonce_issues),
      cmocka_unit_test(test_sqlite_sync_level_per_transaction),
  };
  int rc = cmocka_run_group_tests_name(pg ? "registry_postgresql" : "registry_sqlite", tests,
                                       nullptr, nullptr);
  server.stop();
  host::test::remove_tree(g_dir);
  return rc;
}
