// Shared by bench/verifier_load and bench/load_boards: a verifier world in a temporary
// directory and simulated boards that attest against it over HTTP.
//
// The verifier is the real `locus verifier serve` process (so its CPU time is its own, read
// from /proc/PID/stat). The boards are software stand-ins (tests/verifier/sim_device.h: DICE
// keys and certificates, real COSE_Sign1 evidence) enrolled directly in the registry; the
// landmark sessions are device-signed transcripts and landmark-signed records built with the
// location codecs for landmarks in a signed trust list (0, 3 or 6 required per site, all a few
// km from the site). TPM (tpm_hosts > 0): that many swtpm processes, each enrolled as a host
// with `locus tpm enroll-host` (EK certificate, credential activation, golden PCRs) and bound
// to one board of site "lm3"; a client attesting such a board adds a real TPM2_Quote over the
// nonce and its evidence (one swtpm per client: quotes of one host must reach the verifier in
// the order the TPM made them).
#pragma once

#include <dirent.h>
#include <httplib.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "locus/common/common.h"
#include "locus/common/keys.h"
#include "locus/crypto/hash.h"
#include "locus/location/records.h"
#include "locus/location/trustlist.h"
#include "locus/registry/registry.h"
#include "locus/tpm/esapi.h"
#include "locus/tpm/quote_json.h"
#include "locus/verifier/verifier.h"
#include "locus_test/testproc.h"
#include "sim_device.h"
#include "swtpm_harness.h"

namespace bench {

using locus::host::Bytes;
using json = nlohmann::json;
namespace crypto = locus::crypto;
namespace location = locus::location;

constexpr int kMaxLandmarks = 6;
constexpr int kRounds = 16;

inline crypto::P256PublicKey pub_of(const crypto::P256PrivateKey& k) {
  crypto::P256PublicKey p;
  (void)crypto::p256_public_key(k, &p);
  return p;
}

// The running World's directory, kept when the bench dies (its logs say why).
inline std::string& bench_dir() {
  static std::string d;
  return d;
}

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  if (!bench_dir().empty())
    std::fprintf(stderr, "bench: its files (logs, registry) are kept in %s; remove it when done\n",
                 bench_dir().c_str());
  std::exit(2);
}

inline void write_file(const std::string& p, const std::string& data) {
  std::ofstream f(p, std::ios::binary);
  f << data;
  if (!f) die("cannot write " + p);
}

// Sets the CPU affinity of every thread of process pid (0: this process) to `cpus`; false if
// any thread refused (e.g. a CPU that is not there). Threads started later inherit the mask
// of the thread that starts them.
inline bool pin_process(pid_t pid, const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  const std::string dir =
      "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  bool ok = true;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    ok = ok && sched_setaffinity(pid_t(std::atoi(e->d_name)), sizeof set, &set) == 0;
    ++n;
  }
  closedir(d);
  return ok && n > 0;
}

// CPU time (user + system, or system only) of a process, in ms.
inline double process_cpu_ms(pid_t pid, bool system_only = false) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t rp = s.rfind(')');
  if (rp == std::string::npos) return 0;
  std::vector<std::string> tok;
  size_t i = rp + 2;
  while (i < s.size() && tok.size() < 15) {
    const size_t j = s.find(' ', i);
    tok.push_back(s.substr(i, j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  if (tok.size() < 13) return 0;
  const double ticks = double(sysconf(_SC_CLK_TCK));
  const double user = system_only ? 0.0 : std::atof(tok[11].c_str());
  return (user + std::atof(tok[12].c_str())) * 1000.0 / ticks;
}

// Write system calls and bytes written by process pid so far (/proc/PID/io syscw and wchar:
// write, pwrite and writev on files and sockets; sendmsg is not counted). {0, 0} if unreadable.
struct IoCounts {
  uint64_t writes = 0;
  uint64_t bytes = 0;
};
inline IoCounts process_io(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/io");
  IoCounts c;
  std::string key;
  uint64_t v = 0;
  while (f >> key >> v) {
    if (key == "syscw:") c.writes = v;
    if (key == "wchar:") c.bytes = v;
  }
  return c;
}

// Context switches (voluntary + involuntary) of every thread of process pid so far, from
// /proc/PID/task/*/status; 0 if unreadable. Threads that have exited are not counted.
inline uint64_t process_context_switches(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  uint64_t n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/status");
    std::string line;
    while (std::getline(f, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string key = line.substr(0, colon);
      if (key == "voluntary_ctxt_switches" || key == "nonvoluntary_ctxt_switches")
        n += std::strtoull(line.c_str() + colon + 1, nullptr, 10);
    }
  }
  closedir(d);
  return n;
}

inline double self_cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0 +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
}

struct Board {
  simdev::Device dev;
  std::string ueid_hex;
  int landmarks = 0;  // the site it is enrolled in requires this many
  // The TPM of the host this board is bound to (quotes with every attestation), or null.
  std::shared_ptr<locus::tpm::Tpm> tpm;
};

const std::vector<uint32_t> kTpmPcrs = {0, 1, 7};

class World {
 public:
  // boards_per_site boards in each of the sites "lm0", "lm3", "lm6". serve = false: the
  // files, the registry and the TPM hosts only, no `locus verifier serve` (the caller builds
  // an in-process verifier from policy.toml, locus.db, ca.pem and license.key).
  World(const std::string& locus_bin, int boards_per_site,
        const std::vector<std::string>& verifier_flags, int tpm_hosts = 0, bool serve = true)
      : bin_(locus_bin) {
    if (tpm_hosts > boards_per_site) die("more TPM hosts than boards per site");
    dir_ = locus::host::test::make_temp_dir("locus-bench-");
    bench_dir() = dir_;
    ca_ = simdev::make_ca("bench-root");
    for (int i = 0; i < kMaxLandmarks; ++i) {
      const std::string id = "lm-" + std::to_string(i);
      (void)crypto::p256_derive_key(simdev::bytes_of(id), simdev::bytes_of("bench-lm"),
                                    &lm_key_[i]);
    }
    crypto::P256PrivateKey tl_key;
    (void)crypto::p256_derive_key(simdev::bytes_of("bench-tl"), simdev::bytes_of("tl"), &tl_key);
    location::TrustList tl;
    for (int i = 0; i < kMaxLandmarks; ++i) {
      location::LandmarkEntry e;
      e.id = "lm-" + std::to_string(i);
      e.lat_deg = 1.30 + 0.01 * i;
      e.lon_deg = 103.80 + 0.01 * i;
      e.key = pub_of(lm_key_[i]);
      e.operator_name = "bench";
      e.host = "127.0.0.1";
      e.tcp_port = uint16_t(7000 + i);
      e.udp_port = uint16_t(7100 + i);
      tl.landmarks.push_back(e);
    }
    std::vector<uint8_t> cose;
    auto signed_tl = location::sign_trust_list(location::trust_list_to_json(tl), tl_key, &cose);
    if (!signed_tl.ok()) die(signed_tl.message());
    write_file(path("landmarks.cose"), std::string(cose.begin(), cose.end()));
    write_file(path("tl.pub"), locus::host::public_key_to_pem(pub_of(tl_key)).value());
    write_file(path("ca.pem"), locus::host::pem_encode("CERTIFICATE", ca_.der));
    std::string out, err;
    if (locus::host::test::run_command({bin_, "provision", "init-license-key", "--key",
                                        path("license.key"), "--pub", path("license.pub")},
                                       &out, &err) != 0) {
      die("init-license-key: " + err);
    }
    // One firmware for every board (fw byte 0xA5).
    const simdev::Device probe = simdev::make_device(ca_, "probe", 0xA5, 3);
    std::string policy =
        "verifier_id = \"bench\"\nlease_s = 600\nnonce_ttl_s = "
        "120\n[hwmodel.\"locus-host-sim\"]\nfwids = [\"" +
        locus::host::hex_encode(probe.fwid) + "\"]\nmin_svn = 0\nallow_debug = true\n";
    for (int n : {0, 3, 6}) {
      policy += "[site.lm" + std::to_string(n) +
                "]\nzones = [{lat = 1.33, lon = 103.84, radius_km = 60}]\n";
      if (n > 0) {
        policy += "landmarks = [";
        for (int i = 0; i < n; ++i)
          policy += std::string(i != 0 ? ", " : "") + "\"lm-" + std::to_string(i) + "\"";
        policy += "]\nrounds = " + std::to_string(kRounds) + "\nf = 0\nmargin_km = 1\n";
      }
    }
    policy += "[location]\ntrust_list = \"landmarks.cose\"\ntrust_list_signer = \"tl.pub\"\n";
    // A quote, when presented, is appraised in full; boards without a host send none.
    policy += "[tpm]\nrequired = false\nhash = \"sha256\"\npcrs = [0, 1, 7]\n";
    write_file(path("policy.toml"), policy);
    {
      auto reg = locus::registry::open_sqlite(path("locus.db"));
      if (!reg.ok()) die(reg.message());
      for (int n : {0, 3, 6}) {
        for (int b = 0; b < boards_per_site; ++b) {
          Board bd;
          bd.dev = simdev::make_device(
              ca_, ("board-" + std::to_string(n) + "-" + std::to_string(b)).c_str(), 0xA5, 3);
          bd.ueid_hex = locus::host::hex_encode(bd.dev.ueid);
          bd.landmarks = n;
          locus::registry::Device r;
          r.ueid = bd.dev.ueid;
          r.site = "lm" + std::to_string(n);
          r.host = "h-" + std::to_string(b);
          r.hwmodel = "locus-host-sim";
          r.devid_cert = bd.dev.devid_cert;
          r.serial_hex = bd.dev.serial_hex;
          const auto s = reg.value()->add_device(r);
          if (!s.ok()) die("enroll: " + s.message());
          boards_.push_back(std::move(bd));
        }
      }
    }
    for (int h = 0; h < tpm_hosts; ++h) {
      auto t = std::make_unique<locus::tpm::test::Swtpm>();
      if (!t->start()) die("swtpm did not start");
      const std::string host = "tpm-host-" + std::to_string(h);
      const std::string ak = path("ak-" + std::to_string(h) + ".blob");
      run({bin_, "--log-level", "warn", "tpm", "enroll-host", "--tcti", t->tcti(), "--ak", ak,
           "--create-ak", "--ek-ca", t->ca_file(), "--db", path("locus.db"), "--host", host,
           "--pcrs", "0,1,7"});
      Board& b = *boards(3)[size_t(h)];
      run({bin_, "--log-level", "warn", "tpm", "bind-board", "--db", path("locus.db"), "--board",
           b.ueid_hex, "--host", host});
      b.tpm = std::make_shared<locus::tpm::Tpm>();
      if (!b.tpm->open(t->tcti()).ok() || !b.tpm->load_ak(ak).ok())
        die("cannot load the AK of " + host);
      swtpms_.push_back(std::move(t));
    }
    if (!serve) return;
    // LOCUS_BENCH_VERIFIER_WRAP: a command prefix for the verifier (space-separated), e.g.
    // "/usr/bin/valgrind --tool=callgrind --callgrind-out-file=/tmp/v.out" (a full path: the
    // program is spawned without a PATH search) to profile the server.
    std::vector<std::string> argv;
    if (const char* wrap = std::getenv("LOCUS_BENCH_VERIFIER_WRAP")) {
      std::string w = wrap;
      for (size_t i = 0; i < w.size();) {
        const size_t j = std::min(w.find(' ', i), w.size());
        if (j > i) argv.push_back(w.substr(i, j - i));
        i = j + 1;
      }
    }
    const std::vector<std::string> serve_argv = {bin_,
                                                 "--log-level",
                                                 "warn",
                                                 "verifier",
                                                 "serve",
                                                 "--policy",
                                                 path("policy.toml"),
                                                 "--db",
                                                 path("locus.db"),
                                                 "--ca",
                                                 path("ca.pem"),
                                                 "--license-key",
                                                 path("license.key"),
                                                 "--listen",
                                                 "127.0.0.1:0"};
    argv.insert(argv.end(), serve_argv.begin(), serve_argv.end());
    // Every simulated board connects from 127.0.0.1: lift the per-source caps and the rate
    // limit meant for distinct hosts.
    for (const char* f :
         {"--max-per-source", "4096", "--queue-per-source", "4096", "--rate-per-source", "0"})
      argv.push_back(f);
    argv.insert(argv.end(), verifier_flags.begin(), verifier_flags.end());
    if (!ver_.start(argv, path("verifier.log"))) die("cannot start the verifier");
    std::string line;
    if (!ver_.wait_for_line("listening on", 120000, &line))
      die("verifier not ready; see " + path("verifier.log"));
    port_ = std::atoi(line.c_str() + line.rfind(':') + 1);
  }
  ~World() {
    ver_.kill_and_wait();
    for (auto& b : boards_) b.tpm.reset();
    for (auto& t : swtpms_) t->stop();
    if (std::getenv("LOCUS_BENCH_KEEP") == nullptr) locus::host::test::remove_tree(dir_);
    bench_dir().clear();
  }

  std::string path(const std::string& n) const { return dir_ + "/" + n; }
  void run(const std::vector<std::string>& argv) const {
    std::string out, err;
    if (locus::host::test::run_command(argv, &out, &err) != 0) die(argv[4] + ": " + err);
  }
  int port() const { return port_; }
  pid_t verifier_pid() const { return ver_.pid(); }
  std::vector<Board*> boards(int landmarks) {
    std::vector<Board*> out;
    for (auto& b : boards_)
      if (b.landmarks == landmarks) out.push_back(&b);
    return out;
  }

  // One landmark session for board b bound to nonce: device transcript + landmark record.
  json landmark_pair(const Board& b, int lm, const Bytes& nonce) const {
    location::Transcript t;
    t.session_id.assign(16, uint8_t(lm + 1));
    Bytes lmn(16);
    if (!locus::host::os_random(lmn.data(), lmn.size())) die("randomness");
    t.lm_nonce = lmn;
    t.verifier_nonce = nonce;
    crypto::P256PrivateKey e1, e2;
    (void)crypto::p256_derive_key(simdev::bytes_of("eph-lm"), t.lm_nonce, &e1);
    (void)crypto::p256_derive_key(simdev::bytes_of("eph-dev"), t.lm_nonce, &e2);
    const auto p1 = pub_of(e1), p2 = pub_of(e2);
    t.lm_eph_pub.assign(p1.q.begin(), p1.q.end());
    t.dev_eph_pub.assign(p2.q.begin(), p2.q.end());
    t.ueid = b.dev.ueid;
    for (uint64_t r = 0; r < uint64_t(kRounds); r++) {
      location::Transcript::Round tr;
      tr.round = r;
      tr.challenge.fill(uint8_t(r));
      tr.answer.fill(uint8_t(0x80 + r));
      t.rounds.push_back(tr);
    }
    std::vector<uint8_t> tcose, rcose;
    if (!location::sign_cose(b.dev.alias_key, location::encode_transcript(t), locus::ByteSpan(),
                             {b.dev.alias_cert}, &tcose)
             .ok()) {
      die("transcript signing");
    }
    location::LandmarkRecord rec;
    rec.landmark_id = "lm-" + std::to_string(lm);
    rec.ueid = b.dev.ueid;
    rec.verifier_nonce = nonce;
    crypto::Digest h{};
    (void)crypto::sha256(tcose, &h);
    rec.transcript_hash.assign(h.begin(), h.end());
    rec.lm_nonce = t.lm_nonce;
    rec.rtt_min_ns = 20000;  // 3 km
    rec.rounds = uint64_t(kRounds);
    const std::string id = rec.landmark_id;
    if (!location::sign_cose(
             lm_key_[lm], location::encode_record(rec),
             locus::ByteSpan(reinterpret_cast<const uint8_t*>(id.data()), id.size()), {}, &rcose)
             .ok()) {
      die("record signing");
    }
    return json{{"record", locus::host::b64_encode(rcose)},
                {"transcript", locus::host::b64_encode(tcose)}};
  }

 private:
  std::string bin_, dir_;
  simdev::Ca ca_;
  crypto::P256PrivateKey lm_key_[kMaxLandmarks];
  std::vector<Board> boards_;
  locus::host::test::Process ver_;
  std::vector<std::unique_ptr<locus::tpm::test::Swtpm>> swtpms_;
  int port_ = 0;
};

// What one client thread saw.
struct ClientStats {
  uint64_t affirming = 0, refused = 0, errors = 0;
  std::vector<double> ms;  // per decision: POST /v1/nonce + building the bundle + POST /v1/attest
};

// The POST /v1/attest body a board's agent sends for a nonce (nonce_b64 as the verifier
// sent it): the board's evidence, one landmark pair per required landmark and, when the
// board has a TPM host, a quote. False when the quote failed.
inline bool attest_body(const World& w, const Board& b, const std::string& nonce_b64,
                        const Bytes& nonce, std::string* out) {
  const Bytes ev = simdev::evidence(b.dev, nonce);
  json body = {
      {"ueid", b.ueid_hex}, {"nonce", nonce_b64}, {"evidence", locus::host::b64_encode(ev)}};
  if (b.tpm) {
    auto q = b.tpm->quote_evidence(nonce, ev, kTpmPcrs);
    if (!q.ok()) {
      return false;
    }
    body["tpm"] = json::parse(locus::tpm::quote_to_json(q.value()));
  }
  json lr = json::array();
  for (int i = 0; i < b.landmarks; ++i) lr.push_back(w.landmark_pair(b, i, nonce));
  body["landmark_records"] = lr;
  *out = body.dump();
  return true;
}

// One board's attestation loop until `until` (steady clock) or max_decisions; one keep-alive
// connection per client.
inline void client_loop(const World& w, const std::vector<Board*>& boards,
                        std::chrono::steady_clock::time_point until, uint64_t max_decisions,
                        ClientStats* st) {
  httplib::Client cli("127.0.0.1", w.port());
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);
  cli.set_read_timeout(30, 0);
  size_t k = 0;
  for (uint64_t n = 0; n < max_decisions && std::chrono::steady_clock::now() < until; ++n) {
    const Board& b = *boards[k++ % boards.size()];
    const auto t0 = std::chrono::steady_clock::now();
    auto nr = cli.Post("/v1/nonce", json{{"ueid", b.ueid_hex}}.dump(), "application/json");
    if (!nr || nr->status != 200) {
      ++st->errors;
      continue;
    }
    const json nj = json::parse(nr->body, nullptr, false);
    auto nonce = locus::host::b64_decode(nj.value("nonce", std::string()));
    if (!nonce.ok()) {
      ++st->errors;
      continue;
    }
    std::string body;
    if (!attest_body(w, b, nj.value("nonce", std::string()), nonce.value(), &body)) {
      ++st->errors;
      continue;
    }
    auto ar = cli.Post("/v1/attest", body, "application/json");
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!ar || ar->status != 200) {
      ++st->errors;
      continue;
    }
    const json aj = json::parse(ar->body, nullptr, false);
    st->ms.push_back(ms);
    if (aj.is_object() && aj.contains("license") && aj["license"].is_string()) {
      ++st->affirming;
    } else {
      ++st->refused;
    }
  }
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

}  // namespace bench
