// Evidence bundle CBOR codec (docs/audit.md lists every key).
#include "locus/verifier/bundle.h"

#include <nlohmann/json.hpp>
#include <set>

namespace locus::verifier {

using host::HostError;
using json = nlohmann::json;

namespace {

json bin(const Bytes& b) {
  return json::binary(std::vector<uint8_t>(b.begin(), b.end()));
}

json pcrs_to(const std::vector<PcrValueBytes>& v) {
  json a = json::array();
  for (const auto& p : v) a.push_back(json::array({p.index, bin(p.value)}));
  return a;
}

// A strict reader over one CBOR map: every key read is remembered, leftovers are refused.
struct Reader {
  const json& m;
  std::string where;
  std::string err;
  std::set<std::string> seen;

  bool fail(const std::string& k, const std::string& why) {
    if (err.empty()) err = where + k + ": " + why;
    return false;
  }
  const json* get(const std::string& k, bool required) {
    seen.insert(k);
    auto it = m.find(k);
    if (it == m.end()) {
      if (required) fail(k, "missing");
      return nullptr;
    }
    return &*it;
  }
  void bytes(const std::string& k, Bytes* out, bool required = true, size_t exact = 0) {
    const json* j = get(k, required);
    if (j == nullptr) return;
    if (!j->is_binary()) return (void)fail(k, "not a byte string");
    const auto& b = j->get_binary();
    if ((exact != 0u) && b.size() != exact)
      return (void)fail(k, "must be " + std::to_string(exact) + " bytes");
    out->assign(b.begin(), b.end());
  }
  void text(const std::string& k, std::string* out, bool required = true) {
    const json* j = get(k, required);
    if (j == nullptr) return;
    if (!j->is_string()) return (void)fail(k, "not a text string");
    *out = j->get<std::string>();
  }
  template <typename T>
  void integer(const std::string& k, T* out, bool required = true) {
    const json* j = get(k, required);
    if (!j) return;
    if (!j->is_number_integer()) return (void)fail(k, "not an integer");
    *out = j->get<T>();
  }
  void boolean(const std::string& k, bool* out, bool required = true) {
    const json* j = get(k, required);
    if (j == nullptr) return;
    if (!j->is_boolean()) return (void)fail(k, "not a boolean");
    *out = j->get<bool>();
  }
  void pcrs(const std::string& k, std::vector<PcrValueBytes>* out) {
    const json* j = get(k, true);
    if (j == nullptr) return;
    if (!j->is_array() || j->size() > 24) return (void)fail(k, "not an array of <= 24 PCRs");
    for (const auto& e : *j) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_number_unsigned() ||
          e[0].get<uint64_t>() > 23 || !e[1].is_binary() || e[1].get_binary().size() != 32)
        return (void)fail(k, "PCR entries are [index 0..23, 32-byte value]");
      out->push_back(
          {e[0].get<uint32_t>(), Bytes(e[1].get_binary().begin(), e[1].get_binary().end())});
    }
  }
  bool done() {
    if (!err.empty()) return false;
    for (auto it = m.begin(); it != m.end(); ++it)
      if (seen.count(it.key()) == 0u) return fail(it.key(), "unknown key");
    return true;
  }
};

}  // namespace

// nlohmann's CBOR reader throws for some malformed lengths even with allow_exceptions off
// (out_of_range "excessive object size", found by fuzz_replay_evidence_bundle): caught here,
// so a bad bundle is a parse error, never a crash.
json parse_cbor(ByteSpan cbor) {
  try {
    return json::from_cbor(cbor.data, cbor.data + cbor.size, true, false,
                           json::cbor_tag_handler_t::error);
  } catch (const json::exception&) {
    return json(json::value_t::discarded);
  }
}

Bytes encode_bundle(const EvidenceBundle& b) {
  json lms = json::array();
  for (const auto& l : b.landmarks) lms.push_back(json::array({bin(l.record), bin(l.transcript)}));
  const RegistryFacts& f = b.facts;
  const registry::Device& d = f.device;
  json dev = {{"ueid", bin(d.ueid)},
              {"site", d.site},
              {"host", d.host},
              {"hwmodel", d.hwmodel},
              {"devid_cert", bin(d.devid_cert)},
              {"serial", d.serial_hex},
              {"revoked", d.revoked},
              {"revoke_reason", d.revoke_reason},
              {"enrolled_at", d.enrolled_at},
              {"state", static_cast<int>(d.state)}};
  json facts = {{"time", f.time},
                {"device_found", f.device_found},
                {"device_error", f.device_error},
                {"serial_revoked", f.serial_revoked},
                {"serial_error", f.serial_error},
                {"nonce_peek", f.nonce_peek},
                {"nonce_error", f.nonce_error},
                {"nonce_consumed", f.nonce_consumed},
                {"tpm_enabled", f.tpm_enabled},
                {"tpm_lookup", f.tpm_lookup},
                {"tpm_error", f.tpm_error},
                {"tpm_other_host", f.tpm_other_host},
                {"tpm_record", f.tpm_record}};
  if (f.device_found) facts["device"] = dev;
  if (!f.tpm_host.ak_key.empty()) {  // a host record was read (a parsed quote, TPM on, bound)
    const StoredTpmHost& h = f.tpm_host;
    facts["tpm_host"] = {{"host", h.host},
                         {"ak_public", bin(h.ak_public)},
                         {"ak_key", bin(h.ak_key)},
                         {"ak_name", bin(h.ak_name)},
                         {"qualified_signer", bin(h.qualified_signer)},
                         {"golden", pcrs_to(h.golden)},
                         {"have_last", h.have_last},
                         {"last_clock", h.last_clock},
                         {"last_reset", h.last_reset},
                         {"last_restart", h.last_restart},
                         {"last_safe", h.last_safe}};
  }
  json m = {{"v", b.version},
            {"decision_id", b.decision_id},
            {"ueid", bin(b.ueid)},
            {"nonce", bin(b.nonce)},
            {"evidence", bin(b.evidence)},
            {"landmarks", lms},
            {"facts", facts},
            {"policy_sha256", b.policy_sha256},
            {"trust_list_version", b.trust_list_version},
            {"license", bin(b.license)}};
  if (b.quote.present) {
    if (!b.quote.raw_json.empty())
      m["tpm_quote"] = {{"raw_json", b.quote.raw_json}};
    else
      m["tpm_quote"] = {{"attest", bin(b.quote.attest)},
                        {"signature", bin(b.quote.signature)},
                        {"ak_name", bin(b.quote.ak_name)},
                        {"pcrs", pcrs_to(b.quote.pcrs)}};
  }
  std::vector<uint8_t> out = json::to_cbor(m);
  return Bytes(out.begin(), out.end());
}

host::HostResult<EvidenceBundle> decode_bundle(ByteSpan cbor) {
  if (cbor.size == 0 || cbor.size > kMaxBundleSize)
    return {HostError::kParse, "evidence bundle is empty or larger than 4 MiB"};
  json m = parse_cbor(cbor);
  if (m.is_discarded() || !m.is_object())
    return {HostError::kParse, "evidence bundle is not a CBOR map"};
  EvidenceBundle b;
  Reader r{m, "bundle.", "", {}};
  r.integer("v", &b.version);
  if (r.err.empty() && b.version != kBundleVersion)
    return {HostError::kParse, "evidence bundle version " + std::to_string(b.version) +
                                   " (this locus reads " + std::to_string(kBundleVersion) + ")"};
  r.integer("decision_id", &b.decision_id);
  r.bytes("ueid", &b.ueid);
  r.bytes("nonce", &b.nonce);
  r.bytes("evidence", &b.evidence);
  r.text("policy_sha256", &b.policy_sha256);
  r.integer("trust_list_version", &b.trust_list_version);
  r.bytes("license", &b.license);
  if (const json* lms = r.get("landmarks", true)) {
    if (!lms->is_array() || lms->size() > 64) {
      r.fail("landmarks", "not an array of <= 64 [record, transcript] pairs");
    } else {
      for (const auto& e : *lms) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_binary() || !e[1].is_binary()) {
          r.fail("landmarks", "entries are [record bytes, transcript bytes]");
          break;
        }
        b.landmarks.push_back({Bytes(e[0].get_binary().begin(), e[0].get_binary().end()),
                               Bytes(e[1].get_binary().begin(), e[1].get_binary().end())});
      }
    }
  }
  if (const json* q = r.get("tpm_quote", false)) {
    if (!q->is_object()) {
      r.fail("tpm_quote", "not a map");
    } else {
      b.quote.present = true;
      Reader qr{*q, "bundle.tpm_quote.", "", {}};
      if (q->contains("raw_json")) {
        qr.text("raw_json", &b.quote.raw_json);
        if (b.quote.raw_json.empty()) qr.fail("raw_json", "empty");
      } else {
        qr.bytes("attest", &b.quote.attest);
        qr.bytes("signature", &b.quote.signature);
        qr.bytes("ak_name", &b.quote.ak_name);
        qr.pcrs("pcrs", &b.quote.pcrs);
      }
      if (!qr.done()) return {HostError::kParse, qr.err};
    }
  }
  if (const json* fj = r.get("facts", true)) {
    if (!fj->is_object()) {
      r.fail("facts", "not a map");
    } else {
      RegistryFacts& f = b.facts;
      Reader fr{*fj, "bundle.facts.", "", {}};
      fr.integer("time", &f.time);
      fr.boolean("device_found", &f.device_found);
      fr.text("device_error", &f.device_error);
      fr.integer("serial_revoked", &f.serial_revoked);
      fr.text("serial_error", &f.serial_error);
      fr.integer("nonce_peek", &f.nonce_peek);
      fr.text("nonce_error", &f.nonce_error);
      fr.integer("nonce_consumed", &f.nonce_consumed);
      fr.boolean("tpm_enabled", &f.tpm_enabled);
      fr.integer("tpm_lookup", &f.tpm_lookup);
      fr.text("tpm_error", &f.tpm_error);
      fr.text("tpm_other_host", &f.tpm_other_host);
      fr.integer("tpm_record", &f.tpm_record);
      if (const json* dj = fr.get("device", f.device_found)) {
        if (!dj->is_object()) {
          fr.fail("device", "not a map");
        } else {
          Reader dr{*dj, "bundle.facts.device.", "", {}};
          registry::Device& d = f.device;
          int state = 0;
          dr.bytes("ueid", &d.ueid);
          dr.text("site", &d.site);
          dr.text("host", &d.host);
          dr.text("hwmodel", &d.hwmodel);
          dr.bytes("devid_cert", &d.devid_cert);
          dr.text("serial", &d.serial_hex);
          dr.boolean("revoked", &d.revoked);
          dr.text("revoke_reason", &d.revoke_reason);
          dr.integer("enrolled_at", &d.enrolled_at);
          dr.integer("state", &state);
          if (dr.err.empty() && state != static_cast<int>(registry::DeviceState::kActive) &&
              state != static_cast<int>(registry::DeviceState::kPending))
            dr.fail("state", "not a device state");
          d.state = static_cast<registry::DeviceState>(state);
          if (!dr.done()) return {HostError::kParse, dr.err};
        }
      }
      if (const json* hj = fr.get("tpm_host", false)) {
        if (!hj->is_object()) {
          fr.fail("tpm_host", "not a map");
        } else {
          Reader hr{*hj, "bundle.facts.tpm_host.", "", {}};
          StoredTpmHost& h = f.tpm_host;
          hr.text("host", &h.host);
          hr.bytes("ak_public", &h.ak_public);
          hr.bytes("ak_key", &h.ak_key, true, 65);
          hr.bytes("ak_name", &h.ak_name);
          hr.bytes("qualified_signer", &h.qualified_signer);
          hr.pcrs("golden", &h.golden);
          hr.boolean("have_last", &h.have_last);
          hr.integer("last_clock", &h.last_clock);
          hr.integer("last_reset", &h.last_reset);
          hr.integer("last_restart", &h.last_restart);
          hr.boolean("last_safe", &h.last_safe);
          if (!hr.done()) return {HostError::kParse, hr.err};
        }
      }
      if (!fr.done()) return {HostError::kParse, fr.err};
    }
  }
  if (!r.done()) return {HostError::kParse, r.err};
  return b;
}

}  // namespace locus::verifier
