// Fuzz target tpm_signature: a marshalled TPMT_SIGNATURE of a TPM quote, through
// tpm::parse_ecdsa_signature. Invariants: accepted only with sigAlg ECDSA and hash SHA-256,
// and the (r, s) it returns are the input's TPM2B values, left-padded to 32 bytes.
#include <string.h>

#include "fuzz_targets.h"
#include "locus/tpm/quote.h"

using namespace locus;

extern "C" int locus_fuzz_tpm_signature(const uint8_t* data, size_t size) {
  auto r = tpm::parse_ecdsa_signature(ByteSpan(data, size));
  if (!r.ok()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  LOCUS_FUZZ_CHECK(size >= 8);
  LOCUS_FUZZ_CHECK((data[0] << 8 | data[1]) == tpm::kTpmAlgEcdsa &&
                   (data[2] << 8 | data[3]) == tpm::kTpmAlgSha256);
  const size_t rn = static_cast<size_t>(data[4] << 8 | data[5]);
  LOCUS_FUZZ_CHECK(6 + rn + 2 <= size);
  const size_t sn = static_cast<size_t>(data[6 + rn] << 8 | data[7 + rn]);
  LOCUS_FUZZ_CHECK(8 + rn + sn == size);
  const std::array<uint8_t, 64>& sig = r.value();
  // The big-endian integers, stripped of leading zeros, must equal the padded halves.
  auto same_int = [](const uint8_t* a, size_t an, const uint8_t* half) {
    while (an > 0 && a[0] == 0) {
      ++a;
      --an;
    }
    size_t z = 0;
    while (z < 32 && half[z] == 0) ++z;
    return an == 32 - z && memcmp(a, half + z, an) == 0;
  };
  LOCUS_FUZZ_CHECK(same_int(data + 6, rn, sig.data()) &&
                   same_int(data + 8 + rn, sn, sig.data() + 32));
  return 0;
}
