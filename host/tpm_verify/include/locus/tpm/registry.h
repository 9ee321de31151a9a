// locus/tpm/registry.h: the TPM-side host records, kept in the device registry.
//
// The tables (tpm_hosts, tpm_board_hosts) are part of host/registry's schema, created by its
// versioned migrations and used through its connection discipline (pooled connections,
// transactions), on SQLite or PostgreSQL. This class converts between the TPM types and the
// stored rows:
//   tpm_hosts(host PRIMARY KEY, ek_public, ek_cert, ak_public, ak_name UNIQUE,
//             qualified_signer, pcrs TEXT "0,1,7", golden BLOB (32 bytes per selected PCR,
//             ascending), last_clock, last_reset, last_restart, have_last, enrolled_at)
//   tpm_board_hosts(ueid PRIMARY KEY (hex), host REFERENCES tpm_hosts(host), bound_at)
// Safe to call concurrently from many threads (the registry is).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "locus/registry/registry.h"
#include "locus/tpm/quote.h"

namespace locus::tpm {

struct HostRecord {
  std::string host;
  std::vector<uint8_t> ek_public;         // marshalled TPMT_PUBLIC
  std::vector<uint8_t> ek_cert;           // DER
  std::vector<uint8_t> ak_public;         // marshalled TPMT_PUBLIC
  std::array<uint8_t, 65> ak_key{};       // SEC1 P-256 point (from ak_public)
  std::vector<uint8_t> ak_name;           // TPM2B_NAME contents
  std::vector<uint8_t> qualified_signer;  // from the enrollment quote (empty: not checked)
  std::vector<uint32_t> pcrs;             // quote policy: sha256 PCRs, ascending
  std::vector<PcrValue> golden;           // golden values for exactly `pcrs`
  bool have_last = false;                 // a quote has been accepted since enrollment
  ClockInfo last;                         // clock info of the last accepted quote
};

class TpmRegistry {
 public:
  TpmRegistry();
  ~TpmRegistry();
  TpmRegistry(const TpmRegistry&) = delete;
  TpmRegistry& operator=(const TpmRegistry&) = delete;

  // Opens the registry at db_path (an SQLite path or a postgresql:// URL; migrated to the
  // latest schema) and owns it.
  Status open(const std::string& db_path);
  // Uses an already open registry (not owned; must outlive this object).
  Status attach(registry::Registry* reg);

  Status put_host(const HostRecord& rec);  // insert or replace (re-enrollment)
  Result<HostRecord> get_host(const std::string& host);
  // The host whose AK has this name (kNotFound if none).
  Result<std::string> host_by_ak_name(ByteSpan ak_name);
  Status bind_board(const std::string& ueid_hex, const std::string& host);
  Result<std::string> board_host(const std::string& ueid_hex);
  // Stores the clock info of an accepted quote (replay/reset baseline), only if it is newer
  // than the stored one: kStaleQuote if a newer (or the same) quote was recorded meanwhile,
  // so that two concurrent appraisals of one quote cannot both be accepted.
  Status record_accepted(const std::string& host, const ClockInfo& ci);

 private:
  std::unique_ptr<registry::Registry> owned_;
  registry::Registry* reg_ = nullptr;
};

}  // namespace locus::tpm
