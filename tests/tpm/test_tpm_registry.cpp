// Unit tests of the TPM host records (TpmRegistry over SQLite, no TPM): argument checks,
// unknown hosts and boards, the FK from boards to hosts, and a corrupt stored AK public.
// (Round trips of real records are covered by tpm_swtpm.)
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "locus/tpm/registry.h"

// clang-format off
#include "locus_test/cmocka.h"
// clang-format on

using namespace locus;
using namespace locus::tpm;

namespace {

std::string g_db;

int setup(void**) {
  char tmpl[] = "/tmp/locus-tpmreg.XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return -1;
  close(fd);
  g_db = tmpl;
  return 0;
}
int teardown(void**) {
  unlink(g_db.c_str());
  return 0;
}

HostRecord record(const std::string& name, uint8_t ak_byte) {
  HostRecord r;
  r.host = name;
  r.ek_public = {1, 2, 3};
  r.ak_public = {4, 5, 6};  // not a valid TPMT_PUBLIC: get_host must refuse it
  r.ak_name.assign(34, ak_byte);
  r.pcrs = {0, 7};
  PcrValue a, b;
  a.index = 0;
  b.index = 7;
  r.golden = {a, b};
  return r;
}

// Using the registry before open() fails with kNotOpen; open() twice is refused.
void not_open(void**) {
  TpmRegistry reg;
  assert_true(reg.put_host(record("h", 1)) == Status(TpmError::kNotOpen));
  assert_true(reg.open(g_db).ok());
  assert_true(reg.open(g_db) == Status(TpmError::kInvalidArgument));
}

// A record whose golden values do not match its PCR list is refused before SQL.
void golden_must_match_pcrs(void**) {
  TpmRegistry reg;
  assert_true(reg.open(g_db).ok());
  auto r = record("h", 1);
  r.golden.pop_back();
  assert_true(reg.put_host(r) == Status(TpmError::kInvalidArgument));
  r = record("h", 1);
  r.golden[1].index = 8;
  assert_true(reg.put_host(r) == Status(TpmError::kInvalidArgument));
}

// Unknown board / host: kNotFound; binding a board to a host that is not enrolled: kNotFound
// (foreign key); record_accepted for an unknown host: kNotFound.
void unknown_entries(void**) {
  TpmRegistry reg;
  assert_true(reg.open(g_db).ok());
  assert_true(reg.board_host("0102").status() == Status(TpmError::kNotFound));
  assert_true(reg.get_host("nobody").status() == Status(TpmError::kNotFound));
  assert_true(reg.bind_board("0102", "nobody") == Status(TpmError::kNotFound));
  ClockInfo ci;
  assert_true(reg.record_accepted("nobody", ci) == Status(TpmError::kNotFound));
  const uint8_t name[34] = {9};
  assert_true(reg.host_by_ak_name(ByteSpan(name, sizeof(name))).status() ==
              Status(TpmError::kNotFound));
}

// A stored host binds boards and is found by AK name, but a corrupt stored AK public makes
// get_host fail (kDb) instead of returning a record without a usable AK key.
void corrupt_ak_public_refused(void**) {
  TpmRegistry reg;
  assert_true(reg.open(g_db).ok());
  assert_true(reg.put_host(record("h2", 2)).ok());
  assert_true(reg.bind_board("0a0b", "h2").ok());
  auto h = reg.board_host("0a0b");
  assert_true(h.ok());
  assert_string_equal(h->c_str(), "h2");
  std::vector<uint8_t> name(34, 2);
  auto by = reg.host_by_ak_name(ByteSpan(name.data(), name.size()));
  assert_true(by.ok());
  assert_string_equal(by->c_str(), "h2");
  assert_true(reg.get_host("h2").status() == Status(TpmError::kDb));
  // Another host may not reuse the same AK (ak_name UNIQUE).
  assert_true(reg.put_host(record("h3", 2)) == Status(TpmError::kDb));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(not_open),
      cmocka_unit_test(golden_must_match_pcrs),
      cmocka_unit_test(unknown_entries),
      cmocka_unit_test(corrupt_ak_public_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
