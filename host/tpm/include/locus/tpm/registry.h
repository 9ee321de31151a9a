// locus/tpm/registry.h: the TPM-side host records, in the verifier's SQLite database.
//
// Additive tables owned by host/tpm (the main registry belongs to host/registry):
//   tpm_hosts(host PRIMARY KEY, ek_public, ek_cert, ak_public, ak_name, qualified_signer,
//             pcrs TEXT "0,1,7", golden BLOB (32 bytes per selected PCR, ascending),
//             last_clock, last_reset, last_restart, have_last, enrolled_at)
//   tpm_board_hosts(ueid PRIMARY KEY (hex), host REFERENCES tpm_hosts(host), bound_at)
// Both use CREATE TABLE IF NOT EXISTS, so they can live in the same file as the registry.
#pragma once

#include <string>
#include <vector>

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

  Status open(const std::string& db_path);  // creates the tables if missing
  Status put_host(const HostRecord& rec);   // insert or replace (re-enrollment)
  Result<HostRecord> get_host(const std::string& host);
  // The host whose AK has this name (kNotFound if none).
  Result<std::string> host_by_ak_name(ByteSpan ak_name);
  Status bind_board(const std::string& ueid_hex, const std::string& host);
  Result<std::string> board_host(const std::string& ueid_hex);
  // Stores the clock info of an accepted quote (replay/reset baseline).
  Status record_accepted(const std::string& host, const ClockInfo& ci);

 private:
  void* db_ = nullptr;  // sqlite3*
};

}  // namespace locus::tpm
