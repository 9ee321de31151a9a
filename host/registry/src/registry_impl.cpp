// The registry's logic, written once over db::Backend (SQLite or PostgreSQL).
//
// Connection discipline: a thread inside transaction() keeps its connection in a
// thread-local slot, and every registry call it makes uses that connection (so the calls join
// the transaction). Outside a transaction each call borrows a pooled connection for one
// autocommit statement (or its own short transaction when it needs several statements).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "db.h"
#include "locus/registry/registry.h"
#include "migrations.h"

namespace locus::registry {

using db::Conn;
using db::Dialect;
using db::Fail;
using db::Rows;
using db::Value;
using host::HostError;

const char* to_string(NonceCheck c) {
  switch (c) {
    case NonceCheck::kOk: return "ok";
    case NonceCheck::kUnknown: return "nonce unknown (never issued by this verifier)";
    case NonceCheck::kExpired: return "nonce expired";
    case NonceCheck::kUsed: return "nonce already used";
    case NonceCheck::kWrongDevice: return "nonce was issued to another device";
    case NonceCheck::kEvicted:
      return "nonce evicted (the device asked for newer nonces; only the latest few are kept)";
    default: return "nonce check failed";
  }
}

const char* to_string(DeviceState s) {
  switch (s) {
    case DeviceState::kPending: return "pending";
    case DeviceState::kActive: return "active";
    default: return "unknown";
  }
}

int latest_schema_version() {
  return db::migration_count();
}

HStatus for_each_decision(Registry& reg, int64_t after_id,
                          const std::function<HostResult<Visit>(const Decision&)>& visit,
                          int64_t page) {
  int64_t after = after_id;
  for (;;) {
    auto rows = reg.decisions_after(after, page);
    if (!rows.ok()) return rows.status();
    if (rows.value().empty()) return HStatus::Ok();
    for (const Decision& d : rows.value()) {
      after = d.id;
      auto v = visit(d);
      if (!v.ok()) return v.status();
      if (v.value() == Visit::kStop) return HStatus::Ok();
    }
  }
}

bool is_postgres_url(const std::string& spec) {
  return spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0;
}

namespace {

// Nonce "used" column: 0 unused, 1 consumed, 2 evicted (never consumable again).
constexpr int64_t kNonceUnused = 0;  // written as a literal 0 where a partial index needs it
static_assert(kNonceUnused == 0, "the partial nonce indexes (migration 8 -> 9) say used=0");
constexpr int64_t kNonceUsed = 1;
constexpr int64_t kNonceEvicted = 2;
constexpr int64_t kPurgeBatch = 64;  // expired nonces deleted per put_nonce

Value B(ByteSpan b) {
  return Value::blob(b);
}
Value B(const Bytes& b) {
  return Value::blob(ByteSpan(b));
}
Value T(const std::string& s) {
  return Value::of(s);
}
Value I(int64_t v) {
  return Value::of(v);
}

// The thread's open transaction: which registry, which connection.
struct TxnSlot {
  const void* owner = nullptr;
  Conn* conn = nullptr;
};
thread_local TxnSlot t_txn;

class RegistryImpl final : public Registry {
 public:
  explicit RegistryImpl(std::unique_ptr<db::Backend> b) : b_(std::move(b)) {}

  std::string describe() const override { return b_->describe(); }

  // Runs fn(conn) on this thread's transaction connection, or on a borrowed one.
  template <typename F>
  auto with_conn(F&& fn) -> decltype(fn(std::declval<Conn&>())) {
    if (t_txn.owner == this) return fn(*t_txn.conn);
    auto c = b_->acquire();
    if (!c.ok()) return c.error();
    struct Release {
      db::Backend* b;
      Conn* c;
      ~Release() { b->release(c); }
    } rel{b_.get(), c.value()};
    return fn(*c.value());
  }

  HStatus transaction(const std::function<HStatus()>& body) override {
    return run_transaction(body, true);
  }

  // durable=false (nonce issue only): the commit does not wait for stable storage. A power
  // cut can then lose nonces issued since the last durable commit; their attestations are
  // refused "nonce unknown" and the agent asks again. Nested in a durable transaction, or
  // committed in one group with a durable one, it is durable with it.
  HStatus run_transaction(const std::function<HStatus()>& body, bool durable) {
    if (t_txn.owner == this) return body();  // nested: join the outer transaction
    if (t_txn.owner != nullptr)
      return {HostError::kInternal, "registry transaction inside another registry's"};
    if (b_->dialect() == Dialect::kSqlite) return grouped_transaction(body, durable);
    // One transaction alone: the same steps as a group of one (no savepoint).
    Waiter w;
    w.body = &body;
    w.durable = durable;
    run_group({&w}, durable);
    if (w.thrown) std::rethrow_exception(w.thrown);
    return w.result;
  }

  void count_commit(uint64_t transactions) {
    tx_committed_.fetch_add(transactions, std::memory_order_relaxed);
    commits_.fetch_add(1, std::memory_order_relaxed);
  }
  CommitStats commit_stats() const override {
    return {tx_committed_.load(std::memory_order_relaxed),
            commits_.load(std::memory_order_relaxed)};
  }

  // Group commit (SQLite, durable transactions). A transaction that arrives while another
  // group is being committed waits; the next leader (the first waiter to find no leader) runs
  // the waiting bodies in ONE transaction, each in its own SAVEPOINT, so a body that fails
  // rolls back alone, and ends them with one COMMIT: one WAL fdatasync and one write of the
  // pages they share (index pages, the audit head, the tables' last leaves) for the group.
  // Every caller returns only after the COMMIT that made its body durable, or with that
  // COMMIT's error; a body's exception is rethrown in its caller's thread. Bodies run in
  // arrival order on the leader's thread, as if serially. Alone, a transaction runs exactly
  // as before (no savepoint). PostgreSQL runs each transaction alone: its bodies take row
  // locks, and two replicas' groups could take them in opposite orders (a deadlock that
  // would refuse both groups), while its commits cost the server, not this process.
  //
  // A non-durable transaction (a nonce issue) queues with the others: a group is committed
  // durably when any of its members asked for it, and without waiting for the disk only when
  // none did. Each waiter sleeps on its own condition variable: the leader wakes exactly its
  // group's members and the next leader (the queue's new front), no one else.
  struct Waiter {
    const std::function<HStatus()>* body = nullptr;
    bool durable = true;
    HStatus result{HostError::kInternal, "transaction not run"};
    std::exception_ptr thrown;
    bool done = false;
    std::condition_variable cv;  // under gc_mu_
  };
  static constexpr size_t kMaxGroup = 32;

  HStatus grouped_transaction(const std::function<HStatus()>& body, bool durable) {
    // Shared with the leader that runs it: the leader wakes its members after unlocking
    // gc_mu_ (a member woken under the lock would only block on it again, and on one core it
    // preempts the leader to do so), and a member that already returned must not take its
    // condition variable with it while the leader still notifies it.
    auto me = std::make_shared<Waiter>();
    me->body = &body;
    me->durable = durable;
    std::unique_lock<std::mutex> g(gc_mu_);
    gc_queue_.push_back(me);
    while (!me->done) {
      if (gc_leader_) {
        me->cv.wait(g);
        continue;
      }
      const size_t n = std::min(gc_queue_.size(), kMaxGroup);
      std::vector<std::shared_ptr<Waiter>> group;
      try {
        group.assign(gc_queue_.begin(), gc_queue_.begin() + static_cast<long>(n));
      } catch (...) {  // out of memory: this caller leaves the queue (its body is not run)
        gc_queue_.erase(std::remove(gc_queue_.begin(), gc_queue_.end(), me), gc_queue_.end());
        if (!gc_queue_.empty()) gc_queue_.front()->cv.notify_one();  // it leads in our place
        throw;
      }
      gc_queue_.erase(gc_queue_.begin(), gc_queue_.begin() + static_cast<long>(n));
      gc_leader_ = true;
      g.unlock();
      try {
        std::vector<Waiter*> members;
        members.reserve(group.size());
        bool group_durable = false;
        for (const auto& w : group) {
          members.push_back(w.get());
          group_durable = group_durable || w->durable;
        }
        run_group(members, group_durable);
      } catch (...) {  // e.g. out of memory outside a body: the group's callers must still return
        for (const auto& w : group)
          if (!w->thrown) w->thrown = std::current_exception();
      }
      g.lock();
      gc_leader_ = false;
      for (const auto& w : group) w->done = true;
      std::shared_ptr<Waiter> next = gc_queue_.empty() ? nullptr : gc_queue_.front();
      g.unlock();
      bool led_me = false;
      for (const auto& w : group) {
        if (w != me)
          w->cv.notify_one();
        else
          led_me = true;
      }
      if (next) next->cv.notify_one();  // the next leader
      // This thread ran its own body and set its result: nothing to wait for, and no reason
      // to contend for the mutex with the members it just woke.
      if (led_me) break;
      g.lock();
    }
    // The exception moves out of the shared record: its last reference is then this thread's,
    // whichever thread drops the record last (libstdc++ counts exception references in code
    // ThreadSanitizer does not see).
    if (me->thrown) {
      std::exception_ptr thrown = std::move(me->thrown);
      me->thrown = nullptr;
      std::rethrow_exception(thrown);
    }
    return me->result;
  }

  // Runs one body on conn inside the open transaction; never throws.
  void run_body(Conn* conn, Waiter* w) {
    t_txn = {this, conn};
    try {
      w->result = (*w->body)();
    } catch (...) {
      w->thrown = std::current_exception();
      w->result = {HostError::kInternal, "transaction body threw"};
    }
    t_txn = {};
  }

  // Runs the bodies in one transaction (durable: its commit waits for stable storage) and
  // sets each waiter's result; the connection and the writer lock are released on every path.
  void run_group(const std::vector<Waiter*>& group, bool durable) {
    auto fail_all = [&](const HStatus& why, bool only_ok) {
      for (Waiter* w : group)
        if (!only_ok || (w->result.ok() && !w->thrown)) w->result = why;
    };
    b_->writer_enter();
    auto c = b_->acquire_writer();
    if (!c.ok()) {
      b_->writer_leave();
      return fail_all(c.status(), false);
    }
    Conn* conn = c.value();
    struct Release {
      db::Backend* b;
      Conn* conn;
      ~Release() {
        conn->rollback();  // a no-op after COMMIT; ends a transaction an exception left open
        b->release_writer(conn);
        b->writer_leave();
      }
    } rel{b_.get(), conn};
    HStatus s = conn->begin(durable);
    if (!s.ok()) return fail_all(s, false);
    bool any_ok = false;
    if (group.size() == 1) {
      run_body(conn, group[0]);
      any_ok = group[0]->result.ok() && !group[0]->thrown;
    } else {
      for (Waiter* w : group) {
        s = conn->exec_script("SAVEPOINT locus_group");
        if (!s.ok()) {
          w->result = s;
          continue;
        }
        run_body(conn, w);
        if (w->result.ok() && !w->thrown) {
          s = conn->exec_script("RELEASE locus_group");
          any_ok = any_ok || s.ok();
          if (!s.ok()) w->result = s;
        } else {
          s = conn->exec_script("ROLLBACK TO locus_group");
          if (s.ok()) s = conn->exec_script("RELEASE locus_group");
        }
        if (!s.ok()) {  // the transaction's state is unknown: nothing of the group commits
          conn->rollback();
          return fail_all(s, true);
        }
      }
    }
    if (!any_ok) {
      conn->rollback();
      return;
    }
    s = conn->commit();
    if (!s.ok()) {
      conn->rollback();
      return fail_all(s, true);
    }
    if (!durable) return;
    uint64_t n = 0;
    for (const Waiter* w : group) n += (w->durable && w->result.ok() && !w->thrown) ? 1 : 0;
    count_commit(n);
  }

  HStatus migrate(int target) {
    return transaction([&]() -> HStatus {
      return with_conn([&](Conn& c) -> HStatus {
        if (b_->dialect() == Dialect::kPostgres) {
          // Replicas starting together migrate one after the other.
          auto l = c.exec("SELECT pg_advisory_xact_lock(7236981)", {});
          if (!l.ok()) return l.status();
        }
        HStatus s = c.exec_script(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
            " applied_at BIGINT NOT NULL)");
        if (!s.ok()) return s;
        auto v = c.exec("SELECT COALESCE(MAX(version),0) FROM schema_version", {});
        if (!v.ok() || v.value().rows.size() != 1) return {HostError::kDb, "schema_version"};
        int cur = static_cast<int>(v.value().rows[0][0].as_int());
        if (cur > latest_schema_version())
          return {HostError::kSchemaTooNew, "registry schema version " + std::to_string(cur) +
                                                " is newer than this locus (" +
                                                std::to_string(latest_schema_version()) + ")"};
        for (int step = cur; step < target; step++) {
          s = c.exec_script(db::migration(b_->dialect(), step));
          if (s.ok()) {
            auto ins = c.exec("INSERT INTO schema_version(version, applied_at) VALUES(?, ?)",
                              {I(step + 1), I(host::unix_time())});
            if (!ins.ok()) s = ins.status();
          }
          if (!s.ok())
            return {HostError::kDb,
                    "migration to schema " + std::to_string(step + 1) + " failed: " + s.message()};
        }
        return HStatus::Ok();
      });
    });
  }

  HostResult<int> schema_version() override {
    return with_conn([&](Conn& c) -> HostResult<int> {
      auto v = c.exec("SELECT COALESCE(MAX(version),0) FROM schema_version", {});
      if (!v.ok()) return v.error();
      if (v.value().rows.size() != 1) return {HostError::kDb, "schema_version"};
      return static_cast<int>(v.value().rows[0][0].as_int());
    });
  }

  // ---- devices ----

  HStatus add_device(const Device& d) override {
    return with_conn([&](Conn& c) -> HStatus {
      Fail f = Fail::kOther;
      auto r = c.exec(
          "INSERT INTO devices(ueid,site,host,hwmodel,devid_cert,serial,revoked,revoke_reason,"
          "enrolled_at,state) VALUES(?,?,?,?,?,?,0,'',?,?)",
          {B(d.ueid), T(d.site), T(d.host), T(d.hwmodel), B(d.devid_cert), T(d.serial_hex),
           I(d.enrolled_at != 0 ? d.enrolled_at : host::unix_time()),
           I(static_cast<int64_t>(d.state))},
          &f);
      if (!r.ok() && f == Fail::kConstraint)
        return {HostError::kDuplicate,
                "device " + host::hex_encode(d.ueid) + " is already registered"};
      return r.status();
    });
  }

  static constexpr const char* kDeviceCols =
      "ueid,site,host,hwmodel,devid_cert,serial,revoked,revoke_reason,enrolled_at,state";

  static HostResult<Device> row_device(const db::Row& r) {
    if (r.size() != 10) return {HostError::kDb, "device row has the wrong shape"};
    Device d;
    d.ueid = r[0].as_blob();
    d.site = r[1].as_text();
    d.host = r[2].as_text();
    d.hwmodel = r[3].as_text();
    d.devid_cert = r[4].as_blob();
    d.serial_hex = r[5].as_text();
    d.revoked = r[6].as_int() != 0;
    d.revoke_reason = r[7].as_text();
    d.enrolled_at = r[8].as_int();
    int64_t st = r[9].as_int();
    if (st == static_cast<int64_t>(DeviceState::kPending))
      d.state = DeviceState::kPending;
    else if (st == static_cast<int64_t>(DeviceState::kActive))
      d.state = DeviceState::kActive;
    else
      return {HostError::kDb, "device " + host::hex_encode(d.ueid) + " has an unknown state"};
    return d;
  }

  HostResult<Device> get_device(ByteSpan ueid) override {
    return with_conn([&](Conn& c) -> HostResult<Device> {
      auto r = c.exec((std::string("SELECT ") + kDeviceCols + " FROM devices WHERE ueid=?").c_str(),
                      {B(ueid)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty())
        return {HostError::kNotFound, "unknown device " + host::hex_encode(ueid)};
      return row_device(r.value().rows[0]);
    });
  }

  HostResult<std::vector<Device>> list_devices() override {
    return with_conn([&](Conn& c) -> HostResult<std::vector<Device>> {
      auto r =
          c.exec((std::string("SELECT ") + kDeviceCols + " FROM devices ORDER BY enrolled_at, ueid")
                     .c_str(),
                 {});
      if (!r.ok()) return r.error();
      return devices_of(r.value());
    });
  }

  static HostResult<std::vector<Device>> devices_of(const Rows& rows) {
    std::vector<Device> out;
    out.reserve(rows.rows.size());
    for (const auto& row : rows.rows) {
      auto d = row_device(row);
      if (!d.ok()) return d.error();
      out.push_back(d.take());
    }
    return out;
  }

  HostResult<std::vector<Device>> devices_after(ByteSpan after, int64_t limit) override {
    if (limit < 1) return {HostError::kUsage, "devices_after: limit must be at least 1"};
    return with_conn([&](Conn& c) -> HostResult<std::vector<Device>> {
      auto r = c.exec((std::string("SELECT ") + kDeviceCols +
                       " FROM devices WHERE ueid > ? ORDER BY ueid LIMIT ?")
                          .c_str(),
                      {B(after), I(limit)});
      if (!r.ok()) return r.error();
      return devices_of(r.value());
    });
  }

  HostResult<int64_t> count_devices() override {
    return with_conn([&](Conn& c) -> HostResult<int64_t> {
      auto r = c.exec("SELECT COUNT(*) FROM devices", {});
      if (!r.ok()) return r.error();
      if (r.value().rows.size() != 1) return {HostError::kDb, "device count"};
      return r.value().rows[0][0].as_int();
    });
  }

  HStatus activate_device(ByteSpan ueid) override {
    return with_conn([&](Conn& c) -> HStatus {
      auto r = c.exec("UPDATE devices SET state=? WHERE ueid=? AND state=?",
                      {I(static_cast<int64_t>(DeviceState::kActive)), B(ueid),
                       I(static_cast<int64_t>(DeviceState::kPending))});
      if (!r.ok()) return r.status();
      if (r.value().changes != 1)
        return {HostError::kNotFound, "no pending enrollment for " + host::hex_encode(ueid)};
      return HStatus::Ok();
    });
  }

  HStatus revoke_ueid(ByteSpan ueid, const std::string& reason) override {
    return with_conn([&](Conn& c) -> HStatus {
      auto r = c.exec("UPDATE devices SET revoked=1, revoke_reason=? WHERE ueid=?",
                      {T(reason), B(ueid)});
      if (!r.ok()) return r.status();
      if (r.value().changes == 0)
        return {HostError::kNotFound, "unknown device " + host::hex_encode(ueid)};
      return HStatus::Ok();
    });
  }

  HStatus revoke_serial(const std::string& serial_hex, const std::string& reason) override {
    return with_conn([&](Conn& c) -> HStatus {
      return c
          .exec(
              "INSERT INTO revoked_serials(serial, reason, time) VALUES(?,?,?)"
              " ON CONFLICT(serial) DO UPDATE SET reason=excluded.reason, time=excluded.time",
              {T(serial_hex), T(reason), I(host::unix_time())})
          .status();
    });
  }

  HostResult<bool> serial_revoked(const std::string& serial_hex) override {
    return with_conn([&](Conn& c) -> HostResult<bool> {
      auto r = c.exec("SELECT COUNT(*) FROM revoked_serials WHERE serial=?", {T(serial_hex)});
      if (!r.ok()) return r.error();
      return !r.value().rows.empty() && r.value().rows[0][0].as_int() > 0;
    });
  }

  // ---- nonces ----

  HStatus put_nonce(const NonceIssue& n) override {
    return run_transaction(
        [&]() -> HStatus {
          return with_conn([&](Conn& c) -> HStatus {
            if (n.max_per_source > 0) {
              // Bounded count through the partial (source, expires_at) WHERE used=0 index: at
              // most max_per_source index entries are read, however many the source holds.
              auto cnt = c.exec(
                  "SELECT COUNT(*) FROM (SELECT 1 FROM nonces WHERE source=? AND used=0 AND"
                  " expires_at>=? LIMIT ?) AS open_nonces",
                  {T(n.source), I(n.issued_us / 1000000), I(n.max_per_source)});
              if (!cnt.ok()) return cnt.status();
              if (cnt.value().rows.size() != 1) return {HostError::kDb, "nonce count"};
              if (cnt.value().rows[0][0].as_int() >= n.max_per_source)
                return {HostError::kNonce, "too many outstanding nonces for this source address (" +
                                               std::to_string(n.max_per_source) +
                                               "); use or let them expire first"};
            }
            Fail f = Fail::kOther;
            auto ins = c.exec(
                "INSERT INTO nonces(nonce, ueid, expires_at, used, issued_us, source)"
                " VALUES(?,?,?,0,?,?)",
                {B(n.nonce), B(n.ueid), I(n.expires_at), I(n.issued_us), T(n.source)}, &f);
            if (!ins.ok())
              return f == Fail::kConstraint ? HStatus(HostError::kDuplicate, "nonce collision")
                                            : ins.status();
            if (n.max_outstanding > 0) {
              // Evict every unused nonce of this device requested from this source except the
              // newest max_outstanding (the one just issued always among them). Uses the
              // partial (ueid, source, issued_us, nonce) WHERE used=0 index.
              const char* sql =
                  b_->dialect() == Dialect::kPostgres
                      ? "UPDATE nonces SET used=? WHERE ueid=? AND source=? AND used=0 AND nonce<>?"
                        " AND nonce IN (SELECT nonce FROM nonces WHERE ueid=? AND source=? AND "
                        "used=0"
                        " AND nonce<>? ORDER BY issued_us DESC, nonce DESC OFFSET ?)"
                      : "UPDATE nonces SET used=? WHERE ueid=? AND source=? AND used=0 AND nonce<>?"
                        " AND nonce IN (SELECT nonce FROM nonces WHERE ueid=? AND source=? AND "
                        "used=0"
                        " AND nonce<>? ORDER BY issued_us DESC, nonce DESC LIMIT -1 OFFSET ?)";
              auto ev = c.exec(sql, {I(kNonceEvicted), B(n.ueid), T(n.source), B(n.nonce),
                                     B(n.ueid), T(n.source), B(n.nonce), I(n.max_outstanding - 1)});
              if (!ev.ok()) return ev.status();
            }
            if (n.purge_before > 0) {
              // A bounded batch through the expiry index: the cost per call stays constant even
              // after a mass expiry (each issue purges up to kPurgeBatch; expiries cannot outpace
              // issues). PostgreSQL skips rows another purge holds: no waits, no deadlocks.
              const char* sql =
                  b_->dialect() == Dialect::kPostgres
                      ? "DELETE FROM nonces WHERE nonce IN (SELECT nonce FROM nonces WHERE"
                        " expires_at < ? ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)"
                      : "DELETE FROM nonces WHERE rowid IN (SELECT rowid FROM nonces WHERE"
                        " expires_at < ? ORDER BY expires_at LIMIT ?)";
              auto p = c.exec(sql, {I(n.purge_before), I(kPurgeBatch)});
              if (!p.ok()) return p.status();
            }
            return HStatus::Ok();
          });
        },
        /*durable=*/false);
  }

  static NonceCheck judge(const db::Row& r, ByteSpan ueid, int64_t now) {
    Bytes owner = r[0].as_blob();
    int64_t exp = r[1].as_int();
    int64_t used = r[2].as_int();
    if (used == kNonceEvicted) return NonceCheck::kEvicted;
    if (used != kNonceUnused) return NonceCheck::kUsed;
    if (now > exp) return NonceCheck::kExpired;
    if (owner != Bytes(ueid.begin(), ueid.end())) return NonceCheck::kWrongDevice;
    return NonceCheck::kOk;
  }

  HostResult<NonceCheck> peek_nonce(ByteSpan nonce, ByteSpan ueid, int64_t now) override {
    return with_conn([&](Conn& c) -> HostResult<NonceCheck> {
      auto r = c.exec("SELECT ueid, expires_at, used FROM nonces WHERE nonce=?", {B(nonce)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty()) return NonceCheck::kUnknown;
      return judge(r.value().rows[0], ueid, now);
    });
  }

  HostResult<NonceCheck> consume_nonce(ByteSpan nonce, ByteSpan ueid, int64_t now) override {
    NonceCheck result = NonceCheck::kUnknown;
    return consume_exact(nonce, ueid, now, &result);
  }

  // Select (FOR UPDATE on PostgreSQL; SQLite holds the write lock since BEGIN IMMEDIATE) then
  // update, in one transaction: of two concurrent consumers exactly one sees it unused.
  HostResult<NonceCheck> consume_exact(ByteSpan nonce, ByteSpan ueid, int64_t now,
                                       NonceCheck* out) {
    HStatus s = transaction([&]() -> HStatus {
      return with_conn([&](Conn& c) -> HStatus {
        const char* sel = b_->dialect() == Dialect::kPostgres
                              ? "SELECT ueid, expires_at, used FROM nonces WHERE nonce=? FOR UPDATE"
                              : "SELECT ueid, expires_at, used FROM nonces WHERE nonce=?";
        auto r = c.exec(sel, {B(nonce)});
        if (!r.ok()) return r.status();
        if (r.value().rows.empty()) {
          *out = NonceCheck::kUnknown;
          return HStatus::Ok();
        }
        *out = judge(r.value().rows[0], ueid, now);
        if (r.value().rows[0][2].as_int() == kNonceUnused) {
          auto u = c.exec("UPDATE nonces SET used=? WHERE nonce=? AND used=?",
                          {I(kNonceUsed), B(nonce), I(kNonceUnused)});
          if (!u.ok()) return u.status();
          if (u.value().changes != 1) return {HostError::kDb, "nonce row changed under its lock"};
        }
        return HStatus::Ok();
      });
    });
    if (!s.ok()) return s.error();
    return *out;
  }

  HStatus purge_nonces(int64_t older_than) override {
    // Used nonces are kept until they expire so that a replay still says "already used".
    return with_conn([&](Conn& c) -> HStatus {
      return c.exec("DELETE FROM nonces WHERE expires_at < ?", {I(older_than)}).status();
    });
  }

  HostResult<int64_t> count_open_nonces(int64_t now) override {
    return with_conn([&](Conn& c) -> HostResult<int64_t> {
      // Through the partial index of outstanding nonces (used=0 literally, see there).
      auto r = c.exec("SELECT COUNT(*) FROM nonces WHERE used=0 AND expires_at>=?", {I(now)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty()) return int64_t(0);
      return r.value().rows[0][0].as_int();
    });
  }

  // ---- license counters ----

  HostResult<uint64_t> last_license_counter(ByteSpan ueid) override {
    return with_conn([&](Conn& c) -> HostResult<uint64_t> {
      auto r = c.exec("SELECT counter FROM license_counters WHERE ueid=?", {B(ueid)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty()) return uint64_t{0};
      return static_cast<uint64_t>(r.value().rows[0][0].as_int());
    });
  }

  HostResult<bool> take_license_counter(ByteSpan ueid, uint64_t expected_last) override {
    return with_conn([&](Conn& c) -> HostResult<bool> {
      if (expected_last >= static_cast<uint64_t>(INT64_MAX))
        return {HostError::kDb, "license counter exhausted"};
      HostResult<Rows> r =
          expected_last == 0
              ? c.exec(
                    "INSERT INTO license_counters(ueid, counter) VALUES(?, 1)"
                    " ON CONFLICT(ueid) DO NOTHING",
                    {B(ueid)})
              : c.exec("UPDATE license_counters SET counter=? WHERE ueid=? AND counter=?",
                       {I(static_cast<int64_t>(expected_last + 1)), B(ueid),
                        I(static_cast<int64_t>(expected_last))});
      if (!r.ok()) return r.error();
      return r.value().changes == 1;
    });
  }

  HostResult<uint64_t> next_license_counter(ByteSpan ueid) override {
    uint64_t next = 0;
    HStatus s = transaction([&]() -> HStatus {
      return with_conn([&](Conn& c) -> HStatus {
        auto r = c.exec(
            "INSERT INTO license_counters(ueid, counter) VALUES(?, 1)"
            " ON CONFLICT(ueid) DO UPDATE SET counter = license_counters.counter + 1"
            " RETURNING counter",
            {B(ueid)});
        if (!r.ok()) return r.status();
        if (r.value().rows.size() != 1) return {HostError::kDb, "license counter"};
        next = static_cast<uint64_t>(r.value().rows[0][0].as_int());
        return HStatus::Ok();
      });
    });
    if (!s.ok()) return s.error();
    return next;
  }

  // ---- decisions ----

  HostResult<int64_t> reserve_decision_id() override {
    if (t_txn.owner != this)
      return {HostError::kInternal, "reserve_decision_id outside a transaction"};
    return with_conn([&](Conn& c) -> HostResult<int64_t> {
      auto r = b_->dialect() == Dialect::kPostgres
                   ? c.exec("SELECT nextval(pg_get_serial_sequence('decisions','id'))", {})
                   : c.exec(
                         "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE"
                         " name='decisions'),0) + 1",
                         {});
      if (!r.ok()) return r.error();
      if (r.value().rows.size() != 1) return {HostError::kDb, "decision id"};
      return r.value().rows[0][0].as_int();
    });
  }

  HostResult<int64_t> add_decision(const Decision& d) override {
    return with_conn([&](Conn& c) -> HostResult<int64_t> {
      int64_t t = d.time != 0 ? d.time : host::unix_time();
      auto r = d.id != 0
                   ? c.exec(
                         "INSERT INTO decisions(id, time, ueid, status, json, evidence, license)"
                         " VALUES(?,?,?,?,?,?,?) RETURNING id",
                         {I(d.id), I(t), B(d.ueid), T(d.status), T(d.decision_json), B(d.evidence),
                          B(d.license)})
                   : c.exec(
                         "INSERT INTO decisions(time, ueid, status, json, evidence, license)"
                         " VALUES(?,?,?,?,?,?) RETURNING id",
                         {I(t), B(d.ueid), T(d.status), T(d.decision_json), B(d.evidence),
                          B(d.license)});
      if (!r.ok()) return r.error();
      if (r.value().rows.size() != 1) return {HostError::kDb, "add_decision"};
      return r.value().rows[0][0].as_int();
    });
  }

  HostResult<std::vector<Decision>> list_decisions(int64_t limit) override {
    return with_conn([&](Conn& c) -> HostResult<std::vector<Decision>> {
      auto r = limit < 0 ? c.exec(
                               "SELECT id,time,ueid,status,json,evidence,license FROM decisions"
                               " ORDER BY id",
                               {})
                         : c.exec(
                               "SELECT id,time,ueid,status,json,evidence,license FROM (SELECT"
                               " id,time,ueid,status,json,evidence,license FROM decisions ORDER"
                               " BY id DESC LIMIT ?) AS newest ORDER BY id",
                               {I(limit)});
      if (!r.ok()) return r.error();
      return decisions_of(r.value(), true);
    });
  }

  HostResult<std::vector<Decision>> decisions_after(int64_t after_id, int64_t limit) override {
    if (limit < 1) return {HostError::kUsage, "decisions_after: limit must be at least 1"};
    return with_conn([&](Conn& c) -> HostResult<std::vector<Decision>> {
      auto r = c.exec(
          "SELECT id,time,ueid,status,json,evidence,license FROM decisions WHERE id > ?"
          " ORDER BY id LIMIT ?",
          {I(after_id), I(limit)});
      if (!r.ok()) return r.error();
      return decisions_of(r.value(), true);
    });
  }

  HostResult<std::vector<Decision>> latest_decisions() override {
    return with_conn([&](Conn& c) -> HostResult<std::vector<Decision>> {
      // Per device, its newest decision through decisions_ueid (ueid, id), read backwards.
      auto r = c.exec(
          "SELECT d.id,d.time,d.ueid,d.status,d.json FROM devices v JOIN decisions d ON d.id ="
          " (SELECT x.id FROM decisions x WHERE x.ueid=v.ueid ORDER BY x.id DESC LIMIT 1)"
          " ORDER BY d.id",
          {});
      if (!r.ok()) return r.error();
      return decisions_of(r.value(), false);
    });
  }

  HostResult<std::vector<Decision>> latest_decisions_between(ByteSpan after,
                                                             ByteSpan through) override {
    return with_conn([&](Conn& c) -> HostResult<std::vector<Decision>> {
      // The page's devices through their primary key, then as latest_decisions().
      auto r = c.exec(
          "SELECT d.id,d.time,d.ueid,d.status,d.json FROM (SELECT ueid FROM devices WHERE"
          " ueid > ? AND ueid <= ?) AS v JOIN decisions d ON d.id = (SELECT x.id FROM"
          " decisions x WHERE x.ueid=v.ueid ORDER BY x.id DESC LIMIT 1) ORDER BY d.id",
          {B(after), B(through)});
      if (!r.ok()) return r.error();
      return decisions_of(r.value(), false);
    });
  }

  // Rows of (id, time, ueid, status, json[, evidence, license]) as decisions.
  static std::vector<Decision> decisions_of(const Rows& rows, bool with_bytes) {
    std::vector<Decision> out;
    out.reserve(rows.rows.size());
    for (const auto& row : rows.rows) {
      Decision d;
      d.id = row[0].as_int();
      d.time = row[1].as_int();
      d.ueid = row[2].as_blob();
      d.status = row[3].as_text();
      d.decision_json = row[4].as_text();
      if (with_bytes) {
        d.evidence = row[5].as_blob();
        d.license = row[6].as_blob();
      }
      out.push_back(std::move(d));
    }
    return out;
  }

  // ---- evidence bundles ----

  HStatus put_evidence_bundle(int64_t decision_id, ByteSpan bundle) override {
    return with_conn([&](Conn& c) -> HStatus {
      Fail kind = Fail::kOther;
      auto r = c.exec("INSERT INTO evidence_bundles(decision_id, bundle) VALUES(?,?)",
                      {I(decision_id), B(bundle)}, &kind);
      if (!r.ok() && kind == Fail::kConstraint)
        return {HostError::kDuplicate,
                "decision " + std::to_string(decision_id) + " already has an evidence bundle"};
      return r.status();
    });
  }

  HostResult<Bytes> get_evidence_bundle(int64_t decision_id) override {
    return with_conn([&](Conn& c) -> HostResult<Bytes> {
      auto r = c.exec("SELECT bundle FROM evidence_bundles WHERE decision_id=?", {I(decision_id)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty())
        return {HostError::kNotFound,
                "decision " + std::to_string(decision_id) + " has no evidence bundle"};
      return r.value().rows[0][0].as_blob();
    });
  }

  // ---- audit heads ----

  HostResult<AuditHead> get_audit_head(const std::string& logname) override {
    return with_conn([&](Conn& c) -> HostResult<AuditHead> {
      auto r = c.exec("SELECT count, hash FROM audit_heads WHERE log=?", {T(logname)});
      if (!r.ok()) return r.error();
      AuditHead h;
      if (!r.value().rows.empty()) {
        h.count = static_cast<uint64_t>(r.value().rows[0][0].as_int());
        h.hash_hex = r.value().rows[0][1].as_text();
      }
      return h;
    });
  }

  HStatus set_audit_head(const std::string& logname, const AuditHead& h) override {
    return with_conn([&](Conn& c) -> HStatus {
      return c
          .exec(
              "INSERT INTO audit_heads(log, count, hash) VALUES(?,?,?)"
              " ON CONFLICT(log) DO UPDATE SET count=excluded.count, hash=excluded.hash",
              {T(logname), I(static_cast<int64_t>(h.count)), T(h.hash_hex)})
          .status();
    });
  }

  // ---- audit records not yet synced to the log file ----

  HStatus add_audit_pending(const std::string& logname, uint64_t seq,
                            const std::string& line) override {
    return with_conn([&](Conn& c) -> HStatus {
      Fail kind = Fail::kOther;
      auto r = c.exec("INSERT INTO audit_pending(log, seq, line) VALUES(?,?,?)",
                      {T(logname), I(static_cast<int64_t>(seq)), T(line)}, &kind);
      if (!r.ok() && kind == Fail::kConstraint)
        return {HostError::kDuplicate,
                logname + ": audit record " + std::to_string(seq) + " is already pending"};
      return r.status();
    });
  }

  HStatus add_audit_pending_if_absent(const std::string& logname, uint64_t seq,
                                      const std::string& line) override {
    return with_conn([&](Conn& c) -> HStatus {
      return c
          .exec(
              "INSERT INTO audit_pending(log, seq, line) VALUES(?,?,?)"
              " ON CONFLICT(log, seq) DO NOTHING",
              {T(logname), I(static_cast<int64_t>(seq)), T(line)})
          .status();
    });
  }

  HostResult<std::vector<AuditPending>> list_audit_pending(const std::string& logname,
                                                           uint64_t after_seq) override {
    return with_conn([&](Conn& c) -> HostResult<std::vector<AuditPending>> {
      auto r = c.exec("SELECT seq, line FROM audit_pending WHERE log=? AND seq>? ORDER BY seq",
                      {T(logname), I(static_cast<int64_t>(after_seq))});
      if (!r.ok()) return r.error();
      std::vector<AuditPending> out;
      out.reserve(r.value().rows.size());
      for (auto& row : r.value().rows)
        out.push_back({static_cast<uint64_t>(row[0].as_int()), row[1].as_text()});
      return out;
    });
  }

  HStatus prune_audit_pending(const std::string& logname, uint64_t upto_seq) override {
    return with_conn([&](Conn& c) -> HStatus {
      return c
          .exec("DELETE FROM audit_pending WHERE log=? AND seq<=?",
                {T(logname), I(static_cast<int64_t>(upto_seq))})
          .status();
    });
  }

  // ---- TPM host records ----

  HStatus put_tpm_host(const TpmHostRow& h) override {
    return with_conn([&](Conn& c) -> HStatus {
      Fail f = Fail::kOther;
      auto r = c.exec(
          "INSERT INTO tpm_hosts(host,ek_public,ek_cert,ak_public,ak_name,qualified_signer,"
          "pcrs,golden,have_last,last_clock,last_reset,last_restart,enrolled_at)"
          " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(host) DO UPDATE SET"
          " ek_public=excluded.ek_public, ek_cert=excluded.ek_cert,"
          " ak_public=excluded.ak_public, ak_name=excluded.ak_name,"
          " qualified_signer=excluded.qualified_signer, pcrs=excluded.pcrs,"
          " golden=excluded.golden, have_last=excluded.have_last,"
          " last_clock=excluded.last_clock, last_reset=excluded.last_reset,"
          " last_restart=excluded.last_restart, enrolled_at=excluded.enrolled_at",
          {T(h.host), B(h.ek_public), B(h.ek_cert), B(h.ak_public), B(h.ak_name),
           B(h.qualified_signer), T(h.pcrs), B(h.golden), I(h.have_last ? 1 : 0), I(h.last_clock),
           I(h.last_reset), I(h.last_restart),
           I(h.enrolled_at != 0 ? h.enrolled_at : host::unix_time())},
          &f);
      if (!r.ok() && f == Fail::kConstraint)
        return {HostError::kDuplicate, "another host already has this AK"};
      return r.status();
    });
  }

  HostResult<TpmHostRow> get_tpm_host(const std::string& hostname) override {
    return with_conn([&](Conn& c) -> HostResult<TpmHostRow> {
      auto r = c.exec(
          "SELECT ek_public,ek_cert,ak_public,ak_name,qualified_signer,pcrs,golden,have_last,"
          "last_clock,last_reset,last_restart,enrolled_at FROM tpm_hosts WHERE host=?",
          {T(hostname)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty()) return {HostError::kNotFound, "unknown host " + hostname};
      const db::Row& w = r.value().rows[0];
      TpmHostRow h;
      h.host = hostname;
      h.ek_public = w[0].as_blob();
      h.ek_cert = w[1].as_blob();
      h.ak_public = w[2].as_blob();
      h.ak_name = w[3].as_blob();
      h.qualified_signer = w[4].as_blob();
      h.pcrs = w[5].as_text();
      h.golden = w[6].as_blob();
      h.have_last = w[7].as_int() != 0;
      h.last_clock = w[8].as_int();
      h.last_reset = w[9].as_int();
      h.last_restart = w[10].as_int();
      h.enrolled_at = w[11].as_int();
      return h;
    });
  }

  HostResult<std::string> tpm_host_by_ak_name(ByteSpan ak_name) override {
    return with_conn([&](Conn& c) -> HostResult<std::string> {
      auto r = c.exec("SELECT host FROM tpm_hosts WHERE ak_name=?", {B(ak_name)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty()) return {HostError::kNotFound, "no host has this AK"};
      return r.value().rows[0][0].as_text();
    });
  }

  HStatus bind_board_host(const std::string& ueid_hex, const std::string& hostname) override {
    return with_conn([&](Conn& c) -> HStatus {
      Fail f = Fail::kOther;
      auto r = c.exec(
          "INSERT INTO tpm_board_hosts(ueid,host,bound_at) VALUES(?,?,?)"
          " ON CONFLICT(ueid) DO UPDATE SET host=excluded.host, bound_at=excluded.bound_at",
          {T(ueid_hex), T(hostname), I(host::unix_time())}, &f);
      if (!r.ok() && f == Fail::kConstraint)
        return {HostError::kNotFound, "unknown host " + hostname};
      return r.status();
    });
  }

  HostResult<std::string> board_host(const std::string& ueid_hex) override {
    return with_conn([&](Conn& c) -> HostResult<std::string> {
      auto r = c.exec("SELECT host FROM tpm_board_hosts WHERE ueid=?", {T(ueid_hex)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty())
        return {HostError::kNotFound, "board " + ueid_hex + " is not bound to a host"};
      return r.value().rows[0][0].as_text();
    });
  }

  HostResult<bool> record_tpm_quote(const std::string& hostname, int64_t clock, int64_t reset,
                                    int64_t restart) override {
    return with_conn([&](Conn& c) -> HostResult<bool> {
      // Compare-and-set: only a strictly newer (reset, restart, clock) replaces the baseline.
      auto r = c.exec(
          "UPDATE tpm_hosts SET have_last=1, last_clock=?, last_reset=?, last_restart=?"
          " WHERE host=? AND (have_last=0 OR last_reset<? OR (last_reset=? AND (last_restart<?"
          " OR (last_restart=? AND last_clock<?))))",
          {I(clock), I(reset), I(restart), T(hostname), I(reset), I(reset), I(restart), I(restart),
           I(clock)});
      if (!r.ok()) return r.error();
      if (r.value().changes == 1) return true;
      auto e = c.exec("SELECT COUNT(*) FROM tpm_hosts WHERE host=?", {T(hostname)});
      if (!e.ok()) return e.error();
      if (e.value().rows.empty() || e.value().rows[0][0].as_int() == 0)
        return {HostError::kNotFound, "unknown host " + hostname};
      return false;
    });
  }

  // ---- landmark trust list versions ----

  HStatus raise_trust_list_version(const std::string& signer, int64_t version) override {
    if (version < 1) return {HostError::kRefused, "trust list version must be >= 1"};
    return transaction([&]() -> HStatus {
      return with_conn([&](Conn& c) -> HStatus {
        const char* sel = b_->dialect() == Dialect::kPostgres
                              ? "SELECT version FROM trust_list_versions WHERE signer=? FOR UPDATE"
                              : "SELECT version FROM trust_list_versions WHERE signer=?";
        auto r = c.exec(sel, {T(signer)});
        if (!r.ok()) return r.status();
        if (!r.value().rows.empty()) {
          int64_t seen = r.value().rows[0][0].as_int();
          if (version < seen)
            return {HostError::kRefused, "landmark trust list version " + std::to_string(version) +
                                             " is older than version " + std::to_string(seen) +
                                             " already loaded (rollback refused)"};
        }
        return c
            .exec(
                "INSERT INTO trust_list_versions(signer, version, loaded_at) VALUES(?,?,?)"
                " ON CONFLICT(signer) DO UPDATE SET version=excluded.version,"
                " loaded_at=excluded.loaded_at",
                {T(signer), I(version), I(host::unix_time())})
            .status();
      });
    });
  }

  HostResult<int64_t> trust_list_version(const std::string& signer) override {
    return with_conn([&](Conn& c) -> HostResult<int64_t> {
      auto r = c.exec("SELECT version FROM trust_list_versions WHERE signer=?", {T(signer)});
      if (!r.ok()) return r.error();
      if (r.value().rows.empty()) return int64_t{0};
      return r.value().rows[0][0].as_int();
    });
  }

 private:
  std::unique_ptr<db::Backend> b_;
  std::mutex gc_mu_;  // group commit: the waiting transactions and whether a leader runs
  std::vector<std::shared_ptr<Waiter>> gc_queue_;
  bool gc_leader_ = false;
  std::atomic<uint64_t> tx_committed_{0};
  std::atomic<uint64_t> commits_{0};
};

HostResult<std::unique_ptr<Registry>> open_backend(const std::string& spec, int target) {
  auto b = is_postgres_url(spec) ? db::open_postgres_backend(spec) : db::open_sqlite_backend(spec);
  if (!b.ok()) return b.error();
  std::string what = b.value()->describe();
  auto reg = std::make_unique<RegistryImpl>(b.take());
  HStatus s = reg->migrate(target);
  if (!s.ok()) return {s.code(), what + ": " + s.message()};
  return std::unique_ptr<Registry>(std::move(reg));
}

}  // namespace

HostResult<std::unique_ptr<Registry>> open_read_only(const std::string& spec) {
  if (!is_postgres_url(spec) && !host::file_exists(spec))
    return {HostError::kIo, spec + ": no such registry"};
  auto b = is_postgres_url(spec) ? db::open_postgres_backend(spec, true)
                                 : db::open_sqlite_backend(spec, true);
  if (!b.ok()) return b.error();
  std::string what = b.value()->describe();
  auto reg = std::make_unique<RegistryImpl>(b.take());
  auto v = reg->schema_version();
  if (!v.ok()) return {v.code(), what + ": " + v.message()};
  if (v.value() > latest_schema_version())
    return {HostError::kSchemaTooNew, what + ": registry schema version " +
                                          std::to_string(v.value()) + " is newer than this locus"};
  if (v.value() < latest_schema_version())
    return {HostError::kConfig, what + ": registry schema version " + std::to_string(v.value()) +
                                    " is older than " + std::to_string(latest_schema_version()) +
                                    " (open it once read-write to migrate)"};
  return std::unique_ptr<Registry>(std::move(reg));
}

HostResult<std::unique_ptr<Registry>> open(const std::string& spec) {
  return open_backend(spec, latest_schema_version());
}

HostResult<std::unique_ptr<Registry>> open_at_version(const std::string& spec, int target) {
  if (target < 0 || target > latest_schema_version())
    return {HostError::kUsage, "no such schema version"};
  return open_backend(spec, target);
}

HostResult<std::unique_ptr<Registry>> open_sqlite(const std::string& path) {
  if (is_postgres_url(path)) return {HostError::kUsage, "open_sqlite given a PostgreSQL URL"};
  return open(path);
}

HostResult<std::unique_ptr<Registry>> open_sqlite_at_version(const std::string& path, int target) {
  if (is_postgres_url(path)) return {HostError::kUsage, "open_sqlite given a PostgreSQL URL"};
  return open_at_version(path, target);
}

}  // namespace locus::registry
