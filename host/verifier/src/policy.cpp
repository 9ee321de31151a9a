// Policy loading (TOML via toml++). Strict: unknown keys are errors, so a typo cannot
// silently weaken policy.
#include "locus/verifier/policy.h"

#include <toml++/toml.h>

#include <set>

#include "locus/crypto/hash.h"
#include "locus/location/geojson.h"
#include "locus/location/location.h"

namespace locus::verifier {

using host::HostError;

namespace {

struct Ctx {
  std::string file;
  host::Error err;
  bool failed = false;

  bool fail(const toml::node* n, const std::string& key, const std::string& what) {
    if (failed) return false;
    failed = true;
    std::string pos = file;
    if ((n != nullptr) && n->source().begin.line > 0)
      pos += ":" + std::to_string(n->source().begin.line);
    err = {HostError::kConfig, pos + ": " + key + ": " + what};
    return false;
  }
};

bool check_keys(Ctx& c, const toml::table& t, const std::string& prefix,
                const std::set<std::string>& allowed) {
  for (auto&& [k, v] : t) {
    std::string key(k.str());
    if (allowed.count(key) == 0u) return c.fail(&v, prefix + key, "unknown key");
  }
  return true;
}

bool get_int(Ctx& c, const toml::table& t, const std::string& prefix, const char* key, int64_t lo,
             int64_t hi, int64_t* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  // is_integer first: toml++ converts a float node with a cast undefined beyond int64's range.
  if (!n->is_integer()) return c.fail(n, prefix + key, "must be an integer");
  auto v = n->value<int64_t>();
  if (!v) return c.fail(n, prefix + key, "must be an integer");
  if (*v < lo || *v > hi)
    return c.fail(n, prefix + key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
  *out = *v;
  return true;
}

bool get_str(Ctx& c, const toml::table& t, const std::string& prefix, const char* key,
             std::string* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  if (!n->is_string()) return c.fail(n, prefix + key, "must be a string");
  *out = *n->value<std::string>();
  if (out->empty()) return c.fail(n, prefix + key, "must not be empty");
  return true;
}

bool get_bool(Ctx& c, const toml::table& t, const std::string& prefix, const char* key, bool* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  if (!n->is_boolean()) return c.fail(n, prefix + key, "must be true or false");
  *out = *n->value<bool>();
  return true;
}

bool get_double(Ctx& c, const toml::node* n, const std::string& key, double lo, double hi,
                double* out) {
  if (n == nullptr) return c.fail(n, key, "missing");
  if (!n->is_number()) return c.fail(n, key, "must be a number");
  double v = *n->value<double>();
  if (!(v >= lo && v <= hi))
    return c.fail(n, key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  *out = v;
  return true;
}

using LocZones = std::vector<location::Zone>;

std::string dir_of(const std::string& path) {
  size_t s = path.rfind('/');
  return s == std::string::npos ? std::string() : path.substr(0, s + 1);
}

// One zone list (`zones` approved, `forbidden`): inline tables {lat, lon, radius_km[, name]}
// or {geojson[, name]}. GeoJSON files are read and parsed here, so a broken file is a policy
// error for every command.
bool parse_zones(Ctx& c, const toml::table& site, const std::string& prefix, const char* key,
                 const std::string& base_dir, std::vector<Zone>* out, LocZones* loc) {
  const toml::node* n = site.get(key);
  if (n == nullptr) return true;
  const toml::array* arr = n->as_array();
  if (arr == nullptr)
    return c.fail(n, prefix + key,
                  "must be an array of zones ({lat, lon, radius_km} or {geojson})");
  const bool approved = std::string(key) == "zones";
  for (size_t i = 0; i < arr->size(); i++) {
    const toml::node& zn = (*arr)[i];
    std::string zk = prefix + key + "[" + std::to_string(i) + "]";
    const toml::table* zt = zn.as_table();
    if (zt == nullptr) return c.fail(&zn, zk, "must be an inline table");
    Zone z;
    z.name = zk;
    if (!get_str(c, *zt, zk + ".", "name", &z.name)) return false;
    if (zt->contains("geojson")) {
      if (!check_keys(c, *zt, zk + ".", {"geojson", "name"})) return false;
      const toml::node* g = zt->get("geojson");
      if (!g->is_string() || g->value<std::string>()->empty())
        return c.fail(g, zk + ".geojson", "must be a file path");
      z.is_polygon = true;
      std::string p = *g->value<std::string>();
      z.geojson_path = (!p.empty() && p[0] == '/') ? p : base_dir + p;
      auto text = host::read_text_file(z.geojson_path, 16u << 20);
      if (!text.ok())
        return c.fail(g, zk + ".geojson", "cannot read " + z.geojson_path + ": " + text.message());
      auto zones = location::parse_geojson(text.value(), z.name);
      if (!zones.ok()) return c.fail(g, zk + ".geojson", z.geojson_path + ": " + zones.message());
      for (auto& lz : zones.value()) loc->push_back(std::move(lz));
    } else {
      if (!check_keys(c, *zt, zk + ".", {"lat", "lon", "radius_km", "name"})) return false;
      const double rmax = approved ? 9000 : 19000;
      if (!get_double(c, zt->get("lat"), zk + ".lat", -90, 90, &z.disc.lat_deg))
        return c.fail(&zn, zk + ".lat", "missing");
      if (!get_double(c, zt->get("lon"), zk + ".lon", -180, 180, &z.disc.lon_deg))
        return c.fail(&zn, zk + ".lon", "missing");
      if (!get_double(c, zt->get("radius_km"), zk + ".radius_km", 0.001, rmax, &z.disc.radius_km))
        return c.fail(&zn, zk + ".radius_km", "missing");
      location::Zone lz;
      lz.kind = location::Zone::Kind::kDisc;
      lz.disc.name = z.name;
      lz.disc.center = {z.disc.lat_deg, z.disc.lon_deg};
      lz.disc.radius_km = z.disc.radius_km;
      loc->push_back(std::move(lz));
    }
    out->push_back(z);
  }
  (void)loc;
  return true;
}

// The keys of one site (a [site.NAME] table, or the top level of a location policy file).
// `where` is the node errors about the whole table point at.
bool parse_site(Ctx& c, const toml::table& t, const std::string& name, const std::string& pre,
                const std::string& base, const toml::node* where, SitePolicy* out) {
  if (!check_keys(c, t, pre,
                  {"zones", "forbidden", "landmarks", "rounds", "f", "margin_km", "margin_fraction",
                   "lease_s"}))
    return false;
  SitePolicy sp;
  sp.name = name;
  LocZones zones, forbidden;
  if (!parse_zones(c, t, pre, "zones", base, &sp.zones, &zones)) return false;
  if (!parse_zones(c, t, pre, "forbidden", base, &sp.forbidden, &forbidden)) return false;
  if (const toml::node* ln = t.get("landmarks")) {
    const toml::array* la = ln->as_array();
    if (la == nullptr) return c.fail(ln, pre + "landmarks", "must be an array of landmark ids");
    for (size_t i = 0; i < la->size(); i++) {
      const toml::node& e = (*la)[i];
      if (!e.is_string() || e.value<std::string>()->empty())
        return c.fail(&e, pre + "landmarks[" + std::to_string(i) + "]",
                      "must be a landmark id string");
      for (const auto& seen : sp.landmarks)
        if (seen == *e.value<std::string>())
          return c.fail(&e, pre + "landmarks[" + std::to_string(i) + "]", "listed twice");
      sp.landmarks.push_back(*e.value<std::string>());
    }
  }
  int64_t rounds = sp.rounds, f = sp.f, lease = 0;
  if (!get_int(c, t, pre, "rounds", 1, 64, &rounds)) return false;
  if (!get_int(c, t, pre, "f", 0, 16, &f)) return false;
  if (!get_int(c, t, pre, "lease_s", 1, 86400, &lease)) return false;
  if (const toml::node* mn = t.get("margin_km"))
    if (!get_double(c, mn, pre + "margin_km", 0, 1000, &sp.margin_km)) return false;
  if (const toml::node* mn = t.get("margin_fraction"))
    if (!get_double(c, mn, pre + "margin_fraction", 0, 1, &sp.margin_fraction)) return false;
  sp.rounds = static_cast<int>(rounds);
  sp.f = static_cast<int>(f);
  sp.lease_s = lease;
  if (!sp.landmarks.empty() && sp.zones.empty())
    return c.fail(where, pre + "zones",
                  "a site that requires landmarks needs at least one approved zone");
  if (!sp.landmarks.empty() && static_cast<size_t>(sp.f) >= sp.landmarks.size())
    return c.fail(t.get("f") != nullptr ? t.get("f") : where, pre + "f",
                  "must be smaller than the number of landmarks");
  auto lp = std::make_shared<location::LocationPolicy>();
  lp->zones = std::move(zones);
  lp->forbidden = std::move(forbidden);
  lp->required_landmarks = sp.landmarks;
  lp->f = sp.f;
  lp->margin_km = sp.margin_km;
  lp->margin_fraction = sp.margin_fraction;
  sp.location = lp;
  *out = std::move(sp);
  return true;
}

}  // namespace

HostResult<Policy> parse_policy(const std::string& text, const std::string& source_name) {
  Ctx c;
  c.file = source_name;
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return {HostError::kConfig, source_name + ":" + std::to_string(e.source().begin.line) + ":" +
                                    std::to_string(e.source().begin.column) +
                                    ": syntax: " + std::string(e.description())};
  }
  Policy p;
  p.source = source_name;
  {
    crypto::Digest d{};
    if (!crypto::sha256(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()), &d)
             .ok())
      return {HostError::kInternal, "sha256 failed"};
    p.sha256_hex = host::hex_encode(d);
  }
  std::string base = dir_of(source_name);
  if (!check_keys(c, root, "",
                  {"verifier_id", "lease_s", "nonce_ttl_s", "hwmodel", "site", "location", "tpm"}))
    return c.err;
  if (!get_str(c, root, "", "verifier_id", &p.verifier_id)) return c.err;
  if (!get_int(c, root, "", "lease_s", 1, 86400, &p.lease_s)) return c.err;
  if (!get_int(c, root, "", "nonce_ttl_s", 5, 3600, &p.nonce_ttl_s)) return c.err;

  if (const toml::node* hn = root.get("hwmodel")) {
    const toml::table* ht = hn->as_table();
    if (ht == nullptr)
      return (c.fail(hn, "hwmodel", "must be a table of [hwmodel.\"<name>\"] sections"), c.err);
    for (auto&& [k, v] : *ht) {
      std::string name(k.str());
      std::string pre = "hwmodel." + name + ".";
      const toml::table* t = v.as_table();
      if (t == nullptr) return (c.fail(&v, "hwmodel." + name, "must be a table"), c.err);
      if (!check_keys(c, *t, pre, {"fwids", "min_svn", "allow_debug"})) return c.err;
      HwModelPolicy hp;
      hp.name = name;
      const toml::node* fn = t->get("fwids");
      if (fn == nullptr)
        return (c.fail(&v, pre + "fwids", "missing (list the accepted firmware measurements)"),
                c.err);
      const toml::array* fa = fn->as_array();
      if ((fa == nullptr) || fa->empty())
        return (c.fail(fn, pre + "fwids", "must be a non-empty array of 64-hex-digit strings"),
                c.err);
      for (size_t i = 0; i < fa->size(); i++) {
        const toml::node& e = (*fa)[i];
        std::string ek = pre + "fwids[" + std::to_string(i) + "]";
        if (!e.is_string()) return (c.fail(&e, ek, "must be a string"), c.err);
        auto b = host::hex_decode(*e.value<std::string>());
        if (!b.ok() || b.value().size() != 32)
          return (c.fail(&e, ek, "must be 64 hex digits (SHA-256)"), c.err);
        std::array<uint8_t, 32> f{};
        std::copy(b.value().begin(), b.value().end(), f.begin());
        hp.fwids.push_back(f);
      }
      int64_t svn = -1;
      if (t->get("min_svn") == nullptr) return (c.fail(&v, pre + "min_svn", "missing"), c.err);
      if (!get_int(c, *t, pre, "min_svn", 0, 0xFFFFFFFFll, &svn)) return c.err;
      hp.min_svn = static_cast<uint32_t>(svn);
      if (!get_bool(c, *t, pre, "allow_debug", &hp.allow_debug)) return c.err;
      p.hwmodels[name] = hp;
    }
  }

  if (const toml::node* sn = root.get("site")) {
    const toml::table* st = sn->as_table();
    if (st == nullptr)
      return (c.fail(sn, "site", "must be a table of [site.<name>] sections"), c.err);
    for (auto&& [k, v] : *st) {
      std::string name(k.str());
      std::string pre = "site." + name + ".";
      const toml::table* t = v.as_table();
      if (t == nullptr) return (c.fail(&v, "site." + name, "must be a table"), c.err);
      SitePolicy sp;
      if (!parse_site(c, *t, name, pre, base, &v, &sp)) return c.err;
      p.sites[name] = sp;
    }
  }

  if (const toml::node* ln = root.get("location")) {
    const toml::table* t = ln->as_table();
    if (t == nullptr) return (c.fail(ln, "location", "must be a table"), c.err);
    if (!check_keys(c, *t, "location.", {"trust_list", "trust_list_signer"})) return c.err;
    if (!get_str(c, *t, "location.", "trust_list", &p.trust_list_path)) return c.err;
    if (!get_str(c, *t, "location.", "trust_list_signer", &p.trust_list_signer_path)) return c.err;
    auto rel = [&](std::string& s) {
      if (!s.empty() && s[0] != '/') s = base + s;
    };
    rel(p.trust_list_path);
    rel(p.trust_list_signer_path);
  }

  if (const toml::node* tn = root.get("tpm")) {
    const toml::table* t = tn->as_table();
    if (t == nullptr) return (c.fail(tn, "tpm", "must be a table"), c.err);
    if (!check_keys(c, *t, "tpm.", {"required", "accept_reboot", "hash", "pcrs"})) return c.err;
    if (!get_bool(c, *t, "tpm.", "required", &p.tpm.required)) return c.err;
    if (!get_bool(c, *t, "tpm.", "accept_reboot", &p.tpm.accept_reboot)) return c.err;
    if (!get_str(c, *t, "tpm.", "hash", &p.tpm.hash)) return c.err;
    if (p.tpm.hash != "sha256")
      return (c.fail(t->get("hash"), "tpm.hash", "only \"sha256\" is supported"), c.err);
    if (const toml::node* pn = t->get("pcrs")) {
      const toml::array* pa = pn->as_array();
      if (pa == nullptr) return (c.fail(pn, "tpm.pcrs", "must be an array of PCR indices"), c.err);
      for (size_t i = 0; i < pa->size(); i++) {
        const toml::node& e = (*pa)[i];
        auto v = e.is_integer() ? e.value<int64_t>() : std::nullopt;  // no float -> int cast
        if (!v || *v < 0 || *v > 23)
          return (c.fail(&e, "tpm.pcrs[" + std::to_string(i) + "]", "must be a PCR index 0..23"),
                  c.err);
        p.tpm.pcrs.push_back(static_cast<int>(*v));
      }
    }
  }
  if (p.hwmodels.empty())
    return (
        c.fail(&root, "hwmodel", "no [hwmodel.\"<name>\"] section: nothing could ever be approved"),
        c.err);
  if (p.sites.empty()) return (c.fail(&root, "site", "no [site.<name>] section"), c.err);
  return p;
}

HostResult<SitePolicy> parse_location_policy(const std::string& text,
                                             const std::string& source_name) {
  Ctx c;
  c.file = source_name;
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return {HostError::kConfig, source_name + ":" + std::to_string(e.source().begin.line) + ":" +
                                    std::to_string(e.source().begin.column) +
                                    ": syntax: " + std::string(e.description())};
  }
  SitePolicy sp;
  if (!parse_site(c, root, "location", "", dir_of(source_name), &root, &sp)) return c.err;
  if (sp.zones.empty())
    return (c.fail(&root, "zones", "no approved zone: nothing could ever be approved"), c.err);
  return sp;
}

HostResult<SitePolicy> load_location_policy(const std::string& path) {
  auto t = host::read_text_file(path, 1u << 20);
  if (!t.ok()) return {HostError::kConfig, t.message()};
  return parse_location_policy(t.value(), path);
}

HostResult<Policy> load_policy(const std::string& path) {
  auto t = host::read_text_file(path, 1u << 20);
  if (!t.ok()) return {HostError::kConfig, t.message()};
  return parse_policy(t.value(), path);
}

}  // namespace locus::verifier
