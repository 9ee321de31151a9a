// Hash-chained audit log.
#include "locus/audit/audit.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "locus/crypto/hash.h"

namespace locus::audit {

using host::HostError;
using json = nlohmann::json;

// The prev_hash of record 1: 64 hex zeros.
constexpr char kZeroHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

HostResult<std::string> record_hash(const std::string& prev_hash_hex,
                                    const std::string& canonical) {
  auto prev = host::hex_decode(prev_hash_hex);
  if (!prev.ok() || prev.value().size() != 32)
    return {HostError::kParse, "prev_hash is not 32 bytes of hex"};
  crypto::Sha256 h;
  crypto::Digest d{};
  if (!h.update(prev.value()).ok() ||
      !h.update(ByteSpan(reinterpret_cast<const uint8_t*>(canonical.data()), canonical.size()))
           .ok() ||
      !h.finish(&d).ok())
    return {HostError::kInternal, "sha256 failed"};
  return host::hex_encode(d);
}

AuditLog::AuditLog(std::string path, registry::Registry* reg) : path_(std::move(path)), reg_(reg) {}

std::string AuditLog::head_key() const {
  char buf[PATH_MAX];
  if (::realpath(path_.c_str(), buf) != nullptr) return std::string(buf);
  return path_;
}

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads the last complete line of an open file (bounded: lines are < 1 MiB). Reads the tail
// in growing pieces (4 KiB first: a record is a few hundred bytes), not 1 MiB per append.
bool last_line(int fd, std::string* out) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  off_t size = st.st_size;
  out->clear();
  if (size == 0) return true;
  for (off_t piece = 4096;; piece *= 4) {
    const off_t cap = 1 << 20;
    off_t want = std::min(std::min(piece, cap), size);
    std::string buf(static_cast<size_t>(want), '\0');
    ssize_t n = ::pread(fd, &buf[0], static_cast<size_t>(want), size - want);
    if (n != want) return false;
    if (buf.back() != '\n') return false;  // a torn last line: refuse to chain onto it
    buf.pop_back();
    size_t nl = buf.rfind('\n');
    if (nl != std::string::npos) {
      *out = buf.substr(nl + 1);
      return true;
    }
    if (want == size || want == cap) {  // the whole file, or the longest line we accept
      *out = buf;
      return true;
    }
  }
}

}  // namespace

HostResult<AppendResult> AuditLog::append(const std::string& kind, const std::string& body_json) {
  json body = json::parse(body_json, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return {HostError::kParse, "audit body is not a JSON object"};
  Fd f;
  f.fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (f.fd < 0) return {HostError::kIo, path_ + ": " + std::strerror(errno)};
  if (::flock(f.fd, LOCK_EX) != 0) return {HostError::kIo, path_ + ": flock failed"};
  std::string last;
  if (!last_line(f.fd, &last))
    return {HostError::kAuditBroken, path_ + ": cannot read the last record (torn line?)"};
  uint64_t seq = 1;
  std::string prev = kZeroHash;
  if (!last.empty()) {
    json l = json::parse(last, nullptr, false);
    if (l.is_discarded() || !l.is_object() || !l.contains("seq") ||
        !l["seq"].is_number_unsigned() || !l.contains("hash") || !l["hash"].is_string())
      return {HostError::kAuditBroken,
              path_ + ": last record is malformed; run `locus audit verify`"};
    seq = l["seq"].get<uint64_t>() + 1;
    prev = l["hash"].get<std::string>();
  }
  json rec = json::object();
  rec["seq"] = seq;
  rec["time"] = host::unix_time();
  rec["kind"] = kind;
  rec["body"] = body;
  rec["prev_hash"] = prev;
  std::string canonical = rec.dump(-1, ' ', false, json::error_handler_t::replace);
  auto h = record_hash(prev, canonical);
  if (!h.ok()) return h.error();
  rec["hash"] = h.value();
  std::string line = rec.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t w = ::write(f.fd, line.data() + off, line.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return {HostError::kIo, path_ + ": " + std::strerror(errno)};
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(f.fd) != 0) return {HostError::kIo, path_ + ": fsync failed"};
  if (reg_ != nullptr) {
    HStatus s = reg_->set_audit_head(head_key(), registry::AuditHead{seq, h.value()});
    if (!s.ok()) return s.error();
  }
  return AppendResult{seq, h.value()};
}

VerifyReport verify_log(const std::string& path, const registry::AuditHead* expected) {
  VerifyReport r;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.reason = path + ": cannot open";
    return r;
  }
  std::string line;
  std::string prev = kZeroHash;
  uint64_t expect_seq = 1;
  uint64_t lineno = 0;
  auto bad = [&](const std::string& why) {
    r.ok = false;
    r.first_bad_seq = expect_seq;
    r.first_bad_line = lineno;
    r.reason =
        "record " + std::to_string(expect_seq) + " (line " + std::to_string(lineno) + "): " + why;
    r.head_hash_hex = prev;
    return r;
  };
  while (std::getline(in, line)) {
    lineno++;
    if (in.eof()) return bad("last line is not terminated (torn write or truncation)");
    json rec = json::parse(line, nullptr, false);
    if (rec.is_discarded() || !rec.is_object()) return bad("not a JSON object");
    for (const char* k : {"seq", "time", "kind", "body", "prev_hash", "hash"})
      if (!rec.contains(k)) return bad(std::string("missing field '") + k + "'");
    if (rec.size() != 6) return bad("unexpected fields");
    if (!rec["seq"].is_number_unsigned()) return bad("seq is not an unsigned integer");
    uint64_t seq = rec["seq"].get<uint64_t>();
    if (seq != expect_seq)
      return bad("seq is " + std::to_string(seq) + ", expected " + std::to_string(expect_seq) +
                 " (record deleted or reordered)");
    if (!rec["prev_hash"].is_string() || rec["prev_hash"].get<std::string>() != prev)
      return bad(
          "prev_hash does not match the previous record's hash (record deleted, inserted or "
          "reordered)");
    if (!rec["hash"].is_string()) return bad("hash is not a string");
    std::string claimed = rec["hash"].get<std::string>();
    json body = rec;
    body.erase("hash");
    std::string canonical = body.dump(-1, ' ', false, json::error_handler_t::replace);
    // The line must be exactly the canonical form plus the hash: any byte edited shows.
    auto h = record_hash(prev, canonical);
    if (!h.ok() || h.value() != claimed) return bad("hash mismatch (record edited)");
    if (rec.dump(-1, ' ', false, json::error_handler_t::replace) != line)
      return bad("record is not in canonical form (record edited)");
    prev = claimed;
    expect_seq++;
    r.records++;
  }
  r.head_hash_hex = prev;
  if (expected != nullptr) {
    if (r.records < expected->count) {
      r.first_bad_seq = r.records + 1;
      r.reason = "log truncated: the registry head says " + std::to_string(expected->count) +
                 " records, the file holds " + std::to_string(r.records) +
                 "; first missing record is " + std::to_string(r.records + 1);
      return r;
    }
    if (r.records > expected->count) {
      r.first_bad_seq = expected->count + 1;
      r.reason = "record " + std::to_string(expected->count + 1) +
                 ": records beyond the registry head (appended outside locus)";
      return r;
    }
    if (r.records > 0 && expected->hash_hex != prev) {
      r.first_bad_seq = r.records;
      r.reason = "record " + std::to_string(r.records) +
                 ": head hash differs from the registry (log rewritten)";
      return r;
    }
  }
  r.ok = true;
  return r;
}

HostResult<std::vector<std::string>> read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {HostError::kIo, path + ": cannot open"};
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace locus::audit
