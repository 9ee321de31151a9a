#include "locus/landmark/errors.h"

namespace locus::landmark {

const char* to_string(LandmarkError e) {
  switch (e) {
    case LandmarkError::kNetwork: return "network error";
    case LandmarkError::kTimeout: return "timeout";
    case LandmarkError::kProtocol: return "landmark protocol error";
    case LandmarkError::kWrongAnswer: return "wrong timed-round answer";
    case LandmarkError::kBoard: return "board link error";
    case LandmarkError::kSessionRefused: return "session refused by the landmark";
    default: return "unknown landmark error";
  }
}

host::HostError host_class(LandmarkError e) {
  using host::HostError;
  switch (e) {
    case LandmarkError::kNetwork:
    case LandmarkError::kTimeout:
    case LandmarkError::kProtocol: return HostError::kNetwork;
    case LandmarkError::kBoard: return HostError::kIo;
    case LandmarkError::kWrongAnswer:
    case LandmarkError::kSessionRefused: return HostError::kRefused;
    default: return HostError::kInternal;
  }
}

}  // namespace locus::landmark
