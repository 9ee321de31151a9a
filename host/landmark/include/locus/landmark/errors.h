// locus/landmark/errors.h: errors of the landmark session (server and client), module
// kLandmark. Closed and append-only: codes are never renumbered or reused.
#pragma once

#include <stdint.h>

#include "locus/common/common.h"
#include "locus/status.h"

namespace locus::landmark {

enum class LandmarkError : uint8_t {
  kNetwork = 1,         // connect, send or receive failed, or the peer closed
  kTimeout = 2,         // a deadline passed
  kProtocol = 3,        // peer sent something out of sequence or malformed
  kWrongAnswer = 4,     // a timed-round answer did not match the table
  kBoard = 5,           // the BoardLink reported an error
  kSessionRefused = 6,  // the landmark refused the session (message says why)
};
// Short meaning of e (docs/protocol.md §2 lists the same names and meanings).
const char* to_string(LandmarkError e);
// The host error class of e (decides the CLI exit code and --json "kind").
host::HostError host_class(LandmarkError e);

}  // namespace locus::landmark

namespace locus {
template <>
struct ErrorModule<landmark::LandmarkError> {
  static constexpr Module value = Module::kLandmark;
};
}  // namespace locus
