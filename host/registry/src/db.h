// Private to host/registry: the small SQL seam under the registry.
//
// The registry's logic (every query, every transaction) is written once, in registry_impl.cpp,
// over `Conn` (one database connection) and `Backend` (a pool of them plus the dialect). Two
// backends exist at run time: SQLite (embedded default) and PostgreSQL (libpq).
//
// SQL is written with `?` placeholders in the subset both databases accept (ON CONFLICT,
// RETURNING, no INSERT OR REPLACE, no strftime); the PostgreSQL backend numbers the
// placeholders. Only DDL differs per dialect (migrations.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "locus/common/common.h"

namespace locus::registry::db {

using host::Bytes;
using host::HostResult;
using host::HStatus;

struct Value {
  enum class Kind { kNull, kInt, kText, kBlob };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  std::string s;  // text, or blob bytes

  static Value null() { return {}; }
  static Value of(int64_t v) {
    Value x;
    x.kind = Kind::kInt;
    x.i = v;
    return x;
  }
  static Value of(const std::string& t) {
    Value x;
    x.kind = Kind::kText;
    x.s = t;
    return x;
  }
  static Value blob(ByteSpan b) {
    Value x;
    x.kind = Kind::kBlob;
    x.s.assign(reinterpret_cast<const char*>(b.data), b.size);
    return x;
  }
  int64_t as_int() const { return kind == Kind::kInt ? i : 0; }
  const std::string& as_text() const { return s; }
  Bytes as_blob() const { return Bytes(s.begin(), s.end()); }
};

using Row = std::vector<Value>;

struct Rows {
  std::vector<Row> rows;
  int64_t changes = 0;  // rows inserted/updated/deleted by the statement
};

enum class Dialect { kSqlite, kPostgres };

// Why a statement failed, as far as the registry's logic cares.
enum class Fail { kOther, kConstraint };

struct ExecError {
  Fail kind = Fail::kOther;
  host::Error err;
};

class Conn {
 public:
  virtual ~Conn() = default;
  // Runs one statement. On failure returns the error; *kind says whether it was a unique /
  // foreign-key constraint (the caller maps that to kDuplicate or kNotFound).
  virtual HostResult<Rows> exec(const char* sql, const std::vector<Value>& params,
                                Fail* kind = nullptr) = 0;
  // Runs several DDL statements (migrations), no parameters.
  virtual HStatus exec_script(const char* sql) = 0;
  // Write transaction: SQLite BEGIN IMMEDIATE (takes the write lock up front, so a read
  // never has to be upgraded); PostgreSQL BEGIN (READ COMMITTED + row locks).
  // durable=false: the commit need not reach stable storage before it returns (SQLite
  // synchronous=NORMAL for this transaction: no fsync, the WAL is synced by the next durable
  // commit or checkpoint; PostgreSQL SET LOCAL synchronous_commit=off). A power cut can lose
  // such a transaction whole, never half of it. Used only where losing it is harmless.
  virtual HStatus begin(bool durable) = 0;
  virtual HStatus commit() = 0;
  virtual void rollback() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Dialect dialect() const = 0;
  // A connection for this thread's use, returned with release(). Pooled: never shared by two
  // threads at once.
  virtual HostResult<Conn*> acquire() = 0;
  virtual void release(Conn* c) = 0;
  // Called around a write transaction. The SQLite backend queues this process's writers on a
  // mutex (SQLite has one writer at a time; waiting on a mutex beats its sleeping busy
  // handler); PostgreSQL needs nothing.
  virtual void writer_enter() {}
  virtual void writer_leave() {}
  // The connection for a write transaction, taken between writer_enter() and writer_leave()
  // and returned with release_writer(). The SQLite backend keeps one for its writers, so
  // that its page cache survives from one write transaction to the next (a pooled connection
  // that another connection's commit overtook starts with a cold cache and re-reads its
  // pages); PostgreSQL takes any pooled connection.
  virtual HostResult<Conn*> acquire_writer() { return acquire(); }
  virtual void release_writer(Conn* c) { release(c); }
  virtual std::string describe() const = 0;  // for messages: path or redacted URL
};

// Opens a backend. path: an SQLite file; url: postgresql://... or postgres://...
// read_only: the database refuses every write (SQLite SQLITE_OPEN_READONLY on an existing
// file; PostgreSQL default_transaction_read_only on every session).
HostResult<std::unique_ptr<Backend>> open_sqlite_backend(const std::string& path,
                                                         bool read_only = false);
HostResult<std::unique_ptr<Backend>> open_postgres_backend(const std::string& url,
                                                           bool read_only = false);

}  // namespace locus::registry::db
