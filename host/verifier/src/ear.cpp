// EAR (draft-ietf-rats-ear) claims and their ES256 JWT (contract: locus/verifier/ear.h).
#include "locus/verifier/ear.h"

#include <cstring>

#include "locus/crypto/hash.h"
#include "locus/verifier/service.h"

namespace locus::verifier {

using host::HostError;
using json = nlohmann::json;

std::string base64url_encode(ByteSpan b) {
  std::string s = host::b64_encode(b);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

host::HostResult<host::Bytes> base64url_decode(const std::string& in) {
  std::string s = in;
  for (char& c : s) {
    if (c == '+' || c == '/' || c == '=') return {HostError::kParse, "not base64url"};
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (s.size() % 4 == 1) return {HostError::kParse, "base64url length is impossible"};
  while ((s.size() % 4) != 0u) s.push_back('=');
  return host::b64_decode(s);
}

namespace {

// Which AR4SI tier a locus check speaks for (docs/protocol.md, table "trustworthiness
// vector"). Checks about the request's form, freshness and recording (request, nonce,
// evidence, claims, nonce_claim, license, record, audit) belong to no tier: they make the
// status contraindicated without a tier to blame.
const char* tier_of(const std::string& check) {
  static const struct {
    const char* check;
    const char* tier;
  } kMap[] = {
      {"device", "instance-identity"},
      {"revocation", "instance-identity"},
      {"chain", "instance-identity"},
      {"signature", "instance-identity"},
      {"ueid", "instance-identity"},
      {"hwmodel", "hardware"},
      {"tpm", "hardware"},
      {"tcbinfo", "executables"},
      {"fwid", "executables"},
      {"svn", "executables"},
      {"swname", "executables"},
      {"dbgstat", "configuration"},
      {"mode", "configuration"},
      {"storage", "configuration"},
      {"site", "sourced-data"},
      {"location", "sourced-data"},
  };
  for (const auto& m : kMap)
    if (check == m.check) return m.tier;
  return nullptr;
}

}  // namespace

json ear_trust_vector(const json& checks) {
  json v = json::object();
  if (!checks.is_array()) return v;
  for (const auto& c : checks) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
    const std::string& name = c["name"].get_ref<const std::string&>();
    const char* tier = tier_of(name);
    if (tier == nullptr) continue;
    const bool pass = c.value("pass", false);
    int val = kTierAffirming;
    if (!pass) val = name == "revocation" ? kTierCompromised : kTierContraindicated;
    // A tier is as good as its worst check.
    if (!v.contains(tier) || v[tier].get<int>() < val) v[tier] = val;
  }
  return v;
}

json ear_claims(const EarInput& in) {
  // Fail closed: contraindicated unless the decision said affirming.
  std::string status = "contraindicated";
  if (in.affirming && in.reason.empty() && in.license_counter != 0) status = "affirming";
  json sub = {{"ear.status", status},
              {"ear.trustworthiness-vector",
               in.checks != nullptr ? ear_trust_vector(*in.checks) : json::object()},
              {"locus.ueid", host::hex_encode(in.ueid)},
              {"locus.site", in.site},
              {"locus.zone-verdict", in.zone_verdict},
              {"locus.lease-s", status == "affirming" ? in.lease_s : 0},
              {"locus.decision-id", in.decision_id}};
  if (status == "affirming") sub["locus.license-counter"] = in.license_counter;
  if (!in.reason.empty()) sub["locus.reason"] = in.reason;
  if (!in.hwmodel.empty()) sub["locus.hwmodel"] = in.hwmodel;
  if (!in.fwid_hex.empty()) sub["locus.fwid"] = in.fwid_hex;
  json c = {{"eat_profile", kEarJwtProfile},
            {"iat", in.iat},
            {"ear.verifier-id",
             {{"build", std::string("locus-verifier ") + kVersion}, {"developer", in.verifier_id}}},
            {"submods", {{kEarSubmod, sub}}}};
  if (!in.nonce.empty()) c["eat_nonce"] = base64url_encode(in.nonce);
  // A relying party should not act on an affirmation older than the lease it granted.
  if (status == "affirming" && in.lease_s > 0) c["exp"] = in.iat + in.lease_s;
  return c;
}

host::HStatus derive_ear_key(const crypto::P256PrivateKey& license_key,
                             crypto::P256PrivateKey* out) {
  Status s = crypto::p256_derive_key(
      ByteSpan(license_key.d.data(), license_key.d.size()),
      ByteSpan(reinterpret_cast<const uint8_t*>(kEarKeyLabel), std::strlen(kEarKeyLabel)), out);
  if (!s.ok()) return {HostError::kInternal, "EAR key derivation failed"};
  return host::HStatus::Ok();
}

json ear_public_jwk(const crypto::P256PublicKey& pub) {
  return {{"kty", "EC"},
          {"crv", "P-256"},
          {"x", base64url_encode(ByteSpan(pub.q.data() + 1, 32))},
          {"y", base64url_encode(ByteSpan(pub.q.data() + 33, 32))},
          {"alg", "ES256"},
          {"use", "sig"},
          {"kid", ear_key_id(pub)}};
}

std::string ear_key_id(const crypto::P256PublicKey& pub) {
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const std::string canon = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" +
                            base64url_encode(ByteSpan(pub.q.data() + 1, 32)) + "\",\"y\":\"" +
                            base64url_encode(ByteSpan(pub.q.data() + 33, 32)) + "\"}";
  crypto::Digest d{};
  if (!crypto::sha256(ByteSpan(reinterpret_cast<const uint8_t*>(canon.data()), canon.size()), &d)
           .ok())
    return "";
  return base64url_encode(d);
}

host::HostResult<std::string> ear_sign_jwt(const json& claims, const crypto::P256PrivateKey& key) {
  crypto::P256PublicKey pub;
  if (!crypto::p256_public_key(key, &pub).ok())
    return {HostError::kInternal, "EAR key has no public key"};
  return ear_sign_jwt(claims, key, ear_key_id(pub));
}

host::HostResult<std::string> ear_sign_jwt(const json& claims, const crypto::P256PrivateKey& key,
                                           const std::string& kid) {
  if (kid.empty()) return {HostError::kInternal, "EAR key has no key id"};
  const json header = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid}};
  const std::string h = header.dump(),
                    p = claims.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string input =
      base64url_encode(ByteSpan(reinterpret_cast<const uint8_t*>(h.data()), h.size())) + "." +
      base64url_encode(ByteSpan(reinterpret_cast<const uint8_t*>(p.data()), p.size()));
  crypto::P256Signature sig;
  if (!crypto::ecdsa_sign(
           key, ByteSpan(reinterpret_cast<const uint8_t*>(input.data()), input.size()), &sig)
           .ok())
    return {HostError::kInternal, "EAR signing failed"};
  return input + "." + base64url_encode(ByteSpan(sig.rs.data(), sig.rs.size()));
}

}  // namespace locus::verifier
