// Verifier core: nonces, appraisal, decisions, licenses.
#include "locus/verifier/verifier.h"

#include <algorithm>

#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/x509.h"
#include "locus/protocol/claims.h"

#if LOCUS_HAVE_TPM
#include "locus/tpm/quote_json.h"
#include "locus/tpm/registry.h"
#include "locus/tpm/verify.h"
#endif
#if LOCUS_HAVE_LOCATION
#include "locus/location/geo.h"
#include "locus/location/location.h"
#include "locus/location/trustlist.h"
#endif

namespace locus::verifier {

using host::HostError;
using json = nlohmann::json;

struct LocationContext {
#if LOCUS_HAVE_LOCATION
  bool have_trust = false;
  location::TrustList trust;
  std::map<std::string, location::LocationPolicy> sites;
#endif
};

bool Verifier::location_available() { return LOCUS_HAVE_LOCATION != 0; }
bool Verifier::tpm_available() { return LOCUS_HAVE_TPM != 0; }

struct Verifier::TpmContext {
#if LOCUS_HAVE_TPM
  tpm::TpmRegistry reg;
#endif
};

HStatus Verifier::enable_tpm(const std::string& db_path) {
#if LOCUS_HAVE_TPM
  auto t = std::make_unique<TpmContext>();
  Status s = t->reg.open(db_path);
  if (!s.ok()) return {HostError::kDb, db_path + ": TPM host records cannot be opened"};
  tpm_ = std::move(t);
  return HStatus::Ok();
#else
  (void)db_path;
  return {HostError::kConfig, "this build has no TPM support"};
#endif
}

std::string AttestResult::first_failure() const {
  for (const auto& c : checks)
    if (!c.pass) return c.name + ": " + c.reason;
  return affirming ? "" : "not affirmed";
}

Verifier::Verifier(Policy p, registry::Registry* reg, audit::AuditLog* log, const VerifierKeys& keys)
    : policy_(std::move(p)), reg_(reg), log_(log), root_(keys.root), license_key_(), loc_(new LocationContext) {
  license_key_.d = keys.license_key.d;
}

Verifier::~Verifier() = default;

HostResult<std::unique_ptr<Verifier>> Verifier::create(Policy policy, registry::Registry* reg,
                                                       audit::AuditLog* log, const VerifierKeys& keys) {
  if (!reg) return {HostError::kInternal, "verifier needs a registry"};
  std::unique_ptr<Verifier> v(new Verifier(std::move(policy), reg, log, keys));
#if LOCUS_HAVE_LOCATION
  const Policy& p = v->policy_;
  bool any_landmarks = false;
  for (const auto& entry : p.sites) {  // not a structured binding: the lambda below uses name
    const std::string& name = entry.first;
    const SitePolicy& site = entry.second;
    if (site.landmarks.empty()) continue;
    any_landmarks = true;
    location::LocationPolicy lp;
    lp.required_landmarks = site.landmarks;
    lp.f = site.f;
    lp.margin_km = site.margin_km;
    auto add = [&](const std::vector<Zone>& in, std::vector<location::Zone>* out) -> HStatus {
      for (const Zone& z : in) {
        if (z.is_polygon) {
          auto text = host::read_text_file(z.geojson_path, 16u << 20);
          if (!text.ok()) return {HostError::kConfig, p.source + ": site." + name + ": " + text.message()};
          std::string e = location::parse_geojson(text.value(), z.geojson_path, out);
          if (!e.empty()) return {HostError::kConfig, z.geojson_path + ": " + e};
        } else {
          location::Zone lz;
          lz.kind = location::Zone::Kind::kDisc;
          lz.disc.name = name;
          lz.disc.center = {z.disc.lat_deg, z.disc.lon_deg};
          lz.disc.radius_km = z.disc.radius_km;
          out->push_back(lz);
        }
      }
      return HStatus::Ok();
    };
    HStatus s = add(site.zones, &lp.zones);
    if (s.ok()) s = add(site.forbidden, &lp.forbidden);
    if (!s.ok()) return s.error();
    v->loc_->sites[name] = lp;
  }
  if (any_landmarks && (p.trust_list_path.empty() || p.trust_list_signer_path.empty())) {
    // Not fatal: sites without landmarks still work; sites with landmarks are refused
    // ("location appraisal unavailable") until a trust list is configured.
    host::log(host::LogLevel::kWarn, "no_trust_list",
              json{{"policy", p.source}, {"detail", "sites that require landmarks will be refused"}}.dump());
  } else if (any_landmarks) {
    auto pem = host::read_text_file(p.trust_list_signer_path, 1u << 16);
    if (!pem.ok()) return {HostError::kConfig, pem.message()};
    crypto::P256PublicKey signer;
    HStatus s = public_key_from_pem(pem.value(), &signer);
    if (!s.ok()) return {HostError::kConfig, p.trust_list_signer_path + ": " + s.message()};
    auto tl = location::load_trust_list(p.trust_list_path, signer);
    if (!tl.ok())
      return {HostError::kConfig, p.trust_list_path + ": landmark trust list does not verify (status 0x" +
                                      host::hex_encode(Bytes{static_cast<uint8_t>(tl.status().code() >> 8),
                                                             static_cast<uint8_t>(tl.status().code())}) + ")"};
    v->loc_->trust = tl.value();
    v->loc_->have_trust = true;
  }
#endif
  return v;
}

HostResult<IssuedNonce> Verifier::issue_nonce(ByteSpan ueid) {
  if (ueid.size != protocol::kUeidSize) return {HostError::kParse, "ueid must be 33 bytes"};
  auto dev = reg_->get_device(ueid);
  if (!dev.ok()) return dev.error();
  IssuedNonce n;
  n.nonce.resize(kNonceSize);
  if (!host::os_random(n.nonce.data(), n.nonce.size())) return {HostError::kInternal, "no randomness"};
  n.expires_in_s = policy_.nonce_ttl_s;
  int64_t now = host::unix_time();
  HStatus s = reg_->put_nonce(n.nonce, ueid, now + policy_.nonce_ttl_s);
  if (!s.ok()) return s.error();
  (void)reg_->purge_nonces(now - 3600).ok();  // housekeeping; failure is harmless
  return n;
}

namespace {

struct Appraisal {
  std::vector<Check> checks;
  bool failed = false;
  void add(const std::string& name, bool pass, const std::string& reason) {
    checks.push_back({name, pass, reason});
    if (!pass) failed = true;
  }
};

std::string text_of(ByteSpan b) { return std::string(reinterpret_cast<const char*>(b.data), b.size); }

}  // namespace

AttestResult Verifier::attest(const AttestRequest& req) {
  AttestResult out;
  Appraisal a;
  json claims_json = json::object();
  registry::Device dev;
  bool have_dev = false;
  crypto::P256PublicKey alias_pub{};
  protocol::EatClaims claims;
  bool have_claims = false;
  const SitePolicy* site = nullptr;
  const HwModelPolicy* hw = nullptr;
  int64_t now = host::unix_time();

  // request shape
  if (req.ueid.size() != protocol::kUeidSize)
    a.add("request", false, "ueid must be 33 bytes");
  else if (req.nonce.size() < protocol::kMinNonceSize || req.nonce.size() > protocol::kMaxNonceSize)
    a.add("request", false, "nonce must be 16..64 bytes");
  else if (req.evidence.empty())
    a.add("request", false, "evidence missing");
  else
    a.add("request", true, "well-formed");

  // device + revocation
  if (!a.failed) {
    auto d = reg_->get_device(req.ueid);
    if (!d.ok()) {
      a.add("device", false, d.code() == HostError::kNotFound ? "unknown device" : d.message());
    } else {
      dev = d.value();
      have_dev = true;
      a.add("device", true, "registered at site " + dev.site + ", host " + dev.host);
      auto sr = reg_->serial_revoked(dev.serial_hex);
      if (dev.revoked)
        a.add("revocation", false, "device revoked (by UEID): " + dev.revoke_reason);
      else if (!sr.ok())
        a.add("revocation", false, "revocation status unavailable: " + sr.message());
      else if (sr.value())
        a.add("revocation", false, "DeviceID certificate serial " + dev.serial_hex + " revoked");
      else
        a.add("revocation", true, "not revoked");
    }
  }

  // nonce: consumed here whatever happens next (single use).
  if (have_dev) {
    auto nc = reg_->consume_nonce(req.nonce, req.ueid, now);
    if (!nc.ok()) a.add("nonce", false, "nonce store error: " + nc.message());
    else if (nc.value() != registry::NonceCheck::kOk) a.add("nonce", false, registry::to_string(nc.value()));
    else a.add("nonce", true, "issued to this device, unexpired, first use");
  }

  // evidence: COSE_Sign1 + chain + signature
  cose::Sign1View view;
  bool have_view = false;
  if (have_dev) {
    Status ds = cose::sign1_decode(req.evidence, &view, true);
    if (!ds.ok()) a.add("evidence", false, "evidence is not a valid COSE_Sign1 (status 0x" +
                                               host::hex_encode(Bytes{static_cast<uint8_t>(ds.code() >> 8), static_cast<uint8_t>(ds.code())}) + ")");
    else if (view.alg != cose::kAlgES256) a.add("evidence", false, "evidence algorithm is not ES256");
    else if (view.x5chain_len < 1) a.add("evidence", false, "evidence carries no x5chain (Alias certificate)");
    else { a.add("evidence", true, "COSE_Sign1 ES256 with Alias certificate"); have_view = true; }
  }
  CertInfo alias;
  bool chain_ok = false;
  if (have_view) {
    auto ac = parse_cert(view.x5chain[0]);
    auto dc = parse_cert(dev.devid_cert);
    if (!ac.ok()) a.add("chain", false, "Alias certificate: " + ac.message());
    else if (!dc.ok()) a.add("chain", false, "registered DeviceID certificate: " + dc.message());
    else {
      alias = ac.value();
      const CertInfo& devid = dc.value();
      HStatus s1 = verify_signed_by(alias, devid.pub, devid.subject_raw);
      HStatus s2 = verify_signed_by(devid, root_.pub, root_.subject_raw);
      if (!s1.ok()) a.add("chain", false, "Alias certificate not issued by the registered DeviceID key: " + s1.message());
      else if (!s2.ok()) a.add("chain", false, "DeviceID certificate not issued by the manufacturer root: " + s2.message());
      else if (!devid.is_ca) a.add("chain", false, "DeviceID certificate is not a CA certificate");
      else if (devid.serial_hex != dev.serial_hex) a.add("chain", false, "DeviceID certificate serial differs from the registry");
      else {
        auto u = ueid_of(devid.pub);
        if (!u.ok() || !crypto::ct_equal(u.value(), req.ueid))
          a.add("chain", false, "UEID is not derived from the registered DeviceID key");
        else {
          a.add("chain", true, "Alias -> DeviceID (serial " + devid.serial_hex + ") -> manufacturer root");
          chain_ok = true;
          alias_pub = alias.pub;
        }
      }
    }
  }
  if (chain_ok) {
    Status vs = cose::sign1_verify_es256(view, alias_pub);
    if (!vs.ok()) { a.add("signature", false, "evidence signature does not verify with the Alias key"); chain_ok = false; }
    else a.add("signature", true, "ES256 by the Alias key");
  }
  if (chain_ok) {
    Status cs = protocol::decode_claims(view.payload, &claims);
    if (!cs.ok()) a.add("claims", false, "EAT claims malformed or wrong profile (status 0x" +
                                             host::hex_encode(Bytes{static_cast<uint8_t>(cs.code() >> 8), static_cast<uint8_t>(cs.code())}) + ")");
    else { a.add("claims", true, std::string("profile ") + protocol::kEatProfile); have_claims = true; }
  }
  if (have_claims) {
    claims_json = {{"ueid", host::hex_encode(claims.ueid)},
                   {"eat_nonce", host::b64_encode(claims.nonce)},
                   {"hwmodel", text_of(claims.hwmodel)},
                   {"dbgstat", claims.dbgstat},
                   {"swname", text_of(claims.swname)},
                   {"fwid", host::hex_encode(claims.fwid)},
                   {"svn", claims.svn},
                   {"boot_count", claims.boot_count},
                   {"interconnect_mode", claims.mode},
                   {"license_counter", claims.license_counter},
                   {"eat_profile", protocol::kEatProfile}};
    // ueid
    bool ueid_ok = crypto::ct_equal(claims.ueid, req.ueid) && crypto::ct_equal(claims.ueid, dev.ueid);
    a.add("ueid", ueid_ok, ueid_ok ? "claim == request == registry == derived from DeviceID key"
                                   : "ueid claim does not match the request / registry");
    bool nonce_ok = crypto::ct_equal(claims.nonce, req.nonce);
    a.add("nonce_claim", nonce_ok, nonce_ok ? "eat_nonce == issued nonce" : "eat_nonce differs from the nonce in the request");
    std::string hwm = text_of(claims.hwmodel);
    hw = policy_.hwmodel(hwm);
    if (hwm != dev.hwmodel) a.add("hwmodel", false, "hwmodel '" + hwm + "' differs from the registry ('" + dev.hwmodel + "')");
    else if (!hw) a.add("hwmodel", false, "no reference values for hwmodel '" + hwm + "'");
    else a.add("hwmodel", true, hwm);
    crypto::TcbInfo tcb;
    Status ts = crypto::x509_read_tcb_info(alias.der, &tcb);
    if (!ts.ok()) a.add("tcbinfo", false, "Alias certificate has no valid TcbInfo");
    else if (!crypto::ct_equal(tcb.fwid, claims.fwid) || tcb.svn != claims.svn)
      a.add("tcbinfo", false, "TcbInfo (FWID/SVN in the Alias certificate) differs from the claims");
    else a.add("tcbinfo", true, "TcbInfo == claims fwid/svn");
    if (hw) {
      bool known = false;
      for (const auto& f : hw->fwids) known = known || crypto::ct_equal(f, claims.fwid);
      a.add("fwid", known, known ? "FWID is a reference value" : "unknown FWID " + host::hex_encode(claims.fwid));
      bool svn_ok = claims.svn >= hw->min_svn;
      a.add("svn", svn_ok, svn_ok ? "svn " + std::to_string(claims.svn) + " >= " + std::to_string(hw->min_svn)
                                  : "SVN " + std::to_string(claims.svn) + " below minimum " + std::to_string(hw->min_svn));
      bool dbg_ok = claims.dbgstat != 0 || hw->allow_debug;
      a.add("dbgstat", dbg_ok, dbg_ok ? "dbgstat " + std::to_string(claims.dbgstat) : "debug enabled (dbgstat 0) and policy does not allow it");
    }
    bool mode_ok = claims.mode == protocol::kModeRestricted || claims.mode == protocol::kModeFull;
    a.add("mode", mode_ok, mode_ok ? (claims.mode == protocol::kModeFull ? "full (renewal)" : "restricted") : "unknown interconnect mode");
    bool sw_ok = text_of(claims.swname) == protocol::kSwName;
    a.add("swname", sw_ok, sw_ok ? protocol::kSwName : "unexpected swname");
  }

  // site + location + tpm
  if (have_dev && have_claims) {
    site = policy_.site(dev.site);
    if (!site) a.add("site", false, "site '" + dev.site + "' is not in the policy");
    else a.add("site", true, dev.site);
    if (site) {
      if (site->landmarks.empty()) {
        a.add("location", true, "site requires no landmarks");
      } else {
#if LOCUS_HAVE_LOCATION
        auto it = loc_->sites.find(site->name);
        if (!loc_->have_trust || it == loc_->sites.end()) {
          a.add("location", false, "location appraisal unavailable (no landmark trust list configured)");
        } else {
          std::vector<location::RecordPair> recs;
          for (const auto& lp : req.landmarks) recs.push_back({lp.record, lp.transcript});
          location::LocationVerdict v =
              location::appraise_location(recs, loc_->trust, it->second, req.nonce, req.ueid, alias_pub);
          claims_json["location"] = v.to_json();
          std::string why;
          for (const auto& r : v.reasons) why += (why.empty() ? "" : "; ") + r;
          a.add("location", v.approved, v.approved ? (why.empty() ? "inside the approved zone" : why)
                                                   : (why.empty() ? "location refused" : why));
        }
#else
        a.add("location", false, "location appraisal unavailable");
#endif
      }
    }
    bool have_quote = !req.tpm.is_null();
    if (!have_quote) {
      if (policy_.tpm.required) a.add("tpm", false, "TPM quote required by policy but none presented");
    } else if (!tpm_) {
      a.add("tpm", false, "TPM appraisal unavailable");
    } else {
#if LOCUS_HAVE_TPM
      auto qb = tpm::quote_from_json(req.tpm.dump());
      if (!qb.ok()) {
        a.add("tpm", false, "malformed TPM quote object");
      } else {
        tpm::QuoteOptions qo;
        qo.accept_reboot = policy_.tpm.accept_reboot;
        qo.board_ueid_hex = host::hex_encode(req.ueid);
        auto v = tpm::appraise_board_quote(tpm_->reg, qo.board_ueid_hex, qb.value(), req.nonce, req.evidence, qo);
        if (!v.ok()) {
          a.add("tpm", false, "TPM appraisal failed: board not bound to an enrolled host");
        } else if (!v.value().accepted || !v.value().reasons.empty()) {
          std::string why;
          for (const auto& r : v.value().reasons) why += (why.empty() ? "" : "; ") + r.text;
          a.add("tpm", false, why.empty() ? "TPM quote refused" : why);
        } else {
          a.add("tpm", true, "quote by the enrolled host's AK, bound to nonce and evidence, PCRs golden");
        }
      }
#endif
    }
  }

  // License, only when every check passed.
  std::string status = "contraindicated";
  uint64_t counter = 0;
  Bytes license;
  if (!a.failed && have_claims && site && hw) {
    auto c = reg_->next_license_counter(req.ueid);
    if (!c.ok()) {
      a.add("license", false, "license counter: " + c.message());
    } else {
      counter = c.value();
      protocol::License lic;
      std::copy(req.ueid.begin(), req.ueid.end(), lic.ueid.begin());
      lic.nonce = ByteSpan(req.nonce);
      lic.counter = counter;
      lic.mode = protocol::kModeFull;
      lic.lease_s = static_cast<uint32_t>(policy_.lease_for(site));
      lic.site = ByteSpan(reinterpret_cast<const uint8_t*>(site->name.data()), site->name.size());
      lic.fwid = claims.fwid;
      uint8_t payload[512];
      size_t plen = 0;
      Status es = protocol::encode_license(lic, MutByteSpan(payload, sizeof payload), &plen);
      uint8_t cose_buf[1024];
      size_t clen = 0;
      if (es.ok()) es = cose::sign1_es256(license_key_, ByteSpan(payload, plen), cose::Sign1Options(), MutByteSpan(cose_buf, sizeof cose_buf), &clen);
      if (!es.ok()) a.add("license", false, "license encoding/signing failed");
      else {
        license.assign(cose_buf, cose_buf + clen);
        a.add("license", true, "counter " + std::to_string(counter) + ", lease " + std::to_string(lic.lease_s) + " s");
      }
    }
  }
  // Fail closed: affirming only if nothing failed AND a license exists (checked twice).
  if (!a.failed && !license.empty()) status = "affirming";
  out.affirming = status == "affirming" && !a.failed && !license.empty();
  if (!out.affirming) { license.clear(); status = "contraindicated"; }

  json checks = json::array();
  for (const auto& c : a.checks) checks.push_back({{"name", c.name}, {"pass", c.pass}, {"reason", c.reason}});
  json d = {{"eat_profile", kEarProfile},
            {"iat", now},
            {"verifier_id", policy_.verifier_id},
            {"ueid", host::hex_encode(req.ueid)},
            {"status", status},
            {"checks", checks},
            {"claims", claims_json}};
  if (out.affirming) d["license_counter"] = counter;
  registry::Decision rec;
  rec.time = now;
  rec.ueid = req.ueid;
  rec.status = status;
  rec.decision_json = d.dump();
  rec.evidence = req.evidence;
  rec.license = license;
  auto id = reg_->add_decision(rec);
  if (!id.ok()) {
    // Without a durable decision record we do not hand out a license.
    out.affirming = false;
    license.clear();
    d["status"] = "contraindicated";
    a.add("record", false, "decision could not be recorded: " + id.message());
    d["checks"].push_back({{"name", "record"}, {"pass", false}, {"reason", "decision could not be recorded"}});
  } else {
    out.decision_id = id.value();
    d["decision_id"] = id.value();
    (void)reg_->set_decision_json(id.value(), d.dump()).ok();
  }
  if (log_) {
    crypto::Digest ed{};
    (void)crypto::sha256(req.evidence, &ed).ok();
    json body = {{"decision_id", out.decision_id},
                 {"ueid", host::hex_encode(req.ueid)},
                 {"status", d["status"]},
                 {"evidence_sha256", host::hex_encode(ed)},
                 {"reason", out.affirming ? "" : AttestResult{false, {}, {}, 0, 0, a.checks}.first_failure()}};
    if (out.affirming) body["license_counter"] = counter;
    auto ar = log_->append("decision", body.dump());
    if (!ar.ok()) {
      host::log(host::LogLevel::kError, "audit_append_failed", json{{"error", ar.message()}}.dump());
      if (out.affirming) {
        // No audit record, no license.
        out.affirming = false;
        license.clear();
        d["status"] = "contraindicated";
        d["checks"].push_back({{"name", "audit"}, {"pass", false}, {"reason", "audit record could not be written"}});
        a.add("audit", false, "audit record could not be written");
        if (out.decision_id) (void)reg_->set_decision_json(out.decision_id, d.dump()).ok();
      }
    }
  }
  out.license = license;
  out.license_counter = out.affirming ? counter : 0;
  out.checks = a.checks;
  out.decision = d;
  return out;
}

HStatus Verifier::revoke_ueid(ByteSpan ueid, const std::string& reason) {
  HStatus s = reg_->revoke_ueid(ueid, reason);
  if (!s.ok()) return s;
  if (log_) {
    auto r = log_->append("revoke", json{{"ueid", host::hex_encode(ueid)}, {"reason", reason}}.dump());
    if (!r.ok()) return r.status();
  }
  return HStatus::Ok();
}

HStatus Verifier::revoke_serial(const std::string& serial_hex, const std::string& reason) {
  HStatus s = reg_->revoke_serial(serial_hex, reason);
  if (!s.ok()) return s;
  if (log_) {
    auto r = log_->append("revoke", json{{"serial", serial_hex}, {"reason", reason}}.dump());
    if (!r.ok()) return r.status();
  }
  return HStatus::Ok();
}

HostResult<json> Verifier::required_landmarks(ByteSpan ueid) {
  auto d = reg_->get_device(ueid);
  if (!d.ok()) return d.error();
  const SitePolicy* s = policy_.site(d.value().site);
  if (!s) return {HostError::kNotFound, "site '" + d.value().site + "' is not in the policy"};
  json lms = json::array();
  for (const auto& id : s->landmarks) {
    json e = {{"id", id}};
#if LOCUS_HAVE_LOCATION
    if (loc_->have_trust) {
      if (const location::LandmarkEntry* le = loc_->trust.find(id)) {
        e["host"] = le->host;
        e["tcp_port"] = le->tcp_port;
        e["udp_port"] = le->udp_port;
      }
    }
#endif
    lms.push_back(e);
  }
  return json{{"site", s->name}, {"landmarks", lms}, {"rounds", s->rounds}};
}

HostResult<json> Verifier::quote_policy(ByteSpan ueid) {
  auto d = reg_->get_device(ueid);
  if (!d.ok()) return d.error();
  return json{{"pcrs", policy_.tpm.pcrs}, {"hash", policy_.tpm.hash}, {"required", policy_.tpm.required},
              {"host", d.value().host}};
}

HostResult<VerifierKeys> load_keys(const std::string& ca_cert_path, const std::string& license_key_path) {
  VerifierKeys k;
  auto ca = host::read_file(ca_cert_path, 1u << 16);
  if (!ca.ok()) return {HostError::kConfig, ca.message()};
  Bytes der = ca.value();
  std::string text(der.begin(), der.end());
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
    auto d = host::pem_decode("CERTIFICATE", text);
    if (!d.ok()) return {HostError::kConfig, ca_cert_path + ": " + d.message()};
    der = d.value();
  }
  auto ci = parse_cert(der);
  if (!ci.ok()) return {HostError::kConfig, ca_cert_path + ": " + ci.message()};
  if (!ci.value().is_ca) return {HostError::kConfig, ca_cert_path + ": not a CA certificate"};
  HStatus self = verify_signed_by(ci.value(), ci.value().pub, ci.value().subject_raw);
  if (!self.ok()) return {HostError::kConfig, ca_cert_path + ": root is not self-signed: " + self.message()};
  k.root = ci.value();
  auto kp = host::read_text_file(license_key_path, 1u << 16);
  if (!kp.ok()) return {HostError::kConfig, kp.message()};
  HStatus s = private_key_from_pem(kp.value(), &k.license_key);
  if (!s.ok()) return {HostError::kConfig, license_key_path + ": " + s.message()};
  return k;
}

}  // namespace locus::verifier
