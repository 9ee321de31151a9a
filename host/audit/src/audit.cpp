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
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "locus/common/json_read.h"
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

AuditLog::AuditLog(std::string path, registry::Registry* reg)
    : path_(std::move(path)), reg_(reg), last_sync_(std::chrono::steady_clock::now()) {}

AuditLog::~AuditLog() {
  if (fd_ >= 0) {
    (void)::fsync(fd_);
    ::close(fd_);
  }
}

void AuditLog::set_sync_policy(const SyncPolicy& p) {
  std::lock_guard<std::mutex> g(mu_);
  policy_ = p;
}

std::string AuditLog::head_key() const {
  char buf[PATH_MAX];
  if (::realpath(path_.c_str(), buf) != nullptr) return std::string(buf);
  return path_;
}

namespace {

// Holds the file's exclusive flock for one append or repair.
struct Flock {
  int fd = -1;
  ~Flock() {
    if (fd >= 0) (void)::flock(fd, LOCK_UN);
  }
};

// Reads the last complete line of an open file (bounded: lines are < 1 MiB). Reads the tail
// in growing pieces (4 KiB first: a record is a few hundred bytes), not 1 MiB per append.
// *torn: the file does not end in a newline (nothing read).
bool last_line(int fd, off_t size, std::string* out, bool* torn) {
  out->clear();
  *torn = false;
  if (size == 0) return true;
  for (off_t piece = 4096;; piece *= 4) {
    const off_t cap = 1 << 20;
    off_t want = std::min(std::min(piece, cap), size);
    std::string buf(static_cast<size_t>(want), '\0');
    ssize_t n = ::pread(fd, &buf[0], static_cast<size_t>(want), size - want);
    if (n != want) return false;
    if (buf.back() != '\n') {  // a torn last line: never chain onto it
      *torn = true;
      return true;
    }
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

HStatus write_all(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return {HostError::kIo, path + ": " + std::strerror(errno)};
    }
    off += static_cast<size_t>(w);
  }
  return HStatus::Ok();
}

// Checks one line as record expect_seq chained onto prev (hex). On success *hash is its hash.
bool check_record(const std::string& line, uint64_t expect_seq, const std::string& prev,
                  std::string* hash, std::string* why) {
  json rec = locus::host::parse_json(line);
  if (rec.is_discarded() || !rec.is_object()) {
    *why = "not a JSON object";
    return false;
  }
  for (const char* k : {"seq", "time", "kind", "body", "prev_hash", "hash"})
    if (!rec.contains(k)) {
      *why = std::string("missing field '") + k + "'";
      return false;
    }
  if (rec.size() != 6) {
    *why = "unexpected fields";
    return false;
  }
  if (!rec["seq"].is_number_unsigned()) {
    *why = "seq is not an unsigned integer";
    return false;
  }
  uint64_t seq = rec["seq"].get<uint64_t>();
  if (seq != expect_seq) {
    *why = "seq is " + std::to_string(seq) + ", expected " + std::to_string(expect_seq) +
           " (record deleted or reordered)";
    return false;
  }
  if (!rec["prev_hash"].is_string() || rec["prev_hash"].get<std::string>() != prev) {
    *why =
        "prev_hash does not match the previous record's hash (record deleted, inserted or "
        "reordered)";
    return false;
  }
  if (!rec["hash"].is_string()) {
    *why = "hash is not a string";
    return false;
  }
  std::string claimed = rec["hash"].get<std::string>();
  json body = rec;
  body.erase("hash");
  std::string canonical = body.dump(-1, ' ', false, json::error_handler_t::replace);
  // The line must be exactly the canonical form plus the hash: any byte edited shows.
  auto h = record_hash(prev, canonical);
  if (!h.ok() || h.value() != claimed) {
    *why = "hash mismatch (record edited)";
    return false;
  }
  if (rec.dump(-1, ' ', false, json::error_handler_t::replace) != line) {
    *why = "record is not in canonical form (record edited)";
    return false;
  }
  *hash = std::move(claimed);
  return true;
}

// The pending rows (seq -> line) hold exactly records from+1..head.count, each a valid record
// chained onto the one before, the first onto prev, the last with the head's hash.
bool pending_covers(const std::map<uint64_t, std::string>& pending, uint64_t from,
                    const registry::AuditHead& head, std::string prev, std::string* why) {
  for (uint64_t s = from + 1; s <= head.count; s++) {
    auto it = pending.find(s);
    if (it == pending.end()) {
      *why = "the registry holds no copy of record " + std::to_string(s);
      return false;
    }
    std::string h, w;
    if (!check_record(it->second, s, prev, &h, &w)) {
      *why = "the registry's copy of record " + std::to_string(s) + " is not valid: " + w;
      return false;
    }
    prev = std::move(h);
  }
  if (head.count > from && prev != head.hash_hex) {
    *why = "the registry's copies do not end in the registry head's hash";
    return false;
  }
  return true;
}

std::map<uint64_t, std::string> pending_map(const std::vector<registry::AuditPending>& v) {
  std::map<uint64_t, std::string> m;
  for (const auto& p : v) m[p.seq] = p.line;
  return m;
}

}  // namespace

HStatus AuditLog::open_locked() {
  if (fd_ >= 0) {
    // Reopen if the path now names another file (rotated, replaced). The open file's inode is
    // the remembered tail's while that is valid (no fstat for it then).
    struct stat ps {};
    if (::stat(path_.c_str(), &ps) == 0) {
      if (tail_.valid && static_cast<uint64_t>(ps.st_ino) == tail_.ino &&
          static_cast<uint64_t>(ps.st_dev) == tail_.dev)
        return HStatus::Ok();
      struct stat fs {};
      if (::fstat(fd_, &fs) == 0 && ps.st_ino == fs.st_ino && ps.st_dev == fs.st_dev)
        return HStatus::Ok();
    }
    (void)::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
    tail_ = Tail{};
  }
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return {HostError::kIo, path_ + ": " + std::strerror(errno)};
  key_ = head_key();
  tail_ = Tail{};
  synced_seq_ = 0;
  unsynced_.clear();
  return HStatus::Ok();
}

HStatus AuditLog::read_tail_locked(bool* torn) {
  unsynced_.clear();  // the file may hold other lines than the ones this object wrote
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return {HostError::kIo, path_ + ": fstat failed"};
  std::string last;
  if (!last_line(fd_, st.st_size, &last, torn))
    return {HostError::kIo, path_ + ": cannot read the last record"};
  tail_ = Tail{};
  if (*torn) return HStatus::Ok();
  if (!last.empty()) {
    json l = locus::host::parse_json(last);
    if (l.is_discarded() || !l.is_object() || !l.contains("seq") ||
        !l["seq"].is_number_unsigned() || !l.contains("hash") || !l["hash"].is_string())
      return {HostError::kAuditBroken,
              path_ + ": last record is malformed; run `locus audit verify`"};
    tail_.seq = l["seq"].get<uint64_t>();
    tail_.hash = l["hash"].get<std::string>();
  }
  tail_.size = st.st_size;
  tail_.dev = st.st_dev;
  tail_.ino = st.st_ino;
  tail_.valid = true;
  return HStatus::Ok();
}

HStatus AuditLog::fsync_locked(uint64_t seq) {
  if (::fsync(fd_) != 0) return {HostError::kIo, path_ + ": fsync failed"};
  synced_seq_ = std::max(synced_seq_, seq);
  unsynced_.erase(unsynced_.begin(), unsynced_.upper_bound(synced_seq_));
  last_sync_ = std::chrono::steady_clock::now();
  return HStatus::Ok();
}

HostResult<RepairReport> AuditLog::repair_locked(const registry::AuditHead& head) {
  RepairReport rep;
  rep.head = head.count;
  tail_ = Tail{};
  auto pl = reg_->list_audit_pending(key_, 0);
  if (!pl.ok()) return pl.error();
  const auto pending = pending_map(pl.value());
  // The whole file: its records must chain, and be a prefix of the registry's.
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return {HostError::kIo, path_ + ": fstat failed"};
  std::string data(static_cast<size_t>(st.st_size), '\0');
  if (st.st_size > 0 && ::pread(fd_, &data[0], data.size(), 0) != st.st_size)
    return {HostError::kIo, path_ + ": cannot read the log"};
  const std::string refused = path_ + ": not repaired (nothing changed): ";
  std::string prev = kZeroHash;
  size_t pos = 0;
  uint64_t n = 0;
  while (true) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string line = data.substr(pos, nl - pos);
    std::string h, why;
    if (!check_record(line, n + 1, prev, &h, &why))
      return {HostError::kAuditBroken, refused + "record " + std::to_string(n + 1) + " (line " +
                                           std::to_string(n + 1) + "): " + why};
    auto it = pending.find(n + 1);
    if (it != pending.end() && it->second != line)
      return {HostError::kAuditBroken, refused + "record " + std::to_string(n + 1) +
                                           " in the file differs from the registry's durable "
                                           "copy (log rewritten)"};
    prev = std::move(h);
    n++;
    pos = nl + 1;
  }
  rep.file_records = n;
  const size_t torn = data.size() - pos;
  if (n > head.count)
    return {HostError::kAuditBroken,
            refused + "the file holds " + std::to_string(n) +
                " records, beyond the registry head's " + std::to_string(head.count) +
                " (appended outside locus, or a record whose transaction did not commit)"};
  if (n == head.count) {
    if (n > 0 && prev != head.hash_hex)
      return {HostError::kAuditBroken, refused + "record " + std::to_string(n) +
                                           ": head hash differs from the registry (log rewritten)"};
    if (torn > 0)
      return {HostError::kAuditBroken, refused + "the last line is torn (" + std::to_string(torn) +
                                           " bytes) and the registry " + "holds no record " +
                                           std::to_string(n + 1)};
    return rep;  // nothing to do
  }
  std::string why;
  if (!pending_covers(pending, n, head, prev, &why))
    return {HostError::kAuditBroken, refused + "log truncated: the registry head says " +
                                         std::to_string(head.count) + " records, the file holds " +
                                         std::to_string(n) + ", and " + why};
  std::string add;
  for (uint64_t s = n + 1; s <= head.count; s++) add += pending.at(s) + "\n";
  if (torn > 0 && ::ftruncate(fd_, static_cast<off_t>(pos)) != 0)
    return {HostError::kIo, path_ + ": cannot cut the torn last line: " + std::strerror(errno)};
  HStatus w = write_all(fd_, add, path_);
  if (!w.ok()) return w.error();
  HStatus f = fsync_locked(head.count);
  if (!f.ok()) return f.error();
  HStatus pr = reg_->prune_audit_pending(key_, head.count);
  if (!pr.ok()) return pr.error();
  rep.appended = head.count - n;
  rep.torn_bytes_cut = torn;
  return rep;
}

HostResult<RepairReport> AuditLog::repair() {
  if (reg_ == nullptr)
    return {HostError::kUsage, path_ + ": repair needs the registry that holds the log's head"};
  HostResult<RepairReport> out{HostError::kInternal, "repair did not run"};
  HStatus s = reg_->transaction([&]() -> HStatus {
    std::lock_guard<std::mutex> g(mu_);
    HStatus o = open_locked();
    if (!o.ok()) return o;
    Flock fl;
    if (::flock(fd_, LOCK_EX) != 0) return {HostError::kIo, path_ + ": flock failed"};
    fl.fd = fd_;
    auto head = reg_->get_audit_head(key_);
    if (!head.ok()) return head.status();
    out = repair_locked(head.value());
    tail_ = Tail{};  // re-read at the next append
    return out.ok() ? HStatus::Ok() : out.status();
  });
  if (!s.ok()) return s.error();
  return out;
}

HStatus AuditLog::sync() {
  auto run = [&]() -> HStatus {
    std::lock_guard<std::mutex> g(mu_);
    if (fd_ < 0) return HStatus::Ok();
    uint64_t seq = tail_.valid ? tail_.seq : 0;
    HStatus f = fsync_locked(seq);
    if (!f.ok() || reg_ == nullptr || seq == 0) return f;
    return reg_->prune_audit_pending(key_, seq);
  };
  return reg_ != nullptr ? reg_->transaction(run) : run();
}

HostResult<AppendResult> AuditLog::append(const std::string& kind, const std::string& body_json) {
  json body = locus::host::parse_json(body_json);
  if (body.is_discarded() || !body.is_object())
    return {HostError::kParse, "audit body is not a JSON object"};
  return append(kind, body);
}

HostResult<AppendResult> AuditLog::append(const std::string& kind, const json& body) {
  if (!body.is_object()) return {HostError::kParse, "audit body is not a JSON object"};
  if (reg_ == nullptr) {
    std::lock_guard<std::mutex> g(mu_);
    return append_locked(kind, body);
  }
  // Inside the caller's transaction when there is one (nested calls join it); lock order:
  // registry, then this object's mutex, then the file lock.
  HostResult<AppendResult> out{HostError::kInternal, "append did not run"};
  HStatus s = reg_->transaction([&]() -> HStatus {
    std::lock_guard<std::mutex> g(mu_);
    out = append_locked(kind, body);
    return out.ok() ? HStatus::Ok() : out.status();
  });
  if (!s.ok()) return s.error();
  return out;
}

HostResult<AppendResult> AuditLog::append_locked(const std::string& kind, const json& body) {
  HStatus o = open_locked();
  if (!o.ok()) return o.error();
  Flock fl;
  if (::flock(fd_, LOCK_EX) != 0) return {HostError::kIo, path_ + ": flock failed"};
  fl.fd = fd_;
  // The remembered tail holds while the file is exactly as this object left it.
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return {HostError::kIo, path_ + ": fstat failed"};
  bool torn = false;
  if (!tail_.valid || st.st_size != tail_.size || static_cast<uint64_t>(st.st_ino) != tail_.ino ||
      static_cast<uint64_t>(st.st_dev) != tail_.dev) {
    HStatus t = read_tail_locked(&torn);
    if (!t.ok()) return t.error();
    if (torn && reg_ == nullptr)
      return {HostError::kAuditBroken, path_ + ": cannot read the last record (torn line?)"};
  }
  if (reg_ != nullptr) {
    auto head = reg_->get_audit_head(key_);
    if (!head.ok()) return head.error();
    const auto& h = head.value();
    if (torn || tail_.seq < h.count) {
      // Behind the registry (a crash before the file reached the disk) or torn: repair from
      // the registry's durable copies, or refuse.
      auto r = repair_locked(h);
      if (!r.ok())
        return {HostError::kAuditBroken, r.message() + "; run `locus audit verify` / `repair`"};
      HStatus t = read_tail_locked(&torn);
      if (!t.ok()) return t.error();
      if (torn || tail_.seq != h.count)
        return {HostError::kAuditBroken, path_ + ": the repaired log does not end at the head"};
    } else if (tail_.seq == h.count) {
      if (h.count > 0 && tail_.hash != h.hash_hex)
        return {HostError::kAuditBroken,
                path_ +
                    ": the last record's hash differs from the registry head (log "
                    "rewritten?); run `locus audit verify`"};
    } else {
      // Records in the file the registry does not hold (yet): a transaction that did not
      // commit, or one still committing (PostgreSQL, several appraisals at once). Those this
      // object wrote join this transaction's pending rows (a row its own transaction
      // commits first is left as it is); others are made durable by the file itself.
      const uint64_t from = std::max(h.count, synced_seq_);
      bool ours = true;
      for (uint64_t s = from + 1; s <= tail_.seq && ours; s++) ours = unsynced_.count(s) != 0;
      if (ours) {
        for (uint64_t s = from + 1; s <= tail_.seq; s++) {
          HStatus a = reg_->add_audit_pending_if_absent(key_, s, unsynced_[s]);
          if (!a.ok()) return a.error();
        }
      } else {
        HStatus f = fsync_locked(tail_.seq);
        if (!f.ok()) return f.error();
      }
    }
  }
  const uint64_t seq = tail_.seq + 1;
  const std::string prev = tail_.seq == 0 ? std::string(kZeroHash) : tail_.hash;
  // The record's compact JSON with sorted keys, assembled around one dump of the body: keys
  // in order body, [hash,] kind, prev_hash, seq, time (verify_log checks the result is
  // canonical).
  const std::string body_s = body.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string rest =
      ",\"kind\":" + json(kind).dump(-1, ' ', false, json::error_handler_t::replace) +
      ",\"prev_hash\":\"" + prev + "\",\"seq\":" + std::to_string(seq) +
      ",\"time\":" + std::to_string(host::unix_time()) + "}";
  auto hh = record_hash(prev, "{\"body\":" + body_s + rest);
  if (!hh.ok()) return hh.error();
  std::string line = "{\"body\":" + body_s + ",\"hash\":\"" + hh.value() + "\"" + rest;
  line.push_back('\n');
  tail_.valid = false;  // until the write is complete
  HStatus w = write_all(fd_, line, path_);
  if (!w.ok()) return w.error();
  tail_.seq = seq;
  tail_.hash = hh.value();
  tail_.size = st.st_size + static_cast<int64_t>(line.size());
  tail_.dev = static_cast<uint64_t>(st.st_dev);
  tail_.ino = static_cast<uint64_t>(st.st_ino);
  tail_.valid = true;
  line.pop_back();
  // Until the file is synced past it (whatever becomes of this transaction).
  if (reg_ != nullptr) unsynced_[seq] = line;
  if (reg_ == nullptr) {
    HStatus f = fsync_locked(seq);
    if (!f.ok()) return f.error();
    return AppendResult{seq, hh.value()};
  }
  const auto now = std::chrono::steady_clock::now();
  const bool sync_due = seq - synced_seq_ >= policy_.max_pending ||
                        now - last_sync_ >= std::chrono::milliseconds(policy_.max_age_ms);
  if (sync_due) {
    // On disk by the file itself: the pending copies up to here are no longer needed.
    HStatus f = fsync_locked(seq);
    if (!f.ok()) return f.error();
    HStatus pr = reg_->prune_audit_pending(key_, seq);
    if (!pr.ok()) return pr.error();
  } else {
    HStatus a = reg_->add_audit_pending(key_, seq, line);
    if (!a.ok()) return a.error();
  }
  HStatus s = reg_->set_audit_head(key_, registry::AuditHead{seq, hh.value()});
  if (!s.ok()) return s.error();
  return AppendResult{seq, hh.value()};
}

VerifyReport verify_log(const std::string& path, const registry::AuditHead* expected,
                        const std::vector<registry::AuditPending>* pending_rows) {
  VerifyReport r;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.reason = path + ": cannot open";
    return r;
  }
  const auto pending =
      pending_rows != nullptr ? pending_map(*pending_rows) : std::map<uint64_t, std::string>{};
  std::string line;
  std::string prev = kZeroHash;
  uint64_t expect_seq = 1;
  uint64_t lineno = 0;
  bool torn = false;
  auto bad = [&](const std::string& why) {
    r.ok = false;
    r.first_bad_seq = expect_seq;
    r.first_bad_line = lineno;
    r.reason =
        "record " + std::to_string(expect_seq) + " (line " + std::to_string(lineno) + "): " + why;
    r.head_hash_hex = prev;
    return r;
  };
  const std::string kTorn = "last line is not terminated (torn write or truncation)";
  while (std::getline(in, line)) {
    lineno++;
    if (in.eof()) {
      // A torn last line may be a record that the registry holds (unsynced at a crash).
      if (expected == nullptr || pending_rows == nullptr) return bad(kTorn);
      torn = true;
      break;
    }
    std::string h, why;
    if (!check_record(line, expect_seq, prev, &h, &why)) return bad(why);
    auto it = pending.find(expect_seq);
    if (it != pending.end() && it->second != line)
      return bad("differs from the registry's durable copy of this record (record edited)");
    prev = std::move(h);
    expect_seq++;
    r.records++;
  }
  r.head_hash_hex = prev;
  if (expected != nullptr) {
    if (r.records < expected->count) {
      std::string why;
      if (pending_rows != nullptr && pending_covers(pending, r.records, *expected, prev, &why)) {
        r.unsynced = expected->count - r.records;
        r.first_bad_seq = r.records + 1;
        r.reason = std::to_string(r.unsynced) +
                   " records are durable in the registry but not yet in the file (unsynced at "
                   "a crash" +
                   (torn ? std::string("; the last line is torn") : std::string()) +
                   "): run `locus audit repair`";
        return r;
      }
      if (torn) {
        lineno = r.records + 1;
        return bad(kTorn);
      }
      r.first_bad_seq = r.records + 1;
      r.reason = "log truncated: the registry head says " + std::to_string(expected->count) +
                 " records, the file holds " + std::to_string(r.records) +
                 "; first missing record is " + std::to_string(r.records + 1);
      if (pending_rows != nullptr && !why.empty()) r.reason += " (" + why + ")";
      return r;
    }
    if (torn) {
      lineno = r.records + 1;
      return bad(kTorn);
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
