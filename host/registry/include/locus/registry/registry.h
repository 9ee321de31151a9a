// locus/registry/registry.h: the device registry used by the verifier, provisioning and the
// TPM helper.
//
// One interface, two backends chosen at run time by open(): SQLite (embedded default: WAL,
// synchronous=FULL except for put_nonce, whose commit does not wait for the disk unless it
// shares a group with a durable transaction: a power cut can lose unused nonces only; write
// transactions on one writers' connection, BEGIN IMMEDIATE, concurrent ones group-committed;
// reads on pooled connections or the writers' when it is free; busy timeout for other
// processes) and PostgreSQL (libpq, a connection pool,
// READ COMMITTED with row locks). Both carry the same schema, built by the same ordered,
// versioned migrations (applied in one transaction; a newer schema is refused).
//
// Tables: devices (UEID -> site, host, hwmodel, DeviceID cert + serial, revoked, state),
// revoked_serials, license_counters, nonces, decisions, audit_heads, audit_pending, tpm_hosts,
// tpm_board_hosts, trust_list_versions, evidence_bundles.
//
// Concurrency contract: every method is safe to call from many threads at once, and from
// several processes (or verifier replicas on one PostgreSQL) at once. Each method is atomic.
// transaction() groups calls made by the same thread inside its body into one atomic,
// durable step (nested calls join it). The lock order is: registry transaction first, then
// anything else (the audit log's file lock); never the other way round.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "locus/common/common.h"

namespace locus::registry {

using host::Bytes;
using host::HostResult;
using host::HStatus;

enum class DeviceState : uint8_t {
  kPending = 1,  // enrollment started: certificate issued, board not confirmed yet
  kActive = 2,   // enrolled
};
const char* to_string(DeviceState s);

struct Device {
  Bytes ueid;  // 33 bytes
  std::string site;
  std::string host;  // host server the board is installed in
  std::string hwmodel;
  Bytes devid_cert;        // DER DeviceID certificate issued at enrollment
  std::string serial_hex;  // its serial number, lowercase hex
  bool revoked = false;
  std::string revoke_reason;
  int64_t enrolled_at = 0;
  DeviceState state = DeviceState::kActive;
};

struct Decision {
  int64_t id = 0;  // 0: assigned by add_decision; else a reserve_decision_id() value
  int64_t time = 0;
  Bytes ueid;
  std::string status;         // "affirming" | "contraindicated"
  std::string decision_json;  // the EAR-like object, written once
  Bytes evidence;             // the COSE_Sign1 EAT appraised (empty for unknown devices)
  Bytes license;              // the license issued (empty when refused)
};

enum class NonceCheck { kOk, kUnknown, kExpired, kUsed, kWrongDevice, kEvicted };
const char* to_string(NonceCheck c);

struct NonceIssue {
  Bytes nonce;
  Bytes ueid;
  int64_t issued_us = 0;   // wall clock, microseconds (orders the device's nonces)
  int64_t expires_at = 0;  // unix seconds
  // Where the request came from (the client's address; "" for in-process callers).
  std::string source;
  // At most this many unused nonces per (device, source): the oldest beyond it are evicted
  // (a later attest with one says "evicted"). Per source, so that requests from one address
  // never evict the nonce another address is about to use. 0 = no limit.
  int max_outstanding = 0;
  // At most this many unused, unexpired nonces issued to one source (all devices): one more
  // is refused with kNonce and nothing is written. 0 = no limit.
  int max_per_source = 0;
  // Housekeeping in the same transaction: nonces that expired before this are deleted
  // (through the expiry index; cost independent of how many are retained).
  int64_t purge_before = 0;
};

struct AuditHead {
  uint64_t count = 0;    // number of records (= last seq)
  std::string hash_hex;  // hash of the last record ("" when empty)
};

// An audit record durable in the registry but maybe not yet in the log file.
struct AuditPending {
  uint64_t seq = 0;
  std::string line;  // the record's line in the file, without the trailing newline
};

// The TPM helper's host record, as stored (host/tpm converts to and from its own types).
struct TpmHostRow {
  std::string host;
  Bytes ek_public, ek_cert, ak_public, ak_name, qualified_signer;
  std::string pcrs;  // "0,1,7"
  Bytes golden;      // 32 bytes per PCR in `pcrs`
  bool have_last = false;
  int64_t last_clock = 0, last_reset = 0, last_restart = 0;
  int64_t enrolled_at = 0;
};

// Durable write transactions committed, and the COMMITs that made them durable (fewer than
// the transactions where group commit joined concurrent ones; SQLite only).
struct CommitStats {
  uint64_t transactions = 0;
  uint64_t commits = 0;
};

class Registry {
 public:
  virtual ~Registry() = default;

  // Runs body as one write transaction (committed when body returns OK, rolled back
  // otherwise). Registry calls made inside body join the transaction. Durable: it returns
  // after the commit reached stable storage. With SQLite, concurrent transactions are
  // group-committed: body may run on another caller's thread (while this one waits), inside a
  // savepoint of a transaction shared with the other waiting bodies; a body that fails (or
  // throws: rethrown here) rolls back alone. Bodies must therefore not depend on which
  // thread runs them.
  virtual HStatus transaction(const std::function<HStatus()>& body) = 0;
  virtual CommitStats commit_stats() const { return {}; }

  // Devices.
  virtual HStatus add_device(const Device& d) = 0;           // kDuplicate if the UEID exists
  virtual HostResult<Device> get_device(ByteSpan ueid) = 0;  // kNotFound
  virtual HostResult<std::vector<Device>> list_devices() = 0;
  // A page of the devices in UEID order: at most `limit` (1..) with ueid > after (empty
  // after: from the first); and how many devices there are in all.
  virtual HostResult<std::vector<Device>> devices_after(ByteSpan after, int64_t limit) = 0;
  virtual HostResult<int64_t> count_devices() = 0;
  // Pending -> active (kNotFound unless the device exists and is pending).
  virtual HStatus activate_device(ByteSpan ueid) = 0;
  // Revocation: by UEID (device row) or by certificate serial (also serials we never saw).
  virtual HStatus revoke_ueid(ByteSpan ueid, const std::string& reason) = 0;
  virtual HStatus revoke_serial(const std::string& serial_hex, const std::string& reason) = 0;
  virtual HostResult<bool> serial_revoked(const std::string& serial_hex) = 0;

  // Nonces: stored with an expiry, consumed exactly once by the device they were issued to.
  // kDuplicate on a collision; kNonce when the source is over max_per_source.
  virtual HStatus put_nonce(const NonceIssue& n) = 0;
  // What consume_nonce would say, without consuming (read only).
  virtual HostResult<NonceCheck> peek_nonce(ByteSpan nonce, ByteSpan ueid, int64_t now) = 0;
  // Atomically checks and marks the nonce used. The nonce is consumed even when the check
  // fails for expiry or device mismatch (a nonce is never usable twice).
  virtual HostResult<NonceCheck> consume_nonce(ByteSpan nonce, ByteSpan ueid, int64_t now) = 0;
  virtual HStatus purge_nonces(int64_t older_than) = 0;
  // Nonces issued, not used, not evicted and not expired at `now`, over all devices (the
  // verifier's /metrics gauge). Not pure: a wrapper that does not know says kInternal.
  virtual HostResult<int64_t> count_open_nonces(int64_t now) {
    (void)now;
    return {host::HostError::kInternal, "count_open_nonces not supported by this registry"};
  }

  // License counter. next_license_counter: returns last + 1 and stores it.
  // take_license_counter: stores expected_last + 1 only if the stored value is still
  // expected_last (0 = none yet); false if another appraisal took it first.
  virtual HostResult<uint64_t> next_license_counter(ByteSpan ueid) = 0;
  virtual HostResult<bool> take_license_counter(ByteSpan ueid, uint64_t expected_last) = 0;
  virtual HostResult<uint64_t> last_license_counter(ByteSpan ueid) = 0;

  // Decisions (appraisal results), with the evidence and license bytes for export.
  // reserve_decision_id: the id the next decision will get (call inside transaction()).
  virtual HostResult<int64_t> reserve_decision_id() = 0;
  virtual HostResult<int64_t> add_decision(const Decision& d) = 0;
  // list_decisions: the newest `limit` decisions (-1: all), oldest first.
  virtual HostResult<std::vector<Decision>> list_decisions(int64_t limit = -1) = 0;
  // decisions_after: at most `limit` (1..) decisions with id > after_id, in id order, with
  // their evidence and license: a page of the history, for readers that must see all of it
  // (export, offline re-verification) without holding it in memory.
  virtual HostResult<std::vector<Decision>> decisions_after(int64_t after_id, int64_t limit) = 0;
  // The newest decision of every enrolled device that has one, oldest first, without the
  // evidence and license bytes: one index lookup per device, however long the history.
  virtual HostResult<std::vector<Decision>> latest_decisions() = 0;
  // The same for the devices with after < UEID <= through only (the fleet page's page: from
  // the UEID before it to its last board's, so a board enrolled between the two reads cannot
  // push one of the page's boards out of this read).
  virtual HostResult<std::vector<Decision>> latest_decisions_between(ByteSpan after,
                                                                     ByteSpan through) = 0;

  // Evidence bundles (CBOR, docs/audit.md), one per decision id, written once in the
  // decision's transaction (kDuplicate if the id has one). get: kNotFound if none.
  virtual HStatus put_evidence_bundle(int64_t decision_id, ByteSpan bundle) {
    (void)decision_id;
    (void)bundle;
    return {host::HostError::kInternal, "this registry keeps no evidence bundles"};
  }
  virtual HostResult<Bytes> get_evidence_bundle(int64_t decision_id) {
    (void)decision_id;
    return {host::HostError::kNotFound, "this registry keeps no evidence bundles"};
  }

  // Audit log heads, keyed by log name (the absolute path of the log file).
  virtual HostResult<AuditHead> get_audit_head(const std::string& log) = 0;
  virtual HStatus set_audit_head(const std::string& log, const AuditHead& h) = 0;
  // Audit records written to the log file without a sync of their own (host/audit): kept
  // here, in the record's transaction, until the file has been synced past them; the repair
  // after a crash appends them from here. add: kDuplicate if (log, seq) exists. list: the
  // rows with seq > after_seq, in seq order. prune: deletes the rows with seq <= upto_seq.
  virtual HStatus add_audit_pending(const std::string& log, uint64_t seq, const std::string& line) {
    (void)log;
    (void)seq;
    (void)line;
    return {host::HostError::kInternal, "this registry keeps no pending audit records"};
  }
  // The same, but a row that exists for (log, seq) is left as it is (and OK is returned); on
  // PostgreSQL it waits for a concurrent transaction that inserted that row to end.
  virtual HStatus add_audit_pending_if_absent(const std::string& log, uint64_t seq,
                                              const std::string& line) {
    (void)log;
    (void)seq;
    (void)line;
    return {host::HostError::kInternal, "this registry keeps no pending audit records"};
  }
  virtual HostResult<std::vector<AuditPending>> list_audit_pending(const std::string& log,
                                                                   uint64_t after_seq) {
    (void)log;
    (void)after_seq;
    return {host::HostError::kInternal, "this registry keeps no pending audit records"};
  }
  virtual HStatus prune_audit_pending(const std::string& log, uint64_t upto_seq) {
    (void)log;
    (void)upto_seq;
    return {host::HostError::kInternal, "this registry keeps no pending audit records"};
  }

  // TPM host records (host/tpm) and the board -> host binding.
  virtual HStatus put_tpm_host(const TpmHostRow& h) = 0;                      // insert or replace
  virtual HostResult<TpmHostRow> get_tpm_host(const std::string& host) = 0;   // kNotFound
  virtual HostResult<std::string> tpm_host_by_ak_name(ByteSpan ak_name) = 0;  // kNotFound
  virtual HStatus bind_board_host(const std::string& ueid_hex, const std::string& host) = 0;
  virtual HostResult<std::string> board_host(const std::string& ueid_hex) = 0;  // kNotFound
  // Records an accepted quote's clock info only if it is newer than the stored one
  // (reset, restart, clock compared in that order); false if it is not (a concurrent or
  // replayed quote got there first). kNotFound for an unknown host.
  virtual HostResult<bool> record_tpm_quote(const std::string& host, int64_t clock, int64_t reset,
                                            int64_t restart) = 0;

  // Landmark trust list versions: remembers the highest version loaded per signer and
  // refuses (kRefused) an older one. Equal is accepted (a restart reloads the same list).
  virtual HStatus raise_trust_list_version(const std::string& signer, int64_t version) = 0;
  virtual HostResult<int64_t> trust_list_version(const std::string& signer) = 0;  // 0 if none

  // Schema version currently in the database; what backend this is (path or redacted URL).
  virtual HostResult<int> schema_version() = 0;
  virtual std::string describe() const = 0;
};

// Decisions read a page at a time (decisions_after): how many per page.
constexpr int64_t kDecisionPage = 256;

// What a for_each_decision visitor says after each decision.
enum class Visit : uint8_t { kNext, kStop };

// Hands every decision with id > after_id to visit, in id order, reading pages of `page`
// decisions (decisions_after; 1.. , kDecisionPage by default): memory stays bounded by one
// page however long the history is. Ends at the last decision, at visit's kStop, or with the
// first error (a failed read, or visit's own error, returned as it is).
HStatus for_each_decision(Registry& reg, int64_t after_id,
                          const std::function<HostResult<Visit>(const Decision&)>& visit,
                          int64_t page = kDecisionPage);

// Latest schema version this build knows.
int latest_schema_version();

// Opens a registry: "postgresql://..." / "postgres://..." through libpq, anything else is an
// SQLite file path (created if needed). Migrates to the latest schema; a database with a
// newer schema than this build knows is refused (kSchemaTooNew).
HostResult<std::unique_ptr<Registry>> open(const std::string& spec);
// Opens an existing registry for reading only (auditors: `locus audit reverify`): SQLite
// with SQLITE_OPEN_READONLY, PostgreSQL sessions with default_transaction_read_only; no
// migration (a schema other than the latest is refused with kSchemaTooNew / kConfig), and
// every write is refused by the database itself.
HostResult<std::unique_ptr<Registry>> open_read_only(const std::string& spec);
// For tests: opens and migrates only up to `target` (an older schema).
HostResult<std::unique_ptr<Registry>> open_at_version(const std::string& spec, int target);
bool is_postgres_url(const std::string& spec);

// The SQLite file at path (same as open() for a path).
HostResult<std::unique_ptr<Registry>> open_sqlite(const std::string& path);
HostResult<std::unique_ptr<Registry>> open_sqlite_at_version(const std::string& path, int target);

}  // namespace locus::registry
