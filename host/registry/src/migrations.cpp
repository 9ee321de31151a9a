// Ordered schema migrations (see migrations.h). Steps 1..3 are the ones SQLite registries
// shipped with; PostgreSQL runs the same steps with its own type names.
#include "migrations.h"

namespace locus::registry::db {

namespace {

struct Step {
  const char* sqlite;
  const char* postgres;
};

const Step kSteps[] = {
    // 0 -> 1: devices, nonces, license counters, decisions.
    {"CREATE TABLE devices (ueid BLOB PRIMARY KEY, site TEXT NOT NULL, host TEXT NOT NULL,"
     " hwmodel TEXT NOT NULL, devid_cert BLOB NOT NULL, serial TEXT NOT NULL,"
     " revoked INTEGER NOT NULL DEFAULT 0, revoke_reason TEXT NOT NULL DEFAULT '',"
     " enrolled_at INTEGER NOT NULL);"
     "CREATE TABLE nonces (nonce BLOB PRIMARY KEY, ueid BLOB NOT NULL, expires_at INTEGER NOT "
     "NULL,"
     " used INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE license_counters (ueid BLOB PRIMARY KEY, counter INTEGER NOT NULL);"
     "CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL,"
     " ueid BLOB NOT NULL, status TEXT NOT NULL, json TEXT NOT NULL, evidence BLOB, license "
     "BLOB);",
     "CREATE TABLE devices (ueid BYTEA PRIMARY KEY, site TEXT NOT NULL, host TEXT NOT NULL,"
     " hwmodel TEXT NOT NULL, devid_cert BYTEA NOT NULL, serial TEXT NOT NULL,"
     " revoked BIGINT NOT NULL DEFAULT 0, revoke_reason TEXT NOT NULL DEFAULT '',"
     " enrolled_at BIGINT NOT NULL);"
     "CREATE TABLE nonces (nonce BYTEA PRIMARY KEY, ueid BYTEA NOT NULL, expires_at BIGINT NOT "
     "NULL,"
     " used BIGINT NOT NULL DEFAULT 0);"
     "CREATE TABLE license_counters (ueid BYTEA PRIMARY KEY, counter BIGINT NOT NULL);"
     "CREATE TABLE decisions (id BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL,"
     " ueid BYTEA NOT NULL, status TEXT NOT NULL, json TEXT NOT NULL, evidence BYTEA, license "
     "BYTEA);"},
    // 1 -> 2: revocation by certificate serial, audit heads (truncation detection).
    {"CREATE TABLE revoked_serials (serial TEXT PRIMARY KEY, reason TEXT NOT NULL, time INTEGER "
     "NOT NULL);"
     "CREATE TABLE audit_heads (log TEXT PRIMARY KEY, count INTEGER NOT NULL, hash TEXT NOT "
     "NULL);"
     "CREATE INDEX devices_serial ON devices(serial);",
     "CREATE TABLE revoked_serials (serial TEXT PRIMARY KEY, reason TEXT NOT NULL, time BIGINT "
     "NOT NULL);"
     "CREATE TABLE audit_heads (log TEXT PRIMARY KEY, count BIGINT NOT NULL, hash TEXT NOT "
     "NULL);"
     "CREATE INDEX devices_serial ON devices(serial);"},
    // 2 -> 3: hosts and their TPM identity (the first, never used, host table).
    {"CREATE TABLE hosts (host TEXT PRIMARY KEY, ek_cert BLOB, ak_pub BLOB, ak_name BLOB,"
     " golden_pcrs TEXT NOT NULL DEFAULT '{}', updated_at INTEGER NOT NULL);"
     "CREATE INDEX devices_host ON devices(host);",
     "CREATE TABLE hosts (host TEXT PRIMARY KEY, ek_cert BYTEA, ak_pub BYTEA, ak_name BYTEA,"
     " golden_pcrs TEXT NOT NULL DEFAULT '{}', updated_at BIGINT NOT NULL);"
     "CREATE INDEX devices_host ON devices(host);"},
    // 3 -> 4: the TPM helper's tables join the registry (IF NOT EXISTS: SQLite files where
    // host/tpm already created them keep their rows); the dead hosts table goes; the nonce
    // expiry index (purge cost independent of the rows retained); per-device nonce order
    // (eviction of the oldest outstanding); pending enrollments; trust list versions.
    {"DROP TABLE hosts;"
     "CREATE TABLE IF NOT EXISTS tpm_hosts("
     " host TEXT PRIMARY KEY NOT NULL, ek_public BLOB NOT NULL, ek_cert BLOB NOT NULL,"
     " ak_public BLOB NOT NULL, ak_name BLOB NOT NULL UNIQUE, qualified_signer BLOB NOT NULL,"
     " pcrs TEXT NOT NULL, golden BLOB NOT NULL, have_last INTEGER NOT NULL DEFAULT 0,"
     " last_clock INTEGER NOT NULL DEFAULT 0, last_reset INTEGER NOT NULL DEFAULT 0,"
     " last_restart INTEGER NOT NULL DEFAULT 0, enrolled_at INTEGER NOT NULL);"
     "CREATE TABLE IF NOT EXISTS tpm_board_hosts("
     " ueid TEXT PRIMARY KEY NOT NULL, host TEXT NOT NULL REFERENCES tpm_hosts(host),"
     " bound_at INTEGER NOT NULL);"
     "ALTER TABLE nonces ADD COLUMN issued_us INTEGER NOT NULL DEFAULT 0;"
     "CREATE INDEX nonces_expiry ON nonces(expires_at);"
     "CREATE INDEX nonces_device ON nonces(ueid, used, issued_us);"
     "ALTER TABLE devices ADD COLUMN state INTEGER NOT NULL DEFAULT 2;"
     "CREATE TABLE trust_list_versions (signer TEXT PRIMARY KEY, version INTEGER NOT NULL,"
     " loaded_at INTEGER NOT NULL);",
     "DROP TABLE hosts;"
     "CREATE TABLE IF NOT EXISTS tpm_hosts("
     " host TEXT PRIMARY KEY NOT NULL, ek_public BYTEA NOT NULL, ek_cert BYTEA NOT NULL,"
     " ak_public BYTEA NOT NULL, ak_name BYTEA NOT NULL UNIQUE, qualified_signer BYTEA NOT NULL,"
     " pcrs TEXT NOT NULL, golden BYTEA NOT NULL, have_last BIGINT NOT NULL DEFAULT 0,"
     " last_clock BIGINT NOT NULL DEFAULT 0, last_reset BIGINT NOT NULL DEFAULT 0,"
     " last_restart BIGINT NOT NULL DEFAULT 0, enrolled_at BIGINT NOT NULL);"
     "CREATE TABLE IF NOT EXISTS tpm_board_hosts("
     " ueid TEXT PRIMARY KEY NOT NULL, host TEXT NOT NULL REFERENCES tpm_hosts(host),"
     " bound_at BIGINT NOT NULL);"
     "ALTER TABLE nonces ADD COLUMN issued_us BIGINT NOT NULL DEFAULT 0;"
     "CREATE INDEX nonces_expiry ON nonces(expires_at);"
     "CREATE INDEX nonces_device ON nonces(ueid, used, issued_us);"
     "ALTER TABLE devices ADD COLUMN state BIGINT NOT NULL DEFAULT 2;"
     "CREATE TABLE trust_list_versions (signer TEXT PRIMARY KEY, version BIGINT NOT NULL,"
     " loaded_at BIGINT NOT NULL);"},
    // 4 -> 5: the address a nonce was requested from. Eviction of the oldest outstanding
    // nonces is per (board, source), so a flood from elsewhere cannot evict the nonce an
    // honest agent is about to use; and a per-source cap on outstanding nonces (counted
    // through the (source, used, expires_at) index).
    {"ALTER TABLE nonces ADD COLUMN source TEXT NOT NULL DEFAULT '';"
     "DROP INDEX nonces_device;"
     "CREATE INDEX nonces_device_source ON nonces(ueid, source, used, issued_us);"
     "CREATE INDEX nonces_source_open ON nonces(source, used, expires_at);",
     "ALTER TABLE nonces ADD COLUMN source TEXT NOT NULL DEFAULT '';"
     "DROP INDEX nonces_device;"
     "CREATE INDEX nonces_device_source ON nonces(ueid, source, used, issued_us);"
     "CREATE INDEX nonces_source_open ON nonces(source, used, expires_at);"},
    // 5 -> 6: the evidence bundle of every decision (CBOR, docs/audit.md), written in the
    // decision's transaction; one row per decision, never updated.
    {"CREATE TABLE evidence_bundles (decision_id INTEGER PRIMARY KEY NOT NULL,"
     " bundle BLOB NOT NULL);",
     "CREATE TABLE evidence_bundles (decision_id BIGINT PRIMARY KEY NOT NULL,"
     " bundle BYTEA NOT NULL);"},
    // 6 -> 7: audit records durable in the registry but maybe not yet in the log file (the
    // file is written without its own fsync; docs/audit.md "Durability"). Written in the
    // record's transaction, deleted once the file has been synced past them.
    {"CREATE TABLE audit_pending (log TEXT NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL,"
     " PRIMARY KEY(log, seq));",
     "CREATE TABLE audit_pending (log TEXT NOT NULL, seq BIGINT NOT NULL, line TEXT NOT NULL,"
     " PRIMARY KEY(log, seq));"},
    // 7 -> 8: each board's decisions in order, so that its newest one is found without
    // reading the table (the fleet page and latest_decisions(); the table grows by every
    // renewal of every board).
    {"CREATE INDEX decisions_ueid ON decisions(ueid, id);",
     "CREATE INDEX decisions_ueid ON decisions(ueid, id);"},
    // 8 -> 9: the two indexes that find outstanding nonces hold outstanding nonces only
    // (partial, WHERE used=0). In the full indexes a nonce's use moved its entry (used was a
    // key column) and every used nonce stayed indexed until it was purged an hour after
    // expiry: the two were 30 % of the WAL pages written per decision. A partial index only
    // loses the entry on use, and stays as small as the caps on outstanding nonces keep it.
    // Queries name used=0 literally so that both databases can choose these indexes.
    {"DROP INDEX nonces_device_source;"
     "DROP INDEX nonces_source_open;"
     "CREATE INDEX nonces_open_device ON nonces(ueid, source, issued_us, nonce) WHERE used=0;"
     "CREATE INDEX nonces_open_source ON nonces(source, expires_at) WHERE used=0;",
     "DROP INDEX nonces_device_source;"
     "DROP INDEX nonces_source_open;"
     "CREATE INDEX nonces_open_device ON nonces(ueid, source, issued_us, nonce) WHERE used=0;"
     "CREATE INDEX nonces_open_source ON nonces(source, expires_at) WHERE used=0;"},
};

}  // namespace

int migration_count() {
  return static_cast<int>(sizeof(kSteps) / sizeof(kSteps[0]));
}

const char* migration(Dialect d, int step) {
  if (step < 0 || step >= migration_count()) return nullptr;
  return d == Dialect::kSqlite ? kSteps[step].sqlite : kSteps[step].postgres;
}

}  // namespace locus::registry::db
