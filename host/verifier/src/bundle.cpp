// Evidence bundle CBOR codec (docs/audit.md lists every key).
#include "locus/verifier/bundle.h"

#include <nlohmann/json.hpp>
#include <set>

#include "locus/crypto/cbor.h"

namespace locus::verifier {

using host::HostError;
using json = nlohmann::json;

namespace {

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

namespace {

// The bundle is written twice: into a measuring cbor::Encoder for its exact size, then into
// one over a buffer of that size. The bytes are what nlohmann's to_cbor wrote for the same
// tree (which decode_bundle still reads): every map's keys in std::string order (as std::map
// keeps them), minimal heads, byte strings untagged. The fuzz target evidence_bundle checks
// encode(decode(x)) against to_cbor of its tree, and stored bundles against their own bytes.
ByteSpan str(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void write_pcrs(cbor::Encoder& e, const std::vector<PcrValueBytes>& v) {
  e.array(v.size());
  for (const auto& p : v) {
    e.array(2);
    e.uint(p.index);
    e.bytes(ByteSpan(p.value));
  }
}

void write_device(cbor::Encoder& e, const registry::Device& d) {
  e.map(10);
  e.text("devid_cert");
  e.bytes(ByteSpan(d.devid_cert));
  e.text("enrolled_at");
  e.int64(d.enrolled_at);
  e.text("host");
  e.text(str(d.host));
  e.text("hwmodel");
  e.text(str(d.hwmodel));
  e.text("revoke_reason");
  e.text(str(d.revoke_reason));
  e.text("revoked");
  e.boolean(d.revoked);
  e.text("serial");
  e.text(str(d.serial_hex));
  e.text("site");
  e.text(str(d.site));
  e.text("state");
  e.int64(static_cast<int>(d.state));
  e.text("ueid");
  e.bytes(ByteSpan(d.ueid));
}

void write_tpm_host(cbor::Encoder& e, const StoredTpmHost& h) {
  e.map(11);
  e.text("ak_key");
  e.bytes(ByteSpan(h.ak_key));
  e.text("ak_name");
  e.bytes(ByteSpan(h.ak_name));
  e.text("ak_public");
  e.bytes(ByteSpan(h.ak_public));
  e.text("golden");
  write_pcrs(e, h.golden);
  e.text("have_last");
  e.boolean(h.have_last);
  e.text("host");
  e.text(str(h.host));
  e.text("last_clock");
  e.uint(h.last_clock);
  e.text("last_reset");
  e.uint(h.last_reset);
  e.text("last_restart");
  e.uint(h.last_restart);
  e.text("last_safe");
  e.boolean(h.last_safe);
  e.text("qualified_signer");
  e.bytes(ByteSpan(h.qualified_signer));
}

void write_facts(cbor::Encoder& e, const RegistryFacts& f) {
  const bool with_host = !f.tpm_host.ak_key.empty();  // a host record was read
  e.map(13 + (f.device_found ? 1 : 0) + (with_host ? 1 : 0));
  if (f.device_found) {
    e.text("device");
    write_device(e, f.device);
  }
  e.text("device_error");
  e.text(str(f.device_error));
  e.text("device_found");
  e.boolean(f.device_found);
  e.text("nonce_consumed");
  e.int64(f.nonce_consumed);
  e.text("nonce_error");
  e.text(str(f.nonce_error));
  e.text("nonce_peek");
  e.int64(f.nonce_peek);
  e.text("serial_error");
  e.text(str(f.serial_error));
  e.text("serial_revoked");
  e.int64(f.serial_revoked);
  e.text("time");
  e.int64(f.time);
  e.text("tpm_enabled");
  e.boolean(f.tpm_enabled);
  e.text("tpm_error");
  e.text(str(f.tpm_error));
  if (with_host) {
    e.text("tpm_host");
    write_tpm_host(e, f.tpm_host);
  }
  e.text("tpm_lookup");
  e.int64(f.tpm_lookup);
  e.text("tpm_other_host");
  e.text(str(f.tpm_other_host));
  e.text("tpm_record");
  e.int64(f.tpm_record);
}

void write_bundle(cbor::Encoder& e, const EvidenceBundle& b) {
  e.map(10 + (b.quote.present ? 1 : 0));
  e.text("decision_id");
  e.int64(b.decision_id);
  e.text("evidence");
  e.bytes(ByteSpan(b.evidence));
  e.text("facts");
  write_facts(e, b.facts);
  e.text("landmarks");
  e.array(b.landmarks.size());
  for (const auto& l : b.landmarks) {
    e.array(2);
    e.bytes(ByteSpan(l.record));
    e.bytes(ByteSpan(l.transcript));
  }
  e.text("license");
  e.bytes(ByteSpan(b.license));
  e.text("nonce");
  e.bytes(ByteSpan(b.nonce));
  e.text("policy_sha256");
  e.text(str(b.policy_sha256));
  if (b.quote.present) {
    e.text("tpm_quote");
    if (!b.quote.raw_json.empty()) {
      e.map(1);
      e.text("raw_json");
      e.text(str(b.quote.raw_json));
    } else {
      e.map(4);
      e.text("ak_name");
      e.bytes(ByteSpan(b.quote.ak_name));
      e.text("attest");
      e.bytes(ByteSpan(b.quote.attest));
      e.text("pcrs");
      write_pcrs(e, b.quote.pcrs);
      e.text("signature");
      e.bytes(ByteSpan(b.quote.signature));
    }
  }
  e.text("trust_list_version");
  e.int64(b.trust_list_version);
  e.text("ueid");
  e.bytes(ByteSpan(b.ueid));
  e.text("v");
  e.int64(b.version);
}

}  // namespace

Bytes encode_bundle(const EvidenceBundle& b) {
  cbor::Encoder count = cbor::Encoder::measuring();
  write_bundle(count, b);
  if (!count.status().ok()) return {};
  Bytes out(count.size());
  cbor::Encoder e(MutByteSpan(out.data(), out.size()));
  write_bundle(e, b);
  // The two passes wrote the same items; a mismatch would be a bug here, never input's fault.
  if (!e.status().ok() || e.size() != out.size()) return {};
  return out;
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
