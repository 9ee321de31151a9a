// locus/common/result.h: the one host error type.
//
// Host code may use exceptions internally (third-party libraries throw) but every function
// that reads untrusted or external input reports failure through HostResult<T>/HStatus: a
// Status (module + code, locus/status.h) and a human-readable message. Nothing throws out.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "locus/status.h"

namespace locus::host {

// Closed, append-only error enum of module kHost (host tools). Never renumber.
enum class HostError : uint8_t {
  kIo = 1,        // file or socket I/O failed
  kExists = 2,    // refusing to overwrite an existing file
  kParse = 3,     // malformed input (hex, base64, JSON, TOML, DER, CBOR)
  kConfig = 4,    // a configuration value is missing or invalid
  kDb = 5,        // SQLite error
  kNotFound = 6,  // unknown device / record
  kRefused = 7,   // a security check said no
  kRevoked = 8,
  kNonce = 9,         // nonce unknown, expired or used
  kAuditBroken = 10,  // audit chain verification failed
  kNetwork = 11,
  kInternal = 12,
  kUsage = 13,
  kDuplicate = 14,     // already registered
  kSchemaTooNew = 15,  // database written by a newer locus
};
const char* to_string(HostError e);
}  // namespace locus::host

namespace locus {
template <>
struct ErrorModule<host::HostError> {
  static constexpr Module value = Module::kHost;
};
}  // namespace locus

namespace locus::host {

// Maps a HostError onto the `locus` CLI exit codes (README: 0 ok, 1 refused, 2 usage,
// 3 input/config, 4 I/O/network, 5 internal). Other modules map their own enums beside them;
// cli::exit_code_for(Status) picks the module's mapping.
int exit_code_for(HostError e);
// The HostError of a module-kHost status; kInternal for a status of any other module (so a
// switch over HostError fails closed on a code it does not know).
HostError host_error_of(Status s);

// The one host error: a Status (module + module-local code, locus/status.h) and a message
// for a person (file, key, reason). Any module's closed enum converts to the Status; the CLI
// maps it to an exit code in one place (host/cli/cli.h).
struct Error {
  Status status = HostError::kInternal;
  std::string message;
};

class [[nodiscard]] HStatus {
 public:
  HStatus() : ok_(false), err_{HostError::kInternal, "not set"} {}  // fails closed by default
  // A failure with status s; an OK s here is a bug and is reported as kInternal.
  HStatus(Status s, std::string m)  // NOLINT(google-explicit-constructor)
      : ok_(false), err_{s.ok() ? Status(HostError::kInternal) : s, std::move(m)} {}
  template <typename E, typename = decltype(ErrorModule<E>::value)>
  HStatus(E c, std::string m) : HStatus(Status(c), std::move(m)) {}  // NOLINT
  HStatus(Error e) : HStatus(e.status, std::move(e.message)) {}      // NOLINT
  static HStatus Ok() {
    HStatus s;
    s.ok_ = true;
    s.err_ = {Status::Ok(), {}};
    return s;
  }
  bool ok() const { return ok_; }
  const Error& error() const { return err_; }
  const std::string& message() const { return err_.message; }
  Status code() const { return err_.status; }

 private:
  bool ok_;
  Error err_;
};

template <typename T>
class [[nodiscard]] HostResult {
 public:
  HostResult(T v) : ok_(true), value_(std::move(v)) {}        // NOLINT
  HostResult(Error e) : HostResult(HStatus(std::move(e))) {}  // NOLINT
  HostResult(Status s, std::string m) : HostResult(HStatus(s, std::move(m))) {}
  template <typename E, typename = decltype(ErrorModule<E>::value)>
  HostResult(E c, std::string m) : HostResult(HStatus(c, std::move(m))) {}
  HostResult(const HStatus& s)
      : ok_(false),
        err_(s.ok() ? Error{HostError::kInternal, "ok status without value"} : s.error()) {
  }  // NOLINT
  bool ok() const { return ok_; }
  const T& value() const { return value_; }
  T& value() { return value_; }
  T take() { return std::move(value_); }
  const T* operator->() const { return &value_; }
  T* operator->() { return &value_; }
  const Error& error() const { return err_; }
  const std::string& message() const { return err_.message; }
  Status code() const { return err_.status; }
  HStatus status() const { return ok_ ? HStatus::Ok() : HStatus(err_); }

 private:
  bool ok_ = false;  // fails closed: only the value constructor sets it
  T value_{};
  Error err_{};
};

}  // namespace locus::host
