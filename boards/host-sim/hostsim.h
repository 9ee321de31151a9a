// host-sim board configuration (set by main.cpp before the core boots).
#pragma once

#include <stdint.h>

#include <string>

#include "locus/common/result.h"

namespace hostsim {

struct Config {
  uint8_t uds[32] = {};
  uint8_t fwid[32] = {};
  std::string state_path;
  int listen_fd = -1;
};

Config& config();
// Opens (creating erased if needed) the fixed-size storage file (8192 bytes, the journal) and
// the write-once file (512 bytes). Errors: kIo (open, stat, initialise), kConfig (a file of
// the wrong size: not a host-sim part).
locus::host::HStatus open_storage(const std::string& path, const std::string& otp_path);
// Binds "tcp:127.0.0.1:PORT" or "unix:PATH"; *bound gets a printable address.
// Errors: kUsage (a malformed address), kIo (socket, bind, listen).
locus::host::HStatus open_listener(const std::string& spec, std::string* bound);

}  // namespace hostsim
