// locus/firmware/board.h: the one contract between the firmware core and a board.
//
// Each board folder (boards/host-sim, boards/mps2-an386, boards/ast1030-evb) implements
// these functions once; the image links exactly one implementation (a link-time seam, as
// there is one board per image). The core calls nothing else that touches hardware.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "locus/status.h"

namespace locus::board {

enum class BoardError : uint8_t {
  kUdsUnavailable = 1,  // the UDS region is missing, blank or already locked
  kMeasureFailed = 2,   // the image could not be measured
  kEntropyFailed = 3,
  kStorageIo = 4,     // persistent storage read/write failed
  kStorageRange = 5,  // offset/length outside the storage region
  kLinkIo = 6,        // serial link read/write failed or peer closed
  kLinkTimeout = 7,
  kOtpConflict = 8,  // write-once region: programming would need a 0 -> 1 change
};

// Interconnect modes. The values are far apart in Hamming distance so that a single bit
// flip cannot turn RESTRICTED into FULL.
enum class InterconnectMode : uint8_t {
  kRestricted = 0x3C,
  kFull = 0xC3,
};

// Copies the 32-byte Unique Device Secret into out. The core wipes its copy after use.
Status read_uds(uint8_t out[32]);

// SHA-256 over the firmware image as measured before it ran (the FWID).
Status measure_image(uint8_t fwid[32]);

// Fills out with entropy for the DRBG seed. Returns kEntropyFailed if unavailable.
Status entropy(uint8_t* out, size_t len);
// True when the entropy source is an emulation substitute (QEMU, host-sim): the image
// then says "emulation only" at boot.
bool entropy_is_emulated();

// Monotonic microseconds since reset; never goes backwards, unaffected by wall clock.
uint64_t monotonic_us();

// Persistent storage: a byte-addressed region of storage_size() bytes that survives reset.
// A write may be cut by power loss at any byte; the core's journal copes with that.
size_t storage_size();
Status storage_read(size_t offset, uint8_t* out, size_t len);
Status storage_write(size_t offset, const uint8_t* in, size_t len);
// Makes completed writes durable (fsync on host-sim; no-op where writes are synchronous).
Status storage_flush();
// NOR boards: storage_write may erase (to 0xFF) every kStorageSectorSize sector it touches
// before programming. The core only ever writes whole journal slots, and each slot starts
// on its own sector (firmware/store.h), so a write never disturbs the other slot.
constexpr size_t kStorageSectorSize = 4096;

// Write-once region (OTP/fuses on hardware; a flash sector the firmware programs but never
// erases on the QEMU boards; a separate file on host-sim). Erased bytes read 0xFF.
// otp_program may only clear bits (1 -> 0): it returns kOtpConflict without writing when a
// target byte has a 0 bit where `in` has a 1, and kStorageIo when the device fails. A cut
// during otp_program may leave any prefix of the bytes programmed. Nothing erases it.
size_t otp_size();
Status otp_read(size_t offset, uint8_t* out, size_t len);
Status otp_program(size_t offset, const uint8_t* in, size_t len);

// Serial link to the host agent. link_read returns the number of bytes read (>= 1), or
// kLinkTimeout after timeout_ms with nothing read, or kLinkIo.
Result<size_t> link_read(uint8_t* buf, size_t cap, uint32_t timeout_ms);
Status link_write(const uint8_t* buf, size_t len);

// Sets the interconnect speed. Must be idempotent; called with kRestricted at reset.
void set_interconnect(InterconnectMode mode);

// One line of diagnostic log (no trailing newline) on the board's console.
void log(const char* line);

}  // namespace locus::board

namespace locus {
template <>
struct ErrorModule<board::BoardError> {
  static constexpr Module value = Module::kBoard;
};
}  // namespace locus
