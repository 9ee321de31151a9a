// Signed landmark trust list and P-256 key files.
#include "locus/location/trustlist.h"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "locus/common/common.h"
#include "locus/common/json_read.h"
#include "locus/common/keys.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/location/records.h"

namespace locus::location {
namespace {

using host::HostResult;
using host::HStatus;

// New file only (never replaces one), exact mode.
HStatus write_new(const std::string& path, const std::string& text, unsigned mode) {
  const HStatus s = host::write_text_file(path, text, mode, false);
  if (s.ok()) return HStatus::Ok();
  return {LocationError::kIo, s.message()};
}

HStatus bad_list(std::string why) {
  return {LocationError::kBadTrustList, std::move(why)};
}

bool is_pem(const std::vector<uint8_t>& b) {
  static const char kBegin[] = "-----BEGIN";
  return std::search(b.begin(), b.end(), kBegin, kBegin + 10) != b.end();
}

// Whole key/list file through host::read_file (16 MiB bound unless told).
bool read_file(const std::string& path, std::vector<uint8_t>* out, size_t max = 16u << 20) {
  auto r = host::read_file(path, max);
  if (!r.ok()) return false;
  *out = r.take();
  return true;
}

bool from_hex(const std::string& s, std::vector<uint8_t>* out) {
  auto r = host::hex_decode(s);
  if (!r.ok()) return false;
  *out = r.take();
  return true;
}

}  // namespace

const LandmarkEntry* TrustList::find(const std::string& id) const {
  for (const auto& e : landmarks) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

HStatus parse_trust_list_json(const std::string& text, TrustList* out) {
  nlohmann::json j = locus::host::parse_json(text);
  if (j.is_discarded() || !j.is_object()) return bad_list("trust list is not a JSON object");
  if (!j.contains("version") || j["version"] != 1) return bad_list("trust list version must be 1");
  if (!j.contains("landmarks") || !j["landmarks"].is_array())
    return bad_list("trust list has no \"landmarks\" array");
  TrustList t;
  for (const auto& e : j["landmarks"]) {
    LandmarkEntry le;
    if (!e.is_object() || !e.contains("id") || !e["id"].is_string())
      return bad_list("landmark entry without string \"id\"");
    le.id = e["id"].get<std::string>();
    if (le.id.empty() || le.id.size() > 64) return bad_list("landmark id must be 1..64 characters");
    if (t.find(le.id) != nullptr) return bad_list("duplicate landmark id '" + le.id + "'");
    if (!e.contains("lat") || !e["lat"].is_number() || !e.contains("lon") ||
        !e["lon"].is_number()) {
      return bad_list("landmark '" + le.id + "': lat/lon must be numbers");
    }
    le.lat_deg = e["lat"].get<double>();
    le.lon_deg = e["lon"].get<double>();
    if (!std::isfinite(le.lat_deg) || !std::isfinite(le.lon_deg) || std::fabs(le.lat_deg) > 90 ||
        std::fabs(le.lon_deg) > 180) {
      return bad_list("landmark '" + le.id + "': lat/lon out of range");
    }
    std::vector<uint8_t> k;
    if (!e.contains("public_key") || !e["public_key"].is_string() ||
        !from_hex(e["public_key"].get<std::string>(), &k) || k.size() != 65) {
      return bad_list("landmark '" + le.id + "': public_key must be 65-byte SEC1 hex");
    }
    std::copy(k.begin(), k.end(), le.key.q.begin());
    if (!crypto::p256_check_public(le.key).ok())
      return bad_list("landmark '" + le.id + "': public_key is not a P-256 point");
    if (e.contains("operator") && e["operator"].is_string())
      le.operator_name = e["operator"].get<std::string>();
    if (e.contains("host") && e["host"].is_string()) le.host = e["host"].get<std::string>();
    for (const char* p : {"tcp_port", "udp_port"}) {
      if (!e.contains(p)) continue;
      if (!e[p].is_number_unsigned() || e[p].get<uint64_t>() > 65535)
        return bad_list("landmark '" + le.id + "': bad " + p);
      (std::string(p) == "tcp_port" ? le.tcp_port : le.udp_port) = uint16_t(e[p].get<uint64_t>());
    }
    t.landmarks.push_back(le);
  }
  *out = std::move(t);
  return HStatus::Ok();
}

std::string trust_list_to_json(const TrustList& t) {
  nlohmann::json j;
  j["version"] = 1;
  j["landmarks"] = nlohmann::json::array();
  for (const auto& e : t.landmarks) {
    j["landmarks"].push_back({{"id", e.id},
                              {"lat", e.lat_deg},
                              {"lon", e.lon_deg},
                              {"public_key", host::hex_encode(ByteSpan(e.key.q.data(), 65))},
                              {"operator", e.operator_name},
                              {"host", e.host},
                              {"tcp_port", e.tcp_port},
                              {"udp_port", e.udp_port}});
  }
  return j.dump(2);
}

HStatus sign_trust_list(const std::string& json_text, const crypto::P256PrivateKey& signer,
                        std::vector<uint8_t>* cose_out) {
  TrustList t;
  HStatus e = parse_trust_list_json(json_text, &t);
  if (!e.ok()) return e;
  static const char kKid[] = "locus-trust-list";
  const Status s = sign_cose(
      signer, ByteSpan(reinterpret_cast<const uint8_t*>(json_text.data()), json_text.size()),
      ByteSpan(reinterpret_cast<const uint8_t*>(kKid), sizeof kKid - 1), {}, cose_out);
  if (!s.ok()) return {s, "signing the trust list failed"};
  return HStatus::Ok();
}

HostResult<TrustList> verify_trust_list(const std::vector<uint8_t>& cose_bytes,
                                        const crypto::P256PublicKey& signer) {
  cose::Sign1View v;
  if (!cose::sign1_decode(ByteSpan(cose_bytes), &v).ok())
    return bad_list("trust list is not a COSE_Sign1");
  if (!cose::sign1_verify_es256(v, signer).ok()) {
    return {LocationError::kBadSignature,
            "trust list signature does not verify with the trust-list signing key"};
  }
  TrustList t;
  HStatus e = parse_trust_list_json(
      std::string(reinterpret_cast<const char*>(v.payload.data), v.payload.size), &t);
  if (!e.ok()) return e;
  return t;
}

HostResult<TrustList> load_trust_list(const std::string& path,
                                      const crypto::P256PublicKey& signer) {
  std::vector<uint8_t> b;
  if (!read_file(path, &b)) return {LocationError::kIo, "cannot read trust list " + path};
  return verify_trust_list(b, signer);
}

HStatus load_private_key(const std::string& path, crypto::P256PrivateKey* out) {
  std::vector<uint8_t> b;
  if (!read_file(path, &b, 1 << 20)) return {LocationError::kIo, "cannot read key file " + path};
  if (is_pem(b)) b.push_back(0);
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  Status st = LocationError::kBadConfig;
  if (mbedtls_pk_parse_key(&pk, b.data(), b.size(), nullptr, 0, host::os_entropy, nullptr) == 0 &&
      mbedtls_pk_get_type(&pk) == MBEDTLS_PK_ECKEY &&
      mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(pk)) == MBEDTLS_ECP_DP_SECP256R1) {
    size_t olen = 0;
    if (mbedtls_ecp_write_key_ext(mbedtls_pk_ec(pk), &olen, out->d.data(), out->d.size()) == 0 &&
        olen == 32) {
      st = Status::Ok();
    }
  }
  mbedtls_pk_free(&pk);
  crypto::zeroize(b.data(), b.size());
  if (!st.ok()) return {st, path + ": not a P-256 private key (PEM or DER)"};
  return HStatus::Ok();
}

HStatus load_public_key(const std::string& path, crypto::P256PublicKey* out) {
  std::vector<uint8_t> b;
  if (!read_file(path, &b, 1 << 20)) return {LocationError::kIo, "cannot read key file " + path};
  const HStatus not_a_key{LocationError::kBadConfig, path + ": not a P-256 public key"};
  if (b.size() == 65 && b[0] == 4) {
    std::copy(b.begin(), b.end(), out->q.begin());
    return crypto::p256_check_public(*out).ok() ? HStatus::Ok() : not_a_key;
  }
  {
    std::string s(b.begin(), b.end());
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    std::vector<uint8_t> h;
    if (s.size() == 130 && from_hex(s, &h)) {
      std::copy(h.begin(), h.end(), out->q.begin());
      return crypto::p256_check_public(*out).ok() ? HStatus::Ok() : not_a_key;
    }
  }
  if (is_pem(b)) b.push_back(0);
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  Status st = LocationError::kBadConfig;
  int rc = mbedtls_pk_parse_public_key(&pk, b.data(), b.size());
  if (rc != 0) {
    // Also accept a private key file (its public half).
    mbedtls_pk_free(&pk);
    mbedtls_pk_init(&pk);
    rc = mbedtls_pk_parse_key(&pk, b.data(), b.size(), nullptr, 0, host::os_entropy, nullptr);
  }
  if (rc == 0 && mbedtls_pk_get_type(&pk) == MBEDTLS_PK_ECKEY &&
      mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(pk)) == MBEDTLS_ECP_DP_SECP256R1) {
    size_t olen = 0;
    if (mbedtls_ecp_write_public_key(mbedtls_pk_ec(pk), MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
                                     out->q.data(), out->q.size()) == 0 &&
        olen == 65) {
      st = Status::Ok();
    }
  }
  mbedtls_pk_free(&pk);
  return st.ok() ? HStatus::Ok() : not_a_key;
}

HStatus write_private_key_pem(const std::string& path, const crypto::P256PrivateKey& key) {
  auto text = host::private_key_to_pem(key);
  if (!text.ok()) return {LocationError::kBadConfig, text.message()};
  HStatus s = write_new(path, text.value(), 0600);
  crypto::zeroize(&text.value()[0], text.value().size());
  return s;
}

HStatus write_public_key_pem(const std::string& path, const crypto::P256PublicKey& key) {
  return write_new(path, host::public_key_to_pem(key).value(), 0644);  // encoding cannot fail
}

}  // namespace locus::location
