// SQLite backend of the registry: one writers' connection for write transactions (its page
// cache stays warm; lent to a reader when no writer holds it), a pool of connections for
// reads (one per concurrently active thread), WAL journal, synchronous=FULL (a committed nonce use
// or license counter survives a power cut; NORMAL only for the transactions begin(false) asks for:
// nonce issue), BEGIN IMMEDIATE for write transactions, a busy timeout for other processes,
// prepared statements cached per connection.
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "db.h"

namespace locus::registry::db {

using host::HostError;

namespace {

constexpr int kBusyTimeoutMs = 10000;  // other processes (CLI, a second verifier)
// Each member of a group commit runs inside a SAVEPOINT, for which SQLite keeps the original
// of every page the member changes in a sub-journal. Past SQLite's default of 64 KiB that
// journal moves to a temporary file, which larger groups reach (under strace, which slows
// the commits so that groups grow: 4-14 extra writes and 13-36 KiB per decision; at 8
// boards in flight without it the groups stayed below). 4 MiB keeps ordinary groups in
// memory while a bulk job's savepoint still spills instead of growing without bound.
constexpr int kStatementJournalSpill = 4 << 20;

// Process-wide, and only possible before SQLite initialises: if something in the process
// opened a database first, the default stays (slower, never wrong).
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(
      once, [] { (void)sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalSpill); });
}
constexpr size_t kMaxConnections = 64;

class SqliteConn final : public Conn {
 public:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  ~SqliteConn() override {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    sqlite3_close(db_);
  }

  HStatus err(const char* what) const {
    return {HostError::kDb, std::string(what) + ": " + sqlite3_errmsg(db_)};
  }

  HostResult<Rows> exec(const char* sql, const std::vector<Value>& params, Fail* kind) override {
    if (kind != nullptr) *kind = Fail::kOther;
    sqlite3_stmt* st = nullptr;
    // A PRAGMA takes effect (and computes its answer) when it is compiled; SQLite expires the
    // statement after one run so that a cached one is compiled again anyway. Not cached here:
    // nothing to gain, and whether `PRAGMA synchronous=FULL` applies must not depend on that
    // detail (registry_test test_sqlite_sync_level_per_transaction).
    const char* first = sql;
    while (*first == ' ' || *first == '\n' || *first == '\t') ++first;
    const bool cacheable = sqlite3_strnicmp(first, "PRAGMA", 6) != 0;
    auto it = cacheable ? cache_.find(sql) : cache_.end();
    if (it != cache_.end()) {
      st = it->second;
    } else {
      if (sqlite3_prepare_v3(db_, sql, -1, cacheable ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                             nullptr) != SQLITE_OK)
        return err("prepare").error();
      if (cacheable) cache_.emplace(sql, st);
    }
    struct Reset {
      sqlite3_stmt* s;
      bool finalize;
      ~Reset() {
        if (finalize) {
          sqlite3_finalize(s);
          return;
        }
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{st, !cacheable};
    if (static_cast<size_t>(sqlite3_bind_parameter_count(st)) != params.size())
      return {HostError::kInternal, std::string("parameter count mismatch: ") + sql};
    for (size_t i = 0; i < params.size(); i++) {
      const Value& v = params[i];
      int idx = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      switch (v.kind) {
        case Value::Kind::kNull: rc = sqlite3_bind_null(st, idx); break;
        case Value::Kind::kInt: rc = sqlite3_bind_int64(st, idx, v.i); break;
        case Value::Kind::kText:
          rc = sqlite3_bind_text(st, idx, v.s.data(), static_cast<int>(v.s.size()),
                                 SQLITE_TRANSIENT);
          break;
        case Value::Kind::kBlob:
          rc = sqlite3_bind_blob(st, idx, v.s.empty() ? "" : v.s.data(),
                                 static_cast<int>(v.s.size()), SQLITE_TRANSIENT);
          break;
        default: rc = SQLITE_MISUSE; break;
      }
      if (rc != SQLITE_OK) return err("bind").error();
    }
    Rows out;
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      Row row;
      int n = sqlite3_column_count(st);
      for (int c = 0; c < n; c++) {
        Value v;
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_INTEGER:
            v.kind = Value::Kind::kInt;
            v.i = sqlite3_column_int64(st, c);
            break;
          case SQLITE_TEXT: {
            v.kind = Value::Kind::kText;
            const unsigned char* t = sqlite3_column_text(st, c);
            v.s.assign(reinterpret_cast<const char*>(t),
                       static_cast<size_t>(sqlite3_column_bytes(st, c)));
            break;
          }
          case SQLITE_BLOB: {
            v.kind = Value::Kind::kBlob;
            const void* b = sqlite3_column_blob(st, c);
            int len = sqlite3_column_bytes(st, c);
            if ((b != nullptr) && len > 0)
              v.s.assign(static_cast<const char*>(b), static_cast<size_t>(len));
            break;
          }
          default: break;  // NULL (FLOAT is never stored)
        }
        row.push_back(std::move(v));
      }
      out.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      if ((kind != nullptr) && (rc & 0xff) == SQLITE_CONSTRAINT) *kind = Fail::kConstraint;
      return err("step").error();
    }
    out.changes = sqlite3_stmt_readonly(st) != 0 ? 0 : sqlite3_changes(db_);
    return out;
  }

  HStatus exec_script(const char* sql) override {
    // One statement (BEGIN, COMMIT, SAVEPOINT, RELEASE: several per decision) runs from the
    // statement cache instead of being parsed again; a script of several goes to sqlite3_exec.
    // exec() never caches a PRAGMA (see there).
    if (std::strchr(sql, ';') == nullptr) {
      auto r = exec(sql, {}, nullptr);
      if (!r.ok()) return {HostError::kDb, sqlite3_errmsg(db_)};
      return HStatus::Ok();
    }
    char* e = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &e) != SQLITE_OK) {
      std::string m = e != nullptr ? e : "sqlite error";
      sqlite3_free(e);
      return {HostError::kDb, m};
    }
    return HStatus::Ok();
  }

  // synchronous is a connection setting, read at commit: a non-durable transaction sets
  // NORMAL (in WAL mode: no fsync at commit) and the connection returns to FULL after it.
  HStatus begin(bool durable) override {
    if (durable && relaxed_) {
      restore_sync();
      if (relaxed_) return {HostError::kDb, "cannot restore synchronous=FULL"};
    }
    if (!durable) {
      HStatus s = exec_script("PRAGMA synchronous=NORMAL");
      if (!s.ok()) return s;
      relaxed_ = true;
    }
    HStatus s = exec_script("BEGIN IMMEDIATE");
    if (!s.ok()) restore_sync();
    return s;
  }
  HStatus commit() override {
    HStatus s = exec_script("COMMIT");
    restore_sync();
    return s;
  }
  void rollback() override {
    if (sqlite3_get_autocommit(db_) == 0) (void)exec_script("ROLLBACK");
    restore_sync();
  }

 private:
  void restore_sync() {
    // A connection that cannot return to FULL must not be reused for durable commits.
    if (relaxed_ && (sqlite3_get_autocommit(db_) != 0) &&
        exec_script("PRAGMA synchronous=FULL").ok())
      relaxed_ = false;
  }

  sqlite3* db_;
  bool relaxed_ = false;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;  // by SQL text
};

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(std::string path, bool read_only = false)
      : path_(std::move(path)), read_only_(read_only) {}
  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string describe() const override { return path_; }

  HostResult<Conn*> open_conn() {
    configure_sqlite_once();
    sqlite3* db = nullptr;
    // NOMUTEX: a connection is used by one thread at a time (the pool guarantees it).
    const int flags = read_only_ ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path_.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string m = db != nullptr ? sqlite3_errmsg(db) : "cannot open";
      sqlite3_close(db);
      return {HostError::kDb, path_ + ": " + m};
    }
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    auto c = std::make_unique<SqliteConn>(db);
    // Read-only: no journal mode change (that is a write); the database refuses writes.
    HStatus s = read_only_ ? c->exec_script("PRAGMA query_only=ON")
                           : c->exec_script("PRAGMA journal_mode=WAL");
    if (s.ok()) s = c->exec_script("PRAGMA synchronous=FULL");
    if (s.ok()) s = c->exec_script("PRAGMA foreign_keys=ON");
    if (!s.ok()) return {HostError::kDb, path_ + ": " + s.message()};
    return c.release();
  }

  HostResult<Conn*> acquire() override {
    // A read outside a write transaction takes the writers' connection when no write
    // transaction holds it: its cache is warm, where a pooled connection's was dropped by
    // the last commit. It returns through release(), which frees writer_ again.
    if (writer_.try_lock()) {
      if (writer_conn_) return writer_conn_.get();
      writer_.unlock();
    }
    std::unique_lock<std::mutex> g(mu_);
    for (;;) {
      if (!idle_.empty()) {
        Conn* c = idle_.back();
        idle_.pop_back();
        return c;
      }
      if (all_.size() < kMaxConnections) break;
      cv_.wait(g);
    }
    auto c = open_conn();
    if (!c.ok()) return c.error();
    all_.emplace_back(c.value());
    return c.value();
  }

  void release(Conn* c) override {
    if (c == writer_ptr_.load()) {  // a reader's turn on the writers' connection (acquire())
      writer_.unlock();
      return;
    }
    {
      std::lock_guard<std::mutex> g(mu_);
      idle_.push_back(c);
    }
    cv_.notify_one();
  }

  void writer_enter() override { writer_.lock(); }
  void writer_leave() override { writer_.unlock(); }
  // Under writer_ (one write transaction of this process at a time): the writers' own
  // connection, opened on first use and never pooled.
  HostResult<Conn*> acquire_writer() override {
    if (!writer_conn_) {
      auto c = open_conn();
      if (!c.ok()) return c.error();
      writer_conn_.reset(c.value());
      writer_ptr_.store(c.value());
    }
    return writer_conn_.get();
  }
  void release_writer(Conn* c) override {
    if (c != writer_ptr_.load()) release(c);
  }

 private:
  std::string path_;
  bool read_only_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> all_;
  std::vector<Conn*> idle_;
  std::mutex writer_;
  std::unique_ptr<Conn> writer_conn_;       // guarded by writer_
  std::atomic<Conn*> writer_ptr_{nullptr};  // the same, set once: for release()'s comparison
};

}  // namespace

HostResult<std::unique_ptr<Backend>> open_sqlite_backend(const std::string& path, bool read_only) {
  if (path.empty()) return {HostError::kUsage, "registry path is empty"};
  auto b = std::make_unique<SqliteBackend>(path, read_only);
  // Open one connection now so that a bad path fails here, not at first use.
  auto c = b->acquire();
  if (!c.ok()) return c.error();
  b->release(c.value());
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace locus::registry::db
