// Fake implementation of locus/firmware/board.h for unit tests.
#include "fake_board.h"

#include <stdlib.h>
#include <string.h>

#include "locus/crypto/hash.h"
#include "locus/firmware/dice.h"

namespace fake {
namespace {
Board g_board;
}  // namespace

Board& board() {
  return g_board;
}

void reset_board(uint8_t uds_seed, uint8_t image_seed) {
  g_board = Board();
  for (int i = 0; i < 32; ++i) g_board.uds[i] = static_cast<uint8_t>(uds_seed * 31 + i);
  uint8_t image[64];
  for (int i = 0; i < 64; ++i) image[i] = static_cast<uint8_t>(image_seed + i);
  locus::crypto::Digest d;
  if (locus::crypto::sha256(locus::ByteSpan(image, sizeof(image)), &d).ok())
    memcpy(g_board.fwid, d.data(), 32);
}

void arm_cut(long at_write, size_t prefix) {
  g_board.writes = 0;
  g_board.cut_at = at_write;
  g_board.cut_prefix = prefix;
}

void power_on() {
  g_board.powered = true;
  g_board.cut_at = -1;
  g_board.writes = 0;
}

void store_key(uint8_t out[32]) {
  const char* label = locus::firmware::kStorageLabel;
  if (!locus::crypto::hkdf_sha256(
           locus::ByteSpan(), locus::ByteSpan(g_board.uds, 32),
           locus::ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)),
           locus::MutByteSpan(out, 32))
           .ok()) {
    abort();
  }
}

void otp_and(std::vector<uint8_t>* otp, size_t offset, const uint8_t* in, size_t len) {
  for (size_t i = 0; i < len; ++i) (*otp)[offset + i] &= in[i];
}

bool logged(const std::string& line) {
  for (const auto& l : g_board.logs) {
    if (l == line) return true;
  }
  return false;
}

}  // namespace fake

namespace locus::board {

Status read_uds(uint8_t out[32]) {
  if (fake::board().uds_fails) return BoardError::kUdsUnavailable;
  memcpy(out, fake::board().uds, 32);
  return Status::Ok();
}
Status measure_image(uint8_t fwid[32]) {
  memcpy(fwid, fake::board().fwid, 32);
  return Status::Ok();
}
Status entropy(uint8_t* out, size_t len) {
  for (size_t i = 0; i < len; ++i)
    out[i] = static_cast<uint8_t>(fake::board().entropy_counter++ * 13 + 7);
  return Status::Ok();
}
bool entropy_is_emulated() {
  return true;
}
uint64_t monotonic_us() {
  return fake::board().now_us;
}
size_t storage_size() {
  return fake::board().storage.size();
}
Status storage_read(size_t offset, uint8_t* out, size_t len) {
  auto& b = fake::board();
  if (b.storage_read_fails) return BoardError::kStorageIo;
  if (offset > b.storage.size() || len > b.storage.size() - offset)
    return BoardError::kStorageRange;
  memcpy(out, b.storage.data() + offset, len);
  return Status::Ok();
}
Status storage_write(size_t offset, const uint8_t* in, size_t len) {
  auto& b = fake::board();
  if (!b.powered || b.writes_fail) return BoardError::kStorageIo;
  if (offset > b.storage.size() || len > b.storage.size() - offset)
    return BoardError::kStorageRange;
  ++b.writes;
  if (b.cut_at == b.writes) {
    const size_t n = b.cut_prefix < len ? b.cut_prefix : len;
    memcpy(b.storage.data() + offset, in, n);
    b.powered = false;
    return BoardError::kStorageIo;
  }
  memcpy(b.storage.data() + offset, in, len);
  if (b.record_writes) {
    b.write_log.emplace_back(in, in + len);
    b.write_offsets.push_back(offset);
    b.write_is_otp.push_back(false);
  }
  return Status::Ok();
}
Status storage_flush() {
  return fake::board().powered ? Status::Ok() : Status(BoardError::kStorageIo);
}
size_t otp_size() {
  return fake::board().otp.size();
}
Status otp_read(size_t offset, uint8_t* out, size_t len) {
  auto& b = fake::board();
  if (b.otp_read_fails) return BoardError::kStorageIo;
  if (offset > b.otp.size() || len > b.otp.size() - offset) return BoardError::kStorageRange;
  memcpy(out, b.otp.data() + offset, len);
  return Status::Ok();
}
Status otp_program(size_t offset, const uint8_t* in, size_t len) {
  auto& b = fake::board();
  if (!b.powered || b.writes_fail) return BoardError::kStorageIo;
  if (offset > b.otp.size() || len > b.otp.size() - offset) return BoardError::kStorageRange;
  for (size_t i = 0; i < len; ++i) {
    if ((b.otp[offset + i] & in[i]) != in[i]) return BoardError::kOtpConflict;
  }
  ++b.writes;
  if (b.cut_at == b.writes) {
    const size_t n = b.cut_prefix < len ? b.cut_prefix : len;
    fake::otp_and(&b.otp, offset, in, n);
    b.powered = false;
    return BoardError::kStorageIo;
  }
  fake::otp_and(&b.otp, offset, in, len);
  if (b.record_writes) {
    b.write_log.emplace_back(in, in + len);
    b.write_offsets.push_back(offset);
    b.write_is_otp.push_back(true);
  }
  return Status::Ok();
}
Result<size_t> link_read(uint8_t* buf, size_t cap, uint32_t) {
  auto& b = fake::board();
  if (b.link_in.empty()) return BoardError::kLinkTimeout;
  const size_t n = b.link_in.size() < cap ? b.link_in.size() : cap;
  memcpy(buf, b.link_in.data(), n);
  b.link_in.erase(b.link_in.begin(), b.link_in.begin() + static_cast<long>(n));
  return n;
}
Status link_write(const uint8_t* buf, size_t len) {
  fake::board().link_out.insert(fake::board().link_out.end(), buf, buf + len);
  return Status::Ok();
}
void set_interconnect(InterconnectMode mode) {
  fake::board().mode = mode;
  ++fake::board().set_calls;
}
void log(const char* line) {
  std::vector<std::string>& logs = fake::board().logs;
  if (logs.size() >= fake::kMaxLogLines) logs.erase(logs.begin());
  logs.emplace_back(line);
}

}  // namespace locus::board
