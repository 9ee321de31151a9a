// PostgreSQL backend of the registry (libpq): a pool of connections, one per concurrently
// active thread, READ COMMITTED transactions whose atomicity comes from row locks (SELECT ...
// FOR UPDATE, conditional UPDATEs). Parameters are sent typed (bytea in binary), results are
// read in binary. Several verifier replicas may share one database.
#include <libpq-fe.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <vector>

#include "db.h"

namespace locus::registry::db {

using host::HostError;

namespace {

constexpr size_t kMaxConnections = 64;
// Type OIDs (src/include/catalog/pg_type.dat).
constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
              kTextOid = 25, kVoidOid = 2278;

// "?" placeholders -> "$1", "$2", ... (outside quoted literals).
std::string number_placeholders(const char* sql) {
  std::string out;
  int n = 0;
  bool quoted = false;
  for (const char* p = sql; *p != 0; p++) {
    if (*p == '\'') quoted = !quoted;
    if (*p == '?' && !quoted) {
      out += "$" + std::to_string(++n);
    } else {
      out += *p;
    }
  }
  return out;
}

int64_t be_int(const char* p, int len) {
  uint64_t v = 0;
  for (int i = 0; i < len; i++) v = (v << 8) | static_cast<uint8_t>(p[i]);
  if (len < 8 && len > 0 && ((static_cast<uint8_t>(p[0]) & 0x80) != 0))
    v |= ~uint64_t{0} << (8 * len);
  return static_cast<int64_t>(v);
}

struct Result {
  PGresult* r = nullptr;
  ~Result() { PQclear(r); }
};

class PgConn final : public Conn {
 public:
  explicit PgConn(PGconn* c) : c_(c) {}
  ~PgConn() override { PQfinish(c_); }

  PGconn* raw() { return c_; }

  host::Error err_of(const char* what, PGresult* r) const {
    const char* m = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c_);
    std::string msg = m != nullptr ? m : "postgres error";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return {HostError::kDb, std::string(what) + ": " + msg};
  }

  HostResult<Rows> exec(const char* sql, const std::vector<Value>& params, Fail* kind) override {
    if (kind != nullptr) *kind = Fail::kOther;
    std::string q = number_placeholders(sql);
    std::vector<std::string> ints(params.size());
    std::vector<const char*> vals(params.size());
    std::vector<int> lens(params.size()), fmts(params.size());
    std::vector<Oid> types(params.size());
    for (size_t i = 0; i < params.size(); i++) {
      const Value& v = params[i];
      switch (v.kind) {
        case Value::Kind::kNull:
          vals[i] = nullptr;
          types[i] = 0;
          break;
        case Value::Kind::kInt:
          ints[i] = std::to_string(v.i);
          vals[i] = ints[i].c_str();
          types[i] = kInt8Oid;
          break;
        case Value::Kind::kText:
          vals[i] = v.s.c_str();
          types[i] = kTextOid;
          break;
        case Value::Kind::kBlob:
          vals[i] = v.s.data();
          lens[i] = static_cast<int>(v.s.size());
          fmts[i] = 1;
          types[i] = kByteaOid;
          break;
        default: return {HostError::kInternal, "bad parameter kind"};
      }
    }
    Result res;
    res.r = PQexecParams(c_, q.c_str(), static_cast<int>(params.size()), types.data(), vals.data(),
                         lens.data(), fmts.data(), 1);
    ExecStatusType st = res.r != nullptr ? PQresultStatus(res.r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const char* state = res.r != nullptr ? PQresultErrorField(res.r, PG_DIAG_SQLSTATE) : nullptr;
      if ((kind != nullptr) && (state != nullptr) && std::strncmp(state, "23", 2) == 0)
        *kind = Fail::kConstraint;
      return err_of("query", res.r);
    }
    Rows out;
    int nr = PQntuples(res.r), nf = PQnfields(res.r);
    out.rows.reserve(static_cast<size_t>(nr));
    for (int r = 0; r < nr; r++) {
      Row row;
      for (int f = 0; f < nf; f++) {
        Value v;
        if (PQgetisnull(res.r, r, f) == 0) {
          const char* p = PQgetvalue(res.r, r, f);
          int len = PQgetlength(res.r, r, f);
          switch (PQftype(res.r, f)) {
            case kInt8Oid:
            case kInt4Oid:
            case kInt2Oid:
            case kBoolOid:
              if (len < 1 || len > 8) return {HostError::kDb, "bad integer in a result"};
              v.kind = Value::Kind::kInt;
              v.i = be_int(p, len);
              break;
            case kByteaOid:
              v.kind = Value::Kind::kBlob;
              v.s.assign(p, static_cast<size_t>(len));
              break;
            case kVoidOid: break;
            default:  // text-like (text, varchar, name): the binary form is the UTF-8 text
              v.kind = Value::Kind::kText;
              v.s.assign(p, static_cast<size_t>(len));
              break;
          }
        }
        row.push_back(std::move(v));
      }
      out.rows.push_back(std::move(row));
    }
    const char* tuples = PQcmdTuples(res.r);
    out.changes = ((tuples != nullptr) && (*tuples != 0)) ? std::strtoll(tuples, nullptr, 10) : 0;
    if (st == PGRES_TUPLES_OK && std::strncmp(PQcmdStatus(res.r), "SELECT", 6) == 0)
      out.changes = 0;
    return out;
  }

  HStatus exec_script(const char* sql) override {
    Result res;
    res.r = PQexec(c_, sql);
    ExecStatusType st = res.r != nullptr ? PQresultStatus(res.r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return err_of("script", res.r);
    return HStatus::Ok();
  }

  HStatus begin(bool durable) override {
    HStatus s = exec_script("BEGIN");
    if (s.ok() && !durable) s = exec_script("SET LOCAL synchronous_commit = off");
    return s;
  }
  HStatus commit() override {
    if (PQtransactionStatus(c_) == PQTRANS_INERROR)
      return {HostError::kDb, "transaction failed before commit"};
    Result res;
    res.r = PQexec(c_, "COMMIT");
    if ((res.r == nullptr) || PQresultStatus(res.r) != PGRES_COMMAND_OK)
      return err_of("commit", res.r);
    // A transaction that failed server-side answers COMMIT with "ROLLBACK".
    if (std::strcmp(PQcmdStatus(res.r), "COMMIT") != 0)
      return {HostError::kDb, "commit: the server rolled the transaction back"};
    return HStatus::Ok();
  }
  void rollback() override {
    if (PQtransactionStatus(c_) != PQTRANS_IDLE) (void)exec_script("ROLLBACK");
  }

 private:
  PGconn* c_;
};

// The URL without its password, for messages and logs.
std::string redact(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

class PgBackend final : public Backend {
 public:
  explicit PgBackend(std::string url, bool read_only = false)
      : url_(std::move(url)), read_only_(read_only) {}
  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string describe() const override { return redact(url_); }

  HostResult<Conn*> open_conn() {
    PGconn* c = PQconnectdb(url_.c_str());
    if ((c == nullptr) || PQstatus(c) != CONNECTION_OK) {
      std::string m = c != nullptr ? PQerrorMessage(c) : "out of memory";
      while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
      PQfinish(c);
      return {HostError::kDb, describe() + ": " + m};
    }
    auto conn = std::make_unique<PgConn>(c);
    // Notices (e.g. "relation already exists, skipping") are not errors; keep stderr clean.
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    HStatus s = conn->exec_script("SET synchronous_commit = on; SET client_min_messages = warning");
    if (s.ok() && read_only_) s = conn->exec_script("SET default_transaction_read_only = on");
    if (!s.ok()) return s.error();
    return conn.release();
  }

  HostResult<Conn*> acquire() override {
    std::unique_lock<std::mutex> g(mu_);
    for (;;) {
      if (!idle_.empty()) {
        PgConn* c = idle_.back();
        idle_.pop_back();
        if (PQstatus(c->raw()) == CONNECTION_BAD) {
          PQreset(c->raw());  // the server restarted or a replica failed over
          if (PQstatus(c->raw()) != CONNECTION_OK) {
            idle_.push_back(c);
            return {HostError::kDb, describe() + ": connection lost and not re-established"};
          }
        }
        return static_cast<Conn*>(c);
      }
      if (all_.size() < kMaxConnections) break;
      cv_.wait(g);
    }
    auto c = open_conn();
    if (!c.ok()) return c.error();
    auto* pc = static_cast<PgConn*>(c.value());
    all_.emplace_back(pc);
    return c.value();
  }

  void release(Conn* c) override {
    {
      std::lock_guard<std::mutex> g(mu_);
      idle_.push_back(static_cast<PgConn*>(c));
    }
    cv_.notify_one();
  }

 private:
  std::string url_;
  bool read_only_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConn>> all_;
  std::vector<PgConn*> idle_;
};

}  // namespace

HostResult<std::unique_ptr<Backend>> open_postgres_backend(const std::string& url, bool read_only) {
  auto b = std::make_unique<PgBackend>(url, read_only);
  auto c = b->acquire();
  if (!c.ok()) return c.error();
  b->release(c.value());
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace locus::registry::db
