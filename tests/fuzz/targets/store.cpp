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

// Two journal formats: the SHA-256 one (Store::decode(in, ...)) and the authenticated one
// (DESIGN §5a: Store::set_key, HMAC-SHA256 with the board's store key, slot B at
// kStorageNeeded / 2, a write-once region). CMake defines LOCUS_FUZZ_STORE_KEYED when
// firmware/store.h declares set_key; the keyed build also takes the write-once region from
// the input (bit 1 of the mode byte: the 512 bytes after the storage image), and its fix-up
// recomputes the HMAC with the key the fake board derives (fake::store_key).
#ifndef LOCUS_FUZZ_STORE_KEYED
#define LOCUS_FUZZ_STORE_KEYED 0
#endif

namespace {

constexpr size_t kHeader = 16;  // magic 4 | version 2 | body_len 2 | seq 8 (firmware/store.h)
constexpr size_t kSlotB = kStorageNeeded / 2;
uint8_t g_enc[kSlotSize];

#if LOCUS_FUZZ_STORE_KEYED
uint8_t g_key[locus::firmware::kStoreKeySize];
bool decode(const uint8_t* in, size_t n, PersistentState* s, uint64_t* seq) {
  return Store::decode(g_key, in, n, s, seq);
}
size_t encode(const PersistentState& s, uint64_t seq, uint8_t* out, size_t cap) {
  return Store::encode(g_key, s, seq, out, cap);
}
void fix_hash(uint8_t* slot) {
  static const char kLabel[] =
      "locus journal v2";  // the MAC's domain label (firmware/src/store.cpp)
  static uint8_t buf[sizeof kLabel + kSlotSize];
  const size_t body_len = static_cast<size_t>(slot[6]) << 8 | slot[7];
  if (kHeader + body_len + crypto::kSha256Size > kSlotSize) return;
  memcpy(buf, kLabel, sizeof kLabel - 1);
  memcpy(buf + sizeof kLabel - 1, slot, kHeader + body_len);
  crypto::Digest d;
  if (crypto::hmac_sha256(ByteSpan(g_key, sizeof g_key),
                          ByteSpan(buf, sizeof kLabel - 1 + kHeader + body_len), &d)
          .ok())
    memcpy(slot + kHeader + body_len, d.data(), d.size());
}
#else
bool decode(const uint8_t* in, size_t n, PersistentState* s, uint64_t* seq) {
  return Store::decode(in, n, s, seq);
}
size_t encode(const PersistentState& s, uint64_t seq, uint8_t* out, size_t cap) {
  return Store::encode(s, seq, out, cap);
}
void fix_hash(uint8_t* slot) {
  const size_t body_len = static_cast<size_t>(slot[6]) << 8 | slot[7];
  if (kHeader + body_len + crypto::kSha256Size > kSlotSize) return;
  crypto::Digest d;
  if (crypto::sha256(ByteSpan(slot, kHeader + body_len), &d).ok())
    memcpy(slot + kHeader + body_len, d.data(), d.size());
}
#endif

// A Store ready to load (the keyed one needs its MAC key first).
void prepare(Store* s) {
  *s = Store();
#if LOCUS_FUZZ_STORE_KEYED
  s->set_key(g_key);
#endif
}

// The keyed store may refuse a journal (fault: provisioned without a valid one, a key the
// anchor does not name, ...); the SHA-256 one never does.
bool in_fault(const Store& s) {
#if LOCUS_FUZZ_STORE_KEYED
  return s.fault();
#else
  (void)s;
  return false;
#endif
}

}  // namespace

extern "C" int locus_fuzz_store(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  fake::reset_board(1, 1);
  auto& st = fake::board().storage;
  st.assign(kStorageNeeded, 0xFF);
  const size_t img = size - 1 < kStorageNeeded ? size - 1 : kStorageNeeded;
  memcpy(st.data(), data + 1, img);
#if LOCUS_FUZZ_STORE_KEYED
  fake::store_key(g_key);
  if ((mode & 2) != 0) {
    auto& otp = fake::board().otp;
    const size_t rest = size - 1 - img;
    memcpy(otp.data(), data + 1 + img, rest < otp.size() ? rest : otp.size());
  }
#endif
  if ((mode & 1) != 0) {
    fix_hash(st.data());
    fix_hash(st.data() + kSlotB);
  }

  // The record decoder on its own (slot A as given).
  static PersistentState probe;
  static PersistentState untouched;
  probe = PersistentState();
  probe.boot_count = 0x5A5A5A5Au;
  untouched = probe;
  uint64_t probe_seq = 0x1234;
  if (!decode(st.data(), kSlotSize, &probe, &probe_seq)) {
    LOCUS_FUZZ_CHECK(state_eq(probe, untouched) && probe_seq == 0x1234);
  }

  static Store store;
  prepare(&store);
  LOCUS_FUZZ_CHECK(store.load().ok());
  static PersistentState slot_state[2];
  uint64_t slot_seq[2] = {0, 0};
  bool valid[2];
  for (int i = 0; i < 2; ++i) {
    valid[i] = decode(st.data() + i * kSlotB, kSlotSize, &slot_state[i], &slot_seq[i]);
  }
  const int a = store.active_slot();
  if (in_fault(store)) {
    // Refused: nothing of it is used, and nothing can be journaled on top of it.
    LOCUS_FUZZ_CHECK(a < 0 && store.sequence() == 0 && state_eq(store.state(), PersistentState()));
    LOCUS_FUZZ_CHECK(!store.commit(store.state()).ok());
    return 0;
  }
  if (a < 0) {
    LOCUS_FUZZ_CHECK(!valid[0] && !valid[1]);
    LOCUS_FUZZ_CHECK(store.sequence() == 0 && state_eq(store.state(), PersistentState()));
  } else {
    LOCUS_FUZZ_ACCEPTED();
    LOCUS_FUZZ_CHECK(valid[a] && store.sequence() == slot_seq[a] &&
                     state_eq(store.state(), slot_state[a]));
    LOCUS_FUZZ_CHECK(!valid[1 - a] || slot_seq[1 - a] <= slot_seq[a]);
    const size_t n = encode(store.state(), store.sequence(), g_enc, sizeof g_enc);
    LOCUS_FUZZ_CHECK(n > 0 && memcmp(g_enc, st.data() + a * kSlotB, n) == 0);
  }

  static PersistentState next;
  next = store.state();
  next.boot_count += 1;
  if (store.commit(next).ok()) {
    static Store again;
    prepare(&again);
    LOCUS_FUZZ_CHECK(again.load().ok() && !in_fault(again));
    LOCUS_FUZZ_CHECK(state_eq(again.state(), next));
    LOCUS_FUZZ_CHECK(again.sequence() == store.sequence());
  }
  return 0;
}
