// TPM host records over the device registry (see registry.h).
#include "locus/tpm/enroll.h"
#include "locus/tpm/quote.h"
#include "locus/tpm/registry.h"

namespace locus::tpm {

namespace {

std::string pcr_text(const std::vector<uint32_t>& pcrs) {
  std::string t;
  for (size_t i = 0; i < pcrs.size(); ++i) t += (i != 0 ? "," : "") + std::to_string(pcrs[i]);
  return t;
}

// The registry's error, mapped to the TPM module's codes in one place.
Status map_error(Status e) {
  switch (host::host_error_of(e)) {
    case host::HostError::kNotFound: return TpmError::kNotFound;
    case host::HostError::kUsage: return TpmError::kInvalidArgument;
    default: return TpmError::kDb;
  }
}

}  // namespace

TpmRegistry::TpmRegistry() = default;
TpmRegistry::~TpmRegistry() = default;

Status TpmRegistry::open(const std::string& db_path) {
  if (reg_ != nullptr) return TpmError::kInvalidArgument;
  auto r = registry::open(db_path);
  if (!r.ok()) return TpmError::kDb;
  owned_ = r.take();
  reg_ = owned_.get();
  return Status::Ok();
}

Status TpmRegistry::attach(registry::Registry* reg) {
  if (reg_ != nullptr || reg == nullptr) return TpmError::kInvalidArgument;
  reg_ = reg;
  return Status::Ok();
}

Status TpmRegistry::put_host(const HostRecord& r) {
  if (reg_ == nullptr) return TpmError::kNotOpen;
  if (r.host.empty() || r.golden.size() != r.pcrs.size() || r.ak_name.empty())
    return TpmError::kInvalidArgument;
  registry::TpmHostRow row;
  for (size_t i = 0; i < r.golden.size(); ++i) {
    if (r.golden[i].index != r.pcrs[i]) return TpmError::kInvalidArgument;
    row.golden.insert(row.golden.end(), r.golden[i].value.begin(), r.golden[i].value.end());
  }
  row.host = r.host;
  row.ek_public = r.ek_public;
  row.ek_cert = r.ek_cert;
  row.ak_public = r.ak_public;
  row.ak_name = r.ak_name;
  row.qualified_signer = r.qualified_signer;
  row.pcrs = pcr_text(r.pcrs);
  row.have_last = r.have_last;
  row.last_clock = static_cast<int64_t>(r.last.clock);
  row.last_reset = r.last.reset_count;
  row.last_restart = r.last.restart_count;
  host::HStatus s = reg_->put_tpm_host(row);
  return s.ok() ? Status::Ok() : map_error(s.code());
}

Result<HostRecord> TpmRegistry::get_host(const std::string& host) {
  if (reg_ == nullptr) return TpmError::kNotOpen;
  auto row = reg_->get_tpm_host(host);
  if (!row.ok()) return map_error(row.code());
  const registry::TpmHostRow& w = row.value();
  HostRecord r;
  r.host = host;
  r.ek_public = w.ek_public;
  r.ek_cert = w.ek_cert;
  r.ak_public = w.ak_public;
  r.ak_name = w.ak_name;
  r.qualified_signer = w.qualified_signer;
  auto list = parse_pcr_list(w.pcrs);
  if (!list.ok()) return TpmError::kDb;
  r.pcrs = *list;
  if (w.golden.size() != 32 * r.pcrs.size()) return TpmError::kDb;
  for (size_t i = 0; i < r.pcrs.size(); ++i) {
    PcrValue v;
    v.index = r.pcrs[i];
    std::copy(w.golden.begin() + static_cast<long>(32 * i),
              w.golden.begin() + static_cast<long>(32 * i + 32), v.value.begin());
    r.golden.push_back(v);
  }
  r.have_last = w.have_last;
  r.last.clock = static_cast<uint64_t>(w.last_clock);
  r.last.reset_count = static_cast<uint32_t>(w.last_reset);
  r.last.restart_count = static_cast<uint32_t>(w.last_restart);
  r.last.safe = true;
  // The AK point is derived from the stored public area, never stored twice.
  auto key = check_ak_public(ByteSpan(r.ak_public.data(), r.ak_public.size()),
                             ByteSpan(r.ak_name.data(), r.ak_name.size()));
  if (!key.ok()) return TpmError::kDb;
  r.ak_key = *key;
  return r;
}

Result<std::string> TpmRegistry::host_by_ak_name(ByteSpan ak_name) {
  if (reg_ == nullptr) return TpmError::kNotOpen;
  auto h = reg_->tpm_host_by_ak_name(ak_name);
  if (!h.ok()) return map_error(h.code());
  return h.value();
}

Status TpmRegistry::bind_board(const std::string& ueid_hex, const std::string& host) {
  if (reg_ == nullptr) return TpmError::kNotOpen;
  if (ueid_hex.empty() || host.empty()) return TpmError::kInvalidArgument;
  host::HStatus s = reg_->bind_board_host(ueid_hex, host);
  return s.ok() ? Status::Ok() : map_error(s.code());
}

Result<std::string> TpmRegistry::board_host(const std::string& ueid_hex) {
  if (reg_ == nullptr) return TpmError::kNotOpen;
  auto h = reg_->board_host(ueid_hex);
  if (!h.ok()) return map_error(h.code());
  return h.value();
}

Status TpmRegistry::record_accepted(const std::string& host, const ClockInfo& ci) {
  if (reg_ == nullptr) return TpmError::kNotOpen;
  auto r = reg_->record_tpm_quote(host, static_cast<int64_t>(ci.clock), ci.reset_count,
                                  ci.restart_count);
  if (!r.ok()) return map_error(r.code());
  return r.value() ? Status::Ok() : Status(TpmError::kStaleQuote);
}

}  // namespace locus::tpm
