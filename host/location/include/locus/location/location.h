// locus/location/location.h: the location verdict the verifier asks for
// (docs/location.md): landmark records -> discs -> feasible region -> approved / refused.
//
// appraise_location() verifies every landmark record (landmark signature from the trust list,
// payload fields, nonce, UEID, transcript hash, transcript signed by the device's Alias key,
// transcript consistent with the record), turns each valid record into a disc (radius
// c * rtt_min / 2 inflated by the policy margin) and decides with evaluate(). Fail closed:
// the verdict starts refused and is approved only at the end, when every check passed.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/crypto/p256.h"
#include "locus/location/geo.h"
#include "locus/location/records.h"
#include "locus/location/trustlist.h"
#include "locus/span.h"
#include "locus/status.h"

namespace locus::location {

struct LocationPolicy {
  std::vector<Zone> zones;                      // approved: F must lie inside one of these
  std::vector<Zone> forbidden;                  // F must touch none of these
  std::vector<std::string> required_landmarks;  // each must give a valid record
  int f = 0;                                    // tolerated lying landmarks
  // Added to every landmark radius (r * (1 + margin_fraction) + margin_km). Not needed for
  // the Earth model (geo.h covers WGS84 by construction); default 0.
  double margin_km = 0;
  double margin_fraction = 0;
  Margin margin() const { return {margin_fraction, margin_km}; }
};

// The one policy parser is verifier::parse_policy / verifier::parse_location_policy
// (host/verifier/include/locus/verifier/policy.h): the same code for `verifier serve`,
// `verifier check-policy` and `verifier explain`.

struct DiscInfo {
  std::string landmark_id;
  GeoPoint center;
  uint64_t rtt_min_ns = 0;
  double radius_km = 0;  // inflated
};

// The verdict carries no outline of F: that is drawing data, a deterministic function of the
// discs and the geometry code, computed on demand by region_outline() (the SVG, the fleet
// page). Decisions stored before it was dropped still have "region_outline"; reverify ignores
// it (verifier/reverify.h).
struct LocationVerdict {
  bool approved = false;
  std::vector<std::string> reasons;
  std::vector<DiscInfo> discs;  // from the valid records
  bool region_empty = true;
  bool region_bounded = false;  // F is non-empty and some disc constrains it
  GeoPoint region_centroid;     // valid when region_bounded
  nlohmann::json to_json() const;
};

// The discs of a verdict as to_json() wrote it (the decoder of its "discs": explain, the
// fleet page and reverify's tests read stored decisions through it). Each disc needs finite
// numeric "lat", "lon" and "radius_km"; "landmark" (string, "?" if absent) and "rtt_min_ns"
// (0 if absent) are optional. kParse naming the disc and the key otherwise, or when
// "discs" is missing or not an array (at most 64 discs).
host::HostResult<std::vector<DiscInfo>> discs_from_json(const nlohmann::json& verdict);

// The geometric decision on already-validated discs (also used by `locus verifier explain`):
//   - no discs, or fewer than f + 1: refused;
//   - F of all discs empty: refused (a landmark lied or failed);
//   - for every subset S of n - f discs: F_S inside some approved zone and disjoint from
//     every forbidden region; else refused. (f = 0: the only subset is all discs.)
// n is capped at 16 and C(n, f) at 20000 subsets; larger policies are refused.
LocationVerdict evaluate(const std::vector<DiscInfo>& discs, const LocationPolicy& policy);

// The boundary of F (all of `discs`, as evaluate() builds it), for drawing: Region::outline,
// about 48 points per arc; empty when F is empty, unbounded or the discs are too many for
// evaluate() (more than 16). The same discs give the same points.
std::vector<GeoPoint> region_outline(const std::vector<DiscInfo>& discs);

LocationVerdict appraise_location(const std::vector<RecordPair>& records, const TrustList& trust,
                                  const LocationPolicy& policy, ByteSpan verifier_nonce,
                                  ByteSpan ueid, const crypto::P256PublicKey& alias_pub);

}  // namespace locus::location
