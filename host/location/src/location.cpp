// The location verdict: discs -> feasible region -> zone / forbidden checks, with f-subsets.
#include "locus/location/location.h"

#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

namespace locus::location {
namespace {

std::string fmt_disc(const DiscInfo& d) {
  char b[256];
  (void)std::snprintf(b, sizeof b, "landmark %s: rtt_min %.3f ms -> radius %.1f km",
                      d.landmark_id.c_str(), double(d.rtt_min_ns) / 1e6, d.radius_km);
  return b;
}

uint64_t binom(uint64_t n, uint64_t k) {
  if (k > n) return 0;
  uint64_t r = 1;
  for (uint64_t i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

// Checks one disc set's feasible region against the policy; appends reasons; true if it
// passes.
bool check_set(const Region& f, const LocationPolicy& p, const std::string& label,
               std::vector<std::string>* reasons) {
  if (f.empty()) {
    reasons->push_back(label + "feasible region is empty: the landmark discs do not overlap");
    return false;
  }
  if (f.unbounded()) {
    reasons->push_back(label +
                       "no landmark disc constrains the device (all radii near 10000 km or more)");
    return false;
  }
  bool inside_any = false;
  std::string why_not;
  for (const auto& z : p.zones) {
    auto c = f.inside(z);
    if (c.ok) {
      inside_any = true;
      break;
    }
    if (!why_not.empty()) why_not += "; ";
    why_not += c.detail;
  }
  bool ok = true;
  if (!inside_any) {
    reasons->push_back(label +
                       (p.zones.empty() ? std::string("policy has no approved zone") : why_not));
    ok = false;
  }
  for (const auto& z : p.forbidden) {
    auto c = f.disjoint(z);
    if (!c.ok) {
      reasons->push_back(label + c.detail);
      ok = false;
    }
  }
  return ok;
}

std::vector<Disc> to_discs(const std::vector<DiscInfo>& in) {
  std::vector<Disc> discs;
  discs.reserve(in.size());
  for (const auto& d : in) discs.push_back({d.landmark_id, d.center, d.radius_km});
  return discs;
}

// evaluate() builds no region beyond this many discs (the region costs O(n^3) and an
// --decision file is input).
constexpr size_t kMaxDiscs = 16;

}  // namespace

std::vector<GeoPoint> region_outline(const std::vector<DiscInfo>& in) {
  if (in.size() > kMaxDiscs) return {};
  const Region all(to_discs(in));
  if (all.empty() || all.unbounded()) return {};
  return all.outline();
}

LocationVerdict evaluate(const std::vector<DiscInfo>& in, const LocationPolicy& p) {
  LocationVerdict v;
  v.discs = in;
  for (const auto& d : in) v.reasons.push_back(fmt_disc(d));
  const std::vector<Disc> discs = to_discs(in);
  if (discs.size() > kMaxDiscs) {
    // Checked before any geometry: the region costs O(n^3) (an --decision file is input).
    v.region_empty = true;
    v.reasons.push_back("refused: too many landmark discs (n=" + std::to_string(discs.size()) +
                        ", at most 16)");
    return v;
  }
  Region all(discs);
  v.region_empty = all.empty();
  // No outline here: it is drawing data (region_outline()), not part of the decision.
  if (!all.empty() && !all.unbounded()) {
    v.region_bounded = true;
    v.region_centroid = all.centroid();
  }
  const size_t n = discs.size();
  if (n == 0) {
    v.reasons.push_back("refused: no valid landmark record");
    return v;
  }
  if (p.f < 0 || size_t(p.f) >= n) {
    v.reasons.push_back("refused: policy f=" + std::to_string(p.f) + " needs at least " +
                        std::to_string(p.f + 1) + " valid landmark records, got " +
                        std::to_string(n));
    return v;
  }
  if (n > kMaxDiscs || binom(n, size_t(p.f)) > 20000) {
    v.reasons.push_back("refused: too many landmark subsets to check (n=" + std::to_string(n) +
                        ")");
    return v;
  }
  if (all.empty()) {
    v.reasons.push_back(
        "refused as inconsistent: the intersection of all landmark discs is empty "
        "(a landmark lied or failed)");
    return v;
  }
  // Every subset of size n - f: walk the index combinations of the f discs left out.
  const size_t k = n - size_t(p.f);
  bool all_ok = true;
  std::vector<size_t> out_idx(size_t(p.f));
  for (size_t i = 0; i < out_idx.size(); ++i) out_idx[i] = i;
  for (size_t guard = 0; guard < 20001; ++guard) {
    std::vector<Disc> sub;
    std::string label;
    std::vector<bool> left_out(n, false);
    for (size_t i : out_idx) left_out[i] = true;
    for (size_t i = 0; i < n; ++i) {
      if (!left_out[i]) sub.push_back(discs[i]);
    }
    if (p.f > 0) {
      label = "without";
      for (size_t i : out_idx) label += " " + discs[i].name;
      label += ": ";
    }
    (void)k;
    // f = 0: the one subset is every disc, whose region is `all` (a Region depends only on
    // its discs): not computed twice.
    std::optional<Region> own;
    const Region& region = sub.size() == discs.size() ? all : own.emplace(sub);
    if (!check_set(region, p, label, &v.reasons)) all_ok = false;
    // next combination
    if (out_idx.empty()) break;
    size_t pos = out_idx.size();
    while (pos > 0 && out_idx[pos - 1] == n - out_idx.size() + pos - 1) --pos;
    if (pos == 0) break;
    ++out_idx[pos - 1];
    for (size_t j = pos; j < out_idx.size(); ++j) out_idx[j] = out_idx[j - 1] + 1;
  }
  if (!all_ok) {
    v.reasons.push_back("refused: the feasible region is not entirely inside the approved zone");
    return v;
  }
  v.reasons.push_back(
      "approved: feasible region lies inside the approved zone" +
      std::string(p.f > 0 ? " for every subset of " + std::to_string(k) + " landmarks" : "") +
      " and touches no forbidden region");
  v.approved = true;
  return v;
}

LocationVerdict appraise_location(const std::vector<RecordPair>& records, const TrustList& trust,
                                  const LocationPolicy& policy, ByteSpan verifier_nonce,
                                  ByteSpan ueid, const crypto::P256PublicKey& alias_pub) {
  std::vector<DiscInfo> discs;
  std::vector<std::string> bad;
  std::vector<std::string> seen;
  for (const auto& pair : records) {
    LandmarkRecord rec;
    size_t idx = 0;
    const host::HStatus s =
        verify_record_pair(pair, trust, verifier_nonce, ueid, alias_pub, &rec, &idx);
    if (!s.ok()) {
      bad.push_back("landmark record rejected: " + s.message());
      continue;
    }
    bool dup = false;
    for (const auto& id : seen) dup = dup || id == rec.landmark_id;
    if (dup) {
      bad.push_back("landmark " + rec.landmark_id +
                    ": more than one record; all but the first ignored");
      continue;
    }
    seen.push_back(rec.landmark_id);
    const LandmarkEntry& e = trust.landmarks[idx];
    DiscInfo d;
    d.landmark_id = e.id;
    d.center = {e.lat_deg, e.lon_deg};
    d.rtt_min_ns = rec.rtt_min_ns;
    d.radius_km = inflate(rtt_to_km(double(rec.rtt_min_ns)), policy.margin());
    discs.push_back(d);
  }
  LocationVerdict v = evaluate(discs, policy);
  v.reasons.insert(v.reasons.begin(), bad.begin(), bad.end());
  std::vector<std::string> missing;
  for (const auto& req : policy.required_landmarks) {
    bool have = false;
    for (const auto& id : seen) have = have || id == req;
    if (!have) missing.push_back(req);
  }
  if (!missing.empty()) {
    std::string m;
    for (const auto& x : missing) m += (m.empty() ? "" : ", ") + x;
    v.reasons.push_back("refused: no valid record from required landmark(s) " + m);
    v.approved = false;
  }
  return v;
}

nlohmann::json LocationVerdict::to_json() const {
  // Built in place (arrays reserved, values moved in). No region_outline: see location.h.
  using json = nlohmann::json;
  json j;
  j["approved"] = approved;
  j["reasons"] = reasons;
  j["region_empty"] = region_empty;
  json ds = json::array();
  auto& dv = ds.get_ref<json::array_t&>();
  dv.reserve(discs.size());
  for (const auto& d : discs) {
    json e = json::object();
    e["landmark"] = d.landmark_id;
    e["lat"] = d.center.lat_deg;
    e["lon"] = d.center.lon_deg;
    e["rtt_min_ns"] = d.rtt_min_ns;
    e["radius_km"] = d.radius_km;
    dv.push_back(std::move(e));
  }
  j["discs"] = std::move(ds);
  if (region_bounded) {
    json c = json::object();
    c["lat"] = region_centroid.lat_deg;
    c["lon"] = region_centroid.lon_deg;
    j["region_centroid"] = std::move(c);
  }
  return j;
}

host::HostResult<std::vector<DiscInfo>> discs_from_json(const nlohmann::json& verdict) {
  using host::HostError;
  constexpr size_t kMaxStoredDiscs = 64;  // a verdict holds one per landmark record (<= 32)
  if (!verdict.is_object() || !verdict.contains("discs") || !verdict["discs"].is_array())
    return {HostError::kParse, "location verdict has no \"discs\" array"};
  const nlohmann::json& arr = verdict["discs"];
  if (arr.size() > kMaxStoredDiscs)
    return {HostError::kParse, "location verdict has more than 64 discs"};
  std::vector<DiscInfo> out;
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); i++) {
    const nlohmann::json& x = arr[i];
    const std::string at = "disc " + std::to_string(i);
    if (!x.is_object()) return {HostError::kParse, at + " is not an object"};
    DiscInfo d;
    for (const auto& [key, dst] : {std::pair<const char*, double*>{"lat", &d.center.lat_deg},
                                   {"lon", &d.center.lon_deg},
                                   {"radius_km", &d.radius_km}}) {
      if (!x.contains(key) || !x[key].is_number() || !std::isfinite(x[key].get<double>()))
        return {HostError::kParse, at + ": \"" + key + "\" is missing or not a finite number"};
      *dst = x[key].get<double>();
    }
    if (x.contains("landmark")) {
      if (!x["landmark"].is_string())
        return {HostError::kParse, at + ": \"landmark\" is not a string"};
      d.landmark_id = x["landmark"].get<std::string>();
    } else {
      d.landmark_id = "?";
    }
    if (x.contains("rtt_min_ns")) {
      const nlohmann::json& r = x["rtt_min_ns"];
      if (!r.is_number_unsigned() && !(r.is_number_integer() && r.get<int64_t>() >= 0))
        return {HostError::kParse, at + ": \"rtt_min_ns\" is not an unsigned integer"};
      d.rtt_min_ns = x["rtt_min_ns"].get<uint64_t>();
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace locus::location
