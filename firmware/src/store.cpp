// Journaled persistent state: two slots, newest valid record wins (see store.h).
#include "locus/firmware/store.h"

#include <string.h>

#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/firmware/board.h"

namespace locus::firmware {
namespace {

constexpr uint8_t kMagic[4] = {'L', 'C', 'S', '1'};
constexpr uint16_t kVersion = 1;
constexpr size_t kHeader = 4 + 2 + 2 + 8;
constexpr size_t kBodyFixed = 4 + 8 + 4 + 1 + 65 + 8 + 2;  // + cert bytes
static_assert(kHeader + kBodyFixed + kMaxDevIdCert + 32 <= kSlotSize, "slot too small");

// One scratch buffer for reading and writing records (static: no heap, bounded RAM).
uint8_t g_record[kSlotSize];

class Writer {
 public:
  Writer(uint8_t* p, size_t cap) : p_(p), cap_(cap) {}
  void be(uint64_t v, size_t n) {
    if (!room(n)) return;
    for (size_t i = 0; i < n; ++i) p_[len_ + i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
    len_ += n;
  }
  void bytes(const uint8_t* b, size_t n) {
    if (!room(n)) return;
    memcpy(p_ + len_, b, n);
    len_ += n;
  }
  size_t len() const { return ok_ ? len_ : 0; }
  uint8_t* at(size_t off) { return p_ + off; }

 private:
  bool room(size_t n) {
    if (!ok_ || cap_ - len_ < n) ok_ = false;
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
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p_[pos_ + i];
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

}  // namespace

size_t Store::encode(const PersistentState& s, uint64_t seq, uint8_t* out, size_t cap) {
  if (s.devid_cert_len > kMaxDevIdCert) return 0;
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
  if (n != kHeader + body_len || cap - n < crypto::kSha256Size) return 0;
  crypto::Digest d;
  if (!crypto::sha256(ByteSpan(out, n), &d).ok()) return 0;
  memcpy(out + n, d.data(), d.size());
  return n + d.size();
}

bool Store::decode(const uint8_t* in, size_t len, PersistentState* s, uint64_t* seq) {
  Reader r(in, len);
  const uint8_t* magic = r.take(4);
  if (magic == nullptr || memcmp(magic, kMagic, 4) != 0) return false;
  if (r.be(2) != kVersion) return false;
  const uint64_t body_len = r.be(2);
  if (!r.ok() || body_len < kBodyFixed || body_len > kBodyFixed + kMaxDevIdCert) return false;
  const size_t total = kHeader + static_cast<size_t>(body_len);
  if (len < total + crypto::kSha256Size) return false;
  crypto::Digest d;
  if (!crypto::sha256(ByteSpan(in, total), &d).ok()) return false;
  if (!crypto::ct_equal(ByteSpan(d.data(), d.size()), ByteSpan(in + total, d.size()))) return false;
  PersistentState t;
  const uint64_t sq = r.be(8);
  t.boot_count = static_cast<uint32_t>(r.be(4));
  t.license_counter = r.be(8);
  t.min_svn = static_cast<uint32_t>(r.be(4));
  const uint64_t has = r.be(1);
  const uint8_t* key = r.take(65);
  t.rotation_counter = r.be(8);
  const uint64_t cert_len = r.be(2);
  if (!r.ok() || has > 1 || cert_len != body_len - kBodyFixed) return false;
  const uint8_t* cert = r.take(static_cast<size_t>(cert_len));
  if (!r.ok() || r.pos() != total) return false;
  t.has_verifier_key = has == 1;
  memcpy(t.verifier_key, key, 65);
  t.devid_cert_len = static_cast<uint16_t>(cert_len);
  if (cert_len > 0) memcpy(t.devid_cert, cert, static_cast<size_t>(cert_len));
  *s = t;
  *seq = sq;
  return true;
}

Status Store::load() {
  state_ = PersistentState();
  seq_ = 0;
  active_ = -1;
  if (board::storage_size() < kStorageNeeded) return FirmwareError::kStorageTooSmall;
  for (int slot = 0; slot < 2; ++slot) {
    if (!board::storage_read(static_cast<size_t>(slot) * kSlotSize, g_record, kSlotSize).ok()) continue;
    PersistentState s;
    uint64_t sq = 0;
    if (!decode(g_record, kSlotSize, &s, &sq)) continue;
    if (active_ < 0 || sq > seq_) {
      state_ = s;
      seq_ = sq;
      active_ = slot;
    }
  }
  crypto::zeroize(g_record, sizeof(g_record));
  return Status::Ok();
}

Status Store::commit(const PersistentState& next) {
  const uint64_t seq = seq_ + 1;
  const int target = active_ == 0 ? 1 : 0;
  memset(g_record, 0xFF, sizeof(g_record));
  const size_t n = encode(next, seq, g_record, sizeof(g_record));
  if (n == 0) return FirmwareError::kPersistFailed;
  // The whole slot is written (record + 0xFF padding) so stale bytes never linger.
  Status st = board::storage_write(static_cast<size_t>(target) * kSlotSize, g_record, kSlotSize);
  if (st.ok()) st = board::storage_flush();
  if (!st.ok()) {
    // A failed or cut write hit only the target slot; the active record still stands.
    return FirmwareError::kPersistFailed;
  }
  state_ = next;
  seq_ = seq;
  active_ = target;
  return Status::Ok();
}

}  // namespace locus::firmware
