// HostError names, exit classes and the kHost mapping of a Status (result.h).
#include "locus/common/result.h"

namespace locus::host {

const char* to_string(HostError e) {
  switch (e) {
    case HostError::kIo: return "io";
    case HostError::kExists: return "exists";
    case HostError::kParse: return "parse";
    case HostError::kConfig: return "config";
    case HostError::kDb: return "db";
    case HostError::kNotFound: return "not_found";
    case HostError::kRefused: return "refused";
    case HostError::kRevoked: return "revoked";
    case HostError::kNonce: return "nonce";
    case HostError::kAuditBroken: return "audit_broken";
    case HostError::kNetwork: return "network";
    case HostError::kInternal: return "internal";
    case HostError::kUsage: return "usage";
    case HostError::kDuplicate: return "duplicate";
    case HostError::kSchemaTooNew: return "schema_too_new";
    default: return "unknown";
  }
}

HostError host_error_of(Status s) {
  return s.module() == Module::kHost ? static_cast<HostError>(s.local()) : HostError::kInternal;
}

int exit_code_for(HostError e) {
  switch (e) {
    case HostError::kRefused:
    case HostError::kRevoked:
    case HostError::kNonce:
    case HostError::kAuditBroken: return 1;
    case HostError::kUsage: return 2;
    case HostError::kParse:
    case HostError::kConfig:
    case HostError::kExists:
    case HostError::kNotFound:
    case HostError::kDuplicate:
    case HostError::kSchemaTooNew: return 3;
    case HostError::kIo:
    case HostError::kNetwork:
    case HostError::kDb: return 4;
    case HostError::kInternal:
    default: return 5;
  }
}

}  // namespace locus::host
