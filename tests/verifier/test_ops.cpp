// Operator-facing outputs of a running verifier, with real processes over loopback (two
// locus-host-sim boards, `locus verifier serve`, enrolled with `locus provision`):
//   - EAR: every POST /v1/attest answer carries a signed EAR (JWT, ES256); an independent
//     checker (tests/verifier/ear_check.py: PyJWT + python3-cryptography) verifies the
//     affirming one and a refusal (contraindicated), and refuses altered tokens; the key from
//     `locus verifier ear-key` equals GET /v1/ear-key, and the license key does not verify.
//   - /metrics: `promtool check metrics` accepts the scrape, and the counters equal the
//     traffic this test made, including 100 concurrent refused attestations.
//   - the fleet page: refused without / with a wrong token (Bearer, cookie, login form);
//     headless Chromium logs in through the form, takes a screenshot, and its rendered DOM
//     has a row per board (with its site, host, mode and last decision), the site's decision
//     map (inline SVG) and no element made from a board-supplied string (the host name of
//     board B is an XSS attempt).
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "locus/crypto/hash.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
#include "locus/provision/provision.h"
#include "locus_test/cmocka.h"  // last: its macros clash with the C++ library
#include "locus_test/proc.h"
#include "locus_test/testproc.h"

using namespace locus;
using json = nlohmann::json;
using host::test::Process;

namespace {

std::string g_bin, g_sim, g_dir, g_src;
// Board B's host name is an XSS attempt; the fleet page must show it as text.
const char kEvilHost[] = "h2<script>document.title='pwned'</script><img src=x onerror=alert(1)>";
const char kToken[] = "op-token-0123456789abcdef";

std::string path(const std::string& n) {
  return g_dir + "/" + n;
}

int locus_cmd(const std::vector<std::string>& args, std::string* out = nullptr,
              std::string* err = nullptr) {
  return locus_test::run_tool(g_bin, args, out, err);
}

struct Board {
  Process proc;
  int port = 0;
  std::string name, ueid;
};

bool start_board(Board* b) {
  b->port = locus_test::start_host_sim(&b->proc, g_sim, path(b->name + ".uds"), path("image"),
                                       path(b->name + ".state"), path(b->name + ".log"));
  return b->port > 0;
}

template <typename Req>
bool board_call(boardlink::Link& link, const Req& req, host::Bytes* body) {
  uint8_t item[protocol::kMaxPayload];
  cbor::Encoder e(item, sizeof item);
  if (!protocol::encode_body(e, req).ok() || !e.finish().ok()) return false;
  boardlink::RawResponse r;
  if (!link.request(Req::kType, ByteSpan(item, e.size()), &r).ok()) return false;
  *body = std::move(r.body);
  return r.type == protocol::response_type(Req::kType);
}

json post(int port, const std::string& p, const json& body, int* status) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  auto r = c.Post(p.c_str(), body.dump(), "application/json");
  if (!r) {
    *status = -1;
    return json();
  }
  *status = r->status;
  return json::parse(r->body, nullptr, false);
}

std::string get(int port, const std::string& p, int* status) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  auto r = c.Get(p.c_str());
  if (!r) {
    *status = -1;
    return "";
  }
  *status = r->status;
  return r->body;
}

std::string nonce_for(int vport, const std::string& ueid) {
  int st = 0;
  json j = post(vport, "/v1/nonce", {{"ueid", ueid}}, &st);
  assert_int_equal(st, 200);
  return j["nonce"].get<std::string>();
}

json attest(const Board& b, int vport, const std::string& nonce_b64) {
  boardlink::Link link;
  assert_true(link.open("tcp:127.0.0.1:" + std::to_string(b.port)).ok());
  protocol::GetEvidenceRequest ge;
  host::Bytes nonce = host::b64_decode(nonce_b64).value();
  ge.nonce = nonce;
  host::Bytes body;
  assert_true(board_call(link, ge, &body));
  protocol::EvidenceResponse ev;
  assert_true(protocol::decode_body(body, &ev).ok());
  int st = 0;
  json resp = post(
      vport, "/v1/attest",
      {{"ueid", b.ueid}, {"nonce", nonce_b64}, {"evidence", host::b64_encode(ev.cose_sign1)}}, &st);
  assert_int_equal(st, 200);
  link.close();
  return resp;
}

int python(const std::vector<std::string>& args, std::string* out = nullptr) {
  std::vector<std::string> argv = {"/usr/bin/python3"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string o, e;
  int rc = host::test::run_command(argv, &o, &e, 60000);
  print_message("python3 %s: exit %d\n%s%s", args.empty() ? "" : args[0].c_str(), rc, o.c_str(),
                e.c_str());
  if (out != nullptr) *out = o;
  return rc;
}

// The value of one sample ("name{labels}" exactly as written) in a scrape; -1 if absent.
double metric(const std::string& scrape, const std::string& series) {
  size_t p = 0;
  while ((p = scrape.find(series + " ", p)) != std::string::npos) {
    if (p == 0 || scrape[p - 1] == '\n') return std::stod(scrape.substr(p + series.size() + 1));
    p += series.size();
  }
  return -1;
}

int setup(void**) {
  const char* b = std::getenv("LOCUS_BINARY_DIR");
  const char* s = std::getenv("LOCUS_SOURCE_DIR");
  assert_non_null(b);
  assert_non_null(s);
  g_src = s;
  g_bin = std::string(b) + "/host/cli/locus";
  g_sim = std::string(b) + "/boards/host-sim/locus-host-sim";
  g_dir = host::test::make_temp_dir("locus-ops-");
  std::ofstream(path("a.uds"), std::ios::binary) << std::string(32, '\x5a');
  std::ofstream(path("b.uds"), std::ios::binary) << std::string(32, '\x6b');
  std::string image(4096, '\0');
  for (size_t i = 0; i < image.size(); i++) image[i] = static_cast<char>(i * 5 + 1);
  std::ofstream(path("image"), std::ios::binary) << image;
  crypto::Digest fwid{};
  auto good = host::read_file(path("image")).value();
  assert_true(crypto::sha256(good, &fwid).ok());
  std::ofstream(path("policy.toml"))
      << "verifier_id = \"ops-test\"\nlease_s = 600\nnonce_ttl_s = 120\n"
      << "[hwmodel.\"locus-host-sim\"]\nfwids = [\"" << host::hex_encode(fwid)
      << "\"]\nmin_svn = 0\nallow_debug = true\n"
      << "[site.sg-1]\nzones = [{lat = 1.35, lon = 103.82, radius_km = 40}]\n";
  assert_int_equal(
      locus_cmd({"provision", "init-ca", "--key", path("ca.key"), "--cert", path("ca.pem")}), 0);
  assert_int_equal(locus_cmd({"provision", "init-license-key", "--key", path("license.key"),
                              "--pub", path("license.pub")}),
                   0);
  std::ofstream(path("operator.token")) << kToken << "\n";
  return 0;
}

int teardown(void**) {
  // LOCUS_TEST_KEEP=1 keeps the directory (fleet.png, fleet-dom.html, metrics.txt, the EARs).
  const char* keep = std::getenv("LOCUS_TEST_KEEP");
  if ((keep != nullptr) && std::string(keep) == "1") {
    print_message("kept %s\n", g_dir.c_str());
    return 0;
  }
  host::test::remove_tree(g_dir);
  return 0;
}

// Runs headless Chromium (bounded, killed by PID on timeout inside run_command) on url.
int chromium(const std::vector<std::string>& extra, const std::string& url, std::string* out,
             const std::string& profile = "chromium-profile") {
  std::vector<std::string> argv = {"/usr/bin/chromium",
                                   "--headless=new",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--no-first-run",
                                   "--disable-extensions",
                                   "--user-data-dir=" + path(profile),
                                   "--virtual-time-budget=5000"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  std::string err;
  const int rc = host::test::run_command(argv, out, &err, 60000);
  if (rc != 0) print_message("chromium: exit %d\n%s\n", rc, err.c_str());
  return rc;
}

void enroll(Board* b, const std::string& host_name) {
  assert_true(start_board(b));
  assert_int_equal(
      locus_cmd({"provision", "enroll", "--link", "tcp:127.0.0.1:" + std::to_string(b->port),
                 "--site", "sg-1", "--host", host_name, "--db", path("locus.db"), "--ca-key",
                 path("ca.key"), "--ca-cert", path("ca.pem"), "--license-key",
                 path("license.pub")}),
      0);
}

void check_fleet_page(int vport, const Board& a, const Board& b) {
  const std::string base = "http://127.0.0.1:" + std::to_string(vport);
  httplib::Client c("127.0.0.1", vport);
  c.set_read_timeout(30, 0);
  // Refused: no token, a wrong bearer token, a wrong cookie, a wrong login.
  auto r = c.Get("/fleet");
  assert_true(r != nullptr);
  assert_int_equal(r->status, 401);
  assert_true(r->body.find(a.ueid) == std::string::npos);
  r = c.Get("/fleet", {{"Authorization", "Bearer op-token-0123456789abcdeX"}});
  assert_int_equal(r->status, 401);
  r = c.Get("/fleet", {{"Cookie", "locus_operator=op-token-0123456789abcde"}});
  assert_int_equal(r->status, 401);
  r = c.Post("/fleet/login", "token=wrong-token-000000000", "application/x-www-form-urlencoded");
  assert_int_equal(r->status, 401);
  assert_true(r->get_header_value("Set-Cookie").empty());
  // Accepted: the bearer token; the login form sets an HttpOnly cookie and redirects.
  r = c.Get("/fleet", {{"Authorization", std::string("Bearer ") + kToken}});
  assert_int_equal(r->status, 200);
  assert_true(r->body.find(a.ueid) != std::string::npos);
  assert_true(r->body.find("<script") == std::string::npos);
  assert_true(r->body.find("id=\"boards-page\"") == std::string::npos);  // one page: no line
  // Pages: ?limit=1 lists the board with the lower UEID and links to the next page, which
  // lists the other one and no next; malformed parameters are 400 with the reason.
  {
    const httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kToken}};
    const std::string& lo = a.ueid < b.ueid ? a.ueid : b.ueid;
    const std::string& hi = a.ueid < b.ueid ? b.ueid : a.ueid;
    auto p1 = c.Get("/fleet?limit=1", auth);
    assert_int_equal(p1->status, 200);
    assert_true(p1->body.find("id=\"board-" + lo + "\"") != std::string::npos);
    assert_true(p1->body.find("id=\"board-" + hi + "\"") == std::string::npos);
    assert_true(p1->body.find("<h2>Boards (2)</h2>") != std::string::npos);
    const std::string next = "/fleet?after=" + lo + "&amp;limit=1";
    if (p1->body.find("id=\"next-page\" href=\"" + next + "\"") == std::string::npos)
      fail_msg("no next-page link %s in:\n%s", next.c_str(), p1->body.c_str());
    auto p2 = c.Get("/fleet?after=" + lo + "&limit=1", auth);
    assert_int_equal(p2->status, 200);
    assert_true(p2->body.find("id=\"board-" + hi + "\"") != std::string::npos);
    assert_true(p2->body.find("id=\"board-" + lo + "\"") == std::string::npos);
    assert_true(p2->body.find("id=\"next-page\"") == std::string::npos);
    assert_true(p2->body.find("id=\"first-page\" href=\"/fleet?limit=1\"") != std::string::npos);
    for (const char* bad : {"/fleet?after=zz", "/fleet?after=0102", "/fleet?limit=0",
                            "/fleet?limit=10001", "/fleet?limit=abc", "/fleet?limit=-1"}) {
      auto e = c.Get(bad, auth);
      assert_int_equal(e->status, 400);
      assert_true(e->body.find("query parameter") != std::string::npos);
    }
  }
  r = c.Post("/fleet/login", std::string("token=") + kToken, "application/x-www-form-urlencoded");
  assert_int_equal(r->status, 303);
  assert_string_equal(r->get_header_value("Location").c_str(), "/fleet");
  assert_non_null(strstr(r->get_header_value("Set-Cookie").c_str(), "HttpOnly"));

  // A real browser: a local page posts the token to the login form (as an operator would
  // type it), the browser follows the redirect with its cookie and renders the page.
  std::ofstream(path("login.html"))
      << "<!DOCTYPE html><html><body><form method=\"post\" action=\"" << base
      << "/fleet/login\"><input name=\"token\" value=\"" << kToken
      << "\"></form><script>document.forms[0].submit()</script></body></html>\n";
  std::string dom;
  assert_int_equal(chromium({"--dump-dom"}, "file://" + path("login.html"), &dom), 0);
  std::ofstream(path("fleet-dom.html")) << dom;
  for (const Board* bd : {&a, &b}) {
    const size_t row = dom.find("id=\"board-" + bd->ueid + "\"");
    if (row == std::string::npos)
      fail_msg("no row for board %s in:\n%s", bd->ueid.c_str(), dom.c_str());
    const std::string tr = dom.substr(row, dom.find("</tr>", row) - row);
    assert_true(tr.find("sg-1") != std::string::npos);
    assert_true(tr.find('#') != std::string::npos);  // a last decision
  }
  // A: last decision affirming, FULL with lease left; B: last decision refused (nonce replay).
  {
    const size_t ra = dom.find("id=\"board-" + a.ueid + "\"");
    const std::string tr = dom.substr(ra, dom.find("</tr>", ra) - ra);
    assert_true(tr.find(">FULL<") != std::string::npos);
    assert_true(tr.find("h1") != std::string::npos);
  }
  {
    const size_t rb = dom.find("id=\"board-" + b.ueid + "\"");
    const std::string tr = dom.substr(rb, dom.find("</tr>", rb) - rb);
    assert_true(tr.find("RESTRICTED") != std::string::npos);
    assert_true(tr.find("nonce already used") != std::string::npos);
    // The XSS attempt is text, not markup.
    assert_true(tr.find("h2&lt;script&gt;") != std::string::npos);
  }
  assert_true(dom.find("<script>document.title") == std::string::npos);
  assert_true(dom.find("<img src=\"x\"") == std::string::npos);
  assert_true(dom.find("<title>locus fleet</title>") != std::string::npos);
  // The site's decision map, as explain draws it: an inline SVG inside the site's figure.
  const size_t map = dom.find("id=\"map-sg-1\"");
  assert_true(map != std::string::npos);
  assert_true(dom.find("<svg", map) != std::string::npos);
  // The screenshot (PNG signature).
  std::string ignored;
  assert_int_equal(chromium({"--screenshot=" + path("fleet.png"), "--window-size=1400,1600"},
                            "file://" + path("login.html"), &ignored),
                   0);
  auto png = host::read_file(path("fleet.png")).value();
  assert_true(png.size() > 1000);
  assert_true(png[0] == 0x89 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
  // Without the login (a fresh browser profile: no cookie) the browser gets the form only.
  assert_int_equal(chromium({"--dump-dom"}, base + "/fleet", &dom, "chromium-fresh"), 0);
  assert_true(dom.find("board-" + a.ueid) == std::string::npos);
  assert_true(dom.find("Operator token") != std::string::npos);
}

void test_ear_and_metrics(void**) {
  Board a, b;
  a.name = "a";
  b.name = "b";
  enroll(&a, "h1");
  enroll(&b, kEvilHost);
  std::string out;
  assert_int_equal(locus_cmd({"--json", "provision", "list", "--db", path("locus.db")}, &out), 0);
  json devs = json::parse(out);
  assert_int_equal(devs.size(), 2);
  // provision list is in enrollment order.
  a.ueid = devs[0]["ueid"].get<std::string>();
  b.ueid = devs[1]["ueid"].get<std::string>();

  Process ver;
  const int vport = locus_test::start_listening(
      &ver,
      {g_bin, "--log-level", "info", "verifier", "serve", "--policy", path("policy.toml"), "--db",
       path("locus.db"), "--ca", path("ca.pem"), "--license-key", path("license.key"), "--listen",
       "127.0.0.1:0", "--operator-token-file", path("operator.token")},
      path("verifier.log"));
  assert_true(vport > 0);

  // Affirming for A, affirming for B, then B's nonce replayed: refused at "nonce".
  json ra = attest(a, vport, nonce_for(vport, a.ueid));
  assert_string_equal(ra["decision"]["status"].get<std::string>().c_str(), "affirming");
  const std::string nb = nonce_for(vport, b.ueid);
  json rb = attest(b, vport, nb);
  assert_string_equal(rb["decision"]["status"].get<std::string>().c_str(), "affirming");
  json rr = attest(b, vport, nb);
  assert_string_equal(rr["decision"]["status"].get<std::string>().c_str(), "contraindicated");
  assert_true(ra["ear"].is_string() && rr["ear"].is_string());
  std::ofstream(path("ear-affirming.jwt")) << ra["ear"].get<std::string>();
  std::ofstream(path("ear-refused.jwt")) << rr["ear"].get<std::string>();

  // The EAR public key: the CLI (from the license key) and GET /v1/ear-key agree.
  assert_int_equal(locus_cmd({"verifier", "ear-key", "--license-key", path("license.key")}, &out),
                   0);
  std::ofstream(path("ear.pub")) << out;
  int st = 0;
  json served = json::parse(get(vport, "/v1/ear-key", &st));
  assert_int_equal(st, 200);
  assert_string_equal(served["pem"].get<std::string>().c_str(), out.c_str());
  assert_string_equal(served["jwk"]["kty"].get<std::string>().c_str(), "EC");

  // Independent verification (PyJWT), the claims a scheduler checks, and tampering.
  const std::string chk = g_src + "/tests/verifier/ear_check.py";
  assert_int_equal(
      python({chk, path("ear.pub"), path("ear-affirming.jwt"), "affirming", a.ueid}, &out), 0);
  json claims = json::parse(out);
  assert_string_equal(claims["eat_profile"].get<std::string>().c_str(),
                      "tag:github.com,2023:veraison/ear");
  assert_string_equal(claims["submods"]["board"]["locus.site"].get<std::string>().c_str(), "sg-1");
  assert_int_equal(claims["submods"]["board"]["locus.lease-s"].get<int>(), 600);
  assert_int_equal(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 600);
  assert_int_equal(
      python({chk, path("ear.pub"), path("ear-refused.jwt"), "contraindicated", b.ueid}, &out), 0);
  claims = json::parse(out);
  assert_non_null(
      strstr(claims["submods"]["board"]["locus.reason"].get<std::string>().c_str(), "nonce"));
  // The checker can fail: a refusal is not an affirmation, another key does not verify, a
  // token for A is not one for B.
  assert_int_equal(python({chk, path("ear.pub"), path("ear-refused.jwt"), "affirming", b.ueid}), 1);
  assert_int_equal(
      python({chk, path("license.pub"), path("ear-affirming.jwt"), "affirming", a.ueid}), 1);
  assert_int_equal(python({chk, path("ear.pub"), path("ear-affirming.jwt"), "affirming", b.ueid}),
                   1);
  // A token with its signature swapped for another token's does not verify either.
  {
    std::string t1 = ra["ear"].get<std::string>(), t2 = rb["ear"].get<std::string>();
    std::string spliced = t1.substr(0, t1.rfind('.')) + t2.substr(t2.rfind('.'));
    std::ofstream(path("ear-spliced.jwt")) << spliced;
    assert_int_equal(python({chk, path("ear.pub"), path("ear-spliced.jwt"), "affirming", a.ueid}),
                     1);
  }

  // Concurrency: 4 threads x 25 attestations with a well-formed but never-issued nonce: each
  // is a decision, contraindicated at "nonce". One more nonce stays outstanding.
  std::atomic<int> ok200{0};
  std::vector<std::thread> ts;
  ts.reserve(4);

  for (int t = 0; t < 4; t++)
    ts.emplace_back([&, t]() {
      for (int i = 0; i < 25; i++) {
        host::Bytes n(32, static_cast<uint8_t>(t * 25 + i));
        int s = 0;
        json r = post(vport, "/v1/attest",
                      {{"ueid", a.ueid},
                       {"nonce", host::b64_encode(n)},
                       {"evidence", host::b64_encode(host::Bytes(8, 1))}},
                      &s);
        if (s == 200 && r["decision"]["status"] == "contraindicated") ok200++;
      }
    });
  for (auto& t : ts) t.join();
  assert_int_equal(ok200.load(), 100);
  (void)nonce_for(vport, a.ueid);

  std::string scrape = get(vport, "/metrics", &st);
  assert_int_equal(st, 200);
  std::ofstream(path("metrics.txt")) << scrape;
  std::string pout, perr;
  int prc = host::test::run_command({"/usr/bin/promtool", "check", "metrics"}, &pout, &perr, 30000,
                                    scrape);
  print_message("promtool check metrics: exit %d %s%s\n", prc, pout.c_str(), perr.c_str());
  assert_int_equal(prc, 0);
  assert_true(metric(scrape, "locus_verifier_decisions_total{status=\"affirming\"}") == 2);
  assert_true(metric(scrape, "locus_verifier_decisions_total{status=\"contraindicated\"}") == 101);
  assert_true(metric(scrape, "locus_verifier_refusals_total{check=\"nonce\"}") == 101);
  assert_true(metric(scrape, "locus_verifier_appraisal_seconds_count") == 103);
  assert_true(metric(scrape, "locus_verifier_appraisal_seconds_bucket{le=\"+Inf\"}") == 103);
  assert_true(metric(scrape, "locus_verifier_nonces_issued_total") == 3);
  // A's third nonce is unused; B's was consumed; A's first was consumed.
  assert_true(metric(scrape, "locus_verifier_outstanding_nonces") == 1);
  assert_true(metric(scrape, "locus_verifier_registry_errors_total") == 0);
  assert_true(metric(scrape, "locus_verifier_ear_unsigned_total") == 0);
  // Every decision is a durable transaction; group commit may have joined the concurrent ones.
  const double txns = metric(scrape, "locus_verifier_registry_transactions_total");
  const double commits = metric(scrape, "locus_verifier_registry_commits_total");
  print_message("registry: %.0f durable transactions in %.0f commits\n", txns, commits);
  assert_true(txns >= 103);
  assert_true(commits >= 1 && commits <= txns);
  assert_true(metric(scrape, "locus_verifier_http_connections_accepted_total") >= 107);

  // A affirmed once more (its last decisions were the 100 refusals): the page shows it FULL.
  json ra2 = attest(a, vport, nonce_for(vport, a.ueid));
  assert_string_equal(ra2["decision"]["status"].get<std::string>().c_str(), "affirming");
  check_fleet_page(vport, a, b);

  ver.kill_and_wait(15);
  // The verifier never logged the token.
  auto vlog = host::read_text_file(path("verifier.log")).value();
  assert_true(vlog.find(kToken) == std::string::npos);
  a.proc.kill_and_wait(15);
  b.proc.kill_and_wait(15);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_ear_and_metrics)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
