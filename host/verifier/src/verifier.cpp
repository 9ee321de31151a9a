// Verifier core: nonces, appraisal, decisions, licenses.
#include "locus/verifier/verifier.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "locus/common/json_read.h"
#include "locus/common/keys.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/x509.h"
#include "locus/location/geo.h"
#include "locus/location/location.h"
#include "locus/location/trustlist.h"
#include "locus/protocol/claims.h"
#include "locus/tpm/quote_json.h"
#include "locus/tpm/registry.h"
#include "locus/tpm/verify.h"
#include "locus/verifier/ear.h"

namespace locus::verifier {

using certs::CertInfo;
using certs::parse_cert;
using certs::ueid_of;
using certs::verify_signed_by;
using host::private_key_from_pem;
using host::public_key_from_pem;

using host::HostError;
using json = nlohmann::json;

struct LocationContext {
  bool have_trust = false;
  location::TrustList trust;
  std::map<std::string, location::LocationPolicy> sites;
  int64_t trust_version = 0;
};

struct Verifier::TpmContext {
  tpm::TpmRegistry reg;
};

HStatus Verifier::enable_tpm() {
  auto t = std::make_unique<TpmContext>();
  Status s = t->reg.attach(reg_);
  if (!s.ok()) return {HostError::kInternal, "TPM host records cannot use the registry"};
  tpm_ = std::move(t);
  return HStatus::Ok();
}

HStatus Verifier::enable_tpm(const std::string& db_path) {
  (void)db_path;
  return enable_tpm();
}

// The chain check's expensive part (two X.509 parses and two ECDSA verifies) depends only on
// the bytes of the Alias and DeviceID certificates and the fixed root; a board presents the
// same pair on every renewal (DICE: the Alias key changes only with the firmware). Pairs that
// verified are remembered by the SHA-256 of both DER encodings, with their parsed form; only
// successes are cached, and every check that depends on the registry (serial, UEID, revocation)
// still runs on every appraisal. Bounded: cleared when full.
struct Verifier::ChainCache {
  struct Entry {
    CertInfo alias, devid;
  };
  static constexpr size_t kMax = 1u << 16;
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> map;

  static std::string key(ByteSpan alias_der, ByteSpan devid_der) {
    crypto::Sha256 h;
    crypto::Digest d{};
    const uint8_t sep[8] = {
        static_cast<uint8_t>(alias_der.size >> 24), static_cast<uint8_t>(alias_der.size >> 16),
        static_cast<uint8_t>(alias_der.size >> 8),  static_cast<uint8_t>(alias_der.size),
        static_cast<uint8_t>(devid_der.size >> 24), static_cast<uint8_t>(devid_der.size >> 16),
        static_cast<uint8_t>(devid_der.size >> 8),  static_cast<uint8_t>(devid_der.size)};
    if (!h.update(ByteSpan(sep, sizeof sep)).ok() || !h.update(alias_der).ok() ||
        !h.update(devid_der).ok() || !h.finish(&d).ok())
      return std::string();
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
  }
  std::shared_ptr<const Entry> find(const std::string& k) {
    if (k.empty()) return nullptr;
    std::lock_guard<std::mutex> g(mu);
    auto it = map.find(k);
    return it == map.end() ? nullptr : it->second;
  }
  void put(const std::string& k, std::shared_ptr<const Entry> e) {
    if (k.empty()) return;
    std::lock_guard<std::mutex> g(mu);
    if (map.size() >= kMax) map.clear();
    map[k] = std::move(e);
  }
};

std::string AttestResult::first_failure() const {
  for (const auto& c : checks)
    if (!c.pass) return c.name + ": " + c.reason;
  return affirming ? "" : "not affirmed";
}

Verifier::Verifier(Policy p, registry::Registry* reg, audit::AuditLog* log,
                   const VerifierKeys& keys)
    : policy_(std::move(p)),
      reg_(reg),
      log_(log),
      root_(keys.root),
      license_key_(),
      loc_(new LocationContext),
      chains_(new ChainCache) {
  license_key_.d = keys.license_key.d;
  // Cannot fail for a valid license key (load_keys checked it); if it did, every EAR is
  // left empty and the failure logged at each decision.
  if (derive_ear_key(license_key_, &ear_key_).ok() &&
      crypto::p256_public_key(ear_key_, &ear_pub_).ok())
    ear_kid_ = ear_key_id(ear_pub_);
}

Verifier::~Verifier() = default;

HostResult<std::unique_ptr<Verifier>> Verifier::create(Policy policy, registry::Registry* reg,
                                                       audit::AuditLog* log,
                                                       const VerifierKeys& keys) {
  if (reg == nullptr) return {HostError::kInternal, "verifier needs a registry"};
  std::unique_ptr<Verifier> v(new Verifier(std::move(policy), reg, log, keys));
  HStatus ls = v->init_location();
  if (!ls.ok()) return ls.error();
  return v;
}

HostResult<std::unique_ptr<Verifier>> Verifier::create_offline(
    Policy policy, const CertInfo& root, const crypto::P256PublicKey& license_pub) {
  VerifierKeys keys;
  keys.root = root;
  std::unique_ptr<Verifier> v(new Verifier(std::move(policy), nullptr, nullptr, keys));
  v->offline_ = true;
  v->license_pub_ = license_pub;
  HStatus ls = v->init_location();
  if (!ls.ok()) return ls.error();
  return v;
}

int64_t Verifier::trust_list_version() const {
  return loc_->trust_version;
}

HStatus Verifier::init_location() {
  Verifier* v = this;
  const Policy& p = v->policy_;
  bool any_landmarks = false;
  for (const auto& entry : p.sites) {  // not a structured binding: the lambda below uses name
    const std::string& name = entry.first;
    const SitePolicy& site = entry.second;
    if (site.landmarks.empty()) continue;
    any_landmarks = true;
    // The one parsed form (policy.cpp): zones, GeoJSON, margins and f as check-policy and
    // explain see them.
    if (!site.location)
      return {HostError::kConfig, p.source + ": site." + name + ": no location policy"};
    const location::LocationPolicy& lp = *site.location;
    v->loc_->sites[name] = lp;
  }
  if (any_landmarks && (p.trust_list_path.empty() || p.trust_list_signer_path.empty())) {
    // Not fatal: sites without landmarks still work; sites with landmarks are refused
    // ("location appraisal unavailable") until a trust list is configured.
    host::log(host::LogLevel::kWarn, "no_trust_list",
              json{{"policy", p.source}, {"detail", "sites that require landmarks will be refused"}}
                  .dump());
  } else if (any_landmarks) {
    auto pem = host::read_text_file(p.trust_list_signer_path, 1u << 16);
    if (!pem.ok()) return {HostError::kConfig, pem.message()};
    crypto::P256PublicKey signer;
    HStatus s = public_key_from_pem(pem.value(), &signer);
    if (!s.ok()) return {HostError::kConfig, p.trust_list_signer_path + ": " + s.message()};
    HStatus ls = v->load_trust_list_checked(p.trust_list_path, signer);
    if (!ls.ok()) return ls.error();
  }
  return HStatus::Ok();
}

namespace {

std::string text_of(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data), b.size);
}

}  // namespace

HStatus Verifier::load_trust_list_checked(const std::string& path,
                                          const crypto::P256PublicKey& signer) {
  // The file is read once: the bytes whose signature verifies are the bytes whose version is
  // checked.
  auto bytes = host::read_file(path, 16u << 20);
  if (!bytes.ok()) return {HostError::kConfig, bytes.message()};
  auto tl = location::verify_trust_list(bytes.value(), signer);
  if (!tl.ok())
    return {HostError::kConfig,
            path + ": landmark trust list does not verify (status 0x" +
                host::hex_encode(Bytes{static_cast<uint8_t>(tl.code().code() >> 8),
                                       static_cast<uint8_t>(tl.code().code())}) +
                ")" + (tl.message().empty() ? "" : ": " + tl.message())};
  // Rollback protection: the version (a field of the signed payload) must not go below the
  // highest one this registry has loaded for this signer.
  cose::Sign1View view;
  if (!cose::sign1_decode(bytes.value(), &view, true).ok())
    return {HostError::kConfig, path + ": trust list is not a COSE_Sign1"};
  json payload = locus::host::parse_json(text_of(view.payload));
  if (payload.is_discarded() || !payload.is_object() || !payload.contains("version") ||
      !payload["version"].is_number_unsigned() || payload["version"].get<uint64_t>() < 1 ||
      payload["version"].get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return {HostError::kConfig, path + ": trust list has no version >= 1"};
  int64_t version = static_cast<int64_t>(payload["version"].get<uint64_t>());
  crypto::Digest kid{};
  if (!crypto::sha256(ByteSpan(signer.q.data(), signer.q.size()), &kid).ok())
    return {HostError::kInternal, "sha256 failed"};
  if (reg_ !=
      nullptr) {  // offline (reverify): the version is compared with the bundle's, not recorded
    HStatus rs = reg_->raise_trust_list_version("landmarks:" + host::hex_encode(kid), version);
    if (!rs.ok())
      return {rs.code() == HostError::kRefused ? HostError::kConfig : rs.code(),
              path + ": " + rs.message()};
  }
  loc_->trust = tl.value();
  loc_->have_trust = true;
  loc_->trust_version = version;
  return HStatus::Ok();
}

HostResult<IssuedNonce> Verifier::issue_nonce(ByteSpan ueid, const std::string& source) {
  if (ueid.size != protocol::kUeidSize) return {HostError::kParse, "ueid must be 33 bytes"};
  auto dev = reg_->get_device(ueid);
  if (!dev.ok()) return dev.error();
  // No nonce for a board that cannot be affirmed anyway: it would only let a revoked or
  // half-enrolled board (or someone using its UEID) grow the nonce table.
  if (dev.value().state != registry::DeviceState::kActive)
    return {HostError::kRefused, "device enrollment is not complete"};
  if (dev.value().revoked) return {HostError::kRevoked, "device revoked"};
  auto sr = reg_->serial_revoked(dev.value().serial_hex);
  if (!sr.ok()) return sr.error();
  if (sr.value()) return {HostError::kRevoked, "device certificate revoked"};
  IssuedNonce n;
  n.nonce.resize(kNonceSize);
  if (!host::os_random(n.nonce.data(), n.nonce.size()))
    return {HostError::kInternal, "no randomness"};
  n.expires_in_s = policy_.nonce_ttl_s;
  int64_t now = host::unix_time();
  registry::NonceIssue ni;
  ni.nonce = n.nonce;
  ni.ueid = Bytes(ueid.begin(), ueid.end());
  ni.issued_us = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  ni.expires_at = now + policy_.nonce_ttl_s;
  ni.source = source;
  ni.max_outstanding = kMaxOutstandingNonces;
  ni.max_per_source = kMaxNoncesPerSource;
  ni.purge_before = now - 3600;  // indexed: cost independent of the nonces retained
  HStatus s = reg_->put_nonce(ni);
  if (!s.ok()) return s.error();
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
  // Turns an earlier passing check into a failure (a race lost at commit time).
  void fail(const std::string& name, const std::string& reason) {
    for (auto& c : checks)
      if (c.name == name) {
        c.pass = false;
        c.reason = reason;
        failed = true;
        return;
      }
    add(name, false, reason);
  }
};

std::string status_hex(uint16_t code) {
  return host::hex_encode(Bytes{static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)});
}

// How many times a license is re-signed when concurrent appraisals of one board keep taking
// the counter first. Each lost race means another appraisal of the board committed with a
// license, and a board has at most kMaxOutstandingNonces usable nonces per source address (an
// agent renews from one), so at most that many can be licensed concurrently in practice: 16
// attempts never run out. If they do, the last
// attempt records a refusal ("license") instead of a license: fails closed, still one row.
constexpr int kCounterAttempts = 16;
static_assert(kCounterAttempts > kMaxOutstandingNonces, "counter retries must outlast the nonces");

}  // namespace

struct Verifier::State {
  explicit State(const AttestRequest& r) : req(r), now(host::unix_time()) {}
  const AttestRequest& req;
  int64_t now;
  bool live = true;     // attest(): read the registry; reappraise(): facts from the bundle
  RegistryFacts facts;  // what the registry said (the bundle's "facts")
  StoredQuote quote;    // the request's TPM quote as structures
  bool tpm_accepted = false;
  uint64_t tpm_clock = 0;
  uint32_t tpm_reset = 0, tpm_restart = 0;
  bool tpm_safe = false;
  Appraisal a;
  json claims_json = json::object();
  bool location_appraised = false;  // claims_json has a "location" verdict
  registry::Device dev;
  bool have_dev = false;
  cose::Sign1View view;
  bool have_view = false;
  CertInfo alias;
  crypto::P256PublicKey alias_pub{};
  bool chain_ok = false;
  protocol::EatClaims claims;
  bool have_claims = false;
  const SitePolicy* site = nullptr;
  const HwModelPolicy* hw = nullptr;
};

void Verifier::check_request(State& st) const {
  const AttestRequest& req = st.req;
  if (req.ueid.size() != protocol::kUeidSize)
    st.a.add("request", false, "ueid must be 33 bytes");
  else if (req.nonce.size() < protocol::kMinNonceSize || req.nonce.size() > protocol::kMaxNonceSize)
    st.a.add("request", false, "nonce must be 16..64 bytes");
  else if (req.evidence.empty())
    st.a.add("request", false, "evidence missing");
  else
    st.a.add("request", true, "well-formed");
}

// The registry reads of one appraisal, done once, before the pure steps. The TPM quote is
// parsed here too, so that the bundle keeps it as structures.
void Verifier::load_facts(State& st) const {
  RegistryFacts& f = st.facts;
  f.time = st.now;
  auto d = reg_->get_device(st.req.ueid);
  if (!d.ok()) {
    f.device_found = false;
    f.device_error = d.code() == HostError::kNotFound ? "" : d.message();
    return;
  }
  f.device_found = true;
  f.device = d.value();
  auto sr = reg_->serial_revoked(f.device.serial_hex);
  f.serial_revoked = !sr.ok() ? -1 : sr.value() ? 1 : 0;
  if (!sr.ok()) f.serial_error = sr.message();
  auto nc = reg_->peek_nonce(st.req.nonce, st.req.ueid, st.now);
  f.nonce_peek = nc.ok() ? static_cast<int>(nc.value()) : -1;
  if (!nc.ok()) f.nonce_error = nc.message();
  f.tpm_enabled = tpm_ != nullptr;
  if (st.req.tpm.is_null()) return;
  st.quote.present = true;
  auto qb = tpm::quote_from_json_value(st.req.tpm);
  if (!qb.ok()) {
    st.quote.raw_json = st.req.tpm.dump();
    return;
  }
  const tpm::QuoteBundle& q = qb.value();
  st.quote.attest.assign(q.attest.begin(), q.attest.end());
  st.quote.signature.assign(q.signature.begin(), q.signature.end());
  st.quote.ak_name.assign(q.ak_name.begin(), q.ak_name.end());
  for (const auto& p : q.pcrs)
    st.quote.pcrs.push_back({p.index, Bytes(p.value.begin(), p.value.end())});
  if (!tpm_) return;
  const std::string ueid_hex = host::hex_encode(st.req.ueid);
  auto name = tpm_->reg.board_host(ueid_hex);
  Result<tpm::HostRecord> h =
      name.ok() ? tpm_->reg.get_host(name.value()) : Result<tpm::HostRecord>(name.status());
  if (!h.ok()) {
    f.tpm_lookup = h.status() == Status(tpm::TpmError::kNotFound) ? 1 : 2;
    f.tpm_error = tpm::to_string(static_cast<tpm::TpmError>(h.status().code() & 0xff));
    return;
  }
  const tpm::HostRecord& r = h.value();
  StoredTpmHost& t = f.tpm_host;
  t.host = r.host;
  t.ak_public.assign(r.ak_public.begin(), r.ak_public.end());
  t.ak_key.assign(r.ak_key.begin(), r.ak_key.end());
  t.ak_name.assign(r.ak_name.begin(), r.ak_name.end());
  t.qualified_signer.assign(r.qualified_signer.begin(), r.qualified_signer.end());
  for (const auto& g : r.golden)
    t.golden.push_back({g.index, Bytes(g.value.begin(), g.value.end())});
  t.have_last = r.have_last;
  t.last_clock = r.last.clock;
  t.last_reset = r.last.reset_count;
  t.last_restart = r.last.restart_count;
  t.last_safe = r.last.safe;
  if (q.ak_name != r.ak_name) {
    auto other = tpm_->reg.host_by_ak_name(ByteSpan(q.ak_name.data(), q.ak_name.size()));
    if (other.ok()) f.tpm_other_host = other.value();
  }
}

void Verifier::check_device(State& st) const {
  if (st.live) load_facts(st);
  const RegistryFacts& f = st.facts;
  if (!f.device_found) {
    st.a.add("device", false, f.device_error.empty() ? "unknown device" : f.device_error);
    return;
  }
  st.dev = f.device;
  st.have_dev = true;
  if (st.dev.state != registry::DeviceState::kActive)
    st.a.add("device", false, "enrollment of this device is not complete");
  else
    st.a.add("device", true, "registered at site " + st.dev.site + ", host " + st.dev.host);
  if (st.dev.revoked)
    st.a.add("revocation", false, "device revoked (by UEID): " + st.dev.revoke_reason);
  else if (f.serial_revoked < 0)
    st.a.add("revocation", false, "revocation status unavailable: " + f.serial_error);
  else if (f.serial_revoked > 0)
    st.a.add("revocation", false, "DeviceID certificate serial " + st.dev.serial_hex + " revoked");
  else
    st.a.add("revocation", true, "not revoked");
}

// A read-only look here keeps the check in its place in the list; the nonce is consumed in
// commit(), atomically with the decision, whatever the other checks say.
void Verifier::check_nonce(State& st) const {
  const RegistryFacts& f = st.facts;
  if (f.nonce_peek < 0)
    st.a.add("nonce", false, "nonce store error: " + f.nonce_error);
  else if (f.nonce_peek != static_cast<int>(registry::NonceCheck::kOk))
    st.a.add("nonce", false, registry::to_string(static_cast<registry::NonceCheck>(f.nonce_peek)));
  else
    st.a.add("nonce", true, "issued to this device, unexpired, first use");
}

void Verifier::check_evidence(State& st) const {
  Status ds = cose::sign1_decode(st.req.evidence, &st.view, true);
  if (!ds.ok())
    st.a.add("evidence", false,
             "evidence is not a valid COSE_Sign1 (status 0x" + status_hex(ds.code()) + ")");
  else if (st.view.alg != cose::kAlgES256)
    st.a.add("evidence", false, "evidence algorithm is not ES256");
  else if (st.view.x5chain_len < 1)
    st.a.add("evidence", false, "evidence carries no x5chain (Alias certificate)");
  else {
    st.a.add("evidence", true, "COSE_Sign1 ES256 with Alias certificate");
    st.have_view = true;
  }
}

void Verifier::check_chain(State& st) const {
  const std::string ck = ChainCache::key(st.view.x5chain[0], st.dev.devid_cert);
  std::shared_ptr<const ChainCache::Entry> hit = chains_->find(ck);
  if (!hit) {
    auto ac = parse_cert(st.view.x5chain[0]);
    auto dc = parse_cert(st.dev.devid_cert);
    if (!ac.ok()) return st.a.add("chain", false, "Alias certificate: " + ac.message());
    if (!dc.ok())
      return st.a.add("chain", false, "registered DeviceID certificate: " + dc.message());
    HStatus s1 = verify_signed_by(ac.value(), dc.value().pub, dc.value().subject_raw);
    HStatus s2 = verify_signed_by(dc.value(), root_.pub, root_.subject_raw);
    if (!s1.ok())
      return st.a.add(
          "chain", false,
          "Alias certificate not issued by the registered DeviceID key: " + s1.message());
    if (!s2.ok())
      return st.a.add("chain", false,
                      "DeviceID certificate not issued by the manufacturer root: " + s2.message());
    auto e = std::make_shared<ChainCache::Entry>();
    e->alias = ac.take();
    e->devid = dc.take();
    hit = e;
    chains_->put(ck, std::move(e));
  }
  st.alias = hit->alias;
  const CertInfo& devid = hit->devid;
  if (!devid.is_ca) return st.a.add("chain", false, "DeviceID certificate is not a CA certificate");
  if (devid.serial_hex != st.dev.serial_hex)
    return st.a.add("chain", false, "DeviceID certificate serial differs from the registry");
  auto u = ueid_of(devid.pub);
  if (!u.ok() || !crypto::ct_equal(u.value(), st.req.ueid))
    return st.a.add("chain", false, "UEID is not derived from the registered DeviceID key");
  st.a.add("chain", true,
           "Alias -> DeviceID (serial " + devid.serial_hex + ") -> manufacturer root");
  st.chain_ok = true;
  st.alias_pub = st.alias.pub;
}

void Verifier::check_signature(State& st) const {
  Status vs = cose::sign1_verify_es256(st.view, st.alias_pub);
  if (!vs.ok()) {
    st.a.add("signature", false, "evidence signature does not verify with the Alias key");
    st.chain_ok = false;
  } else {
    st.a.add("signature", true, "ES256 by the Alias key");
  }
}

void Verifier::check_claims(State& st) const {
  Status cs = protocol::decode_claims(st.view.payload, &st.claims);
  if (!cs.ok())
    return st.a.add(
        "claims", false,
        "EAT claims malformed or wrong profile (status 0x" + status_hex(cs.code()) + ")");
  st.a.add("claims", true, std::string("profile ") + protocol::kEatProfile);
  st.have_claims = true;
  const protocol::EatClaims& c = st.claims;
  st.claims_json = {{"ueid", host::hex_encode(c.ueid)},
                    {"eat_nonce", host::b64_encode(c.nonce)},
                    {"hwmodel", text_of(c.hwmodel)},
                    {"dbgstat", c.dbgstat},
                    {"swname", text_of(c.swname)},
                    {"fwid", host::hex_encode(c.fwid)},
                    {"svn", c.svn},
                    {"boot_count", c.boot_count},
                    {"interconnect_mode", c.mode},
                    {"license_counter", c.license_counter},
                    {"board_nonce", host::hex_encode(c.board_nonce)},
                    {"storage", c.storage == protocol::kStorageOk          ? "ok"
                                : c.storage == protocol::kStorageRecovered ? "recovered"
                                                                           : "fault"},
                    {"eat_profile", protocol::kEatProfile}};
}

void Verifier::check_reference_values(State& st) const {
  const protocol::EatClaims& claims = st.claims;
  Appraisal& a = st.a;
  bool ueid_ok =
      crypto::ct_equal(claims.ueid, st.req.ueid) && crypto::ct_equal(claims.ueid, st.dev.ueid);
  a.add("ueid", ueid_ok,
        ueid_ok ? "claim == request == registry == derived from DeviceID key"
                : "ueid claim does not match the request / registry");
  bool nonce_ok = crypto::ct_equal(claims.nonce, st.req.nonce);
  a.add("nonce_claim", nonce_ok,
        nonce_ok ? "eat_nonce == issued nonce" : "eat_nonce differs from the nonce in the request");
  std::string hwm = text_of(claims.hwmodel);
  st.hw = policy_.hwmodel(hwm);
  if (hwm != st.dev.hwmodel)
    a.add("hwmodel", false,
          "hwmodel '" + hwm + "' differs from the registry ('" + st.dev.hwmodel + "')");
  else if (st.hw == nullptr)
    a.add("hwmodel", false, "no reference values for hwmodel '" + hwm + "'");
  else
    a.add("hwmodel", true, hwm);
  crypto::TcbInfo tcb;
  Status ts = crypto::x509_read_tcb_info(st.alias.der, &tcb);
  if (!ts.ok())
    a.add("tcbinfo", false, "Alias certificate has no valid TcbInfo");
  else if (!crypto::ct_equal(tcb.fwid, claims.fwid) || tcb.svn != claims.svn)
    a.add("tcbinfo", false, "TcbInfo (FWID/SVN in the Alias certificate) differs from the claims");
  else
    a.add("tcbinfo", true, "TcbInfo == claims fwid/svn");
  if (const HwModelPolicy* hw = st.hw) {
    bool known = false;
    for (const auto& f : hw->fwids) known = known || crypto::ct_equal(f, claims.fwid);
    a.add("fwid", known,
          known ? "FWID is a reference value" : "unknown FWID " + host::hex_encode(claims.fwid));
    bool svn_ok = claims.svn >= hw->min_svn;
    a.add("svn", svn_ok,
          svn_ok ? "svn " + std::to_string(claims.svn) + " >= " + std::to_string(hw->min_svn)
                 : "SVN " + std::to_string(claims.svn) + " below minimum " +
                       std::to_string(hw->min_svn));
    bool dbg_ok = claims.dbgstat != 0 || hw->allow_debug;
    a.add("dbgstat", dbg_ok,
          dbg_ok ? "dbgstat " + std::to_string(claims.dbgstat)
                 : "debug enabled (dbgstat 0) and policy does not allow it");
  }
  bool mode_ok = claims.mode == protocol::kModeRestricted || claims.mode == protocol::kModeFull;
  a.add("mode", mode_ok,
        mode_ok ? (claims.mode == protocol::kModeFull ? "full (renewal)" : "restricted")
                : "unknown interconnect mode");
  bool sw_ok = text_of(claims.swname) == protocol::kSwName;
  a.add("swname", sw_ok, sw_ok ? protocol::kSwName : "unexpected swname");
  // DESIGN §5a: a board that cannot trust its own persistent state is refused.
  if (claims.storage == protocol::kStorageOk) {
    a.add("storage", true, "board storage ok");
  } else if (claims.storage == protocol::kStorageRecovered) {
    a.add("storage", true,
          "board storage recovered (one journal copy was invalid; counter may be older)");
  } else {
    a.add("storage", false, "board storage fault");
  }
}

void Verifier::check_site_and_location(State& st) const {
  st.site = policy_.site(st.dev.site);
  if (st.site == nullptr)
    return st.a.add("site", false, "site '" + st.dev.site + "' is not in the policy");
  st.a.add("site", true, st.dev.site);
  if (st.site->landmarks.empty()) return st.a.add("location", true, "site requires no landmarks");
  auto it = loc_->sites.find(st.site->name);
  if (!loc_->have_trust || it == loc_->sites.end())
    return st.a.add("location", false,
                    "location appraisal unavailable (no landmark trust list configured)");
  std::vector<location::RecordPair> recs;
  for (const auto& lp : st.req.landmarks) recs.push_back({lp.record, lp.transcript});
  location::LocationVerdict v = location::appraise_location(
      recs, loc_->trust, it->second, st.req.nonce, st.req.ueid, st.alias_pub);
  st.claims_json["location"] = v.to_json();
  st.location_appraised = true;
  std::string why;
  for (const auto& r : v.reasons) why += (why.empty() ? "" : "; ") + r;
  st.a.add("location", v.approved,
           v.approved ? (why.empty() ? "inside the approved zone" : why)
                      : (why.empty() ? "location refused" : why));
}

void Verifier::check_tpm(State& st) const {
  const RegistryFacts& f = st.facts;
  if (!st.quote.present) {
    if (policy_.tpm.required)
      st.a.add("tpm", false, "TPM quote required by policy but none presented");
    return;
  }
  if (!f.tpm_enabled) return st.a.add("tpm", false, "TPM appraisal unavailable");
  if (!st.quote.raw_json.empty()) return st.a.add("tpm", false, "malformed TPM quote object");
  if (f.tpm_lookup == 1)
    return st.a.add("tpm", false, "TPM appraisal failed: board not bound to an enrolled host");
  if (f.tpm_lookup != 0) return st.a.add("tpm", false, "TPM appraisal failed: " + f.tpm_error);
  tpm::QuoteBundle qb;
  qb.attest.assign(st.quote.attest.begin(), st.quote.attest.end());
  qb.signature.assign(st.quote.signature.begin(), st.quote.signature.end());
  qb.ak_name.assign(st.quote.ak_name.begin(), st.quote.ak_name.end());
  for (const auto& p : st.quote.pcrs) {
    tpm::PcrValue v;
    v.index = p.index;
    if (p.value.size() != v.value.size())
      return st.a.add("tpm", false, "malformed TPM quote object");
    std::copy(p.value.begin(), p.value.end(), v.value.begin());
    qb.pcrs.push_back(v);
  }
  const StoredTpmHost& t = f.tpm_host;
  tpm::HostRecord h;
  h.host = t.host;
  h.ak_public.assign(t.ak_public.begin(), t.ak_public.end());
  if (t.ak_key.size() != h.ak_key.size()) return st.a.add("tpm", false, "TPM host record damaged");
  std::copy(t.ak_key.begin(), t.ak_key.end(), h.ak_key.begin());
  h.ak_name.assign(t.ak_name.begin(), t.ak_name.end());
  h.qualified_signer.assign(t.qualified_signer.begin(), t.qualified_signer.end());
  for (const auto& g : t.golden) {
    tpm::PcrValue v;
    v.index = g.index;
    if (g.value.size() != v.value.size()) return st.a.add("tpm", false, "TPM host record damaged");
    std::copy(g.value.begin(), g.value.end(), v.value.begin());
    h.golden.push_back(v);
    h.pcrs.push_back(g.index);
  }
  h.have_last = t.have_last;
  h.last.clock = t.last_clock;
  h.last.reset_count = t.last_reset;
  h.last.restart_count = t.last_restart;
  h.last.safe = t.last_safe;
  tpm::QuoteOptions qo;
  qo.accept_reboot = policy_.tpm.accept_reboot;
  qo.board_ueid_hex = host::hex_encode(st.req.ueid);
  auto v = tpm::appraise_quote(qb, h, st.req.nonce, st.req.evidence, qo);
  if (!v.ok())
    return st.a.add("tpm", false,
                    std::string("TPM appraisal failed: ") +
                        tpm::to_string(static_cast<tpm::TpmError>(v.status().code() & 0xff)));
  tpm::QuoteVerdict verdict = v.value();
  if (!verdict.accepted && !verdict.reasons.empty() &&
      verdict.reasons[0].check == tpm::QuoteCheck::kBoardMoved && !f.tpm_other_host.empty())
    verdict.reasons[0].text = "board " + qo.board_ueid_hex + " was enrolled in host '" + t.host +
                              "' but the quote comes from host '" + f.tpm_other_host +
                              "': the board has been moved to another host";
  if (!verdict.accepted || !verdict.reasons.empty()) {
    std::string why;
    for (const auto& r : verdict.reasons) why += (why.empty() ? "" : "; ") + r.text;
    return st.a.add("tpm", false, why.empty() ? "TPM quote refused" : why);
  }
  st.tpm_accepted = true;
  st.tpm_clock = verdict.attest.clock_info.clock;
  st.tpm_reset = verdict.attest.clock_info.reset_count;
  st.tpm_restart = verdict.attest.clock_info.restart_count;
  st.tpm_safe = verdict.attest.clock_info.safe;
  st.a.add("tpm", true,
           "quote by the enrolled host's AK, bound to nonce and evidence, PCRs golden");
}

namespace {
// The outcome of advancing the host's TPM clock baseline (facts.tpm_record: 0 accepted,
// 1 not newer than one accepted meanwhile, 2 registry error) as checks; commit() and
// reappraise() add the same words.
void add_tpm_record(const RegistryFacts& f, Appraisal* a) {
  if (f.tpm_record == 1)
    a->fail("tpm", "TPM quote is not newer than one accepted meanwhile (replay)");
  else if (f.tpm_record != 0)
    a->fail("tpm", "TPM appraisal failed: " + f.tpm_error);
}
}  // namespace

// An accepted quote advances the host's clock baseline (attest: in commit()'s transaction;
// reappraise: as recorded). A lost race turns the check into a replay refusal.
void Verifier::apply_tpm_record(State& st) const {
  if (st.tpm_accepted) add_tpm_record(st.facts, &st.a);
}

// The license for this appraisal with the given counter (empty if encoding/signing failed).
Bytes Verifier::license_payload(State& st, uint64_t counter) const {
  const AttestRequest& req = st.req;
  const SitePolicy* site = st.site;
  const protocol::EatClaims& claims = st.claims;
  protocol::License lic;
  std::copy(req.ueid.begin(), req.ueid.end(), lic.ueid.begin());
  lic.nonce = ByteSpan(req.nonce);
  lic.board_nonce = claims.board_nonce;  // DESIGN §5: the license answers this evidence only
  lic.counter = counter;
  lic.mode = protocol::kModeFull;
  lic.lease_s = static_cast<uint32_t>(policy_.lease_for(site));
  lic.site = ByteSpan(reinterpret_cast<const uint8_t*>(site->name.data()), site->name.size());
  lic.fwid = claims.fwid;
  uint8_t payload[512];
  size_t plen = 0;
  Status es = protocol::encode_license(lic, MutByteSpan(payload, sizeof payload), &plen);
  if (!es.ok()) return {};
  return Bytes(payload, payload + plen);
}

Bytes Verifier::make_license(State& st, uint64_t counter) const {
  Bytes payload = license_payload(st, counter);
  if (payload.empty()) return {};
  uint8_t cose_buf[1024];
  size_t clen = 0;
  Status es = cose::sign1_es256(license_key_, payload, cose::Sign1Options(),
                                MutByteSpan(cose_buf, sizeof cose_buf), &clen);
  if (!es.ok()) return {};
  return Bytes(cose_buf, cose_buf + clen);
}

AttestResult Verifier::attest(const AttestRequest& req) {
  if (offline_) {
    AttestResult r;
    r.checks.push_back({"request", false, "an offline (audit) verifier does not appraise"});
    return r;
  }
  State st(req);
  run_checks(st);
  // The TPM replay baseline is advanced inside commit()'s transaction.
  AttestResult r = commit(st);
  sign_ear(st, &r);
  return r;
}

// The pure steps, in order; every registry fact comes from st.facts.
void Verifier::run_checks(State& st) const {
  check_request(st);
  if (!st.a.failed) check_device(st);
  if (st.have_dev) check_nonce(st);
  if (st.have_dev) check_evidence(st);
  if (st.have_view) check_chain(st);
  if (st.chain_ok) check_signature(st);
  if (st.chain_ok) check_claims(st);
  if (st.have_claims) check_reference_values(st);
  if (st.have_dev && st.have_claims) {
    check_site_and_location(st);
    check_tpm(st);
  }
}

void Verifier::sign_ear(const State& st, AttestResult* r) const {
  EarInput in;
  in.iat = st.now;
  in.verifier_id = policy_.verifier_id;
  in.ueid = st.req.ueid;
  in.nonce = st.req.nonce;
  in.affirming = r->affirming && !r->license.empty();
  in.site = st.have_dev ? st.dev.site : "";
  in.zone_verdict = "not-appraised";
  for (const auto& c : r->checks) {
    if (c.name != "location") continue;
    if (st.location_appraised)
      in.zone_verdict = c.pass ? "inside" : "outside";
    else if (c.pass)
      in.zone_verdict = "not-required";
  }
  in.lease_s = in.affirming ? policy_.lease_for(st.site) : 0;
  in.license_counter = r->affirming ? r->license_counter : 0;
  in.decision_id = r->decision_id;
  in.reason = r->affirming ? "" : r->first_failure();
  if (st.have_claims) {
    in.hwmodel = text_of(st.claims.hwmodel);
    in.fwid_hex = host::hex_encode(st.claims.fwid);
  }
  const auto checks = r->decision.find("checks");
  if (checks != r->decision.end()) in.checks = &*checks;
  auto jwt = ear_sign_jwt(ear_claims(in), ear_key_, ear_kid_);
  if (!jwt.ok()) {
    host::log(host::LogLevel::kError, "ear_not_signed", json{{"error", jwt.message()}}.dump());
    return;
  }
  r->ear = jwt.take();
}

// One transaction: consume the nonce, take the license counter, write the decision row (its
// JSON once) and the audit record. The license is signed before the transaction, with the
// counter it expects to take; if a concurrent appraisal of the same board took that counter
// first, the transaction is rolled back and the license re-signed with the next one.
AttestResult Verifier::commit(State& st) {
  const AttestRequest& req = st.req;
  const bool may_license =
      !st.a.failed && st.have_claims && (st.site != nullptr) && (st.hw != nullptr);
  AttestResult out;
  Appraisal a;
  json d;
  Bytes license;
  uint64_t counter = 0;
  bool skip_audit = false;  // an append failed: record the refusal without one
  std::string audit_error;
  HStatus txn = {HostError::kInternal, "not attempted"};
  // The claims (with the location verdict: the largest part of the decision) move into each
  // attempt's decision and back out of it, instead of being copied.
  json claims = std::move(st.claims_json);
  for (int attempt = 0; attempt < kCounterAttempts; attempt++) {
    if (d.is_object() && d.contains("claims")) claims = std::move(d["claims"]);
    a = st.a;
    license.clear();
    counter = 0;
    uint64_t last = 0;
    if (may_license && attempt == kCounterAttempts - 1) {
      a.add("license", false, "license counter contention (too many concurrent appraisals)");
    } else if (may_license) {
      auto l = reg_->last_license_counter(req.ueid);
      if (!l.ok()) {
        a.add("license", false, "license counter: " + l.message());
      } else {
        last = l.value();
        license = make_license(st, last + 1);
        if (license.empty()) a.add("license", false, "license encoding/signing failed");
      }
    }
    bool lost_race = false;
    bool with_audit = log_ != nullptr && !skip_audit;
    out = AttestResult{};
    txn = reg_->transaction([&]() -> HStatus {
      if (skip_audit) a.add("audit", false, "audit record could not be written");
      if (st.have_dev) {
        auto nc = reg_->consume_nonce(req.nonce, req.ueid, st.now);
        if (!nc.ok()) return nc.status();
        st.facts.nonce_consumed = static_cast<int>(nc.value());
        if (nc.value() != registry::NonceCheck::kOk)
          a.fail("nonce", registry::to_string(nc.value()));
      }
      if (st.tpm_accepted && tpm_) {
        // The quote's clock must be newer than any accepted before (replay baseline), checked
        // and stored atomically with this decision; the outcome is a fact of the bundle.
        tpm::ClockInfo ci;
        ci.clock = st.tpm_clock;
        ci.reset_count = st.tpm_reset;
        ci.restart_count = st.tpm_restart;
        ci.safe = st.tpm_safe;
        st.facts.tpm_record = 0;
        st.facts.tpm_error.clear();
        Status ts = tpm_->reg.record_accepted(st.facts.tpm_host.host, ci);
        if (ts == Status(tpm::TpmError::kStaleQuote)) {
          st.facts.tpm_record = 1;
        } else if (!ts.ok()) {
          st.facts.tpm_record = 2;
          st.facts.tpm_error = tpm::to_string(static_cast<tpm::TpmError>(ts.code() & 0xff));
        }
        add_tpm_record(st.facts, &a);
      }
      if (!license.empty() && !a.failed) {
        auto took = reg_->take_license_counter(req.ueid, last);
        if (!took.ok()) return took.status();
        if (!took.value()) {
          lost_race = true;
          return {HostError::kDb, "license counter taken by a concurrent appraisal"};
        }
        counter = last + 1;
        a.add("license", true,
              "counter " + std::to_string(counter) + ", lease " +
                  std::to_string(policy_.lease_for(st.site)) + " s");
      }
      // Fail closed: affirming only if nothing failed AND a license exists (checked twice).
      std::string status = "contraindicated";
      if (!a.failed && !license.empty() && counter != 0) status = "affirming";
      out.affirming = status == "affirming" && !a.failed && !license.empty();
      if (!out.affirming) {
        license.clear();
        status = "contraindicated";
        counter = 0;
      }
      auto id = reg_->reserve_decision_id();
      if (!id.ok()) return id.status();
      out.decision_id = id.value();
      json checks = json::array();
      for (const auto& c : a.checks)
        checks.push_back({{"name", c.name}, {"pass", c.pass}, {"reason", c.reason}});
      d = {{"eat_profile", kEarProfile},
           {"iat", st.now},
           {"verifier_id", policy_.verifier_id},
           {"ueid", host::hex_encode(req.ueid)},
           {"status", status},
           {"checks", std::move(checks)},
           {"decision_id", out.decision_id}};
      d["claims"] = std::move(claims);
      if (out.affirming) d["license_counter"] = counter;
      registry::Decision rec;
      rec.id = out.decision_id;
      rec.time = st.now;
      rec.ueid = req.ueid;
      rec.status = status;
      rec.decision_json = d.dump(-1, ' ', false, json::error_handler_t::replace);
      out.decision_json = rec.decision_json;
      // Evidence bytes only for registered devices: an unknown UEID stores nothing it sent.
      if (st.have_dev) rec.evidence = req.evidence;
      rec.license = license;
      auto added = reg_->add_decision(rec);
      if (!added.ok()) return added.status();
      // The evidence bundle (docs/audit.md), for registered devices, in this transaction.
      if (st.have_dev) {
        EvidenceBundle b;
        b.decision_id = out.decision_id;
        b.ueid = req.ueid;
        b.nonce = req.nonce;
        b.evidence = req.evidence;
        b.landmarks = req.landmarks;
        b.quote = st.quote;
        b.facts = st.facts;
        b.policy_sha256 = policy_.sha256_hex;
        b.trust_list_version = trust_list_version();
        b.license = license;
        const Bytes encoded = encode_bundle(b);
        if (encoded.empty()) return {HostError::kInternal, "evidence bundle could not be encoded"};
        HStatus bs = reg_->put_evidence_bundle(out.decision_id, encoded);
        if (!bs.ok()) return bs;
      }
      if (with_audit) {
        crypto::Digest ed{};
        (void)crypto::sha256(req.evidence, &ed).ok();
        json body = {
            {"decision_id", out.decision_id},
            {"ueid", host::hex_encode(req.ueid)},
            {"status", status},
            {"evidence_sha256", host::hex_encode(ed)},
            {"reason", out.affirming
                           ? ""
                           : AttestResult{false, {}, {}, 0, 0, a.checks, {}, {}}.first_failure()}};
        if (out.affirming) body["license_counter"] = counter;
        // Inside the transaction (lock order: registry, then the log's file lock); the
        // log's head is updated through this transaction too.
        auto ar = log_->append("decision", body);
        if (!ar.ok()) {
          audit_error = ar.message();
          return {HostError::kAuditBroken, "audit record could not be written: " + ar.message()};
        }
      }
      return HStatus::Ok();
    });
    if (txn.ok()) break;
    if (lost_race) continue;
    if (txn.code() == HostError::kAuditBroken && !skip_audit) {
      // No audit record, no license: record the refusal without an audit record.
      host::log(host::LogLevel::kError, "audit_append_failed", json{{"error", audit_error}}.dump());
      skip_audit = true;
      continue;
    }
    break;
  }
  if (!txn.ok()) {
    out.affirming = false;
    license.clear();
    host::log(host::LogLevel::kError, "decision_not_recorded",
              json{{"ueid", host::hex_encode(req.ueid)}, {"error", txn.message()}}.dump());
    const bool had_decision = !d.is_null();
    if (d.is_null())
      d = json{{"eat_profile", kEarProfile},
               {"iat", st.now},
               {"verifier_id", policy_.verifier_id},
               {"ueid", host::hex_encode(req.ueid)}};
    // The claims went back out of an earlier attempt's decision: return them to it.
    if (had_decision && !claims.is_null()) d["claims"] = std::move(claims);
    d["status"] = "contraindicated";
    d.erase("license_counter");
    d.erase("decision_id");
    a.add("record", false, "decision could not be recorded: " + txn.message());
    json checks = json::array();
    for (const auto& c : a.checks)
      checks.push_back({{"name", c.name}, {"pass", c.pass}, {"reason", c.reason}});
    d["checks"] = checks;
    out.decision_id = 0;
  }
  out.license = license;
  out.license_counter = out.affirming ? counter : 0;
  out.checks = a.checks;
  if (!txn.ok()) out.decision_json = d.dump(-1, ' ', false, json::error_handler_t::replace);
  out.decision = std::move(d);
  return out;
}

std::vector<Verifier::LandmarkView> Verifier::trusted_landmarks() const {
  std::vector<LandmarkView> out;
  if (!loc_->have_trust) return out;
  for (const auto& e : loc_->trust.landmarks)
    out.push_back({e.id, e.host, e.operator_name, e.lat_deg, e.lon_deg, e.tcp_port, e.udp_port});
  return out;
}

HostResult<int64_t> Verifier::open_nonces() const {
  return reg_->count_open_nonces(host::unix_time());
}

AttestResult Verifier::reappraise(const EvidenceBundle& b,
                                  const std::vector<Check>& recorded_checks) const {
  AttestRequest req;
  req.ueid = b.ueid;
  req.nonce = b.nonce;
  req.evidence = b.evidence;
  req.landmarks = b.landmarks;
  if (b.quote.present) req.tpm = json::object();  // presence only: the quote is st.quote
  State st(req);
  st.live = false;
  st.now = b.facts.time;
  st.facts = b.facts;
  st.quote = b.quote;
  AttestResult out;
  const int kLastNonceCheck = static_cast<int>(registry::NonceCheck::kEvicted);
  if (b.facts.nonce_peek < -1 || b.facts.nonce_peek > kLastNonceCheck ||
      b.facts.nonce_consumed < 0 || b.facts.nonce_consumed > kLastNonceCheck) {
    out.checks.push_back({"bundle", false, "nonce state out of range"});
    return out;
  }
  run_checks(st);
  Appraisal& a = st.a;
  const bool may_license =
      !a.failed && st.have_claims && (st.site != nullptr) && (st.hw != nullptr);
  // Commit-time facts, in commit()'s order: the audit refusal, the nonce consumption, then
  // the TPM replay baseline.
  for (const auto& c : recorded_checks)
    if (c.name == "audit") a.add(c.name, c.pass, c.reason);
  if (st.have_dev && st.facts.nonce_consumed != static_cast<int>(registry::NonceCheck::kOk))
    a.fail("nonce",
           registry::to_string(static_cast<registry::NonceCheck>(st.facts.nonce_consumed)));
  apply_tpm_record(st);
  bool licensed = false;
  uint64_t counter = 0;
  if (may_license && !a.failed) {
    if (b.license.empty()) {
      const Check* rec = nullptr;
      for (const auto& c : recorded_checks)
        if (c.name == "license" && !c.pass) rec = &c;
      if (rec != nullptr)
        a.add(rec->name, rec->pass, rec->reason);  // contention / signing failure: a fact
      else
        a.add("license", false, "every check passed but no license was recorded");
    } else {
      cose::Sign1View lv;
      protocol::License lic;
      Bytes expected;
      if (!cose::sign1_decode(b.license, &lv, true).ok()) {
        a.add("license", false, "recorded license is not a COSE_Sign1");
      } else if (!cose::sign1_verify_es256(lv, license_pub_).ok()) {
        a.add("license", false, "recorded license signature does not verify with the license key");
      } else if (!protocol::decode_license(lv.payload, &lic).ok() || lic.counter == 0) {
        a.add("license", false, "recorded license payload does not decode");
      } else if ((expected = license_payload(st, lic.counter)).empty() ||
                 expected.size() != lv.payload.size ||
                 !crypto::ct_equal(expected, Bytes(lv.payload.begin(), lv.payload.end()))) {
        a.add("license", false,
              "recorded license does not answer this evidence (ueid, nonces, site, lease or FWID "
              "differ)");
      } else {
        counter = lic.counter;
        licensed = true;
        a.add("license", true,
              "counter " + std::to_string(counter) + ", lease " +
                  std::to_string(policy_.lease_for(st.site)) + " s");
      }
    }
  } else if (!b.license.empty()) {
    a.add("license", false, "a license was recorded for an appraisal that does not pass");
  }
  out.affirming = licensed && !a.failed;
  json checks = json::array();
  for (const auto& c : a.checks)
    checks.push_back({{"name", c.name}, {"pass", c.pass}, {"reason", c.reason}});
  out.decision = {{"status", out.affirming ? "affirming" : "contraindicated"},
                  {"checks", checks},
                  {"claims", st.claims_json}};
  if (out.affirming) out.decision["license_counter"] = counter;
  out.license_counter = counter;
  out.checks = a.checks;
  out.decision_id = b.decision_id;
  return out;
}

HStatus Verifier::revoke_ueid(ByteSpan ueid, const std::string& reason) {
  // The revocation and its audit record in one transaction.
  return reg_->transaction([&]() -> HStatus {
    HStatus s = reg_->revoke_ueid(ueid, reason);
    if (!s.ok()) return s;
    if (log_ != nullptr) {
      auto r = log_->append("revoke", json{{"ueid", host::hex_encode(ueid)}, {"reason", reason}});
      if (!r.ok()) return r.status();
    }
    return HStatus::Ok();
  });
}

HStatus Verifier::revoke_serial(const std::string& serial_hex, const std::string& reason) {
  return reg_->transaction([&]() -> HStatus {
    HStatus s = reg_->revoke_serial(serial_hex, reason);
    if (!s.ok()) return s;
    if (log_ != nullptr) {
      auto r = log_->append("revoke", json{{"serial", serial_hex}, {"reason", reason}});
      if (!r.ok()) return r.status();
    }
    return HStatus::Ok();
  });
}

HostResult<json> Verifier::required_landmarks(ByteSpan ueid) {
  auto d = reg_->get_device(ueid);
  if (!d.ok()) return d.error();
  const SitePolicy* s = policy_.site(d.value().site);
  if (s == nullptr)
    return {HostError::kNotFound, "site '" + d.value().site + "' is not in the policy"};
  json lms = json::array();
  for (const auto& id : s->landmarks) {
    json e = {{"id", id}};
    if (loc_->have_trust) {
      if (const location::LandmarkEntry* le = loc_->trust.find(id)) {
        e["host"] = le->host;
        e["tcp_port"] = le->tcp_port;
        e["udp_port"] = le->udp_port;
      }
    }
    lms.push_back(e);
  }
  return json{{"site", s->name}, {"landmarks", lms}, {"rounds", s->rounds}};
}

HostResult<json> Verifier::quote_policy(ByteSpan ueid) {
  auto d = reg_->get_device(ueid);
  if (!d.ok()) return d.error();
  return json{{"pcrs", policy_.tpm.pcrs},
              {"hash", policy_.tpm.hash},
              {"required", policy_.tpm.required},
              {"host", d.value().host}};
}

HostResult<VerifierKeys> load_keys(const std::string& ca_cert_path,
                                   const std::string& license_key_path) {
  VerifierKeys k;
  auto root = load_root_cert(ca_cert_path);
  if (!root.ok()) return root.error();
  k.root = root.value();
  auto kp = host::read_text_file(license_key_path, 1u << 16);
  if (!kp.ok()) return {HostError::kConfig, kp.message()};
  HStatus s = private_key_from_pem(kp.value(), &k.license_key);
  if (!s.ok()) return {HostError::kConfig, license_key_path + ": " + s.message()};
  return k;
}

HostResult<CertInfo> load_root_cert(const std::string& ca_cert_path) {
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
  if (!self.ok())
    return {HostError::kConfig, ca_cert_path + ": root is not self-signed: " + self.message()};
  return ci.value();
}

}  // namespace locus::verifier
