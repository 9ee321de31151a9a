// Fixed inputs shared by the protocol tests and the documentation example generator.
#pragma once

#include <stdint.h>

namespace fixtures {

// Filled with a recognisable pattern: prefix byte then counting bytes.
struct Bytes {
  uint8_t b[128];
  constexpr Bytes(uint8_t first, uint8_t start) : b() {
    b[0] = first;
    for (int i = 1; i < 128; ++i) b[i] = static_cast<uint8_t>(start + i);
  }
};

constexpr Bytes kUeidBytes(0x01, 0xA0);  // 33 used
constexpr Bytes kPubBytes(0x04, 0x10);   // 65 used (not a real point: codecs do not check)
constexpr Bytes kPub2Bytes(0x04, 0x60);
constexpr Bytes kFwidBytes(0xF0, 0xF0);   // 32 used
constexpr Bytes kNonceBytes(0x4E, 0x00);  // up to 65 used
constexpr Bytes kLmNonceBytes(0x4C, 0x30);
constexpr Bytes kSidBytes(0x53, 0x40);   // 16 used
constexpr Bytes kChalBytes(0xC0, 0x70);  // 12 used
constexpr Bytes kAnsBytes(0xA5, 0x50);   // 12 used
constexpr Bytes kDerBytes(0x30, 0x00);   // stands in for DER (codecs do not parse it)

}  // namespace fixtures
