// The audit log as an RFC 9162 Merkle tree (locus/audit/merkle.h) against an independent
// implementation (tests/audit/rfc9162.py, hashlib + python3-cryptography):
//   - every root (n = 0..N), every inclusion path and every consistency proof the library
//     computes equals the independent one, and each verifies with the library's verifier;
//   - `locus audit head/prove/consistency/verify` end to end: signed heads verify with
//     Python too; an inclusion proof and a consistency proof verify offline;
//   - an earlier record rewritten with the hash chain recomputed (the chain alone cannot see
//     it) is caught by the older signed head (`verify --log --head`), `consistency` refuses,
//     and a consistency proof computed from the rewritten log does not verify; a dropped
//     record and a forged head are refused.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/audit/audit.h"
#include "locus/audit/merkle.h"
#include "locus_test/testproc.h"

// cmocka last.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include "locus_test/cmocka.h"

using namespace locus;
using json = nlohmann::json;

namespace {

std::string g_dir;

std::string P(const std::string& n) {
  return g_dir + "/" + n;
}

int setup(void**) {
  g_dir = host::test::make_temp_dir("locus-merkle-");
  return 0;
}
int teardown(void**) {
  host::test::remove_tree(g_dir);
  return 0;
}

int run(const std::vector<std::string>& argv, std::string* out) {
  std::string err;
  int rc = host::test::run_command(argv, out, &err, 60000);
  if (!err.empty()) std::printf("  %s -> %d: %s", argv.back().c_str(), rc, err.c_str());
  return rc;
}

int locus_cli(std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(), std::string(std::getenv("LOCUS_BINARY_DIR")) + "/host/cli/locus");
  return run(args, out);
}

int py(std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(),
              std::string(std::getenv("LOCUS_SOURCE_DIR")) + "/tests/audit/rfc9162.py");
  args.insert(args.begin(), std::getenv("LOCUS_PYTHON3"));
  return run(args, out);
}

void make_log(const std::string& path, int n) {
  audit::AuditLog log(path, nullptr);
  for (int i = 1; i <= n; i++)
    assert_true(
        log.append("decision", json{{"decision_id", i}, {"status", "affirming"}}.dump()).ok());
}

// Rewrites record `index` (0-based) with a new body and recomputes the chain after it, as an
// attacker with write access to the file (but not the audit key) would.
void rewrite(const std::string& path, size_t index, const json& body) {
  std::ifstream in(path);
  std::vector<json> recs;
  std::string line;
  while (std::getline(in, line)) recs.push_back(json::parse(line));
  std::string prev(64, '0');
  std::ofstream out(path, std::ios::trunc);
  for (size_t i = 0; i < recs.size(); i++) {
    json r = recs[i];
    if (i == index) r["body"] = body;
    r.erase("hash");
    r["prev_hash"] = prev;
    std::string canon = r.dump();
    prev = audit::record_hash(prev, canon).value();
    r["hash"] = prev;
    out << r.dump() << "\n";
  }
}

// docs/audit.md §4's byte-exact example: two real-format records (the chain verifies), their
// leaf hashes, the root and the signed bytes of a head.
void test_documented_example(void**) {
  const std::string log = P("doc.jsonl");
  std::ofstream(log)
      << R"({"body":{"decision_id":1,"status":"affirming"},"hash":"b2528efff24f48a669ac1a5decc6897453381b7cc6667622d27ebc66d74fbf8b","kind":"decision","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"time":1764640001})"
      << "\n"
      << R"({"body":{"decision_id":2,"status":"contraindicated"},"hash":"cfb3f39f4713391d86836d93ee05c8dcdb7468575e98e7166e332a6adb413f19","kind":"decision","prev_hash":"b2528efff24f48a669ac1a5decc6897453381b7cc6667622d27ebc66d74fbf8b","seq":2,"time":1764640002})"
      << "\n";
  assert_true(audit::verify_log(log, nullptr).ok);
  auto l = audit::read_leaves(log).value();
  assert_string_equal(audit::hash_hex(l.hashes[0]).c_str(),
                      "7bb10dd34b6baa19211f685a750de7785e7226d358b691c3d0254e5583f37472");
  assert_string_equal(audit::hash_hex(l.hashes[1]).c_str(),
                      "facf8b1ff6e97f0787a107ef176cb92fe31b848f2b0af321e6aa2edbb4d94902");
  audit::Hash root = audit::tree_root(l.hashes, 2);
  assert_string_equal(audit::hash_hex(root).c_str(),
                      "fde36535859df2ff20a9a7bb7642150e18c777d3ddb9b8f5f9df7227d9ba7b3f");
  assert_string_equal(audit::hash_hex(audit::tree_root(l.hashes, 0)).c_str(),
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  audit::SignedHead h;
  h.tree_size = 2;
  h.timestamp_ms = 1764640005000ull;
  h.root = root;
  assert_string_equal(host::hex_encode(audit::head_tbs(h)).c_str(),
                      "6c6f6375732d61756469742d7374682d763100000000000000020000019adcbd9b88"
                      "fde36535859df2ff20a9a7bb7642150e18c777d3ddb9b8f5f9df7227d9ba7b3f");
}

// The library's roots and proofs equal the independent ones for every size up to 13.
void test_against_independent(void**) {
  const std::string log = P("ind.jsonl");
  make_log(log, 13);
  std::string out;
  assert_int_equal(py({"proofs", log}, &out), 0);
  json ref = json::parse(out);
  auto leaves = audit::read_leaves(log).value();
  for (uint64_t n = 0; n <= 13; n++) {
    std::string got = audit::hash_hex(audit::tree_root(leaves.hashes, n));
    assert_string_equal(got.c_str(), ref["roots"][n].get<std::string>().c_str());
  }
  for (uint64_t n = 1; n <= 13; n++) {
    audit::Hash root = audit::tree_root(leaves.hashes, n);
    for (uint64_t i = 0; i < n; i++) {
      auto p = audit::inclusion_proof(leaves.hashes, i, n).value();
      const json& want = ref["inclusion"][std::to_string(n)][i];
      assert_int_equal(p.size(), want.size());
      for (size_t k = 0; k < p.size(); k++)
        assert_string_equal(audit::hash_hex(p[k]).c_str(), want[k].get<std::string>().c_str());
      assert_true(audit::verify_inclusion(i, n, leaves.hashes[i], p, root).ok());
      // The wrong leaf does not verify, and says the log is broken.
      const auto wrong = audit::verify_inclusion(i, n, leaves.hashes[(i + 1) % 13], p, root);
      assert_false(wrong.ok());
      assert_int_equal(wrong.code().code(), Status(host::HostError::kAuditBroken).code());
    }
    for (uint64_t m = 1; m <= n; m++) {
      auto p = audit::consistency_proof(leaves.hashes, m, n).value();
      const json& want = ref["consistency"][std::to_string(n)][m - 1];
      assert_int_equal(p.size(), want.size());
      for (size_t k = 0; k < p.size(); k++)
        assert_string_equal(audit::hash_hex(p[k]).c_str(), want[k].get<std::string>().c_str());
      audit::Hash old_root = audit::tree_root(leaves.hashes, m);
      assert_true(audit::verify_consistency(m, n, old_root, root, p).ok());
      if (m < n) {
        audit::Hash other = audit::tree_root(leaves.hashes, m - 1 == 0 ? n : m - 1);
        assert_false(audit::verify_consistency(m, n, other, root, p).ok());
      }
    }
  }
  // Out-of-range requests are errors, not proofs.
  assert_false(audit::inclusion_proof(leaves.hashes, 13, 13).ok());
  assert_false(audit::consistency_proof(leaves.hashes, 0, 5).ok());
  assert_false(audit::consistency_proof(leaves.hashes, 6, 5).ok());
  assert_false(audit::consistency_proof(leaves.hashes, 3, 14).ok());
}

// The CLI end to end, then a rewritten record, a dropped record and a forged head.
void test_cli_heads_proofs_and_tampering(void**) {
  const std::string log = P("cli.jsonl");
  make_log(log, 5);
  std::string out;
  assert_int_equal(
      locus_cli({"audit", "init-key", "--key", P("audit.key"), "--pub", P("audit.pub")}, &out), 0);
  assert_int_equal(locus_cli({"--json", "audit", "head", "--log", log, "--key", P("audit.key"),
                              "--out", P("h5.json")},
                             &out),
                   0);
  assert_int_equal(json::parse(out)["tree_size"].get<int>(), 5);
  audit::AuditLog l(log, nullptr);
  for (int i = 6; i <= 7; i++)
    assert_true(l.append("decision", json{{"decision_id", i}, {"status", "x"}}.dump()).ok());
  assert_int_equal(
      locus_cli({"audit", "head", "--log", log, "--key", P("audit.key"), "--out", P("h7.json")},
                &out),
      0);
  for (const char* h : {"h5.json", "h7.json"})
    assert_int_equal(py({"check-head", P(h), P("audit.pub")}, &out), 0);
  // Inclusion of decision 3 in the 7-record head.
  assert_int_equal(locus_cli({"--json", "audit", "prove", "--log", log, "--decision", "3", "--head",
                              P("h7.json")},
                             &out),
                   0);
  assert_true(host::write_text_file(P("incl.json"), out, 0644, true).ok());
  assert_int_equal(json::parse(out)["leaf_index"].get<int>(), 2);
  assert_int_equal(py({"check-inclusion", P("incl.json"), P("h7.json")}, &out), 0);
  assert_int_equal(locus_cli({"--json", "audit", "verify", "--proof", P("incl.json"), "--head",
                              P("h7.json"), "--pub", P("audit.pub")},
                             &out),
                   0);
  // Consistency 5 -> 7.
  assert_int_equal(locus_cli({"--json", "audit", "consistency", "--log", log, "--old", P("h5.json"),
                              "--new", P("h7.json")},
                             &out),
                   0);
  assert_true(host::write_text_file(P("cons.json"), out, 0644, true).ok());
  std::string ref;
  assert_int_equal(py({"consistency", log, "5", "7"}, &ref), 0);
  assert_true(json::parse(ref)["proof"] == json::parse(out)["proof"]);
  assert_int_equal(locus_cli({"--json", "audit", "verify", "--old", P("h5.json"), "--new",
                              P("h7.json"), "--proof", P("cons.json"), "--pub", P("audit.pub")},
                             &out),
                   0);
  assert_int_equal(locus_cli({"audit", "verify", "--log", log, "--no-db", "--head", P("h5.json"),
                              "--pub", P("audit.pub")},
                             &out),
                   0);
  assert_int_not_equal(locus_cli({"audit", "prove", "--log", log, "--decision", "99"}, &out), 0);

  // Record 2 rewritten, chain recomputed: the chain check alone passes ...
  rewrite(log, 1, json{{"decision_id", 2}, {"status", "contraindicated"}});
  assert_int_equal(locus_cli({"audit", "verify", "--log", log, "--no-db"}, &out), 0);
  // ... the older signed head does not.
  assert_int_equal(locus_cli({"--json", "audit", "verify", "--log", log, "--no-db", "--head",
                              P("h5.json"), "--pub", P("audit.pub")},
                             &out),
                   1);
  assert_true(json::parse(out)["reason"].get<std::string>().find("log rewritten") !=
              std::string::npos);
  assert_int_not_equal(locus_cli({"audit", "consistency", "--log", log, "--old", P("h5.json"),
                                  "--new", P("h7.json")},
                                 &out),
                       0);
  // A new head signed over the rewritten log, with a proof computed from it independently:
  // it does not extend the old signed head.
  assert_int_equal(
      locus_cli({"audit", "head", "--log", log, "--key", P("audit.key"), "--out", P("h7b.json")},
                &out),
      0);
  assert_int_equal(py({"consistency", log, "5", "7"}, &ref), 0);
  assert_true(host::write_text_file(P("forged.json"), ref, 0644, true).ok());
  assert_int_equal(locus_cli({"--json", "audit", "verify", "--old", P("h5.json"), "--new",
                              P("h7b.json"), "--proof", P("forged.json"), "--pub", P("audit.pub")},
                             &out),
                   1);
  std::printf("  rewritten record vs old head: %s\n", out.c_str());
  assert_true(json::parse(out)["reason"].get<std::string>().find("rewritten") != std::string::npos);

  // A dropped record: the head covers more records than the log holds.
  const std::string log2 = P("drop.jsonl");
  make_log(log2, 4);
  assert_int_equal(
      locus_cli({"audit", "head", "--log", log2, "--key", P("audit.key"), "--out", P("d4.json")},
                &out),
      0);
  {
    std::ifstream in(log2);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    std::ofstream o(log2, std::ios::trunc);
    for (size_t i = 0; i + 1 < lines.size(); i++) o << lines[i] << "\n";
  }
  assert_int_equal(locus_cli({"--json", "audit", "verify", "--log", log2, "--no-db", "--head",
                              P("d4.json"), "--pub", P("audit.pub")},
                             &out),
                   1);
  assert_true(json::parse(out)["reason"].get<std::string>().find("records dropped") !=
              std::string::npos);

  // A forged head (root changed, signature kept) and a head checked with another key.
  json h = json::parse(host::read_text_file(P("h7.json")).value());
  std::string root = h["root_hash"].get<std::string>();
  root[0] = root[0] == '0' ? '1' : '0';
  h["root_hash"] = root;
  assert_true(host::write_text_file(P("h7f.json"), h.dump(), 0644, true).ok());
  assert_int_equal(py({"check-head", P("h7f.json"), P("audit.pub")}, &out), 1);
  assert_int_equal(locus_cli({"--json", "audit", "verify", "--proof", P("incl.json"), "--head",
                              P("h7f.json"), "--pub", P("audit.pub")},
                             &out),
                   1);
  assert_true(json::parse(out)["reason"].get<std::string>().find("signature") != std::string::npos);
  assert_int_equal(
      locus_cli({"audit", "init-key", "--key", P("other.key"), "--pub", P("other.pub")}, &out), 0);
  assert_int_equal(locus_cli({"--json", "audit", "verify", "--proof", P("incl.json"), "--head",
                              P("h7.json"), "--pub", P("other.pub")},
                             &out),
                   1);
  // Usage errors are clear and exit 2.
  assert_int_equal(locus_cli({"audit", "verify"}, &out), 2);
  assert_int_equal(locus_cli({"audit", "verify", "--proof", P("incl.json")}, &out), 2);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_documented_example),
      cmocka_unit_test(test_against_independent),
      cmocka_unit_test(test_cli_heads_proofs_and_tampering),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
