// locus/registry/registry.h: the device registry used by the verifier and provisioning.
//
// One interface, one backend today (SQLite, WAL mode, versioned schema migrations applied
// in order inside a transaction). Tables: devices (UEID -> site, host, hwmodel, DeviceID
// cert + serial, revoked), revoked_serials, license_counters, nonces, decisions, audit
// heads, hosts (TPM EK cert, AK public/name, golden PCRs) and the board -> host mapping.
// All methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "locus/common/common.h"

namespace locus::registry {

using host::Bytes;
using host::HostResult;
using host::HStatus;

struct Device {
  Bytes ueid;               // 33 bytes
  std::string site;
  std::string host;         // host server the board is installed in
  std::string hwmodel;
  Bytes devid_cert;         // DER DeviceID certificate issued at enrollment
  std::string serial_hex;   // its serial number, lowercase hex
  bool revoked = false;
  std::string revoke_reason;
  int64_t enrolled_at = 0;
};

struct HostRecord {
  std::string host;
  Bytes ek_cert;             // DER
  Bytes ak_pub;              // TPM2B_PUBLIC or SEC1, as the TPM helper stores it
  Bytes ak_name;
  std::string golden_pcrs_json;  // {"sha256":{"0":"<hex>",...}}
  int64_t updated_at = 0;
};

struct Decision {
  int64_t id = 0;
  int64_t time = 0;
  Bytes ueid;
  std::string status;        // "affirming" | "contraindicated"
  std::string decision_json; // the EAR-like object
  Bytes evidence;            // the COSE_Sign1 EAT appraised (may be empty)
  Bytes license;             // the license issued (empty when refused)
};

enum class NonceCheck { kOk, kUnknown, kExpired, kUsed, kWrongDevice };
const char* to_string(NonceCheck c);

struct AuditHead {
  uint64_t count = 0;        // number of records (= last seq)
  std::string hash_hex;      // hash of the last record ("" when empty)
};

class Registry {
 public:
  virtual ~Registry() = default;

  // Devices.
  virtual HStatus add_device(const Device& d) = 0;  // kDuplicate if the UEID exists
  virtual HostResult<Device> get_device(ByteSpan ueid) = 0;  // kNotFound
  virtual HostResult<std::vector<Device>> list_devices() = 0;
  // Revocation: by UEID (device row) or by certificate serial (also serials we never saw).
  virtual HStatus revoke_ueid(ByteSpan ueid, const std::string& reason) = 0;
  virtual HStatus revoke_serial(const std::string& serial_hex, const std::string& reason) = 0;
  virtual HostResult<bool> serial_revoked(const std::string& serial_hex) = 0;

  // Nonces: issued with an expiry, consumed exactly once by the device they were issued to.
  virtual HStatus put_nonce(ByteSpan nonce, ByteSpan ueid, int64_t expires_at) = 0;
  // Atomically checks and marks the nonce used. The nonce is consumed even when the check
  // fails for expiry or device mismatch (a nonce is never usable twice).
  virtual HostResult<NonceCheck> consume_nonce(ByteSpan nonce, ByteSpan ueid, int64_t now) = 0;
  virtual HStatus purge_nonces(int64_t older_than) = 0;

  // License counter: returns last + 1 and stores it (strictly increasing, persistent).
  virtual HostResult<uint64_t> next_license_counter(ByteSpan ueid) = 0;
  virtual HostResult<uint64_t> last_license_counter(ByteSpan ueid) = 0;

  // Decisions (appraisal results), with the evidence and license bytes for export.
  virtual HostResult<int64_t> add_decision(const Decision& d) = 0;
  virtual HStatus set_decision_json(int64_t id, const std::string& json) = 0;
  virtual HostResult<std::vector<Decision>> list_decisions(int64_t limit = -1) = 0;

  // Audit log heads, keyed by log name (the absolute path of the log file).
  virtual HostResult<AuditHead> get_audit_head(const std::string& log) = 0;
  virtual HStatus set_audit_head(const std::string& log, const AuditHead& h) = 0;

  // Hosts / TPM (columns for the TPM helper) and the board -> host mapping (devices.host).
  virtual HStatus upsert_host(const HostRecord& h) = 0;
  virtual HostResult<HostRecord> get_host(const std::string& host) = 0;

  // Schema version currently in the database.
  virtual HostResult<int> schema_version() = 0;
};

// Latest schema version this build knows.
int latest_schema_version();

// Opens (creating if needed) an SQLite registry and migrates it to the latest schema.
// A database with a newer schema than this build knows is refused (kSchemaTooNew).
HostResult<std::unique_ptr<Registry>> open_sqlite(const std::string& path);
// For tests: opens and migrates only up to `target` (an older schema).
HostResult<std::unique_ptr<Registry>> open_sqlite_at_version(const std::string& path, int target);

}  // namespace locus::registry
