// Prints every documentation example as the markdown block docs/protocol.md carries:
//   <!-- example: NAME -->
//   ```
//   hex, 16 bytes per line
//   ```
// Usage: gen_examples [NAME]          all examples (or one) as markdown
//        gen_examples --corpus DIR    writes fuzz seeds for tests/fuzz/fuzz_protocol.cpp
//                                     (first byte = decoder selector, then the example)
#include <stdio.h>
#include <string.h>

#include "doc_examples.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"

namespace {

int selector(const char* name) {
  const size_t n = strlen(name);
  auto ends = [&](const char* s) { return n >= strlen(s) && strcmp(name + n - strlen(s), s) == 0; };
  if (strncmp(name, "frame_", 6) == 0) return 1;
  if (ends("_request") || ends("_response")) return 2;
  if (strcmp(name, "eat_claims") == 0) return 3;
  if (strcmp(name, "license_payload") == 0) return 4;
  if (strcmp(name, "rotation_payload") == 0) return 5;
  if (strcmp(name, "transcript_payload") == 0) return 6;
  if (strcmp(name, "landmark_record_payload") == 0) return 7;
  return -1;
}

bool write_seed(const char* dir, const char* name, int sel, const uint8_t* p, size_t n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%d_%s", dir, sel, name);
  FILE* f = fopen(path, "wb");
  if (f == nullptr) return false;
  const uint8_t s = static_cast<uint8_t>(sel);
  const bool ok = fwrite(&s, 1, 1, f) == 1 && fwrite(p, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}

int corpus(const char* dir) {
  static uint8_t buf[8192], payload[locus::protocol::kMaxPayload];
  for (size_t i = 0; i < doc_examples::kExampleCount; ++i) {
    const doc_examples::Example& ex = doc_examples::kExamples[i];
    const int sel = selector(ex.name);
    if (sel < 0) continue;
    const size_t n = ex.build(buf, sizeof buf);
    if (n == 0 || !write_seed(dir, ex.name, sel, buf, n)) return 1;
    if (sel == 1) {  // frames also seed the streaming deframer and, for rev 2, the fast payload
      if (!write_seed(dir, ex.name, 0, buf, n)) return 1;
      uint8_t rev = 0;
      size_t pl = 0;
      if (!locus::protocol::decode_frame(locus::ByteSpan(buf, n), &rev,
                                         locus::MutByteSpan(payload, sizeof payload), &pl)
               .ok()) {
        return 1;
      }
      if (rev == locus::protocol::kRevFast && !write_seed(dir, ex.name, 8, payload, pl)) return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--corpus") == 0) return corpus(argv[2]);
  static uint8_t buf[8192];
  int rc = 0;
  for (size_t i = 0; i < doc_examples::kExampleCount; ++i) {
    const doc_examples::Example& ex = doc_examples::kExamples[i];
    if (argc > 1 && strcmp(argv[1], ex.name) != 0) continue;
    const size_t n = ex.build(buf, sizeof buf);
    if (n == 0) {
      fprintf(stderr, "example %s failed to build\n", ex.name);
      rc = 1;
      continue;
    }
    printf("<!-- example: %s -->\n```\n", ex.name);
    for (size_t j = 0; j < n; ++j)
      printf("%02x%s", buf[j], (j % 16 == 15 || j + 1 == n) ? "\n" : " ");
    printf("```\n%s: %zu bytes\n\n", ex.description, n);
  }
  return rc;
}
