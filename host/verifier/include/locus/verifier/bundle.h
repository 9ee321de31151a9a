// locus/verifier/bundle.h: the evidence bundle kept with every decision (docs/audit.md).
//
// A bundle is everything one appraisal looked at: the request (evidence token, landmark
// records with their transcripts, the TPM quote), the registry facts the appraisal read as of
// the decision (device row, revocation, nonce state, the TPM host record with its clock
// baseline), the decision's time, the policy digest and the trust-list version used, and the
// license issued. `locus audit reverify` runs the verifier's own check steps on it
// (Verifier::reappraise) and compares the result with the recorded decision.
//
// Stored as CBOR (RFC 8949): one map, text keys, byte strings for every binary field, no
// JSON inside; at most kMaxBundleSize bytes. The decoder is strict: unknown keys, wrong types
// and sizes are refused with a specific message.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/registry/registry.h"

namespace locus::verifier {

using host::Bytes;

constexpr int kBundleVersion = 1;
constexpr size_t kMaxBundleSize = 4u << 20;

struct LandmarkPair {
  Bytes record;      // COSE_Sign1 landmark record
  Bytes transcript;  // COSE_Sign1 device transcript
};

struct PcrValueBytes {
  uint32_t index = 0;
  Bytes value;  // 32 bytes
};

// The TPM quote of a request, as structures (not JSON): TPMS_ATTEST, TPMT_SIGNATURE, the
// quoted PCR values and the AK name. raw_json is set instead when the request's "tpm"
// object did not parse (the decision then says "malformed").
struct StoredQuote {
  bool present = false;
  Bytes attest, signature, ak_name;
  std::vector<PcrValueBytes> pcrs;
  std::string raw_json;
};

// The TPM host record the quote was appraised against, as it was before the decision.
struct StoredTpmHost {
  std::string host;
  Bytes ak_public;         // marshalled TPMT_PUBLIC
  Bytes ak_key;            // SEC1 P-256 point (65 bytes)
  Bytes ak_name;           // TPM2B_NAME contents
  Bytes qualified_signer;  // may be empty
  std::vector<PcrValueBytes> golden;
  bool have_last = false;
  uint64_t last_clock = 0;
  uint32_t last_reset = 0, last_restart = 0;
  bool last_safe = false;
};

// Registry facts one appraisal read (filled by Verifier::attest, replayed by reappraise).
struct RegistryFacts {
  int64_t time = 0;  // the decision's time (unix seconds)
  // Device lookup: found, or not found ("" error), or a lookup error.
  bool device_found = false;
  std::string device_error;
  registry::Device device;
  // Serial revocation: 0 not revoked, 1 revoked, -1 lookup error (serial_error).
  int serial_revoked = 0;
  std::string serial_error;
  // Nonce: what the read-only look said, and what consuming it said at commit time
  // (registry::NonceCheck values; -1 = store error in nonce_error).
  int nonce_peek = 0;
  std::string nonce_error;
  int nonce_consumed = 0;
  // TPM: appraisal enabled; host lookup 0 found, 1 board bound to no host, 2 error (tpm_error);
  // the host owning the quote's AK when that is not the bound host; the baseline update
  // after acceptance: 0 done / not needed, 1 stale (a newer quote was recorded), 2 error.
  bool tpm_enabled = false;
  int tpm_lookup = 0;
  std::string tpm_error;
  StoredTpmHost tpm_host;
  std::string tpm_other_host;
  int tpm_record = 0;
};

struct EvidenceBundle {
  int version = kBundleVersion;
  int64_t decision_id = 0;
  Bytes ueid, nonce, evidence;
  std::vector<LandmarkPair> landmarks;
  StoredQuote quote;
  RegistryFacts facts;
  std::string policy_sha256;  // hex, Policy::sha256_hex
  int64_t trust_list_version = 0;
  Bytes license;  // the COSE_Sign1 license issued (empty when refused)
};

Bytes encode_bundle(const EvidenceBundle& b);
// CBOR bytes as a JSON tree with binary nodes; discarded (never an exception) when malformed.
nlohmann::json parse_cbor(ByteSpan cbor);
// Strict decoding; kParse with the first problem.
host::HostResult<EvidenceBundle> decode_bundle(ByteSpan cbor);

}  // namespace locus::verifier
