// TPMS_ATTEST / TPMT_SIGNATURE parsing and the quote's binding values.
#include "locus/tpm/quote.h"

#include <algorithm>
#include <cstdlib>

#include "locus/crypto/hash.h"
#include "locus/tpm/reader.h"

namespace locus::tpm {

namespace {
constexpr size_t kMaxName = 2 + 64;      // sizeof(TPMU_NAME): nameAlg + largest digest
constexpr size_t kMaxData = 2 + 64;      // sizeof(TPMT_HA)
constexpr size_t kMaxDigest = 64;        // sizeof(TPMU_HA)
constexpr uint32_t kMaxHashCount = 16;   // HASH_COUNT bound, generous
constexpr uint8_t kMaxSizeofSelect = 4;  // PCR_SELECT_MAX for 32 PCRs
constexpr size_t kMaxEccParam = 66;      // MAX_ECC_KEY_BYTES for P-521
}  // namespace

Result<ParsedAttest> parse_attest(ByteSpan attest) {
  if (attest.data == nullptr || attest.size == 0) return TpmError::kMalformed;
  detail::Reader r(attest);
  ParsedAttest p;
  p.magic = r.u32();
  p.type = r.u16();
  if (!r.ok()) return TpmError::kMalformed;
  if (p.magic != kTpmGeneratedValue) return TpmError::kBadMagic;
  if (p.type != kTpmStAttestQuote) return TpmError::kBadType;
  r.tpm2b(kMaxName, &p.qualified_signer);
  r.tpm2b(kMaxData, &p.extra_data);
  p.clock_info.clock = r.u64();
  p.clock_info.reset_count = r.u32();
  p.clock_info.restart_count = r.u32();
  uint8_t safe = r.u8();
  if (r.ok() && safe > 1) return TpmError::kMalformed;  // TPMI_YES_NO
  p.clock_info.safe = safe == 1;
  p.firmware_version = r.u64();
  uint32_t count = r.u32();
  if (!r.ok() || count > kMaxHashCount) return TpmError::kMalformed;
  for (uint32_t i = 0; i < count; ++i) {
    PcrSelection sel;
    sel.hash_alg = r.u16();
    uint8_t sz = r.u8();
    if (!r.ok() || sz > kMaxSizeofSelect) return TpmError::kMalformed;
    for (uint8_t b = 0; b < sz; ++b) {
      uint8_t bits = r.u8();
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if ((bits & (1u << bit)) != 0) sel.pcrs.push_back(static_cast<uint32_t>(b) * 8 + bit);
      }
    }
    if (!r.ok()) return TpmError::kMalformed;
    p.pcr_select.push_back(std::move(sel));
  }
  r.tpm2b(kMaxDigest, &p.pcr_digest);
  if (!r.at_end()) return TpmError::kMalformed;  // truncated or trailing bytes
  return p;
}

Result<std::array<uint8_t, 64>> parse_ecdsa_signature(ByteSpan sig) {
  detail::Reader r(sig);
  uint16_t alg = r.u16();
  uint16_t hash = r.u16();
  if (!r.ok()) return TpmError::kMalformed;
  if (alg != kTpmAlgEcdsa || hash != kTpmAlgSha256) return TpmError::kUnsupportedAlg;
  std::vector<uint8_t> rr, ss;
  r.tpm2b(kMaxEccParam, &rr);
  r.tpm2b(kMaxEccParam, &ss);
  if (!r.at_end()) return TpmError::kMalformed;
  std::array<uint8_t, 64> out{};
  auto place = [](const std::vector<uint8_t>& v, uint8_t* dst) -> bool {
    size_t start = 0;  // strip leading zeros beyond 32 bytes
    while (v.size() - start > 32 && v[start] == 0) ++start;
    size_t n = v.size() - start;
    if (n > 32 || n == 0) return false;
    std::copy(v.begin() + static_cast<long>(start), v.end(), dst + (32 - n));
    return true;
  };
  if (!place(rr, out.data()) || !place(ss, out.data() + 32)) return TpmError::kMalformed;
  return out;
}

// Through locus::crypto (OpenSSL on the host, like every other host digest).
Result<Sha256Digest> quote_extra_data(ByteSpan verifier_nonce, ByteSpan evidence_bytes) {
  crypto::Digest ev{};
  Sha256Digest out{};
  if (!crypto::sha256(evidence_bytes, &ev).ok()) return TpmError::kCrypto;
  std::vector<uint8_t> m(verifier_nonce.begin(), verifier_nonce.end());
  m.insert(m.end(), ev.begin(), ev.end());
  if (!crypto::sha256(ByteSpan(m), &out).ok()) return TpmError::kCrypto;
  return out;
}

Result<Sha256Digest> pcr_composite_digest(const std::vector<PcrValue>& values) {
  std::vector<uint8_t> m;
  for (const auto& v : values) m.insert(m.end(), v.value.begin(), v.value.end());
  Sha256Digest out{};
  if (!crypto::sha256(ByteSpan(m), &out).ok()) return TpmError::kCrypto;
  return out;
}

Result<std::vector<uint32_t>> parse_pcr_list(const std::string& text) {
  std::vector<uint32_t> out;
  size_t i = 0;
  if (text.empty() || text.size() > 256) return TpmError::kBadPcrSelection;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string::npos) j = text.size();
    std::string item = text.substr(i, j - i);
    if (item.empty() || item.size() > 2 ||
        !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return TpmError::kBadPcrSelection;
    }
    uint32_t v = static_cast<uint32_t>(std::strtoul(item.c_str(), nullptr, 10));
    if (v > kMaxPcrIndex) return TpmError::kBadPcrSelection;
    out.push_back(v);
    i = j + 1;
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) return TpmError::kBadPcrSelection;
  return out;
}

}  // namespace locus::tpm
