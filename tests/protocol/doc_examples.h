// The hex examples of docs/protocol.md, built from fixed inputs. gen_examples prints them
// as markdown; protocol_doc_examples_test re-encodes them and compares the doc byte for byte.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace doc_examples {

struct Example {
  const char* name;         // marker in the doc: <!-- example: NAME -->
  const char* description;  // one line for gen_examples
  // Writes the example into out (cap bytes); returns its length, 0 on failure.
  size_t (*build)(uint8_t* out, size_t cap);
};

extern const Example kExamples[];
extern const size_t kExampleCount;

}  // namespace doc_examples
