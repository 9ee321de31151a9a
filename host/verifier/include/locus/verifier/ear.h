// locus/verifier/ear.h: the signed attestation result (EAR, draft-ietf-rats-ear) that the
// verifier returns with every decision, as a JWT signed with ES256 (RFC 7515/7518).
//
// Key: the EAR key is derived from the license key (p256_derive_key, seed = the license
// key's scalar, label kEarKeyLabel), so the operator keeps one secret but a license
// signature and an EAR signature are never made with the same key (a relying party cannot be
// shown one as the other). `locus verifier ear-key` prints its public half (PEM and JWK) and
// GET /v1/ear-key serves it; relying parties should pin it out of band.
//
// Claims (docs/protocol.md "Attestation results (EAR)"): eat_profile, iat, ear.verifier-id,
// eat_nonce, exp (affirming only: iat + lease), and one submodule "board" with ear.status,
// ear.trustworthiness-vector (AR4SI) and the locus claims (locus.ueid, locus.site,
// locus.zone-verdict, locus.lease-s, locus.license-counter, locus.decision-id, locus.reason,
// locus.hwmodel, locus.fwid). ear.status is "affirming" only for an affirming decision with
// a license; every other decision is "contraindicated".
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "locus/common/common.h"
#include "locus/crypto/p256.h"

namespace locus::verifier {

constexpr char kEarJwtProfile[] = "tag:github.com,2023:veraison/ear";
constexpr char kEarKeyLabel[] = "locus EAR signing key v1";
constexpr char kEarSubmod[] = "board";

// AR4SI trustworthiness claim values used by locus (draft-ietf-rats-ar4si §2.3).
constexpr int kTierNone = 0;
constexpr int kTierAffirming = 2;
constexpr int kTierContraindicated = 96;
constexpr int kTierCompromised = 97;  // instance-identity: recognised but revoked

// What one decision says, in the terms of the EAR (filled by Verifier::attest).
struct EarInput {
  int64_t iat = 0;
  std::string verifier_id;  // policy verifier_id (ear.verifier-id "developer")
  host::Bytes ueid;         // from the request
  host::Bytes nonce;        // from the request (eat_nonce, base64url)
  bool affirming = false;
  std::string site;          // the board's registered site ("" if unknown)
  std::string zone_verdict;  // "inside", "outside", "not-required", "not-appraised"
  int64_t lease_s = 0;       // 0 unless affirming
  uint64_t license_counter = 0;
  int64_t decision_id = 0;
  std::string reason;  // first failing check "name: reason" ("" when affirming)
  std::string hwmodel, fwid_hex;
  // [{"name", "pass", "reason"}] as in the decision (not copied: it must outlive the call);
  // null: no checks.
  const nlohmann::json* checks = nullptr;
};

// The EAR claims set (JSON object) for a decision.
nlohmann::json ear_claims(const EarInput& in);
// The AR4SI trustworthiness vector for a list of checks (only the tiers some check covers).
nlohmann::json ear_trust_vector(const nlohmann::json& checks);

// Derives the EAR signing key from the license key (see above).
host::HStatus derive_ear_key(const crypto::P256PrivateKey& license_key,
                             crypto::P256PrivateKey* out);
// JWS compact serialisation: BASE64URL({"alg":"ES256","kid":KID,"typ":"JWT"}) "."
// BASE64URL(claims) "." BASE64URL(r || s). kid = the RFC 7638 JWK thumbprint of the key.
host::HostResult<std::string> ear_sign_jwt(const nlohmann::json& claims,
                                           const crypto::P256PrivateKey& key);
// The same with the key's kid (ear_key_id of its public key) given: a verifier signs every
// decision with one key and computes its public key and thumbprint once, not per decision.
host::HostResult<std::string> ear_sign_jwt(const nlohmann::json& claims,
                                           const crypto::P256PrivateKey& key,
                                           const std::string& kid);
// The public key as a JWK (kty, crv, x, y, kid, alg, use) and its RFC 7638 thumbprint.
nlohmann::json ear_public_jwk(const crypto::P256PublicKey& pub);
std::string ear_key_id(const crypto::P256PublicKey& pub);
std::string base64url_encode(ByteSpan b);
host::HostResult<host::Bytes> base64url_decode(const std::string& s);

}  // namespace locus::verifier
