#include "locus/tpm/quote_json.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "locus/common/common.h"
#include "locus/common/json_read.h"

namespace locus::tpm {

namespace {

constexpr size_t kMaxAttest = 1024;
constexpr size_t kMaxSignature = 512;
constexpr size_t kMaxName = 66;

std::string b64(const std::vector<uint8_t>& v) {
  return host::b64_encode(ByteSpan(v));
}

bool unb64(const std::string& s, size_t max, std::vector<uint8_t>* out) {
  if (s.empty() || s.size() > 4 * ((max + 2) / 3) || s.size() % 4 != 0) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/' || c == '='))
      return false;
  }
  // The host's one base64 decoder (canonical: the unused bits of the last group must be 0).
  auto d = host::b64_decode(s);
  if (!d.ok() || d.value().empty() || d.value().size() > max) return false;
  *out = d.take();
  return true;
}

std::string hex(const uint8_t* p, size_t n) {
  return host::hex_encode(ByteSpan(p, n));
}

bool unhex(const std::string& s, size_t max, std::vector<uint8_t>* out) {
  if (s.empty() || s.size() % 2 != 0 || s.size() / 2 > max) return false;
  auto r = host::hex_decode(s);
  if (!r.ok()) return false;
  *out = r.take();
  return true;
}

}  // namespace

std::string quote_to_json(const QuoteBundle& q) {
  nlohmann::json pcrs = nlohmann::json::object();
  for (const auto& p : q.pcrs) pcrs[std::to_string(p.index)] = hex(p.value.data(), p.value.size());
  nlohmann::json j = {{"quote", b64(q.attest)},
                      {"signature", b64(q.signature)},
                      {"pcrs", {{"sha256", pcrs}}},
                      {"ak_name", hex(q.ak_name.data(), q.ak_name.size())}};
  return j.dump();
}

Result<QuoteBundle> quote_from_json(const std::string& text) {
  if (text.size() > 16384) return TpmError::kMalformed;
  nlohmann::json j;
  if (!host::read_json(text, &j)) return TpmError::kMalformed;
  return quote_from_json_value(j);
}

Result<QuoteBundle> quote_from_json_value(const nlohmann::json& j) {
  if (!j.is_object() || j.size() != 4) return TpmError::kMalformed;
  for (const char* k : {"quote", "signature", "ak_name"}) {
    if (!j.contains(k) || !j[k].is_string()) return TpmError::kMalformed;
  }
  if (!j.contains("pcrs") || !j["pcrs"].is_object() || j["pcrs"].size() != 1 ||
      !j["pcrs"].contains("sha256") || !j["pcrs"]["sha256"].is_object()) {
    return TpmError::kMalformed;
  }
  QuoteBundle q;
  if (!unb64(j["quote"].get<std::string>(), kMaxAttest, &q.attest) ||
      !unb64(j["signature"].get<std::string>(), kMaxSignature, &q.signature) ||
      !unhex(j["ak_name"].get<std::string>(), kMaxName, &q.ak_name)) {
    return TpmError::kMalformed;
  }
  const auto& bank = j["pcrs"]["sha256"];
  if (bank.size() > kMaxPcrIndex + 1) return TpmError::kMalformed;
  for (auto it = bank.begin(); it != bank.end(); ++it) {
    const std::string& key = it.key();
    if (key.empty() || key.size() > 2 || (key.size() == 2 && key[0] == '0') ||
        !std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        !it.value().is_string()) {
      return TpmError::kMalformed;
    }
    PcrValue v;
    v.index = static_cast<uint32_t>(std::stoul(key));
    std::vector<uint8_t> val;
    if (v.index > kMaxPcrIndex || !unhex(it.value().get<std::string>(), 32, &val) ||
        val.size() != 32) {
      return TpmError::kMalformed;
    }
    std::copy(val.begin(), val.end(), v.value.begin());
    q.pcrs.push_back(v);
  }
  std::sort(q.pcrs.begin(), q.pcrs.end(),
            [](const PcrValue& a, const PcrValue& b) { return a.index < b.index; });
  return q;
}

}  // namespace locus::tpm
