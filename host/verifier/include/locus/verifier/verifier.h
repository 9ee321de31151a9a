// locus/verifier/verifier.h: the verifier core (library; the HTTP service wraps it).
//
//   issue_nonce(ueid, source)
//                       a fresh 32-byte nonce, single use, expiring after policy nonce_ttl_s,
//                       stored in the registry. Refused for unknown (kNotFound), pending
//                       (kRefused) and revoked (kRevoked) devices. At most
//                       kMaxOutstandingNonces unused nonces per device and source address:
//                       issuing one more evicts that source's oldest, never another source's.
//                       At most kMaxNoncesPerSource outstanding per source (kNonce beyond).
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
//   - the decision row (its JSON written once), its evidence bundle (bundle.h: the request
//     and every registry fact the checks read) and the audit record are written in that same
//     transaction: a license is only returned once all are durable;
//   - a TPM quote's clock baseline advances by compare-and-set (host/tpm).
// Signature checks and signing run outside any lock, on every core.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/audit/audit.h"
#include "locus/certs/certs.h"
#include "locus/common/common.h"
#include "locus/crypto/p256.h"
#include "locus/registry/registry.h"
#include "locus/verifier/bundle.h"
#include "locus/verifier/policy.h"

namespace locus::verifier {

using host::Bytes;
using host::HostResult;
using host::HStatus;

constexpr char kEarProfile[] = "tag:locus.dev,2026:ear/v1";
constexpr size_t kNonceSize = 32;
// Unused nonces kept per device and source address; asking for one more evicts that source's
// oldest (a nonce flood for one board cannot grow the registry, nor evict the nonce an honest
// agent on another address is about to use).
constexpr int kMaxOutstandingNonces = 4;
// Unused, unexpired nonces one source address may hold over all boards (a datacenter NAT
// renewing 10,000 boards holds a few at a time: each is used within a second of issue).
constexpr int kMaxNoncesPerSource = 4096;

// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 is wrong, no member's move throws
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

// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 is wrong, no member's move throws
struct AttestResult {
  bool affirming = false;   // true only when every check passed and a license was made
  nlohmann::json decision;  // EAR-like object (docs/protocol.md)
  Bytes license;            // empty unless affirming
  int64_t decision_id = 0;
  uint64_t license_counter = 0;
  std::vector<Check> checks;
  // `decision` serialised once (the text stored in the decision row; invalid UTF-8 replaced).
  std::string decision_json;
  // The signed attestation result (EAR as an ES256 JWT, locus/verifier/ear.h); "" only if
  // signing failed (logged).
  std::string ear;
  // The first failed check's reason ("" when affirming).
  std::string first_failure() const;
};

struct IssuedNonce {
  Bytes nonce;
  int64_t expires_in_s = 0;
};

struct VerifierKeys {
  certs::CertInfo root;                // manufacturer root CA certificate
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

  // An appraiser for auditors (`locus audit reverify`): no registry, no audit log, no
  // signing key; the trust list is verified against its signer but its version is only
  // reported (trust_list_version()), never recorded. Only reappraise() may be called.
  static HostResult<std::unique_ptr<Verifier>> create_offline(
      Policy policy, const certs::CertInfo& root, const crypto::P256PublicKey& license_pub);

  HostResult<IssuedNonce> issue_nonce(ByteSpan ueid, const std::string& source = "");
  AttestResult attest(const AttestRequest& req);

  // Re-runs the appraisal of a stored bundle offline: the same check steps as attest(), on
  // the bundle's request and registry facts, with the decision's recorded time and nonce
  // state; the license is checked against the license public key instead of being made.
  // recorded_checks supplies the commit-time checks that are facts, not appraisals
  // ("audit", a "license" refusal when no license was recorded). Writes nothing.
  AttestResult reappraise(const EvidenceBundle& b, const std::vector<Check>& recorded_checks) const;
  int64_t trust_list_version() const;

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
  // The registry (read-only use: the fleet page).
  registry::Registry* registry() const { return reg_; }
  // The landmarks of the loaded trust list (empty without one).
  struct LandmarkView {
    std::string id, host, operator_name;
    double lat_deg = 0, lon_deg = 0;
    uint16_t tcp_port = 0, udp_port = 0;
  };
  std::vector<LandmarkView> trusted_landmarks() const;
  // Nonces issued, unused and unexpired now (the /metrics gauge).
  HostResult<int64_t> open_nonces() const;
  // The public half of the EAR signing key (derived from the license key, ear.h).
  const crypto::P256PublicKey& ear_public_key() const { return ear_pub_; }

 private:
  struct State;  // everything one appraisal has learnt so far (verifier.cpp)
  Verifier(Policy p, registry::Registry* reg, audit::AuditLog* log, const VerifierKeys& keys);
  // attest() is this sequence of named steps; each adds its checks to the state.
  void load_facts(State& st) const;  // the registry reads (attest only)
  void run_checks(State& st) const;  // the pure steps (attest and reappraise)
  void apply_tpm_record(State& st) const;
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
  Bytes license_payload(State& st, uint64_t counter) const;  // the encoded License claims
  Bytes make_license(State& st, uint64_t counter) const;
  HStatus init_location();
  AttestResult commit(State& st);
  void sign_ear(const State& st, AttestResult* r) const;
  HStatus load_trust_list_checked(const std::string& path, const crypto::P256PublicKey& signer);
  Policy policy_;
  registry::Registry* reg_;
  audit::AuditLog* log_;
  certs::CertInfo root_;
  crypto::P256PrivateKey license_key_;
  crypto::P256PrivateKey ear_key_;
  crypto::P256PublicKey ear_pub_{};
  std::string ear_kid_;  // ear_key_id(ear_pub_), "" if the EAR key could not be derived
  crypto::P256PublicKey license_pub_{};
  bool offline_ = false;
  std::unique_ptr<LocationContext> loc_;
  struct TpmContext;
  std::unique_ptr<TpmContext> tpm_;
  // Certificate pairs (Alias, DeviceID) whose signatures already verified against root_.
  struct ChainCache;
  std::unique_ptr<ChainCache> chains_;
};

// Loads the manufacturer root certificate (PEM "CERTIFICATE" or DER) and the license key
// (PEM "EC PRIVATE KEY").
HostResult<VerifierKeys> load_keys(const std::string& ca_cert_path,
                                   const std::string& license_key_path);
// The manufacturer root alone (PEM or DER; must be a self-signed CA certificate).
HostResult<certs::CertInfo> load_root_cert(const std::string& ca_cert_path);

}  // namespace locus::verifier
