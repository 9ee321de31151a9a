// board storage and write-once region over ARM semihosting (mps2-an386: QEMU gives this
// machine no flash the firmware could write, see docs/boards.md).
//
//   storage   host file storage=<path> (default ./locus-storage.bin), kStorageSize bytes,
//             created erased (0xFF). Writes go straight to the host file (write(2) in QEMU);
//             storage_flush has nothing to do.
//   OTP       host file otp=<path> (default ./locus-otp.bin), kOtpSize bytes, created 0xFF.
//             otp_program keeps the NOR/fuse rule in the board code: it reads the target bytes
//             first and refuses (kOtpConflict, nothing written) when a 0 bit would have to
//             become 1; it writes old AND new, so a bit once cleared stays cleared.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/firmware/board.h"

namespace locus::board {
namespace {

constexpr size_t kStorageSize = 2 * kStorageSectorSize;  // journal slots A and B
constexpr size_t kOtpSize = 512;

struct HostFile {
  const char* key;
  const char* fallback;
  size_t size;
  int fh;
  bool failed;
};
HostFile g_storage = {"storage", "locus-storage.bin", kStorageSize, -1, false};
HostFile g_otp = {"otp", "locus-otp.bin", kOtpSize, -1, false};

// Opens the file, creating it (or extending a short one) filled with 0xFF.
bool file_open(HostFile* f) {
  if (f->fh >= 0) {
    return true;
  }
  if (f->failed) {
    return false;
  }
  char path[200];  // semihosting copies the name at SYS_OPEN
  if (!cm::cmdline_value(f->key, path, sizeof(path))) {
    strcpy(path, f->fallback);
  }
  int fh = cm::semi::open(path, cm::semi::kOpenRPlusB);
  if (fh < 0) {
    fh = cm::semi::open(path, cm::semi::kOpenWPlusB);
  }
  const long len = fh >= 0 ? cm::semi::flen(fh) : -1;
  bool ok = fh >= 0 && len >= 0;
  uint8_t ff[256];
  memset(ff, 0xFF, sizeof(ff));
  for (size_t off = ok ? static_cast<size_t>(len) : f->size; ok && off < f->size;) {
    const size_t n = (f->size - off) < sizeof(ff) ? (f->size - off) : sizeof(ff);
    ok = cm::semi::seek(fh, off) == 0 && cm::semi::write(fh, ff, n) == 0;
    off += n;
  }
  if (!ok) {
    if (fh >= 0) {
      (void)cm::semi::close(fh);
    }
    f->failed = true;
    return false;
  }
  f->fh = fh;
  return true;
}

bool range_ok(size_t offset, size_t len, size_t size) {
  return offset <= size && len <= size - offset;
}

Status file_read(HostFile* f, size_t offset, uint8_t* out, size_t len) {
  if (!file_open(f)) {
    return BoardError::kStorageIo;
  }
  if (cm::semi::seek(f->fh, offset) != 0 || cm::semi::read(f->fh, out, len) != 0) {
    return BoardError::kStorageIo;
  }
  return Status::Ok();
}

Status file_write(HostFile* f, size_t offset, const uint8_t* in, size_t len) {
  if (!file_open(f)) {
    return BoardError::kStorageIo;
  }
  if (cm::semi::seek(f->fh, offset) != 0 || cm::semi::write(f->fh, in, len) != 0) {
    return BoardError::kStorageIo;
  }
  return Status::Ok();
}

}  // namespace

size_t storage_size() {
  return kStorageSize;
}

Status storage_read(size_t offset, uint8_t* out, size_t len) {
  if (!range_ok(offset, len, kStorageSize)) {
    return BoardError::kStorageRange;
  }
  if (len == 0) {
    return Status::Ok();
  }
  return file_read(&g_storage, offset, out, len);
}

Status storage_write(size_t offset, const uint8_t* in, size_t len) {
  if (!range_ok(offset, len, kStorageSize)) {
    return BoardError::kStorageRange;
  }
  if (len == 0) {
    return Status::Ok();
  }
  return file_write(&g_storage, offset, in, len);
}

Status storage_flush() {
  if (!file_open(&g_storage)) {
    return BoardError::kStorageIo;
  }
  return Status::Ok();
}

size_t otp_size() {
  return kOtpSize;
}

Status otp_read(size_t offset, uint8_t* out, size_t len) {
  if (!range_ok(offset, len, kOtpSize)) {
    return BoardError::kStorageRange;
  }
  if (len == 0) {
    return Status::Ok();
  }
  return file_read(&g_otp, offset, out, len);
}

Status otp_program(size_t offset, const uint8_t* in, size_t len) {
  if (!range_ok(offset, len, kOtpSize)) {
    return BoardError::kStorageRange;
  }
  if (len == 0) {
    return Status::Ok();
  }
  if (in == nullptr) {
    return BoardError::kStorageIo;
  }
  // Check every byte before writing any: a conflict leaves the region untouched.
  uint8_t cur[64];
  for (size_t done = 0; done < len;) {
    const size_t n = (len - done) < sizeof(cur) ? (len - done) : sizeof(cur);
    Status st = file_read(&g_otp, offset + done, cur, n);
    if (!st.ok()) {
      return st;
    }
    for (size_t i = 0; i < n; ++i) {
      if ((static_cast<uint8_t>(~cur[i]) & in[done + i]) != 0) {
        return BoardError::kOtpConflict;
      }
    }
    done += n;
  }
  for (size_t done = 0; done < len;) {
    const size_t n = (len - done) < sizeof(cur) ? (len - done) : sizeof(cur);
    Status st = file_read(&g_otp, offset + done, cur, n);
    if (!st.ok()) {
      return st;
    }
    for (size_t i = 0; i < n; ++i) {
      cur[i] = static_cast<uint8_t>(cur[i] & in[done + i]);
    }
    st = file_write(&g_otp, offset + done, cur, n);
    if (!st.ok()) {
      return st;
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace locus::board
