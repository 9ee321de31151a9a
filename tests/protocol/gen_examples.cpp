// Prints every documentation example as the markdown block docs/protocol.md carries:
//   <!-- example: NAME -->
//   ```
//   hex, 16 bytes per line
//   ```
// Usage: gen_examples [NAME]   (all examples when no name is given)
#include <stdio.h>
#include <string.h>

#include "doc_examples.h"

int main(int argc, char** argv) {
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
    for (size_t j = 0; j < n; ++j) printf("%02x%s", buf[j], (j % 16 == 15 || j + 1 == n) ? "\n" : " ");
    printf("```\n%s: %zu bytes\n\n", ex.description, n);
  }
  return rc;
}
