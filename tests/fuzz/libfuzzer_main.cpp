// libFuzzer driver: LOCUS_FUZZ_ENTRY names the target's entry function (set by CMake).
#include "fuzz_targets.h"

extern "C" int LOCUS_FUZZ_ENTRY(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return LOCUS_FUZZ_ENTRY(data, size);
}
