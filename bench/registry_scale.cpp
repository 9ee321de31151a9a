// registry_scale: verifier appraisals per second and CPU per decision as the registry grows,
// on SQLite and on PostgreSQL (a server this program starts itself, as the tests do).
//
// For each backend: a fresh registry; filler rows written with bulk SQL (retained nonces:
// issued, unexpired, belonging to filler boards; enrolled boards: filler devices); then
// kMeasured full appraisals of real boards (sim_device.h: DICE certificates, signed EAT),
// each = issue_nonce + attest with every check and the commit (nonce consumed, counter,
// decision row, audit record, all fsync'd: synchronous=FULL / synchronous_commit=on).
// Only the verifier calls are timed; the boards' evidence signing is not.
//   wall ms/decision, appraisals/s   single thread, one after the other
//   cpu ms/decision                  this process (CLOCK_PROCESS_CPUTIME_ID); PostgreSQL's
//                                    server CPU is not included (another process)
// Usage: registry_scale [--quick] [--sqlite-only | --postgresql-only]
//        (--quick: 1k / 10k / 100k nonces, 1k / 10k boards)
//
// Then, per backend, the fleet page (GET /fleet's render_fleet_page, its first page of 1,000
// boards) over the 100k boards of the second registry, and over the 1k boards as the decision
// history grows to 10k and 1M rows (--quick: 100k): wall ms per render, median of 5. It reads
// the page's boards and each one's newest decision through the decisions_ueid index, so it
// should stay flat in both; it used to read every board and the whole decision table.
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "locus/audit/audit.h"
#include "locus/registry/registry.h"
#include "locus/verifier/fleet_page.h"
#include "locus/verifier/policy.h"
#include "locus/verifier/verifier.h"
#include "locus_test/testproc.h"
#include "pg_server.h"
#include "sim_device.h"

using namespace locus;

namespace {

constexpr int kBoards = 8;
constexpr int kMeasured = 200;

double now_ms(clockid_t c) {
  timespec ts{};
  clock_gettime(c, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Fixture {
  simdev::Ca ca;
  std::vector<simdev::Device> devs;
  verifier::VerifierKeys keys;
};

std::string policy_text(const Fixture& f) {
  return "verifier_id = \"bench\"\nlease_s = 600\nnonce_ttl_s = 120\n"
         "[hwmodel.\"locus-host-sim\"]\nfwids = [\"" +
         host::hex_encode(f.devs[0].fwid) +
         "\"]\nmin_svn = 2\nallow_debug = true\n"
         "[site.sg-1]\nzones = [{lat = 1.35, lon = 103.82, radius_km = 40}]\n";
}

// Bulk filler rows through the backend's own SQL (fast; not through the registry API).
struct Filler {
  std::string spec;
  pgtest::Server* pg = nullptr;
  bool exec(const std::string& sql_sqlite, const std::string& sql_pg) {
    if (pg != nullptr) return pg->exec(spec.substr(spec.rfind('/') + 1), sql_pg);
    sqlite3* db = nullptr;
    sqlite3_open(spec.c_str(), &db);
    sqlite3_busy_timeout(db, 10000);
    char* e = nullptr;
    bool ok = sqlite3_exec(db, sql_sqlite.c_str(), nullptr, nullptr, &e) == SQLITE_OK;
    if (!ok) std::fprintf(stderr, "fill: %s\n", e != nullptr ? e : "?");
    sqlite3_free(e);
    sqlite3_close(db);
    return ok;
  }
  // Filler boards 1..n (UEID 0x02 || counter, never a real board's 0x01 prefix). SQLite's ||
  // makes text of two blobs: the CAST keeps the UEID a BLOB, as the registry binds it (a
  // text UEID sorts before every blob and so fell outside the fleet page's UEID pages).
  bool boards(long from, long to) {
    std::string s = std::to_string(from), t = std::to_string(to);
    return exec(
        "WITH RECURSIVE c(i) AS (SELECT " + s + " UNION ALL SELECT i+1 FROM c WHERE i<" + t +
            ") INSERT INTO devices(ueid,site,host,hwmodel,devid_cert,serial,enrolled_at,state)"
            " SELECT CAST(X'02' || randomblob(32) AS "
            "BLOB),'sg-1','filler','locus-host-sim',X'3000',"
            "printf('f%d',i),0,2 FROM c",
        "INSERT INTO devices(ueid,site,host,hwmodel,devid_cert,serial,enrolled_at,state)"
        " SELECT '\\x02'::bytea || decode(md5(i::text) || md5((i+1)::text),'hex'),'sg-1',"
        "'filler','locus-host-sim','\\x3000'::bytea,'f' || i,0,2 FROM generate_series(" +
            s + "," + t + ") i");
  }
  // Decision history: `per_board` filler decisions for every board in the table (~3 KB of
  // JSON each, as a 3-landmark decision).
  bool decisions(long per_board) {
    const std::string k = std::to_string(per_board);
    const std::string body = "'{\"filler\":\"" + std::string(3000, 'x') + "\"}'";
    return exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<" + k +
                    ") INSERT INTO decisions(time,ueid,status,json) SELECT c.i, d.ueid,"
                    " 'contraindicated', " +
                    body + " FROM c CROSS JOIN devices d",
                "INSERT INTO decisions(time,ueid,status,json) SELECT i, d.ueid,"
                " 'contraindicated', " +
                    body + " FROM generate_series(1," + k + ") i CROSS JOIN devices d");
  }
  // Retained nonces: unused, expiring in an hour, spread over filler UEIDs and 1,000 filler
  // source addresses (at most 1,000 per address: below the per-source cap).
  bool nonces(long from, long to, int64_t expires) {
    std::string s = std::to_string(from), t = std::to_string(to), x = std::to_string(expires);
    return exec("WITH RECURSIVE c(i) AS (SELECT " + s + " UNION ALL SELECT i+1 FROM c WHERE i<" +
                    t +
                    ") INSERT INTO nonces(nonce,ueid,expires_at,used,issued_us,source) SELECT"
                    " randomblob(32), CAST(X'02' || randomblob(32) AS BLOB)," +
                    x + ",0,i,'filler-' || (i % 1000) FROM c",
                "INSERT INTO nonces(nonce,ueid,expires_at,used,issued_us,source) SELECT"
                " decode(md5('n' || i) || md5('m' || i),'hex'),"
                " '\\x02'::bytea || decode(md5(i::text) || md5((i+1)::text),'hex')," +
                    x + ",0,i,'filler-' || (i % 1000) FROM generate_series(" + s + "," + t + ") i");
  }
};

struct Row {
  double wall_ms = 0, cpu_ms = 0;
  int refused = 0;
};

// kMeasured appraisals of the fixture's real boards against a verifier on `spec`.
Row measure(const Fixture& f, const std::string& spec, const std::string& dir, int round) {
  Row row;
  auto reg = registry::open(spec);
  if (!reg.ok()) {
    std::fprintf(stderr, "registry: %s\n", reg.message().c_str());
    row.refused = -1;
    return row;
  }
  audit::AuditLog log(dir + "/audit-" + std::to_string(round) + ".jsonl", reg.value().get());
  auto p = verifier::parse_policy(policy_text(f), "bench.toml");
  auto v = verifier::Verifier::create(p.take(), reg.value().get(), &log, f.keys);
  if (!v.ok()) {
    row.refused = -1;
    return row;
  }
  for (int i = 0; i < kMeasured; i++) {
    const simdev::Device& d = f.devs[static_cast<size_t>(i % kBoards)];
    double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    auto n = v.value()->issue_nonce(d.ueid);
    double w1 = now_ms(CLOCK_MONOTONIC), c1 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    if (!n.ok()) {
      row.refused++;
      continue;
    }
    verifier::AttestRequest req;
    req.ueid = d.ueid;
    req.nonce = n.value().nonce;
    req.evidence = simdev::evidence(d, req.nonce);  // the board's work: not timed
    double w2 = now_ms(CLOCK_MONOTONIC), c2 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    auto r = v.value()->attest(req);
    double w3 = now_ms(CLOCK_MONOTONIC), c3 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    if (!r.affirming) row.refused++;
    row.wall_ms += (w1 - w0) + (w3 - w2);
    row.cpu_ms += (c1 - c0) + (c3 - c2);
  }
  row.wall_ms /= kMeasured;
  row.cpu_ms /= kMeasured;
  return row;
}

// Wall ms of one fleet page render (median of 5) against a verifier on `spec`; -1 on failure.
double fleet_ms(const Fixture& f, const std::string& spec, const std::string& dir) {
  auto reg = registry::open(spec);
  if (!reg.ok()) return -1;
  audit::AuditLog log(dir + "/audit-fleet.jsonl", reg.value().get());
  auto p = verifier::parse_policy(policy_text(f), "bench.toml");
  auto v = verifier::Verifier::create(p.take(), reg.value().get(), &log, f.keys);
  if (!v.ok()) return -1;
  std::vector<double> ms;
  for (int i = 0; i < 5; i++) {
    const double t0 = now_ms(CLOCK_MONOTONIC);
    auto page = verifier::render_fleet_page(*v.value());
    if (!page.ok()) return -1;
    ms.push_back(now_ms(CLOCK_MONOTONIC) - t0);
  }
  std::sort(ms.begin(), ms.end());
  return ms[2];
}

void print_row(const char* backend, long boards, long nonces, const Row& r) {
  if (r.refused < 0) {
    std::printf("| %-10s | %9ld | %9ld | (failed) |\n", backend, boards, nonces);
    return;
  }
  std::printf("| %-10s | %9ld | %9ld | %12.1f | %13.2f | %12.2f | %7d |\n", backend, boards, nonces,
              r.wall_ms > 0 ? 1000.0 / r.wall_ms : 0.0, r.wall_ms, r.cpu_ms, r.refused);
  std::fflush(stdout);
}

struct FleetRow {
  std::string backend;
  long boards = 0;
  long decisions = 0;  // -1: only the appraisals the rows above made
  double ms = 0;
};

void run_backend(const Fixture& f, const char* name, const std::string& spec_a,
                 const std::string& spec_b, pgtest::Server* pg, const std::string& dir,
                 const std::vector<long>& nonce_steps, long many_boards,
                 const std::vector<long>& history_steps, std::vector<FleetRow>* fleet_rows) {
  int64_t exp = host::unix_time() + 3600;
  // A: 1k boards, growing retained nonces.
  {
    auto reg = registry::open(spec_a);
    if (!reg.ok()) return;
    for (const auto& d : f.devs) {
      registry::Device r;
      r.ueid = d.ueid;
      r.site = "sg-1";
      r.host = "h1";
      r.hwmodel = "locus-host-sim";
      r.devid_cert = d.devid_cert;
      r.serial_hex = d.serial_hex;
      (void)reg.value()->add_device(r);
    }
  }
  Filler fa{spec_a, pg};
  fa.boards(1, 1000 - kBoards);
  long have = 0;
  int round = 0;
  for (long target : nonce_steps) {
    fa.nonces(have + 1, target, exp);
    have = target;
    print_row(name, 1000, target, measure(f, spec_a, dir, round++));
  }
  // B: many boards, 1k retained nonces.
  {
    auto reg = registry::open(spec_b);
    if (!reg.ok()) return;
    for (const auto& d : f.devs) {
      registry::Device r;
      r.ueid = d.ueid;
      r.site = "sg-1";
      r.host = "h1";
      r.hwmodel = "locus-host-sim";
      r.devid_cert = d.devid_cert;
      r.serial_hex = d.serial_hex;
      (void)reg.value()->add_device(r);
    }
  }
  Filler fb{spec_b, pg};
  fb.boards(1, many_boards - kBoards);
  fb.nonces(1, 1000, exp);
  print_row(name, many_boards, 1000, measure(f, spec_b, dir, round++));
  // The fleet page's first page (1,000 boards) of registry B's many boards: pages keep the
  // render the size of the page, not of the fleet.
  fleet_rows->push_back({name, many_boards, -1, fleet_ms(f, spec_b, dir)});
  // The fleet page over registry A's 1k boards as their decision history grows.
  long rows = 0;
  for (long per_board : history_steps) {
    if (!fa.decisions(per_board - rows / 1000)) return;
    rows = per_board * 1000;
    fleet_rows->push_back({name, 1000, rows, fleet_ms(f, spec_a, dir)});
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, sqlite_only = false, pg_only = false;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--quick") == 0)
      quick = true;
    else if (std::strcmp(argv[i], "--sqlite-only") == 0)
      sqlite_only = true;
    else if (std::strcmp(argv[i], "--postgresql-only") == 0)
      pg_only = true;
    else {
      std::fprintf(stderr, "usage: registry_scale [--quick] [--sqlite-only | --postgresql-only]\n");
      return 2;
    }
  }
  Fixture f;
  f.ca = simdev::make_ca("bench-root");
  for (int i = 0; i < kBoards; i++)
    f.devs.push_back(simdev::make_device(f.ca, ("bench-" + std::to_string(i)).c_str(), 0xA5, 3));
  f.keys.root = certs::parse_cert(f.ca.der).value();
  (void)crypto::p256_derive_key(simdev::bytes_of("license"), simdev::bytes_of("lk"),
                                &f.keys.license_key);
  std::string dir = host::test::make_temp_dir("locus-registry-scale-");
  std::vector<long> steps =
      quick ? std::vector<long>{1000, 10000, 100000} : std::vector<long>{1000, 100000, 1000000};
  long many = quick ? 10000 : 100000;
  // Decisions per board of the 1k boards: 10k and 1M (quick: 100k) rows of history.
  const std::vector<long> history =
      quick ? std::vector<long>{10, 100} : std::vector<long>{10, 1000};
  std::vector<FleetRow> fleet;
  host::set_log_level(host::LogLevel::kError);
  std::printf(
      "registry_scale: %d appraisals per row (issue_nonce + attest, single thread), "
      "%d real boards; temp dir %s\n\n",
      kMeasured, kBoards, dir.c_str());
  std::printf(
      "| backend    |    boards |    nonces | appraisals/s | wall ms/dec. | cpu ms/dec. | "
      "refused |\n|---|---:|---:|---:|---:|---:|---:|\n");
  if (!pg_only)
    run_backend(f, "sqlite", dir + "/a.db", dir + "/b.db", nullptr, dir, steps, many, history,
                &fleet);
  if (!sqlite_only) {
    pgtest::Server pg;
    std::string why;
    if (!pg.start(&why)) {
      std::printf("| postgresql | (not run: %s) |\n", why.c_str());
    } else {
      run_backend(f, "postgresql", pg.create_db("scale_a"), pg.create_db("scale_b"), &pg, dir,
                  steps, many, history, &fleet);
      pg.stop();
    }
  }
  std::printf(
      "\nfleet page (GET /fleet), its first page of 1,000 boards, median of 5 renders\n\n"
      "| backend    |    boards | decisions | ms/render |\n|---|---:|---:|---:|\n");
  for (const FleetRow& r : fleet)
    std::printf("| %-10s | %9ld | %9s | %9.1f |\n", r.backend.c_str(), r.boards,
                r.decisions < 0 ? "few" : std::to_string(r.decisions).c_str(), r.ms);
  host::test::remove_tree(dir);
  return 0;
}
