// Fake board for the firmware unit tests (tests only): deterministic UDS/image, a settable
// clock, RAM storage and write-once region with power-cut, read-error and write-error
// injection, captured link output and log lines.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "locus/firmware/board.h"

namespace fake {

// Log lines kept (the oldest go first): a suite looping over thousands of corrupt images
// would otherwise fill the RAM of the Cortex-M test images with "storage: ..." lines.
constexpr size_t kMaxLogLines = 256;

struct Board {
  uint8_t uds[32] = {};
  uint8_t fwid[32] = {};
  bool uds_fails = false;
  uint64_t now_us = 1000;
  std::vector<uint8_t> storage = std::vector<uint8_t>(8192, 0xFF);
  std::vector<uint8_t> otp = std::vector<uint8_t>(512, 0xFF);  // write-once: bits only cleared
  // Power-cut injection: the write (storage write or otp program) numbered cut_at (1-based,
  // counted from arm_cut) only stores its first cut_prefix bytes, then power is off: every
  // later write/flush fails.
  long writes = 0;
  long cut_at = -1;
  size_t cut_prefix = 0;
  bool powered = true;
  // Error injection: reads of storage / otp fail with kStorageIo; writes fail (no byte
  // written) with kStorageIo.
  bool storage_read_fails = false;
  bool otp_read_fails = false;
  bool writes_fail = false;
  // Every completed write, in order (for replay): its bytes, offset and target. Kept only
  // while record_writes is set (a suite looping over thousands of cuts would otherwise fill
  // the 128 KiB RAM of the Cortex-M test images).
  bool record_writes = false;
  std::vector<std::vector<uint8_t>> write_log;
  std::vector<size_t> write_offsets;
  std::vector<bool> write_is_otp;
  locus::board::InterconnectMode mode = locus::board::InterconnectMode::kFull;  // reset must fix it
  int set_calls = 0;
  std::vector<std::string> logs;  // the latest kMaxLogLines lines
  std::vector<uint8_t> link_out;
  std::vector<uint8_t> link_in;
  uint32_t entropy_counter = 0;
};

Board& board();
// Fresh board with the given UDS seed byte and image seed byte.
void reset_board(uint8_t uds_seed = 1, uint8_t image_seed = 1);
void arm_cut(long at_write, size_t prefix);
// Power back on (keeps storage), for a reboot.
void power_on();
bool logged(const std::string& line);
// The store MAC key the core derives from this board's UDS (to load a Store in a test).
void store_key(uint8_t out[32]);
// Programs `in` into otp at offset the way NOR does (AND), for replaying cuts.
void otp_and(std::vector<uint8_t>* otp, size_t offset, const uint8_t* in, size_t len);

}  // namespace fake
