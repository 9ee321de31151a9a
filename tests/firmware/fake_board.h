// Fake board for the firmware unit tests (tests only): deterministic UDS/image, a settable
// clock, RAM storage with power-cut injection, captured link output and log lines.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "locus/firmware/board.h"

namespace fake {

struct Board {
  uint8_t uds[32] = {};
  uint8_t fwid[32] = {};
  bool uds_fails = false;
  uint64_t now_us = 1000;
  std::vector<uint8_t> storage = std::vector<uint8_t>(4096, 0xFF);
  // Power-cut injection: the write numbered cut_at (1-based, counted from arm_cut) only
  // stores its first cut_prefix bytes, then power is off: every later write/flush fails.
  long writes = 0;
  long cut_at = -1;
  size_t cut_prefix = 0;
  bool powered = true;
  std::vector<std::vector<uint8_t>> write_log;  // bytes of every completed write (for replay)
  std::vector<size_t> write_offsets;
  locus::board::InterconnectMode mode = locus::board::InterconnectMode::kFull;  // reset must fix it
  int set_calls = 0;
  std::vector<std::string> logs;
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

}  // namespace fake
