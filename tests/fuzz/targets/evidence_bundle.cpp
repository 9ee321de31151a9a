// Fuzz target evidence_bundle: the CBOR evidence bundle of a decision (docs/audit.md §1), as
// `locus audit reverify` reads it from a registry or rebuilds it from an export, through
// verifier::decode_bundle. Invariants: an accepted bundle re-encodes to a bundle that decodes
// again, and that re-encoding is a fixed point (nothing is lost or invented on the way); and
// the encoding is exactly what nlohmann's to_cbor writes for the same tree (the bundle's bytes
// before encode_bundle wrote them itself: key order, minimal heads, untagged byte strings).
#include <nlohmann/json.hpp>

#include "fuzz_targets.h"
#include "locus/verifier/bundle.h"

using namespace locus;

extern "C" int locus_fuzz_evidence_bundle(const uint8_t* data, size_t size) {
  auto r = verifier::decode_bundle(ByteSpan(data, size));
  if (!r.ok()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  host::Bytes e1 = verifier::encode_bundle(r.value());
  auto r2 = verifier::decode_bundle(e1);
  LOCUS_FUZZ_CHECK(r2.ok());
  host::Bytes e2 = verifier::encode_bundle(r2.value());
  LOCUS_FUZZ_CHECK(locus_fuzz::same_bytes(e1.data(), e1.size(), e2.data(), e2.size()));
  const nlohmann::json tree = verifier::parse_cbor(e1);
  LOCUS_FUZZ_CHECK(!tree.is_discarded());
  const std::vector<uint8_t> canonical = nlohmann::json::to_cbor(tree);
  LOCUS_FUZZ_CHECK(
      locus_fuzz::same_bytes(canonical.data(), canonical.size(), e1.data(), e1.size()));
  // An input already in that form (every bundle a verifier stored, e.g. the corpus's
  // registry-*.cbor, taken from a verifier_load registry) re-encodes to exactly its own bytes.
  const std::vector<uint8_t> input_form =
      nlohmann::json::to_cbor(verifier::parse_cbor(ByteSpan(data, size)));
  if (locus_fuzz::same_bytes(input_form.data(), input_form.size(), data, size))
    LOCUS_FUZZ_CHECK(locus_fuzz::same_bytes(data, size, e1.data(), e1.size()));
  LOCUS_FUZZ_CHECK(r2.value().landmarks.size() == r.value().landmarks.size());
  LOCUS_FUZZ_CHECK(r2.value().evidence == r.value().evidence);
  return 0;
}
