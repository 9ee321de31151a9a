// FirmwareError: every code 1..kLast has its own description. The wire values of every
// module's codes are checked against golden tables in tests/errors/test_error_tables.cpp.
#include <string.h>

#include <set>
#include <string>

#include "locus/firmware/errors.h"
#include "locus_test/cmocka.h"

using locus::firmware::FirmwareError;

namespace {
constexpr int kLast = 46;  // FirmwareError::kHardenedCheck

// Every code has a unique, non-default description; the one after the last is unknown.
void test_codes_documented(void**) {
  std::set<std::string> seen;
  for (int i = 1; i <= kLast; ++i) {
    const auto e = static_cast<FirmwareError>(i);
    const std::string s = locus::firmware::to_string(e);
    assert_true(s != "unknown firmware error");
    assert_true(seen.insert(s).second);
  }
  assert_string_equal(locus::firmware::to_string(static_cast<FirmwareError>(kLast + 1)),
                      "unknown firmware error");
}
}  // namespace

int main() {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_codes_documented)};
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
