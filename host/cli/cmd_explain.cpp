// `locus verifier explain`: recompute a location verdict and draw it as SVG.
//
//   locus verifier explain --policy POLICY.toml [--site NAME] --svg OUT.svg
//       (--decision DECISION.json | --records RECORDS.json [--trust-list TL --trust-signer PUB])
//
// POLICY.toml is parsed by the verifier's own parser (verifier::load_policy with --site, else
//   verifier::load_location_policy: one site's keys at the top level), so explain, serve and
//   check-policy read the same zones, margins and f from the same file.
// --decision: a location verdict JSON (LocationVerdict::to_json, found at the top level, at
//   "location" or at "claims.location"): its discs (landmark, lat, lon, radius_km) are re-evaluated
//   against the policy.
// --records: either measurements {"measurements":[{"landmark","lat","lon","rtt_min_ns"}]}
//   (radius = c*rtt/2 + the policy margin), or signed records
//   {"nonce":"<b64>","ueid":"<hex>","alias_pub":"<hex 65>","landmark_records":[{"record":"<b64>",
//   "transcript":"<b64>"}]} verified with the trust list (as the verifier does).
// Exit 0 when the picture was written (whatever the verdict); the verdict is printed.
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "locus/common/json_read.h"
#include "locus/location/location.h"
#include "locus/location/svg.h"
#include "locus/location/trustlist.h"
#include "locus/verifier/policy.h"

using locus::cli::fail;
using locus::host::HostError;
namespace loc = locus::location;

namespace {

const nlohmann::json* find_verdict(const nlohmann::json& j) {
  if (j.is_object() && j.contains("discs") && j["discs"].is_array()) return &j;
  if (j.is_object() && j.contains("location")) return find_verdict(j["location"]);
  if (j.is_object() && j.contains("claims")) return find_verdict(j["claims"]);
  if (j.is_object() && j.contains("decision")) return find_verdict(j["decision"]);
  return nullptr;
}

bool num(const nlohmann::json& j, const char* k, double* out) {
  if (!j.contains(k) || !j[k].is_number()) return false;
  *out = j[k].get<double>();
  return std::isfinite(*out);
}

}  // namespace

void register_explain_command(CLI::App& verifier_app, CliContext& ctx) {
  struct Opts {
    std::string policy, site, svg, decision, records, trust_list, trust_signer, title;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* ex = verifier_app.add_subcommand(
      "explain", "Explain a location verdict: recompute it and draw it as SVG");
  ex->add_option("--policy", o->policy,
                 "Location policy TOML ([[zone]]/[[forbidden]], or a verifier policy with --site)")
      ->required();
  ex->add_option("--site", o->site, "Use the [site.NAME] table of a verifier policy");
  ex->add_option("--svg", o->svg, "SVG file to write")->required();
  auto* d =
      ex->add_option("--decision", o->decision, "Decision / location verdict JSON with discs");
  auto* r =
      ex->add_option("--records", o->records, "Measurements or signed landmark records (JSON)");
  d->excludes(r);
  ex->add_option("--trust-list", o->trust_list, "Signed landmark trust list (for signed records)");
  ex->add_option("--trust-signer", o->trust_signer, "Trust-list signer public key");
  ex->add_option("--title", o->title, "Title of the picture");
  ex->add_flag("--force", o->force, "Replace an existing SVG file");
  ex->callback([o, &ctx]() {
    if (o->decision.empty() && o->records.empty())
      fail(ctx, HostError::kUsage, "give --decision FILE or --records FILE");
    std::shared_ptr<const loc::LocationPolicy> polp;
    if (!o->site.empty()) {
      auto vp = locus::verifier::load_policy(o->policy);
      if (!vp.ok()) fail(ctx, vp.error());
      const locus::verifier::SitePolicy* sp = vp.value().site(o->site);
      if (sp == nullptr)
        fail(ctx, HostError::kConfig, o->policy + ": no [site." + o->site + "] section");
      polp = sp->location;
    } else {
      auto sp = locus::verifier::load_location_policy(o->policy);
      if (!sp.ok()) fail(ctx, sp.error());
      polp = sp.value().location;
    }
    if (!polp) fail(ctx, HostError::kConfig, o->policy + ": this build has no location support");
    const loc::LocationPolicy& pol = *polp;
    const std::string in = o->decision.empty() ? o->records : o->decision;
    auto itext = locus::host::read_text_file(in, 16 << 20);
    if (!itext.ok()) fail(ctx, HostError::kIo, itext.message());
    nlohmann::json j = locus::host::parse_json(itext.value());
    if (j.is_discarded()) fail(ctx, HostError::kParse, in + ": not JSON");
    loc::LocationVerdict v;
    if (!o->decision.empty()) {
      const nlohmann::json* vj = find_verdict(j);
      if (vj == nullptr)
        fail(ctx, HostError::kParse, in + ": no location verdict with \"discs\" found");
      auto discs = loc::discs_from_json(*vj);
      if (!discs.ok()) fail(ctx, HostError::kParse, in + ": " + discs.message());
      v = loc::evaluate(discs.value(), pol);
    } else if (j.is_object() && j.contains("measurements")) {
      std::vector<loc::DiscInfo> discs;
      for (const auto& x : j["measurements"]) {
        loc::DiscInfo di;
        if (!x.is_object() || !num(x, "lat", &di.center.lat_deg) ||
            !num(x, "lon", &di.center.lon_deg) || !x.contains("rtt_min_ns") ||
            !x["rtt_min_ns"].is_number_unsigned()) {
          fail(ctx, HostError::kParse, in + ": a measurement lacks landmark/lat/lon/rtt_min_ns");
        }
        di.landmark_id = x.value("landmark", std::string("?"));
        di.rtt_min_ns = x["rtt_min_ns"].get<uint64_t>();
        di.radius_km = loc::inflate(loc::rtt_to_km(double(di.rtt_min_ns)), pol.margin());
        discs.push_back(di);
      }
      v = loc::evaluate(discs, pol);
    } else {
      if (o->trust_list.empty() || o->trust_signer.empty()) {
        fail(ctx, HostError::kUsage, "signed records need --trust-list and --trust-signer");
      }
      locus::crypto::P256PublicKey signer, alias;
      if (auto k = loc::load_public_key(o->trust_signer, &signer); !k.ok())
        fail(ctx, HostError::kConfig, k.message());
      auto tlb_r = locus::host::read_file(o->trust_list, 16u << 20);
      if (!tlb_r.ok()) fail(ctx, HostError::kIo, "cannot read " + o->trust_list);
      const std::vector<uint8_t>& tlb = tlb_r.value();
      auto tl = loc::verify_trust_list(tlb, signer);
      if (!tl.ok()) fail(ctx, HostError::kRefused, o->trust_list + ": " + tl.message());
      auto str = [&](const char* k) {
        return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>()
                                                                  : std::string();
      };
      auto nonce = locus::host::b64_decode(str("nonce"));
      auto ueid = locus::host::hex_decode(str("ueid"));
      auto ap = locus::host::hex_decode(str("alias_pub"));
      if (!nonce.ok() || !ueid.ok() || !ap.ok() || ap.value().size() != 65) {
        fail(ctx, HostError::kParse,
             in + ": needs nonce (base64), ueid (hex), alias_pub (hex, 65 bytes)");
      }
      std::copy(ap.value().begin(), ap.value().end(), alias.q.begin());
      std::vector<loc::RecordPair> pairs;
      if (!j.contains("landmark_records") || !j["landmark_records"].is_array())
        fail(ctx, HostError::kParse, in + ": no landmark_records");
      for (const auto& x : j["landmark_records"]) {
        if (!x.is_object() || !x.contains("record") || !x["record"].is_string() ||
            !x.contains("transcript") || !x["transcript"].is_string()) {
          fail(ctx, HostError::kParse, in + ": a landmark record lacks record/transcript");
        }
        auto rb = locus::host::b64_decode(x["record"].get<std::string>());
        auto tb = locus::host::b64_decode(x["transcript"].get<std::string>());
        if (!rb.ok() || !tb.ok())
          fail(ctx, HostError::kParse, in + ": record/transcript not base64");
        pairs.push_back({rb.value(), tb.value()});
      }
      v = loc::appraise_location(pairs, tl.value(), pol, locus::ByteSpan(nonce.value()),
                                 locus::ByteSpan(ueid.value()), alias);
    }
    const std::string title =
        o->title.empty()
            ? "location verdict" + (o->site.empty() ? std::string() : " for site " + o->site)
            : o->title;
    auto w = locus::host::write_text_file(o->svg, loc::render_svg(v, pol, title), 0644, o->force);
    if (!w.ok()) fail(ctx, w.error());
    std::string human =
        std::string(v.approved ? "approved" : "refused") + " (picture: " + o->svg + ")\n";
    for (const auto& reason : v.reasons) human += "  " + reason + "\n";
    nlohmann::json out = v.to_json();
    out["svg"] = o->svg;
    locus::cli::emit(ctx, out.dump(), human);
  });
}
