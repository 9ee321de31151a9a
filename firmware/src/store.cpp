// Persistent state: authenticated journal + write-once anchor (see store.h).
#include "locus/firmware/store.h"

#include <string.h>

#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/firmware/board.h"
#include "locus/firmware/hardened.h"
#include "locus/protocol/messages.h"

namespace locus::firmware {
namespace {

constexpr uint8_t kMagic[4] = {'L', 'C', 'S', '2'};
constexpr uint16_t kVersion = 2;
constexpr size_t kHeader = 4 + 2 + 2 + 8;
constexpr size_t kBodyFixed = 4 + 8 + 4 + 1 + 65 + 8 + 2;  // + cert bytes
constexpr size_t kMacSize = crypto::kSha256Size;
static_assert(kHeader + kBodyFixed + kMaxDevIdCert + kMacSize <= kSlotSize, "slot too small");
static_assert(kSlotSize <= kSlotStride, "a slot must fit its sector");

constexpr uint8_t kOtpMagic[4] = {'L', 'C', 'O', '1'};
constexpr size_t kOtpBody = 4 + 1 + 8 + 32;  // magic, index, rotation, key hash
constexpr size_t kOtpMac = 16;
constexpr size_t kOtpCommit = kOtpRecordSize - 1;
static_assert(kOtpBody + kOtpMac < kOtpCommit, "write-once record layout");

constexpr char kJournalLabel[] = "locus journal v2";
constexpr char kOtpLabel[] = "locus otp v1";

// Scratch buffers for reading and writing records (static: no heap, bounded RAM).
uint8_t g_record[kSlotSize];

// HMAC-SHA256(key, label ‖ msg): the label separates the two uses of the one store key.
bool mac(const uint8_t key[kStoreKeySize], const char* label, ByteSpan msg, crypto::Digest* out) {
  // label ‖ msg is at most 16 + kSlotSize bytes; built in a static buffer (no heap).
  static uint8_t buf[sizeof(kJournalLabel) + kSlotSize];
  const size_t ll = strlen(label);
  if (msg.size > sizeof(buf) - ll) {
    return false;
  }
  // The label is bytes of the MAC input, not a C string: no terminator is wanted.
  memcpy(buf, label, ll);  // NOLINT(bugprone-not-null-terminated-result)
  memcpy(buf + ll, msg.data, msg.size);
  const bool ok =
      crypto::hmac_sha256(ByteSpan(key, kStoreKeySize), ByteSpan(buf, ll + msg.size), out).ok();
  crypto::zeroize(buf, sizeof(buf));
  return ok;
}

bool all_erased(const uint8_t* p, size_t n) {
  uint8_t acc = 0xFF;
  for (size_t i = 0; i < n; ++i) {
    acc &= p[i];
  }
  return acc == 0xFF;
}

class Writer {
 public:
  Writer(uint8_t* p, size_t cap) : p_(p), cap_(cap) {}
  void be(uint64_t v, size_t n) {
    if (!room(n)) {
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      p_[len_ + i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
    }
    len_ += n;
  }
  void bytes(const uint8_t* b, size_t n) {
    if (!room(n)) {
      return;
    }
    memcpy(p_ + len_, b, n);
    len_ += n;
  }
  size_t len() const { return ok_ ? len_ : 0; }

 private:
  bool room(size_t n) {
    if (!ok_ || cap_ - len_ < n) {
      ok_ = false;
    }
    return ok_;
  }
  uint8_t* p_;
  size_t cap_;
  size_t len_ = 0;
  bool ok_ = true;
};

class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  uint64_t be(size_t n) {
    if (!ok_ || n_ - pos_ < n) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v = (v << 8) | p_[pos_ + i];
    }
    pos_ += n;
    return v;
  }
  const uint8_t* take(size_t n) {
    if (!ok_ || n_ - pos_ < n) {
      ok_ = false;
      return nullptr;
    }
    const uint8_t* r = p_ + pos_;
    pos_ += n;
    return r;
  }
  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
  bool ok_ = true;
};

enum class SlotKind { kValid, kErased, kInvalid, kUnreadable };

}  // namespace

void Store::set_key(const uint8_t key[kStoreKeySize]) {
  memcpy(key_, key, kStoreKeySize);
}
void Store::wipe_key() {
  crypto::zeroize(key_, sizeof(key_));
}

size_t Store::encode(const uint8_t key[kStoreKeySize], const PersistentState& s, uint64_t seq,
                     uint8_t* out, size_t cap) {
  if (s.devid_cert_len > kMaxDevIdCert) {
    return 0;
  }
  const size_t body_len = kBodyFixed + s.devid_cert_len;
  Writer w(out, cap);
  w.bytes(kMagic, 4);
  w.be(kVersion, 2);
  w.be(body_len, 2);
  w.be(seq, 8);
  w.be(s.boot_count, 4);
  w.be(s.license_counter, 8);
  w.be(s.min_svn, 4);
  w.be(s.has_verifier_key ? 1 : 0, 1);
  w.bytes(s.verifier_key, 65);
  w.be(s.rotation_counter, 8);
  w.be(s.devid_cert_len, 2);
  w.bytes(s.devid_cert, s.devid_cert_len);
  const size_t n = w.len();
  if (n != kHeader + body_len || cap - n < kMacSize) {
    return 0;
  }
  crypto::Digest d;
  if (!mac(key, kJournalLabel, ByteSpan(out, n), &d)) {
    return 0;
  }
  memcpy(out + n, d.data(), d.size());
  crypto::zeroize(d.data(), d.size());
  return n + kMacSize;
}

bool Store::decode(const uint8_t key[kStoreKeySize], const uint8_t* in, size_t len,
                   PersistentState* s, uint64_t* seq) {
  Reader r(in, len);
  const uint8_t* magic = r.take(4);
  if (magic == nullptr || memcmp(magic, kMagic, 4) != 0) {
    return false;
  }
  if (r.be(2) != kVersion) {
    return false;
  }
  const uint64_t body_len = r.be(2);
  if (!r.ok() || body_len < kBodyFixed || body_len > kBodyFixed + kMaxDevIdCert) {
    return false;
  }
  const size_t total = kHeader + static_cast<size_t>(body_len);
  if (len < total + kMacSize) {
    return false;
  }
  crypto::Digest d;
  if (!mac(key, kJournalLabel, ByteSpan(in, total), &d)) {
    return false;
  }
  const bool mac_ok =
      crypto::ct_equal(ByteSpan(d.data(), d.size()), ByteSpan(in + total, kMacSize));
  crypto::zeroize(d.data(), d.size());
  if (!mac_ok) {
    return false;
  }
  PersistentState t;
  const uint64_t sq = r.be(8);
  t.boot_count = static_cast<uint32_t>(r.be(4));
  t.license_counter = r.be(8);
  t.min_svn = static_cast<uint32_t>(r.be(4));
  const uint64_t has = r.be(1);
  const uint8_t* vkey = r.take(65);
  t.rotation_counter = r.be(8);
  const uint64_t cert_len = r.be(2);
  if (!r.ok() || has > 1 || cert_len != body_len - kBodyFixed) {
    return false;
  }
  const uint8_t* cert = r.take(static_cast<size_t>(cert_len));
  if (!r.ok() || r.pos() != total) {
    return false;
  }
  t.has_verifier_key = has == 1;
  memcpy(t.verifier_key, vkey, 65);
  t.devid_cert_len = static_cast<uint16_t>(cert_len);
  if (cert_len > 0) {
    memcpy(t.devid_cert, cert, static_cast<size_t>(cert_len));
  }
  *s = t;
  *seq = sq;
  return true;
}

void Store::encode_otp(const uint8_t key[kStoreKeySize], uint8_t index, uint64_t rotation,
                       const uint8_t key_hash[32], uint8_t out[kOtpRecordSize]) {
  memset(out, 0xFF, kOtpRecordSize);
  Writer w(out, kOtpBody);
  w.bytes(kOtpMagic, 4);
  w.be(index, 1);
  w.be(rotation, 8);
  w.bytes(key_hash, 32);
  crypto::Digest d;
  if (!mac(key, kOtpLabel, ByteSpan(out, kOtpBody), &d)) {
    memset(out, 0xFF, kOtpRecordSize);  // an erased record never verifies
    return;
  }
  memcpy(out + kOtpBody, d.data(), kOtpMac);
  crypto::zeroize(d.data(), d.size());
  out[kOtpCommit] = 0x00;
}

bool Store::fault() const {
  return health_ != Health::kOk && health_ != Health::kRecovered;
}

uint8_t Store::wire_health() const {
  switch (health_) {
    case Health::kOk: return protocol::kStorageOk;
    case Health::kRecovered: return protocol::kStorageRecovered;
    case Health::kFault:
    default: return protocol::kStorageFault;
  }
}

void Store::set_fault(Status why) {
  health_ = Health::kFault;
  error_ = why;
  state_ = PersistentState();  // nothing of an untrusted journal is used
  seq_ = 0;
  active_ = -1;
}

bool Store::key_matches_anchor(const PersistentState& s) const {
  if (!anchor_.present || !s.has_verifier_key) {
    return false;
  }
  if (hardened::launder64(s.rotation_counter) != anchor_.rotation) {
    return false;
  }
  crypto::Digest h;
  if (!crypto::sha256(ByteSpan(s.verifier_key, 65), &h).ok()) {
    return false;
  }
  return crypto::ct_equal(ByteSpan(h.data(), h.size()), ByteSpan(anchor_.key_hash, 32));
}

Status Store::load() {
  state_ = PersistentState();
  seq_ = 0;
  active_ = -1;
  health_ = Health::kFault;
  error_ = Status();
  anchor_ = Anchor();
  next_otp_ = kOtpRecords;
  if (board::storage_size() < kStorageNeeded || board::otp_size() < kOtpNeeded) {
    error_ = FirmwareError::kStorageTooSmall;
    return FirmwareError::kStorageTooSmall;
  }

  // 1. The write-once region: records in order; after the first erased one, all erased.
  bool io_error = false;
  bool tampered = false;
  for (size_t i = 0; i < kOtpRecords; ++i) {
    uint8_t rec[kOtpRecordSize];
    if (!board::otp_read(i * kOtpRecordSize, rec, sizeof(rec)).ok()) {
      io_error = true;
      break;
    }
    if (all_erased(rec, sizeof(rec))) {
      if (next_otp_ == kOtpRecords) {
        next_otp_ = i;
      }
      continue;
    }
    if (next_otp_ != kOtpRecords) {
      tampered = true;  // a record programmed after a free one: never written that way
      break;
    }
    if (rec[kOtpCommit] == 0xFF) {
      continue;  // torn: cut while programming; skipped for good
    }
    uint8_t want[kOtpRecordSize];
    Reader r(rec, kOtpBody);
    r.take(4);
    r.be(1);
    const uint64_t rotation = r.be(8);
    const uint8_t* hash = r.take(32);
    encode_otp(key_, static_cast<uint8_t>(i), rotation, hash, want);
    // Committed: the body and MAC must be exactly what this board would have written. The
    // commit byte may be torn (any value but 0xFF): the body was complete before it.
    if (!crypto::ct_equal(ByteSpan(rec, kOtpCommit), ByteSpan(want, kOtpCommit)) ||
        (anchor_.present && rotation <= anchor_.rotation)) {
      tampered = true;
      break;
    }
    anchor_.present = true;
    anchor_.index = static_cast<uint8_t>(i);
    anchor_.rotation = rotation;
    memcpy(anchor_.key_hash, hash, 32);
  }

  // 2. The journal slots.
  SlotKind kind[2] = {SlotKind::kInvalid, SlotKind::kInvalid};
  PersistentState st[2];
  uint64_t sq[2] = {0, 0};
  for (int slot = 0; slot < 2 && !io_error; ++slot) {
    if (!board::storage_read(static_cast<size_t>(slot) * kSlotStride, g_record, kSlotSize).ok()) {
      kind[slot] = SlotKind::kUnreadable;
      io_error = true;
      break;
    }
    if (decode(key_, g_record, kSlotSize, &st[slot], &sq[slot])) {
      kind[slot] = SlotKind::kValid;
    } else if (all_erased(g_record, kSlotSize)) {
      kind[slot] = SlotKind::kErased;
    }
  }
  crypto::zeroize(g_record, sizeof(g_record));

  if (io_error) {
    set_fault(board::BoardError::kStorageIo);
    board::log("storage: read error: FAULT (not blank)");
    return Status::Ok();
  }
  if (tampered) {
    set_fault(FirmwareError::kOtpTampered);
    board::log("storage: write-once region does not verify: FAULT");
    return Status::Ok();
  }

  int best = -1;
  for (int slot = 0; slot < 2; ++slot) {
    if (kind[slot] == SlotKind::kValid && (best < 0 || sq[slot] > sq[best])) {
      best = slot;
    }
  }
  const int other = best < 0 ? -1 : 1 - best;
  const bool one_bad = other >= 0 && kind[other] == SlotKind::kInvalid;
  const bool none_valid = best < 0;
  const bool all_blank = kind[0] == SlotKind::kErased && kind[1] == SlotKind::kErased;

  if (anchor_.present) {
    // Provisioned: the journal must be there and agree with the write-once anchor.
    if (none_valid) {
      set_fault(all_blank ? Status(FirmwareError::kJournalErased)
                          : Status(FirmwareError::kJournalCorrupt));
      board::log("storage: provisioned board without a valid journal: FAULT");
      return Status::Ok();
    }
    const PersistentState& j = st[best];
    const bool matches = key_matches_anchor(j);
    // Pending: the anchor was written, the journal commit that follows it was cut.
    const bool pending =
        (!j.has_verifier_key && anchor_.rotation == 0 && j.rotation_counter == 0) ||
        (j.has_verifier_key && j.rotation_counter < anchor_.rotation);
    if (!matches && !pending) {
      set_fault(FirmwareError::kAnchorMismatch);
      board::log("storage: journal key does not match the write-once anchor: FAULT");
      return Status::Ok();
    }
  } else if (!none_valid && st[best].has_verifier_key) {
    // A journal with a verifier key but no anchor: the write-once region was erased.
    set_fault(FirmwareError::kAnchorMismatch);
    board::log("storage: verifier key without a write-once anchor: FAULT");
    return Status::Ok();
  }

  if (none_valid) {
    // Never provisioned. Erased: factory blank. Unreadable content: nothing on it can grant
    // anything (no verifier key without an anchor), so start a fresh journal, and say so.
    health_ = all_blank ? Health::kOk : Health::kRecovered;
    if (!all_blank) {
      board::log("storage: journal invalid on an unprovisioned board: fresh journal (RECOVERED)");
    }
    return Status::Ok();
  }
  state_ = st[best];
  seq_ = sq[best];
  active_ = best;
  health_ = one_bad ? Health::kRecovered : Health::kOk;
  if (one_bad) {
    board::log("storage: one journal copy invalid, the other used (RECOVERED)");
  }
  return Status::Ok();
}

Status Store::commit(const PersistentState& next) {
  if (fault()) {
    return FirmwareError::kStorageFault;
  }
  // A sequence number that would wrap would make the new record lose to the old one.
  if (seq_ == UINT64_MAX) {
    return FirmwareError::kPersistFailed;
  }
  const uint64_t seq = seq_ + 1;
  const int target = active_ == 0 ? 1 : 0;
  memset(g_record, 0xFF, sizeof(g_record));
  const size_t n = encode(key_, next, seq, g_record, sizeof(g_record));
  if (n == 0) {
    return FirmwareError::kPersistFailed;
  }
  // The whole slot is written (record + 0xFF padding) so stale bytes never linger.
  Status st = board::storage_write(static_cast<size_t>(target) * kSlotStride, g_record, kSlotSize);
  if (st.ok()) {
    st = board::storage_flush();
  }
  crypto::zeroize(g_record, sizeof(g_record));
  if (!st.ok()) {
    // A failed or cut write hit only the target slot; the active record still stands.
    return FirmwareError::kPersistFailed;
  }
  state_ = next;
  seq_ = seq;
  active_ = target;
  return Status::Ok();
}

Status Store::program_anchor(uint64_t rotation, const uint8_t key_hash[32]) {
  if (fault()) {
    return FirmwareError::kStorageFault;
  }
  if (next_otp_ >= kOtpRecords) {
    return FirmwareError::kOtpFull;
  }
  if (anchor_.present && rotation <= anchor_.rotation) {
    return FirmwareError::kRotationStaleCounter;
  }
  const size_t i = next_otp_;
  uint8_t rec[kOtpRecordSize];
  encode_otp(key_, static_cast<uint8_t>(i), rotation, key_hash, rec);
  // Whatever happens now, record i is used: a torn one is skipped at every later boot.
  next_otp_ = i + 1;
  Status st = board::otp_program(i * kOtpRecordSize, rec, kOtpCommit);
  if (st.ok()) {
    st = board::otp_program(i * kOtpRecordSize + kOtpCommit, rec + kOtpCommit, 1);
  }
  crypto::zeroize(rec, sizeof(rec));
  if (!st.ok()) {
    return FirmwareError::kPersistFailed;
  }
  anchor_.present = true;
  anchor_.index = static_cast<uint8_t>(i);
  anchor_.rotation = rotation;
  memcpy(anchor_.key_hash, key_hash, 32);
  return Status::Ok();
}

}  // namespace locus::firmware
