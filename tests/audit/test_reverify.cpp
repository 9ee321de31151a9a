// Evidence bundles and offline re-verification (docs/audit.md), end to end:
//   - a real verifier (in process, SQLite registry) appraises real signed evidence of a
//     software board, real landmark records and real TPM quotes from swtpm (host enrolled by
//     credential activation); every decision keeps its bundle;
//   - `locus audit reverify --db` (registry opened read-only: its files are byte-identical
//     afterwards) and `--export` (after `locus provision export`) agree with every decision;
//   - tampering is reported as a difference with the right reason: a flipped byte in a
//     landmark record, a TPM quote swapped from another decision, a changed policy, a
//     bundle row swapped in the registry;
//   - rows stored with the location verdict's old region_outline still re-verify as `same`,
//     and as `different` when anything else in them differs;
//   - tests/audit/check_export.py (python3-cbor2 + python3-cryptography, not locus code)
//     checks the exported evidence COSE signature, the certificate chain and the TPM quote.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "locus/audit/audit.h"
#include "locus/common/keys.h"
#include "locus/crypto/hash.h"
#include "locus/location/location.h"
#include "locus/location/records.h"
#include "locus/location/trustlist.h"
#include "locus/provision/enroll_host.h"
#include "locus/registry/registry.h"
#include "locus/tpm/enroll.h"
#include "locus/tpm/esapi.h"
#include "locus/tpm/quote_json.h"
#include "locus/tpm/registry.h"
#include "locus/verifier/verifier.h"
#include "locus_test/testproc.h"
#include "sim_device.h"
#include "swtpm_harness.h"

// cmocka last: it defines macros (fail) that clash with the C++ library.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

using namespace locus;
using json = nlohmann::json;

namespace {

std::string g_dir;
simdev::Ca g_ca;
simdev::Device g_dev;
crypto::P256PrivateKey g_lm_key[2];
crypto::P256PrivateKey g_tl_key;
crypto::P256PrivateKey g_license_key;
const char* kLmIds[2] = {"lm-1", "lm-2"};
const double kLmPos[2][2] = {{1.30, 103.80}, {1.35, 103.88}};
const std::vector<uint32_t> kPcrs = {0, 7};

tpm::test::Swtpm* g_swtpm = nullptr;
tpm::Tpm* g_tpm = nullptr;

std::string P(const std::string& n) {
  return g_dir + "/" + n;
}

crypto::P256PublicKey pub_of(const crypto::P256PrivateKey& k) {
  crypto::P256PublicKey p;
  (void)crypto::p256_public_key(k, &p);
  return p;
}

std::string policy_text(const std::string& fwid_hex) {
  return "verifier_id = \"audit\"\nnonce_ttl_s = 60\n[hwmodel.\"locus-host-sim\"]\nfwids = [\"" +
         fwid_hex +
         "\"]\nmin_svn = 0\nallow_debug = true\n"
         "[site.sg-lm]\nzones = [{lat = 1.33, lon = 103.84, radius_km = 60}]\n"
         "landmarks = [\"lm-1\", \"lm-2\"]\nrounds = 4\nf = 0\nmargin_km = 1\n"
         "[location]\ntrust_list = \"landmarks.cose\"\ntrust_list_signer = \"tl.pub\"\n"
         "[tpm]\nrequired = true\npcrs = [0, 7]\n";
}

int setup(void**) {
  g_dir = host::test::make_temp_dir("locus-reverify-");
  g_ca = simdev::make_ca("root-audit");
  g_dev = simdev::make_device(g_ca, "dev-aud", 0xA7, 3);
  for (int i = 0; i < 2; i++)
    (void)crypto::p256_derive_key(simdev::bytes_of(kLmIds[i]), simdev::bytes_of("lm"),
                                  &g_lm_key[i]);
  (void)crypto::p256_derive_key(simdev::bytes_of("trust-list"), simdev::bytes_of("tl"), &g_tl_key);
  (void)crypto::p256_derive_key(simdev::bytes_of("lic"), simdev::bytes_of("lk"), &g_license_key);
  location::TrustList tl;
  for (int i = 0; i < 2; i++) {
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
  if (!location::sign_trust_list(location::trust_list_to_json(tl), g_tl_key, &cose).ok()) return -1;
  std::ofstream(P("landmarks.cose"), std::ios::binary)
      .write(reinterpret_cast<const char*>(cose.data()), static_cast<std::streamsize>(cose.size()));
  std::ofstream(P("tl.pub")) << host::public_key_to_pem(pub_of(g_tl_key)).value();
  std::ofstream(P("policy.toml")) << policy_text(host::hex_encode(g_dev.fwid));
  std::ofstream(P("ca.pem")) << host::pem_encode("CERTIFICATE", g_ca.der);
  std::ofstream(P("license.pub")) << host::public_key_to_pem(pub_of(g_license_key)).value();
  g_swtpm = new tpm::test::Swtpm;
  g_tpm = new tpm::Tpm;
  if (!g_swtpm->start() || !g_tpm->open(g_swtpm->tcti()).ok()) return -1;
  if (!g_tpm->create_ak(P("ak.blob")).ok()) return -1;
  return 0;
}

int teardown(void**) {
  if (g_tpm != nullptr) g_tpm->close();
  delete g_tpm;
  if (g_swtpm != nullptr) g_swtpm->stop();
  delete g_swtpm;
  host::test::remove_tree(g_dir);
  return 0;
}

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
  std::string dir, db;
  std::unique_ptr<registry::Registry> reg;
  std::unique_ptr<audit::AuditLog> log;
  std::unique_ptr<verifier::Verifier> v;
};

// A verifier with TPM appraisal, the board enrolled at site sg-lm in host-a (swtpm's AK).
std::unique_ptr<Env> make_env(const char* name) {
  auto e = std::make_unique<Env>();
  e->dir = P(name);
  assert_int_equal(mkdir(e->dir.c_str(), 0700), 0);
  e->db = e->dir + "/r.db";
  e->reg = registry::open_sqlite(e->db).take();
  e->log = std::make_unique<audit::AuditLog>(e->db + ".audit.jsonl", e->reg.get());
  verifier::VerifierKeys k;
  k.root = certs::parse_cert(g_ca.der).value();
  k.license_key = g_license_key;
  auto pol = verifier::load_policy(P("policy.toml"));
  if (!pol.ok()) fail_msg("%s", pol.message().c_str());
  auto v = verifier::Verifier::create(pol.take(), e->reg.get(), e->log.get(), k);
  if (!v.ok()) fail_msg("%s", v.message().c_str());
  e->v = v.take();
  assert_true(e->v->enable_tpm().ok());
  registry::Device d;
  d.ueid = g_dev.ueid;
  d.site = "sg-lm";
  d.host = "host-a";
  d.hwmodel = "locus-host-sim";
  d.devid_cert = g_dev.devid_cert;
  d.serial_hex = g_dev.serial_hex;
  assert_true(e->reg->add_device(d).ok());
  tpm::TpmRegistry treg;
  assert_true(treg.attach(e->reg.get()).ok());
  provision::HostEnrollOptions o{"host-a", g_swtpm->ca_file(), kPcrs};
  auto rec = provision::enroll_host(*g_tpm, o);
  if (!rec.ok()) fail_msg("enroll: %s", rec.message().c_str());
  assert_true(treg.put_host(rec.value()).ok());
  assert_true(treg.bind_board(host::hex_encode(g_dev.ueid), "host-a").ok());
  return e;
}

json quote_for(const host::Bytes& nonce, const host::Bytes& evidence) {
  auto q = g_tpm->quote_evidence(nonce, evidence, kPcrs);
  assert_true(q.ok());
  return json::parse(tpm::quote_to_json(q.value()));
}

verifier::AttestResult attest(Env& e, const host::Bytes& nonce, uint64_t rtt_ns) {
  verifier::AttestRequest r;
  r.ueid = g_dev.ueid;
  r.nonce = nonce;
  r.evidence = simdev::evidence(g_dev, nonce);
  r.landmarks = {session(0, nonce, rtt_ns), session(1, nonce, rtt_ns)};
  r.tpm = quote_for(nonce, r.evidence);
  return e.v->attest(r);
}

int run_locus(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv = {std::string(std::getenv("LOCUS_BINARY_DIR")) +
                                   "/host/cli/locus"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string err;
  const int rc = host::test::run_command(argv, out, &err, 60000);
  if (!err.empty()) std::printf("  locus %s -> %d: %s", args[1].c_str(), rc, err.c_str());
  return rc;
}

std::vector<std::string> anchors(const std::string& policy = "") {
  return {"--ca-cert",      P("ca.pem"), "--license-pub",
          P("license.pub"), "--policy",  policy.empty() ? P("policy.toml") : policy};
}

json reverify(const std::vector<std::string>& source, int want_rc, const std::string& policy = "") {
  std::vector<std::string> a = {"--json", "audit", "reverify"};
  a.insert(a.end(), source.begin(), source.end());
  for (const auto& x : anchors(policy)) a.push_back(x);
  std::string out;
  int rc = run_locus(a, &out);
  if (rc != want_rc) fail_msg("reverify exit %d (want %d): %s", rc, want_rc, out.c_str());
  json j = json::parse(out, nullptr, false);
  if (j.is_discarded()) fail_msg("reverify output is not JSON: %s", out.c_str());
  return j;
}

const json& item(const json& report, int64_t id) {
  for (const auto& d : report["decisions"])
    if (d["decision_id"] == id) return d;
  fail_msg("decision %lld not in the report", static_cast<long long>(id));
  static json none;
  return none;
}

std::string file_sha(const std::string& path) {
  auto b = host::read_file(path);
  if (!b.ok()) return "absent";
  crypto::Digest d{};
  (void)crypto::sha256(b.value(), &d);
  return host::hex_encode(d);
}

void copy_tree(const std::string& from, const std::string& to) {
  std::string out, err;
  assert_int_equal(host::test::run_command({"/bin/cp", "-a", from, to}, &out, &err, 30000), 0);
}

void flip_byte(const std::string& path, size_t off) {
  auto b = host::read_file(path);
  assert_true(b.ok());
  host::Bytes x = b.value();
  assert_true(off < x.size());
  x[off] ^= 0x01;
  assert_true(host::write_file(path, x, 0644, true).ok());
}

struct Run {
  std::unique_ptr<Env> env;
  int64_t ok1 = 0, ok2 = 0, far = 0, reused = 0, badquote = 0;
};

// The decisions every test looks at: two affirming, one refused on location, one refused
// because its nonce was used already.
Run make_run(const char* name) {
  Run r;
  r.env = make_env(name);
  Env& e = *r.env;
  host::Bytes n1 = e.v->issue_nonce(g_dev.ueid).value().nonce;
  auto a1 = attest(e, n1, 100000);
  if (!a1.affirming) fail_msg("refused: %s", a1.first_failure().c_str());
  r.ok1 = a1.decision_id;
  host::Bytes n2 = e.v->issue_nonce(g_dev.ueid).value().nonce;
  auto a2 = attest(e, n2, 120000);
  if (!a2.affirming) fail_msg("refused: %s", a2.first_failure().c_str());
  r.ok2 = a2.decision_id;
  host::Bytes n3 = e.v->issue_nonce(g_dev.ueid).value().nonce;
  auto a3 = attest(e, n3, 20000000);
  assert_false(a3.affirming);
  r.far = a3.decision_id;
  auto a4 = attest(e, n1, 100000);
  assert_false(a4.affirming);
  assert_non_null(std::strstr(a4.first_failure().c_str(), "nonce"));
  r.reused = a4.decision_id;
  // A quote object that does not parse: refused at "tpm", kept as raw JSON in the bundle.
  host::Bytes n5 = e.v->issue_nonce(g_dev.ueid).value().nonce;
  verifier::AttestRequest q;
  q.ueid = g_dev.ueid;
  q.nonce = n5;
  q.evidence = simdev::evidence(g_dev, n5);
  q.landmarks = {session(0, n5, 100000), session(1, n5, 100000)};
  q.tpm = json{{"quote", 5}};
  auto a5 = e.v->attest(q);
  assert_false(a5.affirming);
  assert_non_null(std::strstr(a5.first_failure().c_str(), "malformed TPM quote"));
  r.badquote = a5.decision_id;
  return r;
}

// Every decision re-verifies from the registry, which is opened read-only: the database
// files are byte-identical afterwards. The bundle is CBOR, stored once per decision.
void test_reverify_registry_agrees(void**) {
  Run r = make_run("registry");
  for (int64_t id : {r.ok1, r.ok2, r.far, r.reused, r.badquote}) {
    auto b = r.env->reg->get_evidence_bundle(id);
    assert_true(b.ok());
    auto eb = verifier::decode_bundle(b.value());
    if (!eb.ok()) fail_msg("decision %lld: %s", static_cast<long long>(id), eb.message().c_str());
    assert_int_equal(eb.value().decision_id, id);
    assert_int_equal(eb.value().landmarks.size(), 2);
    assert_true(eb.value().quote.present);
  }
  const std::string db = r.env->db;
  const std::string before = file_sha(db) + file_sha(db + "-wal");
  json rep = reverify({"--db", db}, 0);
  assert_true(rep["ok"].get<bool>());
  assert_int_equal(rep["same"].get<int>(), 5);
  assert_string_equal(item(rep, r.ok1)["recorded_status"].get<std::string>().c_str(), "affirming");
  assert_string_equal(item(rep, r.far)["reappraised_status"].get<std::string>().c_str(),
                      "contraindicated");
  assert_true(item(rep, r.reused)["reason"].get<std::string>().find("nonce") != std::string::npos);
  assert_string_equal((file_sha(db) + file_sha(db + "-wal")).c_str(), before.c_str());
  // --decision: that one decision alone (read as a page of one, not the history); an id
  // with no decision is an error, not an empty report.
  json only = reverify({"--db", db, "--decision", std::to_string(r.far)}, 0);
  assert_int_equal(only["decisions"].size(), 1);
  assert_int_equal(only["decisions"][0]["decision_id"].get<int64_t>(), r.far);
  assert_int_equal(only["same"].get<int>(), 1);
  {
    std::vector<std::string> a = {"audit", "reverify", "--db", db, "--decision", "999999"};
    for (const auto& x : anchors()) a.push_back(x);
    std::string out;
    assert_int_not_equal(run_locus(a, &out), 0);
  }
  // A read-only registry refuses writes.
  auto ro = registry::open_read_only(db);
  assert_true(ro.ok());
  registry::Device d;
  d.ueid.assign(33, 0x01);
  d.site = "x";
  d.host = "x";
  d.hwmodel = "x";
  d.devid_cert = {1};
  d.serial_hex = "01";
  assert_false(ro.value()->add_device(d).ok());
  assert_false(registry::open_read_only(g_dir + "/no-such.db").ok());
}

// A bundle row swapped in the registry (decision 1 now holds decision 2's bundle) and a
// bundle with a flipped byte are differences; the exit code says so.
void test_registry_tamper_detected(void**) {
  Run r = make_run("regtamper");
  r.env.reset();  // close the registry
  const std::string db = P("regtamper/r.db");
  std::string out, err;
  const std::string sql =
      "UPDATE evidence_bundles SET bundle = (SELECT bundle FROM "
      "evidence_bundles WHERE decision_id = " +
      std::to_string(r.ok2) + ") WHERE decision_id = " + std::to_string(r.ok1) + ";";
  assert_int_equal(host::test::run_command({"/usr/bin/sqlite3", db, sql}, &out, &err, 30000), 0);
  json rep = reverify({"--db", db}, 1);
  assert_false(rep["ok"].get<bool>());
  assert_int_equal(rep["different"].get<int>(), 1);
  const json& it = item(rep, r.ok1);
  assert_string_equal(it["outcome"].get<std::string>().c_str(), "different");
  assert_true(it["difference"].get<std::string>().find("belongs to decision " +
                                                       std::to_string(r.ok2)) != std::string::npos);
}

// Rows stored before the location verdict dropped its region outline: the same decisions with
// claims.location.region_outline put back as the old verifier wrote it ([[lat, lon], ...] from
// the same discs) re-verify as `same`; an old row that also differs in anything else (one
// disc radius, the centroid) is `different`, naming the claims.
void test_old_rows_with_outline(void**) {
  Run r = make_run("oldrows");
  auto decs = r.env->reg->list_decisions(-1);
  assert_true(decs.ok());
  std::map<int64_t, json> rows;
  for (const auto& d : decs.value()) rows[d.id] = json::parse(d.decision_json);
  r.env.reset();  // close the registry
  auto with_outline = [&](int64_t id) {
    json d = rows.at(id);
    json& loc = d["claims"]["location"];
    assert_false(loc.contains("region_outline"));
    auto discs = location::discs_from_json(loc);
    assert_true(discs.ok());
    json o = json::array();
    for (const auto& g : location::region_outline(discs.value()))
      o.push_back({g.lat_deg, g.lon_deg});
    assert_true(o.size() >= 49);
    loc["region_outline"] = o;
    return d;
  };
  json old1 = with_outline(r.ok1), old2 = with_outline(r.ok2), old3 = with_outline(r.far);
  old2["claims"]["location"]["discs"][0]["radius_km"] =
      old2["claims"]["location"]["discs"][0]["radius_km"].get<double>() + 0.001;
  old3["claims"]["location"]["region_centroid"]["lat"] =
      old3["claims"]["location"]["region_centroid"]["lat"].get<double>() + 1e-6;
  std::string sql;
  for (const auto& [id, d] :
       {std::pair<int64_t, json>{r.ok1, old1}, {r.ok2, old2}, {r.far, old3}}) {
    std::string text = d.dump();
    for (size_t p = text.find('\''); p != std::string::npos; p = text.find('\'', p + 2))
      text.insert(p, 1, '\'');
    sql += "UPDATE decisions SET json = '" + text + "' WHERE id = " + std::to_string(id) + ";";
  }
  const std::string db = P("oldrows/r.db");
  std::string out, err;
  assert_int_equal(host::test::run_command({"/usr/bin/sqlite3", db, sql}, &out, &err, 30000), 0);
  json rep = reverify({"--db", db}, 1);
  assert_int_equal(rep["same"].get<int>(), 3);
  assert_int_equal(rep["different"].get<int>(), 2);
  assert_string_equal(item(rep, r.ok1)["outcome"].get<std::string>().c_str(), "same");
  for (int64_t id : {r.ok2, r.far}) {
    const json& it = item(rep, id);
    assert_string_equal(it["outcome"].get<std::string>().c_str(), "different");
    assert_true(it["difference"].get<std::string>().find("claims") != std::string::npos);
  }
}

// Export, then reverify the export: same verdicts. Then tamper with copies of the export.
void test_export_reverify_and_tamper(void**) {
  Run r = make_run("export");
  const std::string ex = P("export/out");
  std::string out;
  assert_int_equal(run_locus({"--json", "provision", "export", "--db", r.env->db, "--out", ex,
                              "--ca-cert", P("ca.pem")},
                             &out),
                   0);
  assert_int_equal(json::parse(out)["bundles"].get<int>(), 5);
  const std::string b1 = ex + "/bundles/" + std::to_string(r.ok1);
  for (const char* f :
       {"manifest.json", "evidence.cose", "landmark-0.record.cose", "landmark-0.transcript.cose",
        "tpm-quote.attest.bin", "tpm-quote.signature.bin", "tpm-host.ak-public.bin",
        "devid-cert.pem", "alias-cert.pem", "license.cose"})
    if (!host::file_exists(b1 + "/" + f)) fail_msg("export lacks %s", f);
  json rep = reverify({"--export", ex}, 0);
  assert_int_equal(rep["same"].get<int>(), 5);

  // (a) One byte of a landmark record's signature flipped: the location check differs.
  const std::string t1 = P("export/t1");
  copy_tree(ex, t1);
  const std::string rec = t1 + "/bundles/" + std::to_string(r.ok1) + "/landmark-0.record.cose";
  flip_byte(rec, host::read_file(rec).value().size() - 5);
  rep = reverify({"--export", t1}, 1);
  assert_int_equal(rep["different"].get<int>(), 1);
  std::string diff = item(rep, r.ok1)["difference"].get<std::string>();
  std::printf("  flipped landmark record: %s\n", diff.c_str());
  assert_true(diff.find("check 'location': recorded pass") != std::string::npos);
  assert_true(diff.find("status: recorded affirming, re-appraised contraindicated") !=
              std::string::npos);

  // (b) Decision ok1's TPM quote replaced with decision ok2's: bound to another nonce.
  const std::string t2 = P("export/t2");
  copy_tree(ex, t2);
  const std::string d1 = t2 + "/bundles/" + std::to_string(r.ok1);
  const std::string d2 = t2 + "/bundles/" + std::to_string(r.ok2);
  for (const char* f : {"tpm-quote.attest.bin", "tpm-quote.signature.bin"}) {
    std::string o2, e2;
    assert_int_equal(
        host::test::run_command({"/bin/cp", d2 + "/" + f, d1 + "/" + f}, &o2, &e2, 30000), 0);
  }
  rep = reverify({"--export", t2}, 1);
  diff = item(rep, r.ok1)["difference"].get<std::string>();
  std::printf("  swapped TPM quote: %s\n", diff.c_str());
  assert_true(diff.find("check 'tpm': recorded pass") != std::string::npos);
  assert_true(diff.find("extraData") != std::string::npos ||
              diff.find("nonce") != std::string::npos);
  assert_string_equal(item(rep, r.ok2)["outcome"].get<std::string>().c_str(), "same");

  // (c) The auditor's policy no longer lists the FWID: the policy digest and the fwid check
  // differ for every decision that got that far.
  std::ofstream(P("policy-changed.toml")) << policy_text(std::string(64, 'e'));
  rep = reverify({"--export", ex}, 1, P("policy-changed.toml"));
  diff = item(rep, r.ok1)["difference"].get<std::string>();
  std::printf("  changed policy: %s\n", diff.c_str());
  assert_true(diff.find("policy: the decision was made under policy sha256") != std::string::npos);
  assert_true(diff.find("check 'fwid': recorded pass") != std::string::npos);

  // (d) A manifest pointing outside its directory is refused, not followed.
  const std::string t3 = P("export/t3");
  copy_tree(ex, t3);
  const std::string m3 = t3 + "/bundles/" + std::to_string(r.ok2) + "/manifest.json";
  json m = json::parse(host::read_text_file(m3).value());
  m["bundle"]["evidence"]["file"] = "../../../ca.pem";
  assert_true(host::write_text_file(m3, m.dump(), 0644, true).ok());
  rep = reverify({"--export", t3}, 1);
  diff = item(rep, r.ok2)["difference"].get<std::string>();
  assert_true(diff.find("plain file name") != std::string::npos);

  // (e) Independent tools: Python (cbor2 + cryptography) checks the export.
  std::string py_out, py_err;
  int rc = host::test::run_command(
      {std::getenv("LOCUS_PYTHON3"),
       std::string(std::getenv("LOCUS_SOURCE_DIR")) + "/tests/audit/check_export.py", ex},
      &py_out, &py_err, 60000);
  std::printf("%s%s", py_out.c_str(), py_err.c_str());
  assert_int_equal(rc, 0);
  // ... and refuses the export with the flipped landmark record? No: the Python checker
  // verifies evidence, chain and quote; a flipped evidence byte must fail it.
  const std::string t4 = P("export/t4");
  copy_tree(ex, t4);
  const std::string ev = t4 + "/bundles/" + std::to_string(r.ok1) + "/evidence.cose";
  flip_byte(ev, host::read_file(ev).value().size() - 3);
  rc = host::test::run_command(
      {std::getenv("LOCUS_PYTHON3"),
       std::string(std::getenv("LOCUS_SOURCE_DIR")) + "/tests/audit/check_export.py", t4},
      &py_out, &py_err, 60000);
  assert_int_not_equal(rc, 0);
}

// Clear errors: both or neither source, a missing export, a wrong root.
void test_reverify_usage_errors(void**) {
  std::string out;
  std::vector<std::string> a = {"audit", "reverify"};
  for (const auto& x : anchors()) a.push_back(x);
  assert_int_equal(run_locus(a, &out), 2);
  a.push_back("--export");
  a.push_back(P("nonexistent"));
  assert_int_equal(run_locus(a, &out), 4);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reverify_registry_agrees),
      cmocka_unit_test(test_registry_tamper_detected),
      cmocka_unit_test(test_old_rows_with_outline),
      cmocka_unit_test(test_export_reverify_and_tamper),
      cmocka_unit_test(test_reverify_usage_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
