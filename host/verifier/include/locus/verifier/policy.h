// locus/verifier/policy.h: the verifier's appraisal policy, loaded from TOML.
//
// Format (docs/operator-guide.md has a complete example):
//   verifier_id = "verifier-1"       # goes into every decision
//   lease_s = 3600                   # default lease granted by a license (1..86400)
//   nonce_ttl_s = 120                # how long an issued nonce stays valid
//   [hwmodel."locus-host-sim"]       # reference values per hardware model
//   fwids = ["<64 hex>", ...]        # accepted firmware measurements (TcbInfo FWID)
//   min_svn = 1                      # lowest accepted security version number
//   allow_debug = false              # accept dbgstat 0 (debug enabled); default false
//   [site.sg-1]
//   zones = [{lat=1.35, lon=103.82, radius_km=40}, {geojson="sg.geojson"}]  # approved
//   forbidden = [{lat=22.54, lon=114.06, radius_km=80, name="prc"}]
//   landmarks = ["lm-sg-1", "lm-sg-2"]  # required landmarks (empty: no location check)
//   rounds = 16                      # timed rounds per landmark session
//   f = 0                            # tolerated compromised landmarks (< number of landmarks)
//   margin_km = 0                    # added to every landmark radius (default 0: the WGS84
//   margin_fraction = 0              #   bound is built into the geometry, docs/location.md)
//   lease_s = 1800                   # optional per-site lease
// Radii are WGS84 geodesic km; GeoJSON files are RFC 7946 (host/location/geojson.h) and are
// loaded and checked here, so check-policy, serve and explain see the same zones.
//   [location]
//   trust_list = "landmarks.cose"    # signed landmark trust list (docs/location.md)
//   trust_list_signer = "tl-signer.pem"
//   [tpm]                            # host binding (docs/tpm.md): quote required?, PCRs
//   required = false
//   accept_reboot = false          # tolerate host reboots between quotes
//   hash = "sha256"
//   pcrs = [0, 1, 2, 3, 4, 5, 6, 7]
// Every error names the file, the line and the key.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "locus/common/common.h"

namespace locus::location {
struct LocationPolicy;
}

namespace locus::verifier {

using host::HostResult;

struct Disc {
  double lat_deg = 0, lon_deg = 0, radius_km = 0;
};

struct Zone {
  std::string name;  // the `name` key, else "<site>.zones[i]"
  bool is_polygon = false;
  Disc disc;                 // when !is_polygon
  std::string geojson_path;  // when is_polygon (resolved relative to the policy file)
};

struct SitePolicy {
  std::string name;
  std::vector<Zone> zones;  // approved
  std::vector<Zone> forbidden;
  std::vector<std::string> landmarks;  // required landmark ids
  int rounds = 16;
  int f = 0;
  double margin_km = 0;
  double margin_fraction = 0;
  int64_t lease_s = 0;  // 0: the global lease
  // The location policy the verdict uses (zones with GeoJSON loaded, forbidden regions,
  // landmarks, f, margins): built by this parser only. Null in a build without host/location.
  std::shared_ptr<const location::LocationPolicy> location;
};

struct HwModelPolicy {
  std::string name;
  std::vector<std::array<uint8_t, 32>> fwids;
  uint32_t min_svn = 0;
  bool allow_debug = false;
};

struct TpmPolicy {
  bool required = false;       // refuse attestations without an appraised TPM quote
  bool accept_reboot = false;  // accept a host TPM reset/restart since the last quote
  std::string hash = "sha256";
  std::vector<int> pcrs;
};

struct Policy {
  std::string source;      // file path
  std::string sha256_hex;  // SHA-256 of the policy text parsed (recorded in evidence bundles)
  std::string verifier_id = "locus-verifier";
  int64_t lease_s = 3600;
  int64_t nonce_ttl_s = 120;
  std::map<std::string, HwModelPolicy> hwmodels;
  std::map<std::string, SitePolicy> sites;
  std::string trust_list_path;
  std::string trust_list_signer_path;
  TpmPolicy tpm;

  const SitePolicy* site(const std::string& s) const {
    auto it = sites.find(s);
    return it == sites.end() ? nullptr : &it->second;
  }
  const HwModelPolicy* hwmodel(const std::string& h) const {
    auto it = hwmodels.find(h);
    return it == hwmodels.end() ? nullptr : &it->second;
  }
  int64_t lease_for(const SitePolicy* s) const {
    return (s != nullptr) && s->lease_s > 0 ? s->lease_s : lease_s;
  }
};

// Parses policy text; source_name is used in error messages ("file:line: key: problem").
HostResult<Policy> parse_policy(const std::string& text, const std::string& source_name);
HostResult<Policy> load_policy(const std::string& path);

// A location policy file for `locus verifier explain` without --site: the keys of one
// [site.NAME] table at the top level (zones, forbidden, landmarks, f, margin_km,
// margin_fraction, rounds, lease_s), parsed by the same code as a site. Name: "location".
HostResult<SitePolicy> parse_location_policy(const std::string& text,
                                             const std::string& source_name);
HostResult<SitePolicy> load_location_policy(const std::string& path);

}  // namespace locus::verifier
