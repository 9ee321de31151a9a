// locus/common/common.h: small host utilities shared by verifier, provisioning and CLI.
//
// Host code may use exceptions internally (third-party libraries throw) but every function
// here that reads untrusted or external input reports failure through HostResult<T>/HStatus:
// a typed HostError plus a human-readable message (file, key, reason). Nothing throws out.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "locus/span.h"
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

// Maps a HostError onto the `locus` CLI exit codes (README: 0 ok, 1 refused, 2 usage,
// 3 input/config, 4 I/O/network, 5 internal).
int exit_code_for(HostError e);

struct Error {
  HostError code = HostError::kInternal;
  std::string message;
};

class [[nodiscard]] HStatus {
 public:
  HStatus() : ok_(false), err_{HostError::kInternal, "not set"} {}  // fails closed by default
  HStatus(HostError c, std::string m) : ok_(false), err_{c, std::move(m)} {}  // NOLINT
  HStatus(Error e) : ok_(false), err_(std::move(e)) {}                        // NOLINT
  static HStatus Ok() {
    HStatus s;
    s.ok_ = true;
    s.err_ = {};
    return s;
  }
  bool ok() const { return ok_; }
  const Error& error() const { return err_; }
  const std::string& message() const { return err_.message; }
  HostError code() const { return err_.code; }

 private:
  bool ok_;
  Error err_;
};

template <typename T>
class [[nodiscard]] HostResult {
 public:
  HostResult(T v) : ok_(true), value_(std::move(v)) {}     // NOLINT
  HostResult(Error e) : ok_(false), err_(std::move(e)) {}  // NOLINT
  HostResult(HostError c, std::string m) : ok_(false), err_{c, std::move(m)} {}
  HostResult(const HStatus& s)
      : ok_(false),
        err_(s.ok() ? Error{HostError::kInternal, "ok status without value"} : s.error()) {
  }  // NOLINT
  bool ok() const { return ok_; }
  const T& value() const { return value_; }
  T& value() { return value_; }
  T take() { return std::move(value_); }
  const Error& error() const { return err_; }
  const std::string& message() const { return err_.message; }
  HostError code() const { return err_.code; }
  HStatus status() const { return ok_ ? HStatus::Ok() : HStatus(err_); }

 private:
  bool ok_;
  T value_{};
  Error err_{};
};

using Bytes = std::vector<uint8_t>;

// Hex (lowercase out, either case in) and standard padded base64 (RFC 4648 §4).
std::string hex_encode(ByteSpan b);
HostResult<Bytes> hex_decode(const std::string& s);
std::string b64_encode(ByteSpan b);
HostResult<Bytes> b64_decode(const std::string& s);

// PEM armour for a DER blob ("CERTIFICATE", "EC PRIVATE KEY", ...) and back (first block
// with that label).
std::string pem_encode(const std::string& label, ByteSpan der);
HostResult<Bytes> pem_decode(const std::string& label, const std::string& pem);

// Whole-file read (bounded to max_size bytes).
HostResult<Bytes> read_file(const std::string& path, size_t max_size = 64u << 20);
HostResult<std::string> read_text_file(const std::string& path, size_t max_size = 64u << 20);
// Writes a file with the given mode (0600 for secrets). Refuses to replace an existing file
// unless force is set (kExists, message says so). Writes to a temp file and renames.
HStatus write_file(const std::string& path, ByteSpan data, unsigned mode = 0600,
                   bool force = false);
HStatus write_text_file(const std::string& path, const std::string& text, unsigned mode = 0600,
                        bool force = false);
bool file_exists(const std::string& path);

// Wall clock (seconds since the epoch) and a monotonic clock in milliseconds.
int64_t unix_time();
int64_t monotonic_ms();

// Fills out with bytes from the OS CSPRNG (getrandom). False on failure.
bool os_random(uint8_t* out, size_t len);
// Entropy callback for crypto::Drbg::seed.
int os_entropy(void* ctx, uint8_t* out, size_t len);

// Structured logging: one JSON object per line on stderr:
//   {"ts":..., "level":"info", "event":"...", ...fields}
enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
void set_log_level(LogLevel l);
LogLevel log_level();
bool parse_log_level(const std::string& s, LogLevel* out);
// fields_json: a JSON object text (may be "{}" or empty) merged into the line.
void log(LogLevel l, const std::string& event, const std::string& fields_json = "");

}  // namespace locus::host

namespace locus {
template <>
struct ErrorModule<host::HostError> {
  static constexpr Module value = Module::kHost;
};
}  // namespace locus
