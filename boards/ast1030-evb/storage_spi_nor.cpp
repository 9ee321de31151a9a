// board storage and write-once region in the AST1030's SPI NOR flash, behind the FMC (the
// firmware memory controller) in user mode: the firmware clocks the flash's own command set
// through the controller's CE0 window. QEMU 7.2 models the FMC (hw/ssi/aspeed_smc.c) and
// attaches an sst25vf032b (hw/block/m25p80.c, 4 MiB, 4 KiB sectors) on CS0, backed by
// `-drive file=flash.bin,format=raw,if=mtd` (without a drive: blank and volatile).
//
// FMC registers (0x7E620000): 0x00 CONF (bit 16 + cs: writes to CSn allowed), 0x10 CE0 CTRL
// (bits 1:0 = 3 user mode; bit 2 = CE stop active, i.e. chip select released). In user mode
// every byte stored to the CE0 window (0x80000000) is one SPI transfer out, every byte loaded
// one transfer in. A command: release CS, enter user mode with CS asserted, bytes, release CS,
// back to the saved (read-mode) control value.
//
// Flash commands: RDID 0x9F (JEDEC id checked at first use: BF 25 4A), RDSR 0x05 (WIP bit 0,
// WEL bit 1), WREN 0x06 (WEL checked before every erase/program), WRDI 0x04, READ 0x03, SE
// 0x20 (4 KiB sector erase), PP 0x02 (page program, never across a 256-byte page). The real
// SST25VF032B programs one byte per 0x02 (or uses AAI 0xAD); QEMU's model, like most NOR
// parts (W25Q, MX25), takes a page. Every erase and program is read back and compared.
//
// Layout (flash offsets):
//   0x000000 .. 0x001FFF  storage: journal slot A (sector 0) and slot B (sector 1)
//   0x010000 .. 0x0101FF  write-once region (512 bytes) in a sector of its own 64 KiB block;
//                         the driver has no path that erases it (erase() refuses it).
// NOR rules: an erase sets a whole sector to 0xFF; a program only clears bits (1 -> 0).
// storage_write erases every sector it touches, then programs the bytes (board.h allows it:
// each journal slot starts on its own sector). otp_program refuses with kOtpConflict, before
// writing anything, when a target bit is 0 where the new data has a 1.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "locus/boards/cortex_m.h"
#include "locus/firmware/board.h"

namespace locus::board {
namespace {

constexpr uintptr_t kFmc = 0x7E620000u;
constexpr uintptr_t kFmcConf = 0x00;
constexpr uintptr_t kFmcCe0Ctrl = 0x10;
constexpr uint32_t kConfWriteCe0 = 1u << 16;
constexpr uint32_t kCtrlUserMode = 0x3;
constexpr uint32_t kCtrlModeMask = 0x3;
constexpr uint32_t kCtrlCeStop = 1u << 2;
volatile uint8_t* const kCe0Window = reinterpret_cast<volatile uint8_t*>(0x80000000u);

constexpr uint8_t kCmdRdid = 0x9F, kCmdRdsr = 0x05, kCmdWren = 0x06, kCmdWrdi = 0x04;
constexpr uint8_t kCmdRead = 0x03, kCmdSectorErase = 0x20, kCmdPageProgram = 0x02;
constexpr uint8_t kSrWip = 1u << 0, kSrWel = 1u << 1;
constexpr uint32_t kJedecSst25vf032b = 0xBF254Au;

constexpr uint32_t kSector = kStorageSectorSize;  // 4 KiB erase unit
constexpr uint32_t kPage = 256;
constexpr uint32_t kStorageBase = 0x000000u;
constexpr size_t kStorageSize = 2 * kSector;
constexpr uint32_t kOtpBase = 0x010000u;
constexpr size_t kOtpSize = 512;
// Status polls per operation: QEMU completes at once; a real part takes up to ~25 ms per
// sector erase, which at a few hundred ns per poll stays well inside this bound.
constexpr uint32_t kMaxPolls = 2000000u;

volatile uint32_t& fmc(uintptr_t off) {
  return *reinterpret_cast<volatile uint32_t*>(kFmc + off);
}

enum class State : uint8_t { kUnknown, kReady, kFailed };
State g_state = State::kUnknown;
uint32_t g_read_ctrl = 0;  // CE0 control value for normal (read) mode, restored after commands

void cs_begin() {
  fmc(kFmcCe0Ctrl) = (g_read_ctrl & ~kCtrlModeMask) | kCtrlUserMode | kCtrlCeStop;
  fmc(kFmcCe0Ctrl) = ((g_read_ctrl & ~kCtrlModeMask) | kCtrlUserMode) & ~kCtrlCeStop;
}
void cs_end() {
  fmc(kFmcCe0Ctrl) = (g_read_ctrl & ~kCtrlModeMask) | kCtrlUserMode | kCtrlCeStop;
  fmc(kFmcCe0Ctrl) = g_read_ctrl;
}
void tx(uint8_t b) {
  *kCe0Window = b;
}
uint8_t rx() {
  return *kCe0Window;
}
void tx_addr(uint32_t a) {
  tx(static_cast<uint8_t>(a >> 16));
  tx(static_cast<uint8_t>(a >> 8));
  tx(static_cast<uint8_t>(a));
}

void command(uint8_t cmd) {
  cs_begin();
  tx(cmd);
  cs_end();
}

uint8_t read_status() {
  cs_begin();
  tx(kCmdRdsr);
  const uint8_t sr = rx();
  cs_end();
  return sr;
}

bool wait_idle() {
  for (uint32_t i = 0; i < kMaxPolls; ++i) {
    if ((read_status() & kSrWip) == 0) {
      return true;
    }
  }
  return false;
}

// WREN, then check the latch really is set (a write-protected or absent part says no).
bool write_enable() {
  command(kCmdWren);
  return (read_status() & kSrWel) != 0;
}

void read_bytes(uint32_t addr, uint8_t* out, size_t len) {
  cs_begin();
  tx(kCmdRead);
  tx_addr(addr);
  for (size_t i = 0; i < len; ++i) {
    out[i] = rx();
  }
  cs_end();
}

bool ready() {
  if (g_state == State::kReady) {
    return true;
  }
  if (g_state == State::kFailed) {
    return false;
  }
  g_read_ctrl = fmc(kFmcCe0Ctrl);
  fmc(kFmcConf) = fmc(kFmcConf) | kConfWriteCe0;
  cs_begin();
  tx(kCmdRdid);
  uint32_t id = 0;
  for (int i = 0; i < 3; ++i) {
    id = (id << 8) | rx();
  }
  cs_end();
  if (id != kJedecSst25vf032b || !wait_idle()) {
    g_state = State::kFailed;
    log("flash: no SST25VF032B on FMC CE0 (JEDEC id mismatch or busy): storage unavailable");
    return false;
  }
  g_state = State::kReady;
  return true;
}

// Reads back len bytes at addr and compares them with want (nullptr: expect 0xFF).
bool verify(uint32_t addr, const uint8_t* want, size_t len) {
  uint8_t buf[64];
  for (size_t done = 0; done < len;) {
    const size_t n = (len - done) < sizeof(buf) ? (len - done) : sizeof(buf);
    read_bytes(addr + static_cast<uint32_t>(done), buf, n);
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] != (want != nullptr ? want[done + i] : 0xFF)) {
        return false;
      }
    }
    done += n;
  }
  return true;
}

// Erases one 4 KiB sector of the storage region. The write-once region has no way in here.
bool erase_sector(uint32_t addr) {
  if (addr % kSector != 0 || addr < kStorageBase || addr >= kStorageBase + kStorageSize) {
    return false;
  }
  const cm::test::FlashStep step = cm::test::flash_op(cm::test::FlashOp::kErase, addr, kSector);
  if (step.bytes == kSector) {
    if (!wait_idle() || !write_enable()) {
      return false;
    }
    cs_begin();
    tx(kCmdSectorErase);
    tx_addr(addr);
    cs_end();
    if (!wait_idle()) {
      return false;
    }
    command(kCmdWrdi);
  }
  if (step.cut) {
    cm::test::power_cut();
  }
  return verify(addr, nullptr, kSector);
}

// Programs len bytes at addr (page by page; never across a page boundary).
bool program(uint32_t addr, const uint8_t* in, size_t len) {
  for (size_t done = 0; done < len;) {
    const uint32_t a = addr + static_cast<uint32_t>(done);
    const size_t room = kPage - (a % kPage);
    const size_t n = (len - done) < room ? (len - done) : room;
    const cm::test::FlashStep step = cm::test::flash_op(cm::test::FlashOp::kProgram, a, n);
    const size_t m = step.bytes < n ? step.bytes : n;
    if (m > 0) {
      if (!wait_idle() || !write_enable()) {
        return false;
      }
      cs_begin();
      tx(kCmdPageProgram);
      tx_addr(a);
      for (size_t i = 0; i < m; ++i) {
        tx(in[done + i]);
      }
      cs_end();
      if (!wait_idle()) {
        return false;
      }
      command(kCmdWrdi);
    }
    if (step.cut) {
      cm::test::power_cut();
    }
    done += n;
  }
  return true;
}

bool range_ok(size_t offset, size_t len, size_t size) {
  return offset <= size && len <= size - offset;
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
  if (out == nullptr || !ready()) {
    return BoardError::kStorageIo;
  }
  read_bytes(kStorageBase + static_cast<uint32_t>(offset), out, len);
  return Status::Ok();
}

Status storage_write(size_t offset, const uint8_t* in, size_t len) {
  if (!range_ok(offset, len, kStorageSize)) {
    return BoardError::kStorageRange;
  }
  if (len == 0) {
    return Status::Ok();
  }
  if (in == nullptr || !ready()) {
    return BoardError::kStorageIo;
  }
  const uint32_t first = static_cast<uint32_t>(offset) / kSector;
  const uint32_t last = static_cast<uint32_t>(offset + len - 1) / kSector;
  for (uint32_t s = first; s <= last; ++s) {
    if (!erase_sector(kStorageBase + s * kSector)) {
      return BoardError::kStorageIo;
    }
  }
  const uint32_t addr = kStorageBase + static_cast<uint32_t>(offset);
  if (!program(addr, in, len) || !verify(addr, in, len)) {
    return BoardError::kStorageIo;
  }
  return Status::Ok();
}

// Erase and program complete (status polled) before storage_write returns.
Status storage_flush() {
  return ready() ? Status::Ok() : Status(BoardError::kStorageIo);
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
  if (out == nullptr || !ready()) {
    return BoardError::kStorageIo;
  }
  read_bytes(kOtpBase + static_cast<uint32_t>(offset), out, len);
  return Status::Ok();
}

Status otp_program(size_t offset, const uint8_t* in, size_t len) {
  if (!range_ok(offset, len, kOtpSize)) {
    return BoardError::kStorageRange;
  }
  if (len == 0) {
    return Status::Ok();
  }
  if (in == nullptr || !ready()) {
    return BoardError::kStorageIo;
  }
  const uint32_t base = kOtpBase + static_cast<uint32_t>(offset);
  // Every target byte first: a 0 -> 1 change anywhere refuses the whole request unwritten.
  uint8_t cur[64];
  for (size_t done = 0; done < len;) {
    const size_t n = (len - done) < sizeof(cur) ? (len - done) : sizeof(cur);
    read_bytes(base + static_cast<uint32_t>(done), cur, n);
    for (size_t i = 0; i < n; ++i) {
      if ((static_cast<uint8_t>(~cur[i]) & in[done + i]) != 0) {
        return BoardError::kOtpConflict;
      }
    }
    done += n;
  }
  if (!program(base, in, len) || !verify(base, in, len)) {
    return BoardError::kStorageIo;
  }
  return Status::Ok();
}

}  // namespace locus::board
