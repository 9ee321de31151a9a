// The verifier with a site that requires landmarks, wired to host/location: signed trust
// list, device-signed transcripts and landmark-signed records built with the location
// helper's codecs. Near landmarks (small RTT) inside the approved zone -> affirming; a large
// RTT (feasible region spills out of the zone) -> refused; a missing landmark -> refused;
// a record for another nonce -> refused; the stored decision carries no region outline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "locus/audit/audit.h"
#include "locus/common/keys.h"
#include "locus/crypto/hash.h"
#include "locus/location/location.h"
#include "locus/location/records.h"
#include "locus/location/trustlist.h"
#include "locus/registry/registry.h"
#include "locus/verifier/fleet_page.h"
#include "locus/verifier/verifier.h"
#include "locus_test/testproc.h"
#include "sim_device.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

using namespace locus;

namespace {

std::string g_dir;
simdev::Ca g_ca;
simdev::Device g_dev;
crypto::P256PrivateKey g_lm_key[3];
crypto::P256PrivateKey g_tl_key;
// Three landmarks in Singapore, ~10 km apart; the site requires the first two.
const char* kLmIds[3] = {"lm-1", "lm-2", "lm-3"};
const double kLmPos[3][2] = {{1.30, 103.80}, {1.35, 103.88}, {1.28, 103.86}};

std::string P(const std::string& n) {
  return g_dir + "/" + n;
}

crypto::P256PublicKey pub_of(const crypto::P256PrivateKey& k) {
  crypto::P256PublicKey p;
  (void)crypto::p256_public_key(k, &p);
  return p;
}

int setup(void**) {
  g_dir = host::test::make_temp_dir("locus-locappraisal-");
  g_ca = simdev::make_ca("root-loc");
  g_dev = simdev::make_device(g_ca, "dev-loc", 0xA5, 3);
  for (int i = 0; i < 3; i++)
    (void)crypto::p256_derive_key(simdev::bytes_of(kLmIds[i]), simdev::bytes_of("lm"),
                                  &g_lm_key[i]);
  (void)crypto::p256_derive_key(simdev::bytes_of("trust-list"), simdev::bytes_of("tl"), &g_tl_key);
  location::TrustList tl;
  for (int i = 0; i < 3; i++) {
    location::LandmarkEntry e;
    e.id = kLmIds[i];
    e.lat_deg = kLmPos[i][0];
    e.lon_deg = kLmPos[i][1];
    e.key = pub_of(g_lm_key[i]);
    e.operator_name = "test";
    e.host = "127.0.0.1";
    e.tcp_port = static_cast<uint16_t>(7000 + i);
    e.udp_port = static_cast<uint16_t>(7100 + i);
    tl.landmarks.push_back(e);
  }
  std::vector<uint8_t> cose;
  auto s = location::sign_trust_list(location::trust_list_to_json(tl), g_tl_key, &cose);
  if (!s.ok()) fail_msg("%s", s.message().c_str());
  std::ofstream(P("landmarks.cose"), std::ios::binary)
      .write(reinterpret_cast<const char*>(cose.data()), static_cast<std::streamsize>(cose.size()));
  std::ofstream(P("tl.pub")) << host::public_key_to_pem(pub_of(g_tl_key)).value();
  std::ofstream(P("policy.toml"))
      << "verifier_id = \"loc\"\nnonce_ttl_s = 60\n[hwmodel.\"locus-host-sim\"]\nfwids = [\""
      << host::hex_encode(g_dev.fwid) << "\"]\nmin_svn = 0\nallow_debug = true\n"
      << "[site.sg-lm]\nzones = [{lat = 1.33, lon = 103.84, radius_km = 60}]\n"
      << "forbidden = [{lat = 22.54, lon = 114.06, radius_km = 80}]\n"
      << "landmarks = [\"lm-1\", \"lm-2\"]\nrounds = 4\nf = 0\nmargin_km = 1\n"
      << "[location]\ntrust_list = \"landmarks.cose\"\ntrust_list_signer = \"tl.pub\"\n";
  return 0;
}

int teardown(void**) {
  host::test::remove_tree(g_dir);
  return 0;
}

// One landmark session: device transcript (Alias-signed) + landmark record (landmark-signed).
verifier::LandmarkPair session(int lm, const host::Bytes& nonce, uint64_t rtt_ns) {
  location::Transcript t;
  t.session_id.assign(16, static_cast<uint8_t>(lm + 1));
  t.lm_nonce.assign(16, static_cast<uint8_t>(0x30 + lm));
  t.verifier_nonce = nonce;
  crypto::P256PrivateKey e1, e2;
  (void)crypto::p256_derive_key(simdev::bytes_of("eph-lm"), t.lm_nonce, &e1);
  (void)crypto::p256_derive_key(simdev::bytes_of("eph-dev"), t.lm_nonce, &e2);
  auto p1 = pub_of(e1), p2 = pub_of(e2);
  t.lm_eph_pub.assign(p1.q.begin(), p1.q.end());
  t.dev_eph_pub.assign(p2.q.begin(), p2.q.end());
  t.ueid = g_dev.ueid;
  for (uint64_t r = 0; r < 4; r++) {
    location::Transcript::Round tr;
    tr.round = r;
    tr.challenge.fill(static_cast<uint8_t>(r));
    tr.answer.fill(static_cast<uint8_t>(0x80 + r));
    t.rounds.push_back(tr);
  }
  verifier::LandmarkPair out;
  std::vector<uint8_t> tcose;
  assert_true(location::sign_cose(g_dev.alias_key, location::encode_transcript(t), ByteSpan(),
                                  {g_dev.alias_cert}, &tcose)
                  .ok());
  out.transcript = tcose;
  location::LandmarkRecord rec;
  rec.landmark_id = kLmIds[lm];
  rec.ueid = g_dev.ueid;
  rec.verifier_nonce = nonce;
  crypto::Digest h{};
  assert_true(crypto::sha256(tcose, &h).ok());
  rec.transcript_hash.assign(h.begin(), h.end());
  rec.lm_nonce = t.lm_nonce;
  rec.rtt_min_ns = rtt_ns;
  rec.rounds = 4;
  std::vector<uint8_t> rcose;
  std::string id = kLmIds[lm];
  assert_true(location::sign_cose(g_lm_key[lm], location::encode_record(rec),
                                  ByteSpan(reinterpret_cast<const uint8_t*>(id.data()), id.size()),
                                  {}, &rcose)
                  .ok());
  out.record = rcose;
  return out;
}

struct Env {
  std::string dir;
  std::unique_ptr<registry::Registry> reg;
  std::unique_ptr<audit::AuditLog> log;
  std::unique_ptr<verifier::Verifier> v;
};

Env make_env(const char* name, const std::string& policy_path = "") {
  Env e;
  e.dir = P(name);
  assert_int_equal(mkdir(e.dir.c_str(), 0700), 0);
  e.reg = registry::open_sqlite(e.dir + "/r.db").take();
  e.log = std::make_unique<audit::AuditLog>(e.dir + "/audit.jsonl", e.reg.get());
  verifier::VerifierKeys k;
  k.root = certs::parse_cert(g_ca.der).value();
  (void)crypto::p256_derive_key(simdev::bytes_of("lic"), simdev::bytes_of("lk"), &k.license_key);
  auto pol = verifier::load_policy(policy_path.empty() ? P("policy.toml") : policy_path);
  if (!pol.ok()) fail_msg("%s", pol.message().c_str());
  auto v = verifier::Verifier::create(pol.take(), e.reg.get(), e.log.get(), k);
  if (!v.ok()) fail_msg("%s", v.message().c_str());
  e.v = v.take();
  registry::Device d;
  d.ueid = g_dev.ueid;
  d.site = "sg-lm";
  d.host = "h";
  d.hwmodel = "locus-host-sim";
  d.devid_cert = g_dev.devid_cert;
  d.serial_hex = g_dev.serial_hex;
  assert_true(e.reg->add_device(d).ok());
  return e;
}

verifier::AttestResult attest(Env& e, const std::vector<verifier::LandmarkPair>& lms,
                              const host::Bytes& nonce) {
  verifier::AttestRequest r;
  r.ueid = g_dev.ueid;
  r.nonce = nonce;
  r.evidence = simdev::evidence(g_dev, nonce);
  r.landmarks = lms;
  return e.v->attest(r);
}

const verifier::Check* check(const verifier::AttestResult& r, const char* name) {
  for (const auto& c : r.checks)
    if (c.name == name) return &c;
  return nullptr;
}

// Both landmarks measured 100 us RTT (~15 km): the feasible region lies inside the 60 km
// zone -> affirming, and the decision carries the location verdict.
void test_near_approved(void**) {
  Env e = make_env("near");
  host::Bytes n = e.v->issue_nonce(g_dev.ueid).value().nonce;
  auto r = attest(e, {session(0, n, 100000), session(1, n, 100000)}, n);
  if (!r.affirming) fail_msg("refused: %s", r.first_failure().c_str());
  assert_true(check(r, "location")->pass);
  assert_true(r.decision["claims"].contains("location"));
}

// A decision with 3 landmarks stores the location verdict without the feasible region's outline
// (drawing data, recomputed from the discs by whatever draws it): the stored row has the three
// discs, the centroid and the reasons, no "region_outline", and stays under 4 KB (it is
// ~3.0 KB; the outline alone used to add ~150-300 [lat, lon] pairs). The fleet page still
// draws the feasible region, computed from the stored discs; a stored verdict edited into
// nonsense draws the zones only and says so (the page used to throw on a mistyped key).
void test_decision_without_outline(void**) {
  Env e = make_env("nooutline");
  host::Bytes n = e.v->issue_nonce(g_dev.ueid).value().nonce;
  auto r = attest(e, {session(0, n, 100000), session(1, n, 100000), session(2, n, 100000)}, n);
  if (!r.affirming) fail_msg("refused: %s", r.first_failure().c_str());
  auto decs = e.reg->list_decisions(-1);
  assert_true(decs.ok());
  assert_int_equal(decs.value().size(), 1);
  const std::string& text = decs.value()[0].decision_json;
  std::printf("  stored decision with 3 landmarks: %zu bytes\n", text.size());
  assert_true(text.find("region_outline") == std::string::npos);
  assert_true(text.size() < 4096);
  const nlohmann::json d = nlohmann::json::parse(text, nullptr, false);
  assert_false(d.is_discarded());
  const nlohmann::json& loc = d["claims"]["location"];
  assert_int_equal(loc["discs"].size(), 3);
  assert_true(loc["approved"].get<bool>());
  assert_false(loc["region_empty"].get<bool>());
  assert_true(loc.contains("region_centroid"));
  assert_true(loc["reasons"].is_array() && !loc["reasons"].empty());
  assert_true(r.decision["claims"]["location"] == loc);  // the returned decision is the row
  auto discs = location::discs_from_json(loc);
  assert_true(discs.ok());
  assert_int_equal(discs.value().size(), 3);
  const std::vector<location::GeoPoint> outline = location::region_outline(discs.value());
  assert_true(outline.size() >= 49);
  // The fleet page draws the site's map from this stored decision: its feasible region is
  // there, one path vertex ("M" or "L") per outline point computed from the stored discs.
  auto page = verifier::render_fleet_page(*e.v);
  if (!page.ok()) fail_msg("fleet page: %s", page.message().c_str());
  const std::string& html = page.value();
  const size_t map = html.find("id=\"map-sg-lm\"");
  assert_true(map != std::string::npos);
  const size_t fe = html.find("class=\"feasible\" d=\"", map);
  assert_true(fe != std::string::npos && fe < html.find("</figure>", map));
  const size_t d0 = html.find("d=\"", fe) + 3;
  const std::string path = html.substr(d0, html.find('"', d0) - d0);
  size_t vertices = 0;
  for (char c : path) vertices += (c == 'M' || c == 'L') ? 1 : 0;
  assert_int_equal(vertices, outline.size());
  // The stored verdict edited behind the verifier's back (every radius_km now a string): the
  // page still renders, draws the site's zones without a feasible region, and says why.
  std::string out, err;
  const std::string sql =
      "UPDATE decisions SET json = replace(json, '\"radius_km\":', '\"radius_km\":\"x\",\"was\":')";
  assert_int_equal(
      host::test::run_command({"/usr/bin/sqlite3", e.dir + "/r.db", sql}, &out, &err, 30000), 0);
  auto page2 = verifier::render_fleet_page(*e.v);
  if (!page2.ok()) fail_msg("fleet page: %s", page2.message().c_str());
  const std::string& html2 = page2.value();
  const size_t map2 = html2.find("id=\"map-sg-lm\"");
  assert_true(map2 != std::string::npos);
  const size_t end2 = html2.find("</figure>", map2);
  assert_true(html2.find("class=\"feasible\"", map2) > end2);
  const size_t why = html2.find("location verdict is unreadable", map2);
  assert_true(why != std::string::npos && why < end2);
  assert_true(html2.find("radius_km", why) < end2);
}

// 20 ms RTT (~3000 km radius): the region reaches far outside the zone -> refused.
void test_far_refused(void**) {
  Env e = make_env("far");
  host::Bytes n = e.v->issue_nonce(g_dev.ueid).value().nonce;
  auto r = attest(e, {session(0, n, 20000000), session(1, n, 20000000)}, n);
  assert_false(r.affirming);
  assert_false(check(r, "location")->pass);
}

// Only one of the two required landmarks: refused.
void test_missing_landmark(void**) {
  Env e = make_env("missing");
  host::Bytes n = e.v->issue_nonce(g_dev.ueid).value().nonce;
  auto r = attest(e, {session(0, n, 100000)}, n);
  assert_false(r.affirming);
  assert_false(check(r, "location")->pass);
}

// Records made for another (older) nonce: refused even though the geometry would pass.
void test_records_for_other_nonce(void**) {
  Env e = make_env("othernonce");
  host::Bytes old(32, 0x11);
  host::Bytes n = e.v->issue_nonce(g_dev.ueid).value().nonce;
  auto r = attest(e, {session(0, old, 100000), session(1, old, 100000)}, n);
  assert_false(r.affirming);
  assert_false(check(r, "location")->pass);
}

// Writes a verifier policy whose site sg-lm has the given location keys.
std::string write_policy(const std::string& name, const std::string& site_keys) {
  std::string path = P(name);
  std::ofstream(path)
      << "verifier_id = \"loc\"\nnonce_ttl_s = 60\n[hwmodel.\"locus-host-sim\"]\nfwids = [\""
      << host::hex_encode(g_dev.fwid) << "\"]\nmin_svn = 0\nallow_debug = true\n"
      << "[site.sg-lm]\nlandmarks = [\"lm-1\", \"lm-2\"]\nrounds = 4\n"
      << site_keys
      << "[location]\ntrust_list = \"landmarks.cose\"\ntrust_list_signer = \"tl.pub\"\n";
  return path;
}

int run_locus(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv = {std::string(std::getenv("LOCUS_BINARY_DIR")) +
                                   "/host/cli/locus"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string err;
  const int rc = host::test::run_command(argv, out, &err, 60000);
  if (rc != 0)
    std::printf("  locus %s -> %d: %s%s\n", args.size() > 1 ? args[1].c_str() : "", rc,
                out->c_str(), err.c_str());
  return rc;
}

// One policy file, two commands: the serve path (the in-process verifier that `locus verifier
// serve` runs) and `locus verifier explain --site` on the same signed records must give the
// same location verdict and the same disc radii, for disc and GeoJSON zones, margins, forbidden
// regions, f = 1, approvals and refusals; `check-policy` accepts every file.
void test_serve_and_explain_agree(void**) {
  std::ofstream(P("sg.geojson"))
      << R"({"type":"Feature","properties":{"name":"sg-box"},"geometry":{"type":"Polygon",)"
      << R"("coordinates":[[[103.55,1.1],[104.15,1.1],[104.15,1.55],[103.55,1.55],[103.55,1.1]]]}})";
  const struct {
    const char* name;
    const char* keys;
    uint64_t rtt_ns;
    bool want;
  } cases[] = {
      {"disc-near", "zones = [{lat = 1.33, lon = 103.84, radius_km = 60}]\nf = 0\n", 100000, true},
      {"disc-far", "zones = [{lat = 1.33, lon = 103.84, radius_km = 60}]\nf = 0\n", 600000, false},
      {"margins",
       "zones = [{lat = 1.33, lon = 103.84, radius_km = 60}]\nmargin_km = 30\nmargin_fraction = "
       "0.5\n",
       200000, false},
      {"geojson-in", "zones = [{geojson = \"sg.geojson\"}]\n", 100000, true},
      {"geojson-out", "zones = [{geojson = \"sg.geojson\"}]\n", 250000, false},
      {"forbidden",
       "zones = [{lat = 1.33, lon = 103.84, radius_km = 600}]\nforbidden = [{name = \"jb\", lat = "
       "1.33, lon = 103.84, radius_km = 2}]\n",
       100000, false},
      {"f1", "zones = [{lat = 1.33, lon = 103.84, radius_km = 60}]\nf = 1\n", 100000, true},
  };
  const auto alias = pub_of(g_dev.alias_key);
  int n = 0;
  for (const auto& c : cases) {
    const std::string path = write_policy(std::string(c.name) + ".toml", c.keys);
    std::string out;
    assert_int_equal(run_locus({"verifier", "check-policy", "--policy", path}, &out), 0);
    Env e = make_env(c.name, path);
    host::Bytes nonce = e.v->issue_nonce(g_dev.ueid).value().nonce;
    const auto s0 = session(0, nonce, c.rtt_ns), s1 = session(1, nonce, c.rtt_ns);
    auto r = attest(e, {s0, s1}, nonce);
    const verifier::Check* loc = check(r, "location");
    assert_non_null(loc);
    nlohmann::json rec = {
        {"nonce", host::b64_encode(nonce)},
        {"ueid", host::hex_encode(g_dev.ueid)},
        {"alias_pub", host::hex_encode(ByteSpan(alias.q.data(), alias.q.size()))},
        {"landmark_records",
         nlohmann::json::array({{{"record", host::b64_encode(s0.record)},
                                 {"transcript", host::b64_encode(s0.transcript)}},
                                {{"record", host::b64_encode(s1.record)},
                                 {"transcript", host::b64_encode(s1.transcript)}}})}};
    const std::string rpath = P(std::string(c.name) + "-records.json");
    std::ofstream(rpath) << rec.dump();
    assert_int_equal(
        run_locus({"--json", "verifier", "explain", "--policy", path, "--site", "sg-lm",
                   "--records", rpath, "--trust-list", P("landmarks.cose"), "--trust-signer",
                   P("tl.pub"), "--svg", P(std::string(c.name) + ".svg")},
                  &out),
        0);
    const nlohmann::json ex = nlohmann::json::parse(out, nullptr, false);
    assert_false(ex.is_discarded());
    if (ex["approved"].get<bool>() != loc->pass || loc->pass != c.want) {
      fail_msg("%s: serve says %d (%s), explain says %d, expected %d", c.name, loc->pass,
               loc->reason.c_str(), ex["approved"].get<bool>(), c.want);
    }
    if (r.decision.contains("claims") && r.decision["claims"].contains("location")) {
      const auto& sd = r.decision["claims"]["location"]["discs"];
      assert_int_equal(sd.size(), ex["discs"].size());
      for (size_t i = 0; i < sd.size(); ++i) {
        assert_true(std::fabs(sd[i]["radius_km"].get<double>() -
                              ex["discs"][i]["radius_km"].get<double>()) < 1e-9);
      }
    }
    ++n;
  }
  assert_int_equal(n, 7);
}

// A loopback listener on a free port (backlog as given); its port.
int listener(int backlog, uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t l = sizeof a;
  assert_int_equal(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  assert_int_equal(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l), 0);
  if (backlog >= 0) assert_int_equal(::listen(fd, backlog), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

// The fleet page's landmark health probes run together under one deadline: a listening port
// is up, a closed one and an empty host are down, and four ports that never answer (a
// listener whose accept queue is full drops the SYN) are down after about the timeout once,
// not once each (one after the other they would take 4 x 300 ms).
void test_landmark_probes_together(void**) {
  uint16_t up_port = 0, closed_port = 0;
  const int up = listener(16, &up_port);
  const int closed = listener(-1, &closed_port);  // bound, never listening: refused
  std::vector<std::pair<std::string, uint16_t>> t = {
      {"127.0.0.1", up_port}, {"127.0.0.1", closed_port}, {"", 80}};
  std::vector<int> fds = {up, closed};
  for (int i = 0; i < 4; i++) {
    uint16_t p = 0;
    const int l = listener(0, &p);
    // Backlog 0 holds one completed connection; with it queued, further SYNs are dropped.
    const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(p);
    assert_int_equal(::connect(filler, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    fds.push_back(l);
    fds.push_back(filler);
    t.emplace_back("127.0.0.1", p);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<bool> r = verifier::probe_ports(t, 300);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (int fd : fds) ::close(fd);
  assert_int_equal(r.size(), t.size());
  assert_true(r[0]);
  assert_false(r[1]);
  assert_false(r[2]);
  for (size_t i = 3; i < r.size(); i++) assert_false(r[i]);
  if (ms < 250 || ms > 900) fail_msg("probes took %.0f ms (want ~300, never 4 x 300)", ms);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_near_approved),
      cmocka_unit_test(test_decision_without_outline),
      cmocka_unit_test(test_far_refused),
      cmocka_unit_test(test_missing_landmark),
      cmocka_unit_test(test_records_for_other_nonce),
      cmocka_unit_test(test_serve_and_explain_agree),
      cmocka_unit_test(test_landmark_probes_together),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
