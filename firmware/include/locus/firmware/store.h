// locus/firmware/store.h: the journaled persistent state of the firmware.
//
// Board storage holds two slots (A at offset 0, B at kSlotSize). Each slot holds one record:
//   magic "LCS1" | version u16 | body_len u16 | seq u64 | body | SHA-256(all before)
// (all integers big-endian; the body serialises PersistentState field by field). A commit
// writes the new record into the slot that does NOT hold the current record, then flushes;
// load picks the valid record with the highest seq. A power cut during any write (any byte
// prefix) corrupts only the slot being written, whose hash then fails, so load returns the
// old state; once the write and flush completed, the new state wins. See docs/firmware.md.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "locus/firmware/errors.h"
#include "locus/span.h"

namespace locus::firmware {

constexpr size_t kMaxDevIdCert = 1024;
constexpr size_t kSlotSize = 1280;
constexpr size_t kStorageNeeded = 2 * kSlotSize;

struct PersistentState {
  uint32_t boot_count = 0;
  uint64_t license_counter = 0;   // last accepted license counter (0: none)
  uint32_t min_svn = 0;
  bool has_verifier_key = false;
  uint8_t verifier_key[65] = {};
  uint64_t rotation_counter = 0;  // last accepted rotation counter (0: none)
  uint16_t devid_cert_len = 0;    // 0: no DeviceID certificate installed
  uint8_t devid_cert[kMaxDevIdCert] = {};
};

class Store {
 public:
  // Reads both slots and keeps the newest valid record; a blank or unreadable storage gives
  // the default state (seq 0). Fails only if the board storage is too small.
  Status load();
  // Journals `next` (write to the other slot + flush). On success it becomes state(); on
  // failure state() is unchanged and the storage still yields the old state at next boot.
  Status commit(const PersistentState& next);
  const PersistentState& state() const { return state_; }
  uint64_t sequence() const { return seq_; }
  int active_slot() const { return active_; }  // -1: none valid

  // Record (de)serialisation, public for tests.
  static size_t encode(const PersistentState& s, uint64_t seq, uint8_t* out, size_t cap);
  static bool decode(const uint8_t* in, size_t len, PersistentState* s, uint64_t* seq);

 private:
  PersistentState state_{};
  uint64_t seq_ = 0;
  int active_ = -1;
};

}  // namespace locus::firmware
