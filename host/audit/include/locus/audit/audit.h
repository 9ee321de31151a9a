// locus/audit/audit.h: append-only, hash-chained audit log.
//
// One JSON line per record: {"body":{..},"hash":"<hex>","kind":"decision","prev_hash":"<hex>",
// "seq":N,"time":unix}. hash = SHA-256(prev_hash bytes || canonical record), where the
// canonical record is the compact JSON (keys sorted) of the record WITHOUT "hash". The first
// record's prev_hash is 32 zero bytes; seq starts at 1 and increases by one.
// The registry keeps the head (count + last hash) per log so that cutting records off the
// tail is detected. Appends take an exclusive flock on the file so that several processes
// (verifier, provisioning CLI) can share one log.
#pragma once

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

class AuditLog {
 public:
  // reg may be null (no head tracking; verification then cannot detect truncation).
  AuditLog(std::string path, registry::Registry* reg);
  // Appends one record. kind: "decision", "provision", "revoke", "nonce", "key", ...
  // body_json must be a JSON object text.
  HostResult<AppendResult> append(const std::string& kind, const std::string& body_json);
  const std::string& path() const { return path_; }
  // The key under which the registry stores this log's head (the absolute path).
  std::string head_key() const;

 private:
  std::string path_;
  registry::Registry* reg_;
};

struct VerifyReport {
  bool ok = false;
  uint64_t records = 0;        // records read
  uint64_t first_bad_seq = 0;  // 0 when ok or when the problem is not a specific record
  uint64_t first_bad_line = 0;
  std::string reason;         // first problem found
  std::string head_hash_hex;  // hash of the last good record
};

// Verifies the chain in `path`; with expected_head (from the registry) also detects
// truncation and records appended behind locus's back. Never throws.
VerifyReport verify_log(const std::string& path, const registry::AuditHead* expected_head);

// Parses the log (no verification) into JSON texts, one per line, for `audit show`.
HostResult<std::vector<std::string>> read_records(const std::string& path);

// The hash of a record object (JSON without "hash") chained to prev_hash (hex).
HostResult<std::string> record_hash(const std::string& prev_hash_hex,
                                    const std::string& canonical_json);

}  // namespace locus::audit
