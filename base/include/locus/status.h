// locus/status.h: typed errors for every locus module, without exceptions.
//
// A Status is a 16-bit code: (module << 8) | module-specific code. Zero is OK. Each module
// defines its own closed error enum (append-only, never renumbered) and specialises
// ErrorModule<> so that the enum converts to a Status. A default-constructed Status is a
// failure (kInternal of module kCore): code starts failed and sets success last.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace locus {

enum class Module : uint8_t {
  kCore = 0,       // this header
  kCrypto = 1,     // locus/crypto/*.h except CBOR/COSE/X.509
  kCbor = 2,       // locus/crypto/cbor.h
  kCose = 3,       // locus/crypto/cose.h
  kX509 = 4,       // locus/crypto/x509.h
  kProtocol = 5,   // protocol/
  kFirmware = 6,   // firmware/
  kBoard = 7,      // boards/
  kHost = 8,       // host/ tools (verifier, agent, provisioning, registry, CLI)
  kTpm = 9,        // host TPM binding
  kGeo = 10,       // host/location: zones, records, trust lists
  kLandmark = 11,  // host/landmark: session networking and timed rounds
};

template <typename E>
struct ErrorModule;  // specialise with `static constexpr Module value = Module::kX;`

enum class CoreError : uint8_t {
  kInternal = 1,  // a default Status: nothing has succeeded yet
  kInvalidArgument = 2,
  kBufferTooSmall = 3,
  kOutOfRange = 4,
  kUnimplemented = 5,
};
template <>
struct ErrorModule<CoreError> {
  static constexpr Module value = Module::kCore;
};

class [[nodiscard]] Status {
 public:
  constexpr Status() : code_(kDefaultFailure) {}
  template <typename E, typename = decltype(ErrorModule<E>::value)>
  constexpr Status(E e)  // NOLINT(google-explicit-constructor): errors convert implicitly
      : code_(static_cast<uint16_t>((static_cast<unsigned>(ErrorModule<E>::value) << 8) |
                                    static_cast<uint8_t>(e))) {}
  static constexpr Status Ok() { return Status(kOkCode, 0); }
  static constexpr Status FromCode(uint16_t code) { return Status(code, 0); }

  constexpr bool ok() const { return code_ == kOkCode; }
  constexpr uint16_t code() const { return code_; }
  constexpr Module module() const { return static_cast<Module>(code_ >> 8); }
  constexpr uint8_t local() const { return static_cast<uint8_t>(code_ & 0xFF); }
  constexpr bool operator==(Status o) const { return code_ == o.code_; }
  constexpr bool operator!=(Status o) const { return code_ != o.code_; }
  // Explicitly ignores a status (for best-effort cleanup only).
  constexpr void IgnoreError() const {}

 private:
  static constexpr uint16_t kOkCode = 0;
  static constexpr uint16_t kDefaultFailure = static_cast<uint16_t>(CoreError::kInternal);
  constexpr Status(uint16_t c, int) : code_(c) {}
  uint16_t code_;
};

// Result<T>: a value or an error. T must be default-constructible (the firmware has no
// heap and no exceptions, so values live inline).
template <typename T>
class [[nodiscard]] Result {
 public:
  constexpr Result(Status s)
      : status_(s.ok() ? Status() : s) {}  // NOLINT: an OK Status carries no value
  template <typename E, typename = decltype(ErrorModule<E>::value)>
  constexpr Result(E e) : status_(Status(e)) {}                       // NOLINT
  constexpr Result(const T& v) : value_(v), status_(Status::Ok()) {}  // NOLINT
  constexpr bool ok() const { return status_.ok(); }
  constexpr Status status() const { return status_; }
  constexpr const T& value() const { return value_; }
  constexpr T& value() { return value_; }
  constexpr const T& operator*() const { return value_; }
  constexpr const T* operator->() const { return &value_; }

 private:
  T value_{};
  Status status_;
};

}  // namespace locus

#define LOCUS_TRY(expr)                          \
  do {                                           \
    ::locus::Status locus_try_s_ = (expr);       \
    if (!locus_try_s_.ok()) return locus_try_s_; \
  } while (0)
