// Additive TPM tables in the verifier's SQLite database (see registry.h).
#include <sqlite3.h>

#include <ctime>

#include "locus/tpm/enroll.h"
#include "locus/tpm/quote.h"
#include "locus/tpm/registry.h"

namespace locus::tpm {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS tpm_hosts("
    " host TEXT PRIMARY KEY NOT NULL, ek_public BLOB NOT NULL, ek_cert BLOB NOT NULL,"
    " ak_public BLOB NOT NULL, ak_name BLOB NOT NULL UNIQUE, qualified_signer BLOB NOT NULL,"
    " pcrs TEXT NOT NULL, golden BLOB NOT NULL, have_last INTEGER NOT NULL DEFAULT 0,"
    " last_clock INTEGER NOT NULL DEFAULT 0, last_reset INTEGER NOT NULL DEFAULT 0,"
    " last_restart INTEGER NOT NULL DEFAULT 0, enrolled_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tpm_board_hosts("
    " ueid TEXT PRIMARY KEY NOT NULL, host TEXT NOT NULL REFERENCES tpm_hosts(host), bound_at "
    "INTEGER NOT NULL);";

sqlite3* db_of(void* p) {
  return static_cast<sqlite3*>(p);
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

void bind_blob(sqlite3_stmt* s, int i, const std::vector<uint8_t>& v) {
  sqlite3_bind_blob(s, i, v.empty() ? "" : static_cast<const void*>(v.data()),
                    static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
std::vector<uint8_t> col_blob(sqlite3_stmt* s, int i) {
  const uint8_t* p = static_cast<const uint8_t*>(sqlite3_column_blob(s, i));
  int n = sqlite3_column_bytes(s, i);
  if (p == nullptr || n <= 0) return {};
  return std::vector<uint8_t>(p, p + n);
}
std::string pcr_text(const std::vector<uint32_t>& pcrs) {
  std::string t;
  for (size_t i = 0; i < pcrs.size(); ++i) t += (i ? "," : "") + std::to_string(pcrs[i]);
  return t;
}

}  // namespace

TpmRegistry::TpmRegistry() = default;
TpmRegistry::~TpmRegistry() {
  if (db_ != nullptr) sqlite3_close(db_of(db_));
}

Status TpmRegistry::open(const std::string& db_path) {
  if (db_ != nullptr) return TpmError::kInvalidArgument;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return TpmError::kDb;
  }
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_exec(db, "PRAGMA foreign_keys=ON;", nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return TpmError::kDb;
  }
  db_ = db;
  return Status::Ok();
}

Status TpmRegistry::put_host(const HostRecord& r) {
  if (db_ == nullptr) return TpmError::kNotOpen;
  if (r.host.empty() || r.golden.size() != r.pcrs.size() || r.ak_name.empty())
    return TpmError::kInvalidArgument;
  std::vector<uint8_t> golden;
  for (size_t i = 0; i < r.golden.size(); ++i) {
    if (r.golden[i].index != r.pcrs[i]) return TpmError::kInvalidArgument;
    golden.insert(golden.end(), r.golden[i].value.begin(), r.golden[i].value.end());
  }
  Stmt st;
  if (sqlite3_prepare_v2(db_of(db_),
                         "INSERT OR REPLACE INTO "
                         "tpm_hosts(host,ek_public,ek_cert,ak_public,ak_name,qualified_signer,"
                         "pcrs,golden,have_last,last_clock,last_reset,last_restart,enrolled_at)"
                         " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &st.s, nullptr) != SQLITE_OK) {
    return TpmError::kDb;
  }
  sqlite3_bind_text(st.s, 1, r.host.c_str(), -1, SQLITE_TRANSIENT);
  bind_blob(st.s, 2, r.ek_public);
  bind_blob(st.s, 3, r.ek_cert);
  bind_blob(st.s, 4, r.ak_public);
  bind_blob(st.s, 5, r.ak_name);
  bind_blob(st.s, 6, r.qualified_signer);
  sqlite3_bind_text(st.s, 7, pcr_text(r.pcrs).c_str(), -1, SQLITE_TRANSIENT);
  bind_blob(st.s, 8, golden);
  sqlite3_bind_int(st.s, 9, r.have_last ? 1 : 0);
  sqlite3_bind_int64(st.s, 10, static_cast<sqlite3_int64>(r.last.clock));
  sqlite3_bind_int64(st.s, 11, r.last.reset_count);
  sqlite3_bind_int64(st.s, 12, r.last.restart_count);
  sqlite3_bind_int64(st.s, 13, static_cast<sqlite3_int64>(std::time(nullptr)));
  return sqlite3_step(st.s) == SQLITE_DONE ? Status::Ok() : Status(TpmError::kDb);
}

Result<HostRecord> TpmRegistry::get_host(const std::string& host) {
  if (db_ == nullptr) return TpmError::kNotOpen;
  Stmt st;
  if (sqlite3_prepare_v2(
          db_of(db_),
          "SELECT ek_public,ek_cert,ak_public,ak_name,qualified_signer,pcrs,golden,have_last,"
          "last_clock,last_reset,last_restart FROM tpm_hosts WHERE host=?",
          -1, &st.s, nullptr) != SQLITE_OK) {
    return TpmError::kDb;
  }
  sqlite3_bind_text(st.s, 1, host.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_DONE) return TpmError::kNotFound;
  if (rc != SQLITE_ROW) return TpmError::kDb;
  HostRecord r;
  r.host = host;
  r.ek_public = col_blob(st.s, 0);
  r.ek_cert = col_blob(st.s, 1);
  r.ak_public = col_blob(st.s, 2);
  r.ak_name = col_blob(st.s, 3);
  r.qualified_signer = col_blob(st.s, 4);
  const unsigned char* pcrs = sqlite3_column_text(st.s, 5);
  auto list = parse_pcr_list(pcrs ? reinterpret_cast<const char*>(pcrs) : "");
  if (!list.ok()) return TpmError::kDb;
  r.pcrs = *list;
  std::vector<uint8_t> golden = col_blob(st.s, 6);
  if (golden.size() != 32 * r.pcrs.size()) return TpmError::kDb;
  for (size_t i = 0; i < r.pcrs.size(); ++i) {
    PcrValue v;
    v.index = r.pcrs[i];
    std::copy(golden.begin() + static_cast<long>(32 * i),
              golden.begin() + static_cast<long>(32 * i + 32), v.value.begin());
    r.golden.push_back(v);
  }
  r.have_last = sqlite3_column_int(st.s, 7) != 0;
  r.last.clock = static_cast<uint64_t>(sqlite3_column_int64(st.s, 8));
  r.last.reset_count = static_cast<uint32_t>(sqlite3_column_int64(st.s, 9));
  r.last.restart_count = static_cast<uint32_t>(sqlite3_column_int64(st.s, 10));
  r.last.safe = true;
  // The AK point is derived from the stored public area, never stored twice.
  auto key = check_ak_public(ByteSpan(r.ak_public.data(), r.ak_public.size()),
                             ByteSpan(r.ak_name.data(), r.ak_name.size()));
  if (!key.ok()) return TpmError::kDb;
  r.ak_key = *key;
  return r;
}

Result<std::string> TpmRegistry::host_by_ak_name(ByteSpan ak_name) {
  if (db_ == nullptr) return TpmError::kNotOpen;
  Stmt st;
  if (sqlite3_prepare_v2(db_of(db_), "SELECT host FROM tpm_hosts WHERE ak_name=?", -1, &st.s,
                         nullptr) != SQLITE_OK) {
    return TpmError::kDb;
  }
  sqlite3_bind_blob(st.s, 1, ak_name.size ? static_cast<const void*>(ak_name.data) : "",
                    static_cast<int>(ak_name.size), SQLITE_TRANSIENT);
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_DONE) return TpmError::kNotFound;
  if (rc != SQLITE_ROW) return TpmError::kDb;
  return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)));
}

Status TpmRegistry::bind_board(const std::string& ueid_hex, const std::string& host) {
  if (db_ == nullptr) return TpmError::kNotOpen;
  if (ueid_hex.empty() || host.empty()) return TpmError::kInvalidArgument;
  Stmt st;
  if (sqlite3_prepare_v2(db_of(db_),
                         "INSERT OR REPLACE INTO tpm_board_hosts(ueid,host,bound_at) VALUES(?,?,?)",
                         -1, &st.s, nullptr) != SQLITE_OK) {
    return TpmError::kDb;
  }
  sqlite3_bind_text(st.s, 1, ueid_hex.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, host.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 3, static_cast<sqlite3_int64>(std::time(nullptr)));
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_CONSTRAINT) return TpmError::kNotFound;  // unknown host
  return rc == SQLITE_DONE ? Status::Ok() : Status(TpmError::kDb);
}

Result<std::string> TpmRegistry::board_host(const std::string& ueid_hex) {
  if (db_ == nullptr) return TpmError::kNotOpen;
  Stmt st;
  if (sqlite3_prepare_v2(db_of(db_), "SELECT host FROM tpm_board_hosts WHERE ueid=?", -1, &st.s,
                         nullptr) != SQLITE_OK) {
    return TpmError::kDb;
  }
  sqlite3_bind_text(st.s, 1, ueid_hex.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_DONE) return TpmError::kNotFound;
  if (rc != SQLITE_ROW) return TpmError::kDb;
  return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0)));
}

Status TpmRegistry::record_accepted(const std::string& host, const ClockInfo& ci) {
  if (db_ == nullptr) return TpmError::kNotOpen;
  Stmt st;
  if (sqlite3_prepare_v2(
          db_of(db_),
          "UPDATE tpm_hosts SET have_last=1,last_clock=?,last_reset=?,last_restart=? WHERE host=?",
          -1, &st.s, nullptr) != SQLITE_OK) {
    return TpmError::kDb;
  }
  sqlite3_bind_int64(st.s, 1, static_cast<sqlite3_int64>(ci.clock));
  sqlite3_bind_int64(st.s, 2, ci.reset_count);
  sqlite3_bind_int64(st.s, 3, ci.restart_count);
  sqlite3_bind_text(st.s, 4, host.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) return TpmError::kDb;
  return sqlite3_changes(db_of(db_)) == 1 ? Status::Ok() : Status(TpmError::kNotFound);
}

}  // namespace locus::tpm
