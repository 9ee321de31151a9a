// locus/firmware/store.h: the persistent state of the firmware (DESIGN §5a).
//
// Two places, both authenticated with a key only this board can derive (from the UDS):
//
// 1. The journal, in board storage: two slots, A at offset 0 and B at kSlotStride, each
//    starting on its own NOR sector. Each slot holds one record:
//      magic "LCS2" | version u16 | body_len u16 | seq u64 | body | HMAC-SHA256(K, "journal" ‖ all
//      before)
//    (integers big-endian; the body serialises PersistentState field by field). A commit
//    writes the whole other slot, then flushes; load picks the valid record with the highest
//    seq. A cut during a write corrupts only the slot being written, so the old state stays.
//
// 2. The write-once region (board::otp_*): up to kOtpRecords records of kOtpRecordSize bytes,
//    programmed in order and never erased. Record i:
//      magic "LCO1" | index u8 | rotation u64 | SHA-256(verifier key) | HMAC(K, "otp" ‖ …)[0..16)
//      | 0xFF 0xFF | commit byte 0x00 (programmed last)
//    Record 0 is written when the first verifier key is installed; each rotation writes the
//    next. The latest committed record is the anchor: the journal's verifier key must hash to
//    it and its rotation counter must equal it. A torn record (commit byte still 0xFF) is
//    skipped; a committed record that does not verify is tampering, a fault.
//
// Factory-blank means "no committed write-once record", never "journal unreadable". A
// provisioned board whose journal cannot be read or verified is in kFault: the core keeps it
// RESTRICTED, refuses key and certificate installation and reports the fault (GET_STATUS,
// evidence claim -70007). One invalid journal copy beside a valid one is kRecovered
// (reported for the rest of the boot; the next commit rewrites the bad slot).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "locus/firmware/board.h"
#include "locus/firmware/errors.h"
#include "locus/span.h"

namespace locus::firmware {

constexpr size_t kMaxDevIdCert = 1024;
constexpr size_t kSlotSize = 1280;                         // bytes of one record, at most
constexpr size_t kSlotStride = board::kStorageSectorSize;  // slot B's offset
constexpr size_t kStorageNeeded = 2 * kSlotStride;
constexpr size_t kOtpRecordSize = 64;
constexpr size_t kOtpRecords = 8;  // the first key and 7 rotations
constexpr size_t kOtpNeeded = kOtpRecordSize * kOtpRecords;
constexpr size_t kStoreKeySize = 32;

struct PersistentState {
  uint32_t boot_count = 0;
  uint64_t license_counter = 0;  // last accepted license counter (0: none)
  uint32_t min_svn = 0;
  bool has_verifier_key = false;
  uint8_t verifier_key[65] = {};
  uint64_t rotation_counter = 0;  // last accepted rotation counter (0: none)
  uint16_t devid_cert_len = 0;    // 0: no DeviceID certificate installed
  uint8_t devid_cert[kMaxDevIdCert] = {};
};

// Storage health: hardened words (pairwise Hamming distance >= 16); anything else is a fault.
enum class Health : uint32_t {
  kOk = 0x5A3C96E1u,
  kRecovered = 0xA5C3691Eu,
  kFault = 0x3C5AE196u,
};

// The latest committed write-once record.
struct Anchor {
  bool present = false;
  uint8_t index = 0;
  uint64_t rotation = 0;
  uint8_t key_hash[32] = {};
};

class Store {
 public:
  // The MAC key for the journal and the write-once records (derived from the UDS at boot).
  void set_key(const uint8_t key[kStoreKeySize]);
  void wipe_key();

  // Reads the write-once region and both slots and decides the health (see above). Returns
  // an error only when the board cannot hold the store (kStorageTooSmall); read errors,
  // corruption and inconsistency are reported through health(), fault() and last_error().
  Status load();
  // Journals `next` (write to the other slot + flush). On success it becomes state(); on
  // failure state() is unchanged and the storage still yields the old state at next boot.
  // Refused (kStorageFault) while the store is in kFault.
  Status commit(const PersistentState& next);
  // Programs the next write-once record (rotation, SHA-256 of the verifier key), commit byte
  // last. kOtpFull when every record is used; kPersistFailed when the device fails (the torn
  // record is skipped from then on).
  Status program_anchor(uint64_t rotation, const uint8_t key_hash[32]);

  const PersistentState& state() const { return state_; }
  uint64_t sequence() const { return seq_; }
  int active_slot() const { return active_; }  // -1: none valid
  Health health() const { return health_; }
  // True unless the health word is exactly kOk or kRecovered (a flipped word is a fault).
  bool fault() const;
  // Why the store is in fault (kStorageIo, kJournalCorrupt, kAnchorMismatch, ...).
  Status last_error() const { return error_; }
  bool provisioned() const { return anchor_.present; }
  const Anchor& anchor() const { return anchor_; }
  // The journal holds the verifier key the anchor names (hash and rotation counter).
  bool key_matches_anchor(const PersistentState& s) const;
  // Wire value of health() (protocol::kStorageOk/Recovered/Fault).
  uint8_t wire_health() const;

  // Record (de)serialisation with the MAC key, public for tests and fuzzing.
  static size_t encode(const uint8_t key[kStoreKeySize], const PersistentState& s, uint64_t seq,
                       uint8_t* out, size_t cap);
  static bool decode(const uint8_t key[kStoreKeySize], const uint8_t* in, size_t len,
                     PersistentState* s, uint64_t* seq);
  static void encode_otp(const uint8_t key[kStoreKeySize], uint8_t index, uint64_t rotation,
                         const uint8_t key_hash[32], uint8_t out[kOtpRecordSize]);

 private:
  void set_fault(Status why);

  uint8_t key_[kStoreKeySize] = {};
  PersistentState state_{};
  uint64_t seq_ = 0;
  int active_ = -1;
  Health health_ = Health::kFault;
  Status error_;
  Anchor anchor_{};
  size_t next_otp_ = kOtpRecords;  // index of the next free write-once record
};

}  // namespace locus::firmware
