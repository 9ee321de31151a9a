// Offline re-verification of recorded decisions and the evidence-bundle export layout.
#include "locus/verifier/reverify.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "locus/common/json_read.h"
#include "locus/crypto/cose.h"

namespace locus::verifier {

using host::HostError;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxManifest = 16u << 20;
constexpr size_t kMaxFile = 1u << 20;

// The file an export gives a byte string at `path` (keys / array positions from the bundle
// root), and whether it is PEM; "" = written inline as hex.
std::string file_for(const std::vector<std::string>& p, bool* pem) {
  *pem = false;
  auto is = [&](std::initializer_list<const char*> want) {
    if (p.size() != want.size()) return false;
    size_t i = 0;
    for (const char* w : want) {
      if (std::strcmp(w, "*") != 0 && p[i] != w) return false;
      i++;
    }
    return true;
  };
  if (is({"evidence"})) return "evidence.cose";
  if (is({"license"})) return "license.cose";
  if (is({"landmarks", "*", "0"})) return "landmark-" + p[1] + ".record.cose";
  if (is({"landmarks", "*", "1"})) return "landmark-" + p[1] + ".transcript.cose";
  if (is({"tpm_quote", "attest"})) return "tpm-quote.attest.bin";
  if (is({"tpm_quote", "signature"})) return "tpm-quote.signature.bin";
  if (is({"tpm_quote", "ak_name"})) return "tpm-quote.ak-name.bin";
  if (is({"tpm_quote", "pcrs", "*", "1"})) return "tpm-quote.pcr-" + p[2] + ".bin";
  if (is({"facts", "device", "devid_cert"})) {
    *pem = true;
    return "devid-cert.pem";
  }
  if (is({"facts", "tpm_host", "ak_public"})) return "tpm-host.ak-public.bin";
  if (is({"facts", "tpm_host", "ak_key"})) return "tpm-host.ak-key.bin";
  if (is({"facts", "tpm_host", "ak_name"})) return "tpm-host.ak-name.bin";
  if (is({"facts", "tpm_host", "qualified_signer"})) return "tpm-host.qualified-signer.bin";
  if (is({"facts", "tpm_host", "golden", "*", "1"})) return "tpm-host.golden-pcr-" + p[3] + ".bin";
  return "";
}

// Bundle (as json with binary nodes) -> manifest tree; files to write collected in `files`.
json to_manifest(const json& j, std::vector<std::string>& path,
                 std::vector<std::pair<std::string, std::string>>& files) {
  if (j.is_binary()) {
    const auto& b = j.get_binary();
    bool pem = false;
    std::string name = file_for(path, &pem);
    if (name.empty() || b.empty())
      return json{{"hex", host::hex_encode(ByteSpan(b.data(), b.size()))}};
    files.emplace_back(name, pem ? host::pem_encode("CERTIFICATE", ByteSpan(b.data(), b.size()))
                                 : std::string(b.begin(), b.end()));
    return json{{"file", name}, {"format", pem ? "pem" : "raw"}};
  }
  if (j.is_object()) {
    json o = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      path.push_back(it.key());
      o[it.key()] = to_manifest(it.value(), path, files);
      path.pop_back();
    }
    return o;
  }
  if (j.is_array()) {
    json a = json::array();
    for (size_t i = 0; i < j.size(); i++) {
      path.push_back(std::to_string(i));
      a.push_back(to_manifest(j[i], path, files));
      path.pop_back();
    }
    return a;
  }
  return j;
}

bool plain_name(const std::string& n) {
  if (n.empty() || n.size() > 64 || n[0] == '.') return false;
  for (char c : n)
    if ((std::isalnum(static_cast<unsigned char>(c)) == 0) && c != '.' && c != '-' && c != '_')
      return false;
  return true;
}

// Manifest tree -> bundle json with binary nodes (files read from dir).
HostResult<json> from_manifest(const json& j, const std::string& dir, const std::string& where) {
  if (j.is_object() && j.size() == 1 && j.contains("hex")) {
    if (!j["hex"].is_string()) return {HostError::kParse, where + ": hex is not a string"};
    auto b = host::hex_decode(j["hex"].get<std::string>());
    if (!b.ok()) return {HostError::kParse, where + ": bad hex"};
    return json::binary(std::vector<uint8_t>(b.value().begin(), b.value().end()));
  }
  if (j.is_object() && j.size() == 2 && j.contains("file") && j.contains("format")) {
    if (!j["file"].is_string() || !plain_name(j["file"].get<std::string>()))
      return {HostError::kParse,
              where + ": file must be a plain file name in the bundle directory"};
    std::string path = dir + "/" + j["file"].get<std::string>();
    auto data = host::read_file(path, kMaxFile);
    if (!data.ok()) return {HostError::kIo, where + ": " + data.message()};
    Bytes bytes = data.value();
    if (j["format"] == "pem") {
      auto der = host::pem_decode("CERTIFICATE", std::string(bytes.begin(), bytes.end()));
      if (!der.ok()) return {HostError::kParse, path + ": " + der.message()};
      bytes = der.value();
    } else if (j["format"] != "raw") {
      return {HostError::kParse, where + ": format must be \"raw\" or \"pem\""};
    }
    return json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  }
  if (j.is_object()) {
    json o = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      auto v = from_manifest(it.value(), dir, where + "." + it.key());
      if (!v.ok()) return v.error();
      o[it.key()] = v.take();
    }
    return o;
  }
  if (j.is_array()) {
    json a = json::array();
    for (size_t i = 0; i < j.size(); i++) {
      auto v = from_manifest(j[i], dir, where + "[" + std::to_string(i) + "]");
      if (!v.ok()) return v.error();
      a.push_back(v.take());
    }
    return a;
  }
  return j;
}

std::vector<Check> checks_of(const json& decision) {
  std::vector<Check> out;
  if (!decision.is_object() || !decision.contains("checks") || !decision["checks"].is_array())
    return out;
  for (const auto& c : decision["checks"]) {
    if (!c.is_object()) continue;
    Check k;
    k.name = c.value("name", "");
    k.pass = c.value("pass", false);
    k.reason = c.value("reason", "");
    out.push_back(k);
  }
  return out;
}

// The recorded claims as this version would write them: decisions stored before the location
// verdict dropped its region outline carry claims.location.region_outline, drawing data
// derived from the discs (location.h); only that key is removed, so every other difference
// (discs, reasons, centroid, ...) still counts.
json comparable_claims(const json& decision) {
  json c = decision.value("claims", json::object());
  if (c.is_object()) {
    auto loc = c.find("location");
    if (loc != c.end() && loc->is_object()) loc->erase("region_outline");
  }
  return c;
}

std::string describe(const Check& c) {
  return std::string(c.pass ? "pass" : "FAIL") + " (" + c.reason + ")";
}

}  // namespace

HStatus write_bundle_dir(const std::string& dir, int64_t decision_id, ByteSpan bundle_cbor,
                         const json& decision, bool force) {
  json b = parse_cbor(bundle_cbor);
  if (b.is_discarded() || !b.is_object())
    return {HostError::kParse,
            "decision " + std::to_string(decision_id) + ": stored evidence bundle is not CBOR"};
  if (::mkdir(dir.c_str(), 0755) != 0 && !(errno == EEXIST && force))
    return {HostError::kIo, dir + ": " + std::strerror(errno)};
  std::vector<std::string> path;
  std::vector<std::pair<std::string, std::string>> files;
  json tree = to_manifest(b, path, files);
  for (const auto& [name, data] : files) {
    HStatus s = host::write_file(
        dir + "/" + name, ByteSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
        0644, force);
    if (!s.ok()) return s;
  }
  json extras = json::object();
  // Convenience for tools that do not parse COSE headers: the Alias certificate of the
  // evidence's x5chain, as PEM (reverify does not read it: it uses the evidence itself).
  if (b.contains("evidence") && b["evidence"].is_binary()) {
    const auto& e = b["evidence"].get_binary();
    cose::Sign1View v;
    if (cose::sign1_decode(ByteSpan(e.data(), e.size()), &v, true).ok() && v.x5chain_len >= 1) {
      HStatus s = host::write_text_file(dir + "/alias-cert.pem",
                                        host::pem_encode("CERTIFICATE", v.x5chain[0]), 0644, force);
      if (!s.ok()) return s;
      extras["alias_cert"] = "alias-cert.pem";
    }
  }
  json manifest = {{"format", kExportFormat},
                   {"decision_id", decision_id},
                   {"decision", decision},
                   {"bundle", tree},
                   {"extras", extras}};
  return host::write_text_file(dir + "/manifest.json", manifest.dump(2) + "\n", 0644, force);
}

HStatus for_each_decision(registry::Registry& reg, int64_t only_id, const DecisionSink& sink) {
  return registry::for_each_decision(
      reg, only_id != 0 ? only_id - 1 : 0,
      [&](const registry::Decision& d) -> host::HostResult<registry::Visit> {
        if (only_id != 0 && d.id != only_id) return registry::Visit::kStop;
        StoredDecision s;
        s.id = d.id;
        s.decision = locus::host::parse_json(d.decision_json);
        auto b = reg.get_evidence_bundle(d.id);
        if (b.ok()) {
          auto eb = decode_bundle(b.value());
          if (eb.ok()) {
            s.has_bundle = true;
            s.bundle = eb.take();
          } else {
            s.load_error = eb.message();
          }
        } else if (b.code() != HostError::kNotFound) {
          return b.error();
        }
        HStatus st = sink(std::move(s));
        if (!st.ok()) return st.error();
        return only_id != 0 ? registry::Visit::kStop : registry::Visit::kNext;
      },
      only_id != 0 ? 1 : registry::kDecisionPage);
}

HStatus for_each_exported(const std::string& dir, int64_t only_id, const DecisionSink& sink) {
  const std::string bdir = dir + "/bundles";
  DIR* d = ::opendir(bdir.c_str());
  if (d == nullptr)
    return {HostError::kIo, bdir + ": " + std::strerror(errno) +
                                " (not an export written by `locus provision export`?)"};
  std::vector<int64_t> ids;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (n.empty() || n.size() > 18 || !std::all_of(n.begin(), n.end(), ::isdigit)) {
      ::closedir(d);
      return {HostError::kParse, bdir + "/" + n + ": not a decision id directory"};
    }
    ids.push_back(std::stoll(n));
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  // One manifest at a time into a StoredDecision (a load error is the decision's, not the run's).
  auto load = [&](int64_t id) {
    const std::string sub = bdir + "/" + std::to_string(id);
    StoredDecision s;
    s.id = id;
    auto text = host::read_text_file(sub + "/manifest.json", kMaxManifest);
    if (!text.ok()) {
      s.load_error = text.message();
      return s;
    }
    json m = locus::host::parse_json(text.value());
    if (m.is_discarded() || !m.is_object() || m.value("format", "") != kExportFormat ||
        !m.contains("bundle") || !m.contains("decision") || !m.contains("decision_id") ||
        !m["decision_id"].is_number_integer() || m["decision_id"].get<int64_t>() != id) {
      s.load_error = sub + "/manifest.json: not a " + std::string(kExportFormat) +
                     " manifest for decision " + std::to_string(id);
      return s;
    }
    s.decision = m["decision"];
    auto tree = from_manifest(m["bundle"], sub, "bundle");
    if (!tree.ok()) {
      s.load_error = tree.message();
      return s;
    }
    std::vector<uint8_t> cbor = json::to_cbor(tree.value());
    auto eb = decode_bundle(ByteSpan(cbor.data(), cbor.size()));
    if (!eb.ok()) {
      s.load_error = sub + ": " + eb.message();
    } else {
      s.has_bundle = true;
      s.bundle = eb.take();
    }
    return s;
  };
  for (int64_t id : ids) {
    if (only_id != 0 && id != only_id) continue;
    HStatus st = sink(load(id));
    if (!st.ok()) return st;
  }
  return HStatus::Ok();
}

ReverifyItem reverify_decision(const Verifier& v, const StoredDecision& d) {
  ReverifyItem it;
  it.decision_id = d.id;
  it.outcome = "different";
  if (!d.decision.is_object()) {
    it.difference = "the recorded decision is not a JSON object";
    return it;
  }
  it.recorded_status = d.decision.value("status", "");
  std::vector<Check> recorded = checks_of(d.decision);
  if (!d.load_error.empty()) {
    it.difference = "evidence bundle unreadable: " + d.load_error;
    return it;
  }
  if (!d.has_bundle) {
    // Decisions about unregistered UEIDs keep nothing the sender sent (by design).
    for (const auto& c : recorded)
      if (c.name == "device" && !c.pass && c.reason == "unknown device" &&
          it.recorded_status == "contraindicated") {
        it.outcome = "skipped";
        it.difference = "";
        it.reason = "unknown device: no evidence is kept for unregistered UEIDs";
        return it;
      }
    it.difference = "evidence bundle missing";
    return it;
  }
  const EvidenceBundle& b = d.bundle;
  if (b.decision_id != d.id) {
    it.difference = "the bundle belongs to decision " + std::to_string(b.decision_id);
    return it;
  }
  if (d.decision.value("ueid", "") != host::hex_encode(b.ueid)) {
    it.difference = "the bundle's UEID differs from the decision's";
    return it;
  }
  AttestResult r = v.reappraise(b, recorded);
  it.reappraised_status = r.decision.value("status", "");
  it.reason = r.affirming ? "" : r.first_failure();
  std::vector<std::string> diffs;
  if (b.policy_sha256 != v.policy().sha256_hex)
    diffs.push_back("policy: the decision was made under policy sha256 " + b.policy_sha256 +
                    ", the policy given has sha256 " + v.policy().sha256_hex);
  if (b.trust_list_version != v.trust_list_version())
    diffs.push_back("trust list: the decision used version " +
                    std::to_string(b.trust_list_version) + ", the trust list given is version " +
                    std::to_string(v.trust_list_version()));
  if (it.recorded_status != it.reappraised_status)
    diffs.push_back("status: recorded " + it.recorded_status + ", re-appraised " +
                    it.reappraised_status);
  size_t n = std::min(recorded.size(), r.checks.size());
  bool found = false;
  for (size_t i = 0; i < n && !found; i++) {
    const Check& a = recorded[i];
    const Check& c = r.checks[i];
    if (a.name != c.name) {
      diffs.push_back("check " + std::to_string(i + 1) + ": recorded '" + a.name + "' " +
                      describe(a) + ", re-appraised '" + c.name + "' " + describe(c));
      found = true;
    } else if (a.pass != c.pass || a.reason != c.reason) {
      diffs.push_back("check '" + a.name + "': recorded " + describe(a) + ", re-appraised " +
                      describe(c));
      found = true;
    }
  }
  if (!found && recorded.size() != r.checks.size()) {
    const Check& extra = recorded.size() > n ? recorded[n] : r.checks[n];
    diffs.push_back(std::string(recorded.size() > n ? "recorded" : "re-appraised") +
                    " has an extra check '" + extra.name + "' " + describe(extra));
    found = true;
  }
  if (!found && comparable_claims(d.decision) != r.decision["claims"])
    diffs.push_back("claims: the recorded claims differ from the re-appraised ones");
  if (diffs.empty()) {
    it.outcome = "same";
    return it;
  }
  for (const auto& s : diffs) it.difference += (it.difference.empty() ? "" : "; ") + s;
  return it;
}

}  // namespace locus::verifier
