// locus/audit/audit.h: append-only, hash-chained audit log.
//
// One JSON line per record: {"body":{..},"hash":"<hex>","kind":"decision","prev_hash":"<hex>",
// "seq":N,"time":unix}. hash = SHA-256(prev_hash bytes || canonical record), where the
// canonical record is the compact JSON (keys sorted) of the record WITHOUT "hash". The first
// record's prev_hash is 32 zero bytes; seq starts at 1 and increases by one.
// The registry keeps the head (count + last hash) per log so that cutting records off the
// tail is detected. Appends take an exclusive flock on the file so that several processes
// (verifier, provisioning CLI) can share one log.
//
// Durability (docs/audit.md "Durability"): with a registry, append() runs inside the caller's
// registry transaction (or its own) and stores the head AND the record's line (table
// audit_pending) there, so the registry commit makes the record durable; the file is written
// without an fsync of its own and synced only now and then (SyncPolicy), after which the
// pending rows up to the synced record are pruned in the same transaction. After a crash the
// file may be behind the registry or end in a torn line: repair() (run by the first append
// that finds the file so, and by `locus audit repair`) appends the missing records from the
// registry when it can prove them, and refuses (kAuditBroken, nothing changed) otherwise.
// Without a registry every append is fsynced as before.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/registry/registry.h"

namespace locus::audit {

using host::HostResult;
using host::HStatus;

struct AppendResult {
  uint64_t seq = 0;
  std::string hash_hex;
};

// When the file is synced (with a registry): once this many records are pending, or when the
// last sync is older than max_age_ms, whichever comes first (checked at each append).
struct SyncPolicy {
  uint64_t max_pending = 1000;
  int64_t max_age_ms = 1000;
};

struct RepairReport {
  uint64_t file_records = 0;    // complete, chained records in the file before the repair
  uint64_t head = 0;            // the registry head (records the log must hold)
  uint64_t appended = 0;        // records appended from the registry's durable copies
  uint64_t torn_bytes_cut = 0;  // bytes of a torn last line removed
};

class AuditLog {
 public:
  // reg may be null (no head tracking; verification then cannot detect truncation).
  AuditLog(std::string path, registry::Registry* reg);
  ~AuditLog();  // syncs the file (best effort) and closes it
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one record. kind: "decision", "provision", "revoke", "nonce", "key", ...
  // body must be a JSON object. Safe to call from several threads (and processes) at once.
  HostResult<AppendResult> append(const std::string& kind, const nlohmann::json& body);
  // The same with the body as JSON object text (parsed first; kParse if not an object).
  HostResult<AppendResult> append(const std::string& kind, const std::string& body_json);
  HostResult<AppendResult> append(const std::string& kind, const char* body_json) {
    return append(kind, std::string(body_json));
  }
  // Brings the file up to the registry head from the registry's durable copies (after a
  // crash): cuts a torn last line whose record the registry holds, appends the missing
  // records, syncs. Refuses with kAuditBroken, changing nothing, when the file's records are
  // not a prefix of the registry's (a differing line, a gap, records beyond the head, a
  // broken chain). Needs a registry (kUsage without).
  HostResult<RepairReport> repair();
  // Syncs the file now and prunes the pending rows it covers (own registry transaction).
  HStatus sync();
  void set_sync_policy(const SyncPolicy& p);
  const std::string& path() const { return path_; }
  // The key under which the registry stores this log's head (the absolute path).
  std::string head_key() const;

 private:
  // What this object knows about the file's end, valid while the file is unchanged.
  struct Tail {
    bool valid = false;
    uint64_t seq = 0;
    std::string hash;  // "" when the file is empty
    int64_t size = 0;
    uint64_t dev = 0, ino = 0;
  };
  HStatus open_locked();
  HStatus read_tail_locked(bool* torn);
  HStatus fsync_locked(uint64_t seq);
  HostResult<RepairReport> repair_locked(const registry::AuditHead& head);
  HostResult<AppendResult> append_locked(const std::string& kind, const nlohmann::json& body);

  std::string path_;
  registry::Registry* reg_;
  std::mutex mu_;  // one appender per process at a time (the flock is per open file)
  int fd_ = -1;
  std::string key_;  // head_key() of the open file
  Tail tail_;
  uint64_t synced_seq_ = 0;  // the file is on disk up to this record (by our fsync)
  // Lines this object wrote after synced_seq_, while the file is as it left it (cleared
  // whenever the tail is read from the file): the records a not-yet-committed (or rolled
  // back) transaction of ours wrote, which the next append can vouch for.
  std::map<uint64_t, std::string> unsynced_;
  std::chrono::steady_clock::time_point last_sync_;
  SyncPolicy policy_;
};

struct VerifyReport {
  bool ok = false;
  uint64_t records = 0;        // records read
  uint64_t first_bad_seq = 0;  // 0 when ok or when the problem is not a specific record
  uint64_t first_bad_line = 0;
  std::string reason;         // first problem found
  std::string head_hash_hex;  // hash of the last good record
  // Records the registry holds durably (audit_pending) that the file lacks: not ok, and the
  // reason says to run `locus audit repair` (unsynced at a crash; not a truncation).
  uint64_t unsynced = 0;
};

// Verifies the chain in `path`; with expected_head (from the registry) also detects
// truncation and records appended behind locus's back. With pending (the registry's
// audit_pending rows of this log) a file that is behind the head is reported as unsynced
// (not truncated) when the pending rows hold exactly the missing records and chain onto the
// file; a file line that differs from its pending copy is reported as edited. Never throws.
VerifyReport verify_log(const std::string& path, const registry::AuditHead* expected_head,
                        const std::vector<registry::AuditPending>* pending = nullptr);

// Parses the log (no verification) into JSON texts, one per line, for `audit show`.
HostResult<std::vector<std::string>> read_records(const std::string& path);

// The hash of a record object (JSON without "hash") chained to prev_hash (hex).
HostResult<std::string> record_hash(const std::string& prev_hash_hex,
                                    const std::string& canonical_json);

}  // namespace locus::audit
