// Fuzz target trustlist_json: the landmark trust list JSON (the payload of the signed trust
// list), through location::parse_trust_list_json. Invariants: accepted lists have unique
// ids, latitudes in [-90, 90] and longitudes in [-180, 180]; trust_list_to_json of it
// parses back to the same list (ids, positions, keys, operators, addresses).
#include <string>

#include "fuzz_targets.h"
#include "locus/location/trustlist.h"

using namespace locus;

namespace {
bool same(const location::TrustList& a, const location::TrustList& b) {
  if (a.landmarks.size() != b.landmarks.size()) return false;
  for (size_t i = 0; i < a.landmarks.size(); ++i) {
    const auto &x = a.landmarks[i], &y = b.landmarks[i];
    if (x.id != y.id || x.lat_deg != y.lat_deg || x.lon_deg != y.lon_deg || x.key.q != y.key.q ||
        x.operator_name != y.operator_name || x.host != y.host || x.tcp_port != y.tcp_port ||
        x.udp_port != y.udp_port)
      return false;
  }
  return true;
}
}  // namespace

extern "C" int locus_fuzz_trustlist_json(const uint8_t* data, size_t size) {
  location::TrustList t;
  if (!location::parse_trust_list_json(std::string(reinterpret_cast<const char*>(data), size), &t)
           .ok())
    return 0;
  LOCUS_FUZZ_ACCEPTED();
  for (size_t i = 0; i < t.landmarks.size(); ++i) {
    const auto& l = t.landmarks[i];
    LOCUS_FUZZ_CHECK(l.lat_deg >= -90 && l.lat_deg <= 90 && l.lon_deg >= -180 && l.lon_deg <= 180);
    LOCUS_FUZZ_CHECK(t.find(l.id) == &l);  // ids are unique: find gives this very entry
  }
  location::TrustList back;
  LOCUS_FUZZ_CHECK(location::parse_trust_list_json(location::trust_list_to_json(t), &back).ok());
  LOCUS_FUZZ_CHECK(same(t, back));
  return 0;
}
