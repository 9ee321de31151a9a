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
//   forbidden = [{lat=22.54, lon=114.06, radius_km=80}]
//   landmarks = ["lm-sg-1", "lm-sg-2"]  # required landmarks (empty: no location check)
//   rounds = 16                      # timed rounds per landmark session
//   f = 0                            # tolerated compromised landmarks
//   margin_km = 10                   # Earth-model margin added to every disc
//   lease_s = 1800                   # optional per-site lease
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
#include <string>
#include <vector>

#include "locus/common/common.h"

namespace locus::verifier {

using host::HostResult;

struct Disc {
  double lat_deg = 0, lon_deg = 0, radius_km = 0;
};

struct Zone {
  bool is_polygon = false;
  Disc disc;                  // when !is_polygon
  std::string geojson_path;   // when is_polygon (resolved relative to the policy file)
};

struct SitePolicy {
  std::string name;
  std::vector<Zone> zones;      // approved
  std::vector<Zone> forbidden;
  std::vector<std::string> landmarks;  // required landmark ids
  int rounds = 16;
  int f = 0;
  double margin_km = 0;
  int64_t lease_s = 0;          // 0: the global lease
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
  std::string source;           // file path
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
  int64_t lease_for(const SitePolicy* s) const { return s && s->lease_s > 0 ? s->lease_s : lease_s; }
};

// Parses policy text; source_name is used in error messages ("file:line: key: problem").
HostResult<Policy> parse_policy(const std::string& text, const std::string& source_name);
HostResult<Policy> load_policy(const std::string& path);

}  // namespace locus::verifier
