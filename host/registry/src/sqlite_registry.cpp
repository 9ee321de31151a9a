// SQLite backend of the registry: WAL mode, ordered transactional migrations.
#include <sqlite3.h>

#include <mutex>

#include "locus/registry/registry.h"

namespace locus::registry {

using host::HostError;

const char* to_string(NonceCheck c) {
  switch (c) {
    case NonceCheck::kOk: return "ok";
    case NonceCheck::kUnknown: return "nonce unknown (never issued by this verifier)";
    case NonceCheck::kExpired: return "nonce expired";
    case NonceCheck::kUsed: return "nonce already used";
    case NonceCheck::kWrongDevice: return "nonce was issued to another device";
    default: return "nonce check failed";
  }
}

namespace {

// Ordered migration steps. Step i brings the schema from version i to i+1. Append only:
// never edit a step that has shipped.
const char* const kMigrations[] = {
    // 0 -> 1: devices, nonces, license counters, decisions.
    "CREATE TABLE devices (ueid BLOB PRIMARY KEY, site TEXT NOT NULL, host TEXT NOT NULL,"
    " hwmodel TEXT NOT NULL, devid_cert BLOB NOT NULL, serial TEXT NOT NULL,"
    " revoked INTEGER NOT NULL DEFAULT 0, revoke_reason TEXT NOT NULL DEFAULT '',"
    " enrolled_at INTEGER NOT NULL);"
    "CREATE TABLE nonces (nonce BLOB PRIMARY KEY, ueid BLOB NOT NULL, expires_at INTEGER NOT NULL,"
    " used INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE license_counters (ueid BLOB PRIMARY KEY, counter INTEGER NOT NULL);"
    "CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL,"
    " ueid BLOB NOT NULL, status TEXT NOT NULL, json TEXT NOT NULL, evidence BLOB, license BLOB);",
    // 1 -> 2: revocation by certificate serial, audit heads (truncation detection).
    "CREATE TABLE revoked_serials (serial TEXT PRIMARY KEY, reason TEXT NOT NULL, time INTEGER NOT NULL);"
    "CREATE TABLE audit_heads (log TEXT PRIMARY KEY, count INTEGER NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX devices_serial ON devices(serial);",
    // 2 -> 3: hosts and their TPM identity (filled by the TPM helper's enrollment).
    "CREATE TABLE hosts (host TEXT PRIMARY KEY, ek_cert BLOB, ak_pub BLOB, ak_name BLOB,"
    " golden_pcrs TEXT NOT NULL DEFAULT '{}', updated_at INTEGER NOT NULL);"
    "CREATE INDEX devices_host ON devices(host);",
};
constexpr int kLatest = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK && s_ != nullptr; }
  Stmt& blob(int i, ByteSpan b) {
    sqlite3_bind_blob(s_, i, b.size ? b.data : reinterpret_cast<const uint8_t*>(""), static_cast<int>(b.size), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& text(int i, const std::string& t) {
    sqlite3_bind_text(s_, i, t.c_str(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& i64(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  int64_t col_i64(int i) { return sqlite3_column_int64(s_, i); }
  std::string col_text(int i) {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string();
  }
  Bytes col_blob(int i) {
    const uint8_t* b = static_cast<const uint8_t*>(sqlite3_column_blob(s_, i));
    int n = sqlite3_column_bytes(s_, i);
    return b ? Bytes(b, b + n) : Bytes();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

class SqliteRegistry final : public Registry {
 public:
  explicit SqliteRegistry(sqlite3* db) : db_(db) {}
  ~SqliteRegistry() override { sqlite3_close(db_); }

  HStatus err(const std::string& what) {
    return {HostError::kDb, what + ": " + sqlite3_errmsg(db_)};
  }
  HStatus exec(const char* sql) {
    char* e = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &e) != SQLITE_OK) {
      std::string m = e ? e : "sqlite error";
      sqlite3_free(e);
      return {HostError::kDb, m};
    }
    return HStatus::Ok();
  }

  HostResult<int> version_locked() {
    Stmt s(db_, "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'");
    if (!s.ok()) return err("schema_version").error();
    if (s.step() != SQLITE_ROW) return 0;
    Stmt v(db_, "SELECT COALESCE(MAX(version),0) FROM schema_version");
    if (!v.ok() || v.step() != SQLITE_ROW) return err("schema_version").error();
    return static_cast<int>(v.col_i64(0));
  }

  HStatus migrate(int target) {
    std::lock_guard<std::mutex> g(mu_);
    // BEGIN IMMEDIATE: two processes opening the same new database migrate one after the other.
    HStatus s = exec("BEGIN IMMEDIATE");
    if (!s.ok()) return s;
    auto v = version_locked();
    if (!v.ok()) { (void)exec("ROLLBACK"); return v.status(); }
    int cur = v.value();
    if (cur > kLatest) {
      (void)exec("ROLLBACK");
      return {HostError::kSchemaTooNew, "registry schema version " + std::to_string(cur) +
                                            " is newer than this locus (" + std::to_string(kLatest) + ")"};
    }
    if (cur == 0) {
      s = exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
      if (!s.ok()) { (void)exec("ROLLBACK"); return s; }
    }
    for (int step = cur; step < target; step++) {
      s = exec(kMigrations[step]);
      if (s.ok()) {
        Stmt ins(db_, "INSERT INTO schema_version(version, applied_at) VALUES(?, strftime('%s','now'))");
        ins.i64(1, step + 1);
        if (ins.step() != SQLITE_DONE) s = err("schema_version insert");
      }
      if (!s.ok()) {
        (void)exec("ROLLBACK");
        return {HostError::kDb, "migration to schema " + std::to_string(step + 1) + " failed: " + s.message()};
      }
    }
    return exec("COMMIT");
  }

  HostResult<int> schema_version() override {
    std::lock_guard<std::mutex> g(mu_);
    return version_locked();
  }

  HStatus add_device(const Device& d) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "INSERT INTO devices(ueid,site,host,hwmodel,devid_cert,serial,revoked,revoke_reason,enrolled_at)"
                " VALUES(?,?,?,?,?,?,0,'',?)");
    if (!s.ok()) return err("add_device");
    s.blob(1, d.ueid).text(2, d.site).text(3, d.host).text(4, d.hwmodel).blob(5, d.devid_cert)
        .text(6, d.serial_hex).i64(7, d.enrolled_at ? d.enrolled_at : host::unix_time());
    int rc = s.step();
    if (rc == SQLITE_CONSTRAINT)
      return {HostError::kDuplicate, "device " + host::hex_encode(d.ueid) + " is already registered"};
    if (rc != SQLITE_DONE) return err("add_device");
    return HStatus::Ok();
  }

  static Device row_device(Stmt& s) {
    Device d;
    d.ueid = s.col_blob(0);
    d.site = s.col_text(1);
    d.host = s.col_text(2);
    d.hwmodel = s.col_text(3);
    d.devid_cert = s.col_blob(4);
    d.serial_hex = s.col_text(5);
    d.revoked = s.col_i64(6) != 0;
    d.revoke_reason = s.col_text(7);
    d.enrolled_at = s.col_i64(8);
    return d;
  }

  HostResult<Device> get_device(ByteSpan ueid) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "SELECT ueid,site,host,hwmodel,devid_cert,serial,revoked,revoke_reason,enrolled_at FROM devices WHERE ueid=?");
    if (!s.ok()) return err("get_device").error();
    s.blob(1, ueid);
    int rc = s.step();
    if (rc == SQLITE_ROW) return row_device(s);
    if (rc == SQLITE_DONE) return {HostError::kNotFound, "unknown device " + host::hex_encode(ueid)};
    return err("get_device").error();
  }

  HostResult<std::vector<Device>> list_devices() override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "SELECT ueid,site,host,hwmodel,devid_cert,serial,revoked,revoke_reason,enrolled_at FROM devices ORDER BY enrolled_at, ueid");
    if (!s.ok()) return err("list_devices").error();
    std::vector<Device> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(row_device(s));
    if (rc != SQLITE_DONE) return err("list_devices").error();
    return out;
  }

  HStatus revoke_ueid(ByteSpan ueid, const std::string& reason) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "UPDATE devices SET revoked=1, revoke_reason=? WHERE ueid=?");
    if (!s.ok()) return err("revoke");
    s.text(1, reason).blob(2, ueid);
    if (s.step() != SQLITE_DONE) return err("revoke");
    if (sqlite3_changes(db_) == 0) return {HostError::kNotFound, "unknown device " + host::hex_encode(ueid)};
    return HStatus::Ok();
  }

  HStatus revoke_serial(const std::string& serial_hex, const std::string& reason) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "INSERT OR REPLACE INTO revoked_serials(serial, reason, time) VALUES(?,?,?)");
    if (!s.ok()) return err("revoke_serial");
    s.text(1, serial_hex).text(2, reason).i64(3, host::unix_time());
    if (s.step() != SQLITE_DONE) return err("revoke_serial");
    return HStatus::Ok();
  }

  HostResult<bool> serial_revoked(const std::string& serial_hex) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "SELECT 1 FROM revoked_serials WHERE serial=?");
    if (!s.ok()) return err("serial_revoked").error();
    s.text(1, serial_hex);
    int rc = s.step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return err("serial_revoked").error();
  }

  HStatus put_nonce(ByteSpan nonce, ByteSpan ueid, int64_t expires_at) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "INSERT INTO nonces(nonce, ueid, expires_at, used) VALUES(?,?,?,0)");
    if (!s.ok()) return err("put_nonce");
    s.blob(1, nonce).blob(2, ueid).i64(3, expires_at);
    int rc = s.step();
    if (rc == SQLITE_CONSTRAINT) return {HostError::kDuplicate, "nonce collision"};
    if (rc != SQLITE_DONE) return err("put_nonce");
    return HStatus::Ok();
  }

  HostResult<NonceCheck> consume_nonce(ByteSpan nonce, ByteSpan ueid, int64_t now) override {
    std::lock_guard<std::mutex> g(mu_);
    HStatus t = exec("BEGIN IMMEDIATE");
    if (!t.ok()) return t.error();
    NonceCheck result = NonceCheck::kUnknown;
    {
      Stmt s(db_, "SELECT ueid, expires_at, used FROM nonces WHERE nonce=?");
      if (!s.ok()) { (void)exec("ROLLBACK"); return err("consume_nonce").error(); }
      s.blob(1, nonce);
      int rc = s.step();
      if (rc == SQLITE_ROW) {
        Bytes owner = s.col_blob(0);
        int64_t exp = s.col_i64(1);
        bool used = s.col_i64(2) != 0;
        if (used) result = NonceCheck::kUsed;
        else if (now > exp) result = NonceCheck::kExpired;
        else if (owner != Bytes(ueid.begin(), ueid.end())) result = NonceCheck::kWrongDevice;
        else result = NonceCheck::kOk;
        Stmt u(db_, "UPDATE nonces SET used=1 WHERE nonce=?");
        u.blob(1, nonce);
        if (!u.ok() || u.step() != SQLITE_DONE) { (void)exec("ROLLBACK"); return err("consume_nonce").error(); }
      } else if (rc != SQLITE_DONE) {
        (void)exec("ROLLBACK");
        return err("consume_nonce").error();
      }
    }
    HStatus c = exec("COMMIT");
    if (!c.ok()) { (void)exec("ROLLBACK"); return c.error(); }
    return result;
  }

  HStatus purge_nonces(int64_t older_than) override {
    std::lock_guard<std::mutex> g(mu_);
    // Used nonces are kept until they expire so that a replay still says "already used".
    Stmt s(db_, "DELETE FROM nonces WHERE expires_at < ?");
    if (!s.ok()) return err("purge_nonces");
    s.i64(1, older_than);
    if (s.step() != SQLITE_DONE) return err("purge_nonces");
    return HStatus::Ok();
  }

  HostResult<uint64_t> next_license_counter(ByteSpan ueid) override {
    std::lock_guard<std::mutex> g(mu_);
    HStatus t = exec("BEGIN IMMEDIATE");
    if (!t.ok()) return t.error();
    uint64_t next = 0;
    {
      Stmt s(db_, "INSERT INTO license_counters(ueid, counter) VALUES(?, 1)"
                  " ON CONFLICT(ueid) DO UPDATE SET counter = counter + 1");
      if (!s.ok()) { (void)exec("ROLLBACK"); return err("license counter").error(); }
      s.blob(1, ueid);
      if (s.step() != SQLITE_DONE) { (void)exec("ROLLBACK"); return err("license counter").error(); }
      Stmt r(db_, "SELECT counter FROM license_counters WHERE ueid=?");
      r.blob(1, ueid);
      if (!r.ok() || r.step() != SQLITE_ROW) { (void)exec("ROLLBACK"); return err("license counter").error(); }
      next = static_cast<uint64_t>(r.col_i64(0));
    }
    HStatus c = exec("COMMIT");
    if (!c.ok()) { (void)exec("ROLLBACK"); return c.error(); }
    return next;
  }

  HostResult<uint64_t> last_license_counter(ByteSpan ueid) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt r(db_, "SELECT counter FROM license_counters WHERE ueid=?");
    if (!r.ok()) return err("license counter").error();
    r.blob(1, ueid);
    int rc = r.step();
    if (rc == SQLITE_ROW) return static_cast<uint64_t>(r.col_i64(0));
    if (rc == SQLITE_DONE) return uint64_t{0};
    return err("license counter").error();
  }

  HostResult<int64_t> add_decision(const Decision& d) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "INSERT INTO decisions(time, ueid, status, json, evidence, license) VALUES(?,?,?,?,?,?)");
    if (!s.ok()) return err("add_decision").error();
    s.i64(1, d.time ? d.time : host::unix_time()).blob(2, d.ueid).text(3, d.status).text(4, d.decision_json)
        .blob(5, d.evidence).blob(6, d.license);
    if (s.step() != SQLITE_DONE) return err("add_decision").error();
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
  }

  HStatus set_decision_json(int64_t id, const std::string& json) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "UPDATE decisions SET json=? WHERE id=?");
    if (!s.ok()) return err("set_decision_json");
    s.text(1, json).i64(2, id);
    if (s.step() != SQLITE_DONE) return err("set_decision_json");
    return HStatus::Ok();
  }

  HostResult<std::vector<Decision>> list_decisions(int64_t limit) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "SELECT id,time,ueid,status,json,evidence,license FROM decisions ORDER BY id LIMIT ?");
    if (!s.ok()) return err("list_decisions").error();
    s.i64(1, limit);
    std::vector<Decision> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      Decision d;
      d.id = s.col_i64(0);
      d.time = s.col_i64(1);
      d.ueid = s.col_blob(2);
      d.status = s.col_text(3);
      d.decision_json = s.col_text(4);
      d.evidence = s.col_blob(5);
      d.license = s.col_blob(6);
      out.push_back(std::move(d));
    }
    if (rc != SQLITE_DONE) return err("list_decisions").error();
    return out;
  }

  HostResult<AuditHead> get_audit_head(const std::string& logname) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "SELECT count, hash FROM audit_heads WHERE log=?");
    if (!s.ok()) return err("audit head").error();
    s.text(1, logname);
    int rc = s.step();
    AuditHead h;
    if (rc == SQLITE_ROW) {
      h.count = static_cast<uint64_t>(s.col_i64(0));
      h.hash_hex = s.col_text(1);
    } else if (rc != SQLITE_DONE) {
      return err("audit head").error();
    }
    return h;
  }

  HStatus set_audit_head(const std::string& logname, const AuditHead& h) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "INSERT OR REPLACE INTO audit_heads(log, count, hash) VALUES(?,?,?)");
    if (!s.ok()) return err("audit head");
    s.text(1, logname).i64(2, static_cast<int64_t>(h.count)).text(3, h.hash_hex);
    if (s.step() != SQLITE_DONE) return err("audit head");
    return HStatus::Ok();
  }

  HStatus upsert_host(const HostRecord& h) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "INSERT OR REPLACE INTO hosts(host, ek_cert, ak_pub, ak_name, golden_pcrs, updated_at) VALUES(?,?,?,?,?,?)");
    if (!s.ok()) return err("upsert_host");
    s.text(1, h.host).blob(2, h.ek_cert).blob(3, h.ak_pub).blob(4, h.ak_name)
        .text(5, h.golden_pcrs_json.empty() ? "{}" : h.golden_pcrs_json).i64(6, host::unix_time());
    if (s.step() != SQLITE_DONE) return err("upsert_host");
    return HStatus::Ok();
  }

  HostResult<HostRecord> get_host(const std::string& hostname) override {
    std::lock_guard<std::mutex> g(mu_);
    Stmt s(db_, "SELECT host, ek_cert, ak_pub, ak_name, golden_pcrs, updated_at FROM hosts WHERE host=?");
    if (!s.ok()) return err("get_host").error();
    s.text(1, hostname);
    int rc = s.step();
    if (rc == SQLITE_DONE) return {HostError::kNotFound, "unknown host " + hostname};
    if (rc != SQLITE_ROW) return err("get_host").error();
    HostRecord h;
    h.host = s.col_text(0);
    h.ek_cert = s.col_blob(1);
    h.ak_pub = s.col_blob(2);
    h.ak_name = s.col_blob(3);
    h.golden_pcrs_json = s.col_text(4);
    h.updated_at = s.col_i64(5);
    return h;
  }

 private:
  sqlite3* db_;
  std::mutex mu_;
};

HostResult<std::unique_ptr<Registry>> open_at(const std::string& path, int target) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    return {HostError::kDb, path + ": " + m};
  }
  sqlite3_busy_timeout(db, 5000);
  auto reg = std::make_unique<SqliteRegistry>(db);
  HStatus s = reg->exec("PRAGMA journal_mode=WAL");
  if (s.ok()) s = reg->exec("PRAGMA synchronous=FULL");
  if (s.ok()) s = reg->exec("PRAGMA foreign_keys=ON");
  if (!s.ok()) return {HostError::kDb, path + ": " + s.message()};
  s = reg->migrate(target);
  if (!s.ok()) return {s.code(), path + ": " + s.message()};
  return std::unique_ptr<Registry>(std::move(reg));
}

}  // namespace

int latest_schema_version() { return kLatest; }

HostResult<std::unique_ptr<Registry>> open_sqlite(const std::string& path) { return open_at(path, kLatest); }

HostResult<std::unique_ptr<Registry>> open_sqlite_at_version(const std::string& path, int target) {
  if (target < 0 || target > kLatest) return {HostError::kUsage, "no such schema version"};
  return open_at(path, target);
}

}  // namespace locus::registry
