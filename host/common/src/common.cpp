// Host utilities: encodings, files, clocks, randomness, structured logs.
#include "locus/common/common.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

namespace locus::host {

const char* to_string(HostError e) {
  switch (e) {
    case HostError::kIo: return "io";
    case HostError::kExists: return "exists";
    case HostError::kParse: return "parse";
    case HostError::kConfig: return "config";
    case HostError::kDb: return "db";
    case HostError::kNotFound: return "not_found";
    case HostError::kRefused: return "refused";
    case HostError::kRevoked: return "revoked";
    case HostError::kNonce: return "nonce";
    case HostError::kAuditBroken: return "audit_broken";
    case HostError::kNetwork: return "network";
    case HostError::kInternal: return "internal";
    case HostError::kUsage: return "usage";
    case HostError::kDuplicate: return "duplicate";
    case HostError::kSchemaTooNew: return "schema_too_new";
    default: return "unknown";
  }
}

int exit_code_for(HostError e) {
  switch (e) {
    case HostError::kRefused:
    case HostError::kRevoked:
    case HostError::kNonce:
    case HostError::kAuditBroken: return 1;
    case HostError::kUsage: return 2;
    case HostError::kParse:
    case HostError::kConfig:
    case HostError::kExists:
    case HostError::kNotFound:
    case HostError::kDuplicate:
    case HostError::kSchemaTooNew: return 3;
    case HostError::kIo:
    case HostError::kNetwork:
    case HostError::kDb: return 4;
    case HostError::kInternal:
    default: return 5;
  }
}

std::string hex_encode(ByteSpan b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(b.size * 2);
  for (size_t i = 0; i < b.size; i++) {
    s.push_back(d[b.data[i] >> 4]);
    s.push_back(d[b.data[i] & 0xF]);
  }
  return s;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

HostResult<Bytes> hex_decode(const std::string& s) {
  if (s.size() % 2 != 0) return {HostError::kParse, "hex string has odd length"};
  Bytes out(s.size() / 2);
  for (size_t i = 0; i < out.size(); i++) {
    int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
    if (h < 0 || l < 0) return {HostError::kParse, "invalid hex digit"};
    out[i] = static_cast<uint8_t>((h << 4) | l);
  }
  return out;
}

static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string b64_encode(ByteSpan b) {
  std::string s;
  s.reserve((b.size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= b.size; i += 3) {
    uint32_t v = (uint32_t{b.data[i]} << 16) | (uint32_t{b.data[i + 1]} << 8) | b.data[i + 2];
    s.push_back(kB64[(v >> 18) & 63]);
    s.push_back(kB64[(v >> 12) & 63]);
    s.push_back(kB64[(v >> 6) & 63]);
    s.push_back(kB64[v & 63]);
  }
  if (b.size - i == 1) {
    uint32_t v = uint32_t{b.data[i]} << 16;
    s.push_back(kB64[(v >> 18) & 63]);
    s.push_back(kB64[(v >> 12) & 63]);
    s += "==";
  } else if (b.size - i == 2) {
    uint32_t v = (uint32_t{b.data[i]} << 16) | (uint32_t{b.data[i + 1]} << 8);
    s.push_back(kB64[(v >> 18) & 63]);
    s.push_back(kB64[(v >> 12) & 63]);
    s.push_back(kB64[(v >> 6) & 63]);
    s += "=";
  }
  return s;
}

static int b64val(char c) {
  const char* p = std::strchr(kB64, c);
  if (c == 0 || p == nullptr) return -1;
  return static_cast<int>(p - kB64);
}

HostResult<Bytes> b64_decode(const std::string& s) {
  if (s.size() % 4 != 0) return {HostError::kParse, "base64 length is not a multiple of 4"};
  Bytes out;
  out.reserve(s.size() / 4 * 3);
  for (size_t i = 0; i < s.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; j++) {
      char c = s[i + static_cast<size_t>(j)];
      if (c == '=') {
        if (i + 4 != s.size() || j < 2) return {HostError::kParse, "misplaced base64 padding"};
        v[j] = 0;
        pad++;
      } else {
        if (pad) return {HostError::kParse, "misplaced base64 padding"};
        v[j] = b64val(c);
        if (v[j] < 0) return {HostError::kParse, "invalid base64 character"};
      }
    }
    uint32_t w = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<uint8_t>(w >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(w >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(w));
    // Canonical: the unused bits must be zero.
    if ((pad == 1 && (w & 0xFF) != 0) || (pad == 2 && (w & 0xFFFF) != 0))
      return {HostError::kParse, "non-canonical base64"};
  }
  return out;
}

std::string pem_encode(const std::string& label, ByteSpan der) {
  std::string b = b64_encode(der);
  std::string s = "-----BEGIN " + label + "-----\n";
  for (size_t i = 0; i < b.size(); i += 64) s += b.substr(i, 64) + "\n";
  s += "-----END " + label + "-----\n";
  return s;
}

HostResult<Bytes> pem_decode(const std::string& label, const std::string& pem) {
  std::string begin = "-----BEGIN " + label + "-----";
  std::string end = "-----END " + label + "-----";
  size_t a = pem.find(begin);
  if (a == std::string::npos) return {HostError::kParse, "no PEM block '" + label + "'"};
  size_t b = pem.find(end, a);
  if (b == std::string::npos) return {HostError::kParse, "unterminated PEM block '" + label + "'"};
  std::string body;
  for (size_t i = a + begin.size(); i < b; i++) {
    char c = pem[i];
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body.push_back(c);
  }
  return b64_decode(body);
}

HostResult<Bytes> read_file(const std::string& path, size_t max_size) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return {HostError::kIo, path + ": " + std::strerror(errno)};
  Bytes out;
  uint8_t buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (out.size() + n > max_size) {
      std::fclose(f);
      return {HostError::kIo, path + ": file too large"};
    }
    out.insert(out.end(), buf, buf + n);
  }
  bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err) return {HostError::kIo, path + ": read error"};
  return out;
}

HostResult<std::string> read_text_file(const std::string& path, size_t max_size) {
  auto r = read_file(path, max_size);
  if (!r.ok()) return r.error();
  return std::string(r.value().begin(), r.value().end());
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

HStatus write_file(const std::string& path, ByteSpan data, unsigned mode, bool force) {
  if (!force && file_exists(path))
    return {HostError::kExists,
            path + ": exists; refusing to overwrite (use --force to replace it)"};
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return {HostError::kIo, tmp + ": " + std::strerror(errno)};
  (void)::fchmod(fd, static_cast<mode_t>(mode));  // umask must not widen or narrow it
  size_t off = 0;
  while (off < data.size) {
    ssize_t w = ::write(fd, data.data + off, data.size - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return {HostError::kIo, path + ": " + std::strerror(e)};
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return {HostError::kIo, path + ": fsync/close failed"};
  }
  if (!force) {
    // link() fails if the target appeared meanwhile: no silent overwrite even in a race.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      if (e == EEXIST)
        return {HostError::kExists,
                path + ": exists; refusing to overwrite (use --force to replace it)"};
      return {HostError::kIo, path + ": " + std::strerror(e)};
    }
    ::unlink(tmp.c_str());
  } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return {HostError::kIo, path + ": " + std::strerror(e)};
  }
  return HStatus::Ok();
}

HStatus write_text_file(const std::string& path, const std::string& text, unsigned mode,
                        bool force) {
  return write_file(path, ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                    mode, force);
}

int64_t unix_time() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool os_random(uint8_t* out, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = ::getrandom(out + off, len - off, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

int os_entropy(void*, uint8_t* out, size_t len) {
  return os_random(out, len) ? 0 : -1;
}

static std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
static std::mutex g_log_mu;

void set_log_level(LogLevel l) {
  g_level = static_cast<int>(l);
}
LogLevel log_level() {
  return static_cast<LogLevel>(g_level.load());
}

bool parse_log_level(const std::string& s, LogLevel* out) {
  if (s == "debug")
    *out = LogLevel::kDebug;
  else if (s == "info")
    *out = LogLevel::kInfo;
  else if (s == "warn")
    *out = LogLevel::kWarn;
  else if (s == "error")
    *out = LogLevel::kError;
  else if (s == "off")
    *out = LogLevel::kOff;
  else
    return false;
  return true;
}

void log(LogLevel l, const std::string& event, const std::string& fields_json) {
  if (static_cast<int>(l) < g_level.load() || l == LogLevel::kOff) return;
  static const char* names[] = {"debug", "info", "warn", "error"};
  nlohmann::json j = nlohmann::json::object();
  j["ts"] = unix_time();
  j["level"] = names[static_cast<int>(l)];
  j["event"] = event;
  if (!fields_json.empty()) {
    auto f = nlohmann::json::parse(fields_json, nullptr, false);
    if (f.is_object()) {
      for (auto it = f.begin(); it != f.end(); ++it) j[it.key()] = it.value();
    }
  }
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> g(g_log_mu);
  (void)std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace locus::host
