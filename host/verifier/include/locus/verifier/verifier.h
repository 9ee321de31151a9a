// locus/verifier/verifier.h: the verifier core (library; the HTTP service wraps it).
//
//   issue_nonce(ueid)   a fresh 32-byte nonce, single use, expiring after policy nonce_ttl_s,
//                       stored in the registry (a restart loses nothing). Refused for unknown,
//                       pending and revoked devices. At most kMaxOutstandingNonces unused
//                       nonces per device: issuing one more evicts the oldest.
//   attest(request)     appraises one evidence bundle and returns an EAR-like decision; on
//                       "affirming" also a license (COSE_Sign1 by the license key) with the
//                       next per-device counter. Every check is listed with a reason; the
//                       status starts "contraindicated" and turns "affirming" only when every
//                       check passed. One decision row + one audit record per call.
// Checks (name: what fails it): request (malformed input), device (unknown UEID, enrollment
// not complete), revocation (UEID or DeviceID serial revoked), nonce (unknown, expired, used,
// other device, evicted), evidence (COSE_Sign1 decode, x5chain), chain (Alias -> registry
// DeviceID -> manufacturer root), signature (Alias key over the EAT), claims (decode,
// profile), ueid (claim == request == registry == derived from the DeviceID key),
// nonce_claim, hwmodel, tcbinfo (Alias cert TcbInfo == claims fwid/svn), fwid, svn, dbgstat,
// mode, swname, site, location, tpm, then license, record, audit.
//
// Concurrency contract: issue_nonce, attest, revoke_*, required_landmarks and quote_policy
// are safe to call concurrently from many threads, with no lock of the caller's, and from
// several verifier processes sharing one registry (PostgreSQL replicas). The guarantees come
// from the registry's transactions, not from serialising callers:
//   - a nonce is consumed in the same transaction that records the decision: of any number
//     of concurrent attests with one nonce, exactly one can be affirming;
//   - the license counter of a board is taken with a compare-and-set in that transaction:
//     counters are strictly increasing in commit order, never reused (the license is signed
//     outside the transaction and re-signed if another appraisal of the board won the race);
//   - the decision row (its JSON written once) and the audit record are written in that same
//     transaction: a license is only returned once both are durable;
//   - a TPM quote's clock baseline advances by compare-and-set (host/tpm).
// Signature checks and signing run outside any lock, on every core.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/audit/audit.h"
#include "locus/common/common.h"
#include "locus/crypto/p256.h"
#include "locus/registry/registry.h"
#include "locus/verifier/policy.h"
#include "locus/verifier/x509_util.h"

namespace locus::verifier {

constexpr char kEarProfile[] = "tag:locus.dev,2026:ear/v1";
constexpr size_t kNonceSize = 32;
// Unused nonces kept per device; asking for one more evicts the oldest (a nonce flood for one
// board cannot grow the registry or keep an attacker's pre-fetched nonces alive).
constexpr int kMaxOutstandingNonces = 4;

struct LandmarkPair {
  Bytes record;      // COSE_Sign1 landmark record
  Bytes transcript;  // COSE_Sign1 device transcript
};

struct AttestRequest {
  Bytes ueid;
  Bytes nonce;
  Bytes evidence;
  std::vector<LandmarkPair> landmarks;
  nlohmann::json tpm;  // null when absent
};

struct Check {
  std::string name;
  bool pass = false;
  std::string reason;
};

struct AttestResult {
  bool affirming = false;   // true only when every check passed and a license was made
  nlohmann::json decision;  // EAR-like object (docs/protocol.md)
  Bytes license;            // empty unless affirming
  int64_t decision_id = 0;
  uint64_t license_counter = 0;
  std::vector<Check> checks;
  // The first failed check's reason ("" when affirming).
  std::string first_failure() const;
};

struct IssuedNonce {
  Bytes nonce;
  int64_t expires_in_s = 0;
};

struct VerifierKeys {
  CertInfo root;                       // manufacturer root CA certificate
  crypto::P256PrivateKey license_key;  // signs licenses
};

// Location context (trust list + per-site location policies), opaque here.
struct LocationContext;

class Verifier {
 public:
  // reg and log must outlive the verifier; log must keep its head in the same registry
  // object (its append runs inside the decision's transaction, on that transaction's
  // connection). Loads the landmark trust list and GeoJSON zones
  // named by the policy; fails (kConfig) if they do not load.
  static HostResult<std::unique_ptr<Verifier>> create(Policy policy, registry::Registry* reg,
                                                      audit::AuditLog* log,
                                                      const VerifierKeys& keys);
  ~Verifier();

  HostResult<IssuedNonce> issue_nonce(ByteSpan ueid);
  AttestResult attest(const AttestRequest& req);

  // Appraise TPM quotes (the "tpm" object of /v1/attest) against the host records the TPM
  // helper keeps in the registry (host/tpm). Without this, a request with a quote is refused
  // at the "tpm" check, and tpm.required refuses every request.
  HStatus enable_tpm();
  // Same; the path is ignored (it used to name a second SQLite connection to the same file,
  // which was not safe under concurrency; the TPM tables are now part of the registry).
  HStatus enable_tpm(const std::string& db_path);

  // Revocations, each with an audit record.
  HStatus revoke_ueid(ByteSpan ueid, const std::string& reason);
  HStatus revoke_serial(const std::string& serial_hex, const std::string& reason);

  // GET /v1/landmarks/required and /v1/quote-policy bodies.
  HostResult<nlohmann::json> required_landmarks(ByteSpan ueid);
  HostResult<nlohmann::json> quote_policy(ByteSpan ueid);

  const Policy& policy() const { return policy_; }

 private:
  struct State;  // everything one appraisal has learnt so far (verifier.cpp)
  Verifier(Policy p, registry::Registry* reg, audit::AuditLog* log, const VerifierKeys& keys);
  // attest() is this sequence of named steps; each adds its checks to the state.
  void check_request(State& st) const;
  void check_device(State& st) const;
  void check_nonce(State& st) const;
  void check_evidence(State& st) const;
  void check_chain(State& st) const;
  void check_signature(State& st) const;
  void check_claims(State& st) const;
  void check_reference_values(State& st) const;
  void check_site_and_location(State& st) const;
  void check_tpm(State& st) const;
  Bytes make_license(State& st, uint64_t counter) const;
  AttestResult commit(State& st);
  HStatus load_trust_list_checked(const std::string& path, const crypto::P256PublicKey& signer);
  Policy policy_;
  registry::Registry* reg_;
  audit::AuditLog* log_;
  CertInfo root_;
  crypto::P256PrivateKey license_key_;
  std::unique_ptr<LocationContext> loc_;
  struct TpmContext;
  std::unique_ptr<TpmContext> tpm_;
};

// Loads the manufacturer root certificate (PEM "CERTIFICATE" or DER) and the license key
// (PEM "EC PRIVATE KEY").
HostResult<VerifierKeys> load_keys(const std::string& ca_cert_path,
                                   const std::string& license_key_path);

}  // namespace locus::verifier
