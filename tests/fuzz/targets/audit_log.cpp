// Fuzz target audit_log: lines of the hash-chained audit log (a file the operator may hand
// to `locus audit verify`), through audit::verify_log and audit::read_records. The input is
// written to a scratch file. Invariants: verify_log never throws and reports ok only with a
// record count equal to the number of lines that read_records returns; a verified log ends
// in a head hash of 64 hex digits; a failing one names the line or the reason.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "fuzz_targets.h"
#include "locus/audit/audit.h"

using namespace locus;

namespace {
std::string g_path;
void remove_scratch() {
  unlink(g_path.c_str());
}
std::string scratch_path() {
  char tmpl[] = "/tmp/locus-fuzz-audit-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) __builtin_trap();
  close(fd);
  g_path = tmpl;
  atexit(remove_scratch);
  return tmpl;
}
}  // namespace

extern "C" int locus_fuzz_audit_log(const uint8_t* data, size_t size) {
  static const std::string path = scratch_path();
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) __builtin_trap();
  if (size > 0 && fwrite(data, 1, size, f) != size) __builtin_trap();
  fclose(f);
  const audit::VerifyReport rep = audit::verify_log(path, nullptr);
  auto recs = audit::read_records(path);
  if (!rep.ok) {
    LOCUS_FUZZ_CHECK(!rep.reason.empty());
    return 0;
  }
  LOCUS_FUZZ_ACCEPTED();
  LOCUS_FUZZ_CHECK(recs.ok() && recs.value().size() == rep.records);
  LOCUS_FUZZ_CHECK(rep.records == 0 || rep.head_hash_hex.size() == 64);
  return 0;
}
