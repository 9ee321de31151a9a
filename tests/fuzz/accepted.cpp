// The accept counter of fuzz_targets.h (one definition for every target).
#include "fuzz_targets.h"

unsigned long locus_fuzz_accepted_count = 0;
