// End to end with real processes over loopback: locus-host-sim (the firmware core) and
// `locus verifier serve`, both on kernel-chosen ports, enrolled with `locus provision`.
// nonce -> GET_EVIDENCE -> attest -> APPLY_LICENSE -> board FULL; verifier killed and
// restarted mid-flow on the same database (nothing lost, counters still increase); a
// tampered firmware image (other FWID) is refused and the board stays RESTRICTED; the audit
// log verifies with `locus audit verify` and a tampered copy does not.
#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
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

std::string g_bin, g_sim, g_dir;

std::string path(const std::string& n) {
  return g_dir + "/" + n;
}

int locus_cmd(const std::vector<std::string>& args, std::string* out = nullptr,
              std::string* err = nullptr) {
  return locus_test::run_tool(g_bin, args, out, err);
}

bool start_board(Process* p, const std::string& image, int* port) {
  *port =
      locus_test::start_host_sim(p, g_sim, path("uds"), image, path("state"), path("hostsim.log"));
  return *port > 0;
}

bool start_verifier(Process* p, int* port) {
  *port = locus_test::start_listening(
      p,
      {g_bin, "--log-level", "info", "verifier", "serve", "--policy", path("policy.toml"), "--db",
       path("locus.db"), "--ca", path("ca.pem"), "--license-key", path("license.key"), "--listen",
       "127.0.0.1:0"},
      path("verifier.log"));
  return *port > 0;
}

template <typename Req>
bool board_call(boardlink::Link& link, const Req& req, host::Bytes* body) {
  uint8_t item[protocol::kMaxPayload];
  cbor::Encoder e(item, sizeof item);
  if (!protocol::encode_body(e, req).ok() || !e.finish().ok()) return false;
  boardlink::RawResponse r;
  if (!link.request(Req::kType, ByteSpan(item, e.size()), &r).ok()) return false;
  *body = std::move(r.body);
  if (r.type == protocol::kMsgError) print_message("board error 0x%04x\n", r.board_error);
  return r.type == protocol::response_type(Req::kType);
}

int board_mode(int board_port) {
  boardlink::Link link;
  if (!link.open("tcp:127.0.0.1:" + std::to_string(board_port)).ok()) return -1;
  host::Bytes body;
  if (!board_call(link, protocol::GetStatusRequest{}, &body)) return -1;
  protocol::StatusResponse st;
  if (!protocol::decode_body(body, &st).ok()) return -1;
  return st.status.mode;
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

json get_nonce(int vport, const std::string& ueid) {
  int st = 0;
  json j = post(vport, "/v1/nonce", {{"ueid", ueid}}, &st);
  assert_int_equal(st, 200);
  return j;
}

// Evidence for the nonce from the board, attestation at the verifier, license to the board.
// Returns the verifier's response; *mode_after is the board mode after APPLY_LICENSE (or
// after nothing, when refused).
json attest_with(int bport, int vport, const std::string& ueid, const std::string& nonce_b64,
                 int* mode_after) {
  boardlink::Link link;
  assert_true(link.open("tcp:127.0.0.1:" + std::to_string(bport)).ok());
  host::Bytes nonce = host::b64_decode(nonce_b64).value();
  protocol::GetEvidenceRequest ge;
  ge.nonce = nonce;
  host::Bytes body;
  assert_true(board_call(link, ge, &body));
  protocol::EvidenceResponse ev;
  assert_true(protocol::decode_body(body, &ev).ok());
  int st = 0;
  json resp = post(
      vport, "/v1/attest",
      {{"ueid", ueid}, {"nonce", nonce_b64}, {"evidence", host::b64_encode(ev.cose_sign1)}}, &st);
  assert_int_equal(st, 200);
  if (resp["license"].is_string()) {
    host::Bytes lic = host::b64_decode(resp["license"].get<std::string>()).value();
    protocol::ApplyLicenseRequest al;
    al.cose_sign1 = lic;
    assert_true(board_call(link, al, &body));
  }
  link.close();
  *mode_after = board_mode(bport);
  return resp;
}

std::string check_reason(const json& decision, const std::string& name) {
  for (const auto& c : decision["checks"])
    if (c["name"] == name) return c["reason"].get<std::string>();
  return "";
}

int setup(void**) {
  const char* b = std::getenv("LOCUS_BINARY_DIR");
  assert_non_null(b);
  g_bin = std::string(b) + "/host/cli/locus";
  g_sim = std::string(b) + "/boards/host-sim/locus-host-sim";
  g_dir = host::test::make_temp_dir("locus-e2e-");
  std::ofstream(path("uds"), std::ios::binary) << std::string(32, '\x5c');
  std::string image(4096, '\0');
  for (size_t i = 0; i < image.size(); i++) image[i] = static_cast<char>(i * 7 + 3);
  std::ofstream(path("image"), std::ios::binary) << image;
  image[100] ^= 1;  // the tampered build
  std::ofstream(path("image-tampered"), std::ios::binary) << image;
  crypto::Digest fwid{};
  auto good = host::read_file(path("image")).value();
  assert_true(crypto::sha256(good, &fwid).ok());
  std::ofstream(path("policy.toml"))
      << "verifier_id = \"e2e\"\nlease_s = 600\nnonce_ttl_s = 120\n"
      << "[hwmodel.\"locus-host-sim\"]\nfwids = [\"" << host::hex_encode(fwid)
      << "\"]\nmin_svn = 0\nallow_debug = true\n"
      << "[site.sg-1]\nzones = [{lat = 1.35, lon = 103.82, radius_km = 40}]\n";
  assert_int_equal(
      locus_cmd({"provision", "init-ca", "--key", path("ca.key"), "--cert", path("ca.pem")}), 0);
  assert_int_equal(locus_cmd({"provision", "init-license-key", "--key", path("license.key"),
                              "--pub", path("license.pub")}),
                   0);
  struct stat st {};
  assert_int_equal(stat(path("ca.key").c_str(), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  return 0;
}

int teardown(void**) {
  host::test::remove_tree(g_dir);
  return 0;
}

// The whole flow, then a verifier restart mid-flow, then tampered firmware.
void test_end_to_end(void**) {
  Process board;
  int bport = 0;
  assert_true(start_board(&board, path("image"), &bport));
  assert_int_equal(board_mode(bport), protocol::kModeRestricted);
  assert_int_equal(locus_cmd({"provision", "enroll", "--link",
                              "tcp:127.0.0.1:" + std::to_string(bport), "--site", "sg-1", "--host",
                              "h1", "--db", path("locus.db"), "--ca-key", path("ca.key"),
                              "--ca-cert", path("ca.pem"), "--license-key", path("license.pub")}),
                   0);
  // A second enrollment of the same board is refused (already enrolled, exit 3).
  assert_int_equal(locus_cmd({"provision", "enroll", "--link",
                              "tcp:127.0.0.1:" + std::to_string(bport), "--site", "sg-1", "--host",
                              "h1", "--db", path("locus.db"), "--ca-key", path("ca.key"),
                              "--ca-cert", path("ca.pem"), "--license-key", path("license.pub")}),
                   3);
  std::string out;
  assert_int_equal(locus_cmd({"--json", "provision", "list", "--db", path("locus.db")}, &out), 0);
  std::string ueid = json::parse(out)[0]["ueid"].get<std::string>();

  Process ver;
  int vport = 0;
  assert_true(start_verifier(&ver, &vport));

  // 1. nonce -> evidence -> attest -> license -> FULL.
  json n1 = get_nonce(vport, ueid);
  int mode = 0;
  json r1 = attest_with(bport, vport, ueid, n1["nonce"], &mode);
  if (r1["decision"]["status"] != "affirming") fail_msg("refused: %s", r1.dump().c_str());
  assert_int_equal(mode, protocol::kModeFull);
  uint64_t c1 = r1["decision"]["license_counter"].get<uint64_t>();

  // 2. Nonce issued, verifier killed (SIGKILL by PID) and restarted on the same DB: the
  //    nonce is still valid, the decision affirming, the counter larger, the board FULL.
  json n2 = get_nonce(vport, ueid);
  ver.kill_and_wait(9);
  assert_true(start_verifier(&ver, &vport));
  json r2 = attest_with(bport, vport, ueid, n2["nonce"], &mode);
  if (r2["decision"]["status"] != "affirming")
    fail_msg("refused after restart: %s", r2.dump().c_str());
  assert_true(r2["decision"]["license_counter"].get<uint64_t>() > c1);
  assert_int_equal(mode, protocol::kModeFull);
  // The replay of the same nonce is refused.
  json r2b = attest_with(bport, vport, ueid, n2["nonce"], &mode);
  assert_string_equal(r2b["decision"]["status"].get<std::string>().c_str(), "contraindicated");
  assert_true(r2b["license"].is_null());

  // 3. Tampered firmware: the board reboots into another image (same UDS and state), so the
  //    FWID differs: refused "unknown FWID", the board stays RESTRICTED.
  board.kill_and_wait(15);
  assert_true(start_board(&board, path("image-tampered"), &bport));
  json n3 = get_nonce(vport, ueid);
  json r3 = attest_with(bport, vport, ueid, n3["nonce"], &mode);
  assert_string_equal(r3["decision"]["status"].get<std::string>().c_str(), "contraindicated");
  assert_true(r3["license"].is_null());
  assert_non_null(strstr(check_reason(r3["decision"], "fwid").c_str(), "unknown FWID"));
  assert_int_equal(mode, protocol::kModeRestricted);

  ver.kill_and_wait(15);
  board.kill_and_wait(15);

  // 4. The audit log (1 provision + 4 decisions) verifies; export writes the artifacts;
  //    a copy with one record edited fails verification with exit 1.
  assert_int_equal(
      locus_cmd({"--json", "audit", "verify", "--log", path("locus.db.audit.jsonl")}, &out), 0);
  assert_int_equal(json::parse(out)["records"].get<int>(), 5);
  assert_int_equal(locus_cmd({"--json", "provision", "export", "--out", path("export"), "--db",
                              path("locus.db"), "--ca-cert", path("ca.pem")},
                             &out),
                   0);
  json ex = json::parse(out);
  assert_int_equal(ex["decisions"].get<int>(), 4);
  assert_int_equal(ex["licenses"].get<int>(), 2);
  assert_int_equal(ex["evidence"].get<int>(), 4);
  // `verifier decisions --limit 2` lists the newest two (the tampered image's refusal last),
  // oldest first; -1 lists all four, ending with the same one.
  auto decisions = [&](const char* limit) {
    assert_int_equal(
        locus_cmd({"--json", "verifier", "decisions", "--db", path("locus.db"), "--limit", limit},
                  &out),
        0);
    return json::parse(out);
  };
  const json newest = decisions("2");
  assert_int_equal(newest.size(), 2);
  assert_true(newest[0]["decision_id"].get<int64_t>() < newest[1]["decision_id"].get<int64_t>());
  assert_string_equal(newest[1]["status"].get<std::string>().c_str(), "contraindicated");
  const json all = decisions("-1");
  assert_int_equal(all.size(), 4);
  assert_true(all[3]["decision_id"] == newest[1]["decision_id"]);
  assert_true(all[2]["decision_id"] == newest[0]["decision_id"]);
  // -1 is printed page by page as it is read; it says the same as the newest 4 of 4, in JSON
  // (above) and as text.
  std::string text_all, text_four;
  assert_int_equal(
      locus_cmd({"verifier", "decisions", "--db", path("locus.db"), "--limit", "-1"}, &text_all),
      0);
  assert_int_equal(
      locus_cmd({"verifier", "decisions", "--db", path("locus.db"), "--limit", "4"}, &text_four),
      0);
  assert_string_equal(text_all.c_str(), text_four.c_str());
  assert_int_equal(std::count(text_all.begin(), text_all.end(), '#'), 4);
  assert_true(all == decisions("4"));
  // A mistyped --db is an error naming it, and no empty registry appears in its place.
  assert_int_not_equal(
      locus_cmd({"verifier", "decisions", "--db", path("no-such.db"), "--limit", "1"}, &out), 0);
  assert_false(host::file_exists(path("no-such.db")));
  auto log = host::read_text_file(path("locus.db.audit.jsonl")).value();
  size_t p = log.find("\"kind\":\"decision\"");
  assert_true(p != std::string::npos);
  log.replace(p, 17, "\"kind\":\"decisiom\"");
  std::ofstream(path("tampered.audit.jsonl")) << log;
  assert_int_equal(locus_cmd({"audit", "verify", "--no-db", "--log", path("tampered.audit.jsonl")}),
                   1);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_end_to_end)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
