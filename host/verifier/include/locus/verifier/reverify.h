// locus/verifier/reverify.h: offline re-verification of recorded decisions (`locus audit
// reverify`) and the export layout of evidence bundles (`locus provision export`,
// docs/audit.md).
//
// Export layout, one directory per decision: OUT/bundles/<id>/manifest.json plus the binary
// fields of the bundle as files (COSE as raw bytes, the DeviceID certificate as PEM, TPM
// structures as raw bytes). The manifest is the bundle's CBOR map as JSON, with every byte
// string replaced by {"file": NAME, "format": "raw"|"pem"} or, for short values (UEID,
// nonces), {"hex": "..."}; plus "format", "decision_id" and "decision" (the recorded
// decision object).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "locus/common/common.h"
#include "locus/registry/registry.h"
#include "locus/verifier/bundle.h"
#include "locus/verifier/verifier.h"

namespace locus::verifier {

constexpr char kExportFormat[] = "locus-evidence-bundle/1";

// One recorded decision with its bundle (has_bundle false: none was stored).
// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 is wrong, no member's move throws
struct StoredDecision {
  int64_t id = 0;
  nlohmann::json decision;  // the recorded decision object
  bool has_bundle = false;
  EvidenceBundle bundle;
  std::string load_error;  // the bundle exists but does not decode / read
};

// Receives one decision at a time; an error stops the reading and is returned by it.
using DecisionSink = std::function<HStatus(StoredDecision&&)>;

// Reads every decision and its bundle in id order (only_id != 0: that one decision), a page
// of registry::kDecisionPage at a time (registry::for_each_decision), handing each to sink:
// memory stays bounded by the page however long the history (read-only calls only).
HStatus for_each_decision(registry::Registry& reg, int64_t only_id, const DecisionSink& sink);
// Reads OUT/bundles/*/manifest.json in decision id order (only_id != 0: that one), one
// decision at a time.
HStatus for_each_exported(const std::string& dir, int64_t only_id, const DecisionSink& sink);

// Writes one bundle directory (dir must not exist unless force).
HStatus write_bundle_dir(const std::string& dir, int64_t decision_id, ByteSpan bundle_cbor,
                         const nlohmann::json& decision, bool force);

struct ReverifyItem {
  int64_t decision_id = 0;
  std::string outcome;          // "same" | "different" | "skipped"
  std::string recorded_status;  // from the decision
  std::string reappraised_status;
  std::string difference;  // the first difference ("" when same)
  std::string reason;      // the re-appraisal's first failure ("" when affirming)
};

// Re-appraises one decision with an offline verifier (Verifier::create_offline) and compares
// status, checks and claims. A recorded claims.location.region_outline (decisions stored
// before the verdict dropped it) is ignored: it is derived from the discs, not decided.
ReverifyItem reverify_decision(const Verifier& v, const StoredDecision& d);

}  // namespace locus::verifier
