// The `locus tpm` commands end to end against a swtpm: ak create, enroll-host, bind-board,
// quote, verify-quote (accepted, exit 0), then pcr-extend and a new quote (refused, exit 1,
// reason pcr_mismatch), and an enrollment with another CA (refused, exit 1).
// argv[1] is the path of the locus binary.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "swtpm_harness.h"

// clang-format off
#include "locus_test/cmocka.h"
// clang-format on

namespace {

std::string g_locus;

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs locus with args; stdout+stderr to log; returns the exit code.
int locus(const std::vector<std::string>& args, const std::string& log) {
  std::vector<const char*> argv = {g_locus.c_str()};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::remove(log.c_str());
  return locus::tpm::test::run_command(argv.data(), log);
}

void cli_enroll_quote_verify(void**) {
  locus::tpm::test::Swtpm sw, other;
  assert_true(sw.start());
  assert_true(other.start());
  const std::string d = sw.dir();
  const std::string tcti = sw.tcti();
  const std::string ak = d + "/ak.blob", db = d + "/reg.db", ev = d + "/evidence.cose",
                    q = d + "/quote.json", log = d + "/cli.log";
  const std::string board = "01c0ffee";
  const std::string nonce = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  {
    std::ofstream f(ev, std::ios::binary);
    f << "stand-in evidence bytes";
  }
  // `--help` works at the tpm level.
  assert_int_equal(locus({"tpm", "--help"}, log), 0);
  // Enrollment against the other TPM's CA is refused (exit 1) and says why.
  assert_int_equal(locus({"tpm", "enroll-host", "--tcti", tcti, "--ak", ak, "--create-ak",
                          "--ek-ca", other.ca_file(), "--db", db, "--host", "h1"},
                         log),
                   1);
  assert_true(slurp(log).find("not issued by the given TPM manufacturer CA") != std::string::npos);
  assert_int_equal(locus({"tpm", "enroll-host", "--tcti", tcti, "--ak", ak, "--ek-ca", sw.ca_file(),
                          "--db", db, "--host", "h1", "--pcrs", "0,1,7"},
                         log),
                   0);
  assert_int_equal(locus({"tpm", "bind-board", "--db", db, "--board", board, "--host", "h1"}, log),
                   0);
  assert_int_equal(locus({"tpm", "quote", "--tcti", tcti, "--ak", ak, "--nonce", nonce,
                          "--evidence", ev, "--pcrs", "0,1,7", "--out", q},
                         log),
                   0);
  assert_int_equal(locus({"--json", "tpm", "verify-quote", "--db", db, "--board", board, "--nonce",
                          nonce, "--evidence", ev, "--in", q},
                         log),
                   0);
  assert_true(slurp(log).find("\"accepted\":true") != std::string::npos);
  // PCR 7 extended -> the next quote is refused with pcr_mismatch, exit code 1.
  assert_int_equal(
      locus({"tpm", "pcr-extend", "--tcti", tcti, "--pcr", "7", "--digest", nonce}, log), 0);
  std::remove(q.c_str());
  const std::string nonce2 = "ff" + nonce.substr(2);
  assert_int_equal(locus({"tpm", "quote", "--tcti", tcti, "--ak", ak, "--nonce", nonce2,
                          "--evidence", ev, "--pcrs", "0,1,7", "--out", q},
                         log),
                   0);
  assert_int_equal(locus({"--json", "tpm", "verify-quote", "--db", db, "--board", board, "--nonce",
                          nonce2, "--evidence", ev, "--in", q},
                         log),
                   1);
  assert_true(slurp(log).find("pcr_mismatch") != std::string::npos);
  // Usage errors exit 2.
  assert_int_equal(locus({"tpm", "quote", "--tcti", tcti, "--ak", ak, "--nonce", nonce,
                          "--evidence", ev, "--pcrs", "0,99"},
                         log),
                   2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  g_locus = argv[1];
  const struct CMUnitTest tests[] = {cmocka_unit_test(cli_enroll_quote_verify)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
