// Fuzz target store: the firmware journal loader, bytes of board storage -> Store::load(), on
// the fake board of tests/firmware. The first input byte selects a mode, the rest is the
// storage image (padded with erased 0xFF to kStorageNeeded):
//   bit 0 set: before loading, the SHA-256 trailer of each slot is recomputed over the header
//              and body its length field announces, so that mutations reach the field
//              decoders behind the integrity check (a checksum fix-up, as fuzzers do).
// Invariants:
//   - load succeeds on any storage of the needed size;
//   - no valid slot: the state is the default, seq 0; else the state is the decoded record
//     of the active slot, whose seq is the highest of the valid slots, and Store::encode of
//     (state, seq) reproduces that record byte for byte;
//   - a refused Store::decode leaves its outputs untouched;
//   - whatever the storage held, a successful commit of the next state is what the next
//     load returns (the journal never loses a completed write).
#include "locus/firmware/store.h"

#include <string.h>

#include "fake_board.h"
#include "fuzz_targets.h"
#include "locus/crypto/hash.h"
#include "state_eq.h"

using namespace locus;
using locus::firmware::kSlotSize;
using locus::firmware::kStorageNeeded;
using locus::firmware::PersistentState;
using locus::firmware::Store;

namespace {

constexpr size_t kHeader = 16;  // magic 4 | version 2 | body_len 2 | seq 8 (firmware/store.h)
uint8_t g_enc[kSlotSize];

void fix_hash(uint8_t* slot) {
  const size_t body_len = static_cast<size_t>(slot[6]) << 8 | slot[7];
  if (kHeader + body_len + crypto::kSha256Size > kSlotSize) return;
  crypto::Digest d;
  if (crypto::sha256(ByteSpan(slot, kHeader + body_len), &d).ok())
    memcpy(slot + kHeader + body_len, d.data(), d.size());
}

}  // namespace

extern "C" int locus_fuzz_store(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  fake::reset_board(1, 1);
  auto& st = fake::board().storage;
  st.assign(kStorageNeeded, 0xFF);
  memcpy(st.data(), data + 1, size - 1 < kStorageNeeded ? size - 1 : kStorageNeeded);
  if (mode & 1) {
    fix_hash(st.data());
    fix_hash(st.data() + kSlotSize);
  }

  // The record decoder on its own (slot A as given).
  static PersistentState probe;
  static PersistentState untouched;
  probe = PersistentState();
  probe.boot_count = 0x5A5A5A5Au;
  untouched = probe;
  uint64_t probe_seq = 0x1234;
  if (!Store::decode(st.data(), kSlotSize, &probe, &probe_seq)) {
    LOCUS_FUZZ_CHECK(state_eq(probe, untouched) && probe_seq == 0x1234);
  }

  static Store store;
  store = Store();
  LOCUS_FUZZ_CHECK(store.load().ok());
  static PersistentState slot_state[2];
  uint64_t slot_seq[2] = {0, 0};
  bool valid[2];
  for (int i = 0; i < 2; ++i) {
    valid[i] = Store::decode(st.data() + i * kSlotSize, kSlotSize, &slot_state[i], &slot_seq[i]);
  }
  const int a = store.active_slot();
  if (a < 0) {
    LOCUS_FUZZ_CHECK(!valid[0] && !valid[1]);
    LOCUS_FUZZ_CHECK(store.sequence() == 0 && state_eq(store.state(), PersistentState()));
  } else {
    LOCUS_FUZZ_ACCEPTED();
    LOCUS_FUZZ_CHECK(valid[a] && store.sequence() == slot_seq[a] &&
                     state_eq(store.state(), slot_state[a]));
    LOCUS_FUZZ_CHECK(!valid[1 - a] || slot_seq[1 - a] <= slot_seq[a]);
    const size_t n = Store::encode(store.state(), store.sequence(), g_enc, sizeof g_enc);
    LOCUS_FUZZ_CHECK(n > 0 && memcmp(g_enc, st.data() + a * kSlotSize, n) == 0);
  }

  static PersistentState next;
  next = store.state();
  next.boot_count += 1;
  if (store.commit(next).ok()) {
    static Store again;
    again = Store();
    LOCUS_FUZZ_CHECK(again.load().ok());
    LOCUS_FUZZ_CHECK(state_eq(again.state(), next));
    LOCUS_FUZZ_CHECK(again.sequence() == store.sequence());
  }
  return 0;
}
