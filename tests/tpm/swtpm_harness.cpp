#include "swtpm_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <vector>

extern char** environ;

namespace locus::tpm::test {

namespace {

// The swtpm processes this process started and has not stopped yet. At exit the rest are
// stopped, so that a caller ending through exit() (a bench's die(), a failed set-up) leaves
// no swtpm behind. Never destroyed: a Swtpm with static storage may stop after it.
struct Live {
  std::mutex mu;
  std::set<pid_t> pids;
};

void stop_all_live();

Live& live() {
  static Live* const l = [] {
    auto* x = new Live;  // NOLINT(cppcoreguidelines-owning-memory): outlives every Swtpm
    (void)std::atexit(stop_all_live);
    return x;
  }();
  return *l;
}

void stop_all_live() {
  Live& l = live();
  std::lock_guard<std::mutex> g(l.mu);
  for (pid_t p : l.pids) {
    kill(p, SIGTERM);
    waitpid(p, nullptr, 0);
  }
  l.pids.clear();
}

void track(pid_t p) {
  Live& l = live();
  std::lock_guard<std::mutex> g(l.mu);
  l.pids.insert(p);
}

// True if p is still this process's to stop (the exit handler has not reaped it).
bool untrack(pid_t p) {
  Live& l = live();
  std::lock_guard<std::mutex> g(l.mu);
  return l.pids.erase(p) == 1;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  return static_cast<bool>(f);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Asks the kernel for a free port P such that P+1 is free as well (swtpm's control port).
// Binds a probe socket to 127.0.0.1:port with SO_REUSEADDR, as swtpm binds its own sockets;
// true if it could.
bool can_bind(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return false;
  const int one = 1;
  (void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(s);
  return ok;
}

// Two adjacent free loopback ports (swtpm's server and control port), or 0. They are drawn
// outside the kernel's ephemeral range (net.ipv4.ip_local_port_range; below it, or above it
// when a widened range leaves no room below), where no client connection takes its local
// port: right after a load run, tens of thousands of ephemeral ports sit in TIME_WAIT for a
// minute, and a port next to a kernel-chosen one was then almost never bindable (0 of 200
// pairs with 20,000 connections in TIME_WAIT, 200 of 200 below the range:
// scripts/time_wait_ports.py 20000). With no room outside the range at all, adjacent ports
// inside it are tried.
int free_port_pair() {
  int lo = 32768, hi = 60999;
  {
    std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
    int a = 0, b = 0;
    if (f >> a >> b && a > 0 && b >= a) {
      lo = a;
      hi = b;
    }
  }
  int first = 10000, last = lo - 2;  // port and port + 1 both below the ephemeral range
  if (last - first < 1000) {
    first = std::max(hi + 1, 1024);  // above it
    last = 65534;
  }
  if (last - first < 1000) {
    first = 1024;  // nothing outside: anywhere
    last = 65534;
  }
  static std::mutex mu;
  static std::mt19937 rng{std::random_device{}()};
  for (int attempt = 0; attempt < 64; ++attempt) {
    int port = 0;
    {
      std::lock_guard<std::mutex> g(mu);
      port = std::uniform_int_distribution<int>(first, last)(rng);
    }
    if (can_bind(port) && can_bind(port + 1)) return port;
  }
  return 0;
}

bool can_connect(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(s);
  return ok;
}

pid_t spawn(const char* const* argv, const std::string& log_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log_path.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

}  // namespace

int run_command(const char* const* argv, const std::string& log_path) {
  pid_t pid = spawn(argv, log_path);
  if (pid < 0) return -1;
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Swtpm::~Swtpm() {
  stop();
}

std::string Swtpm::tcti() const {
  return "swtpm:host=127.0.0.1,port=" + std::to_string(port_);
}

bool Swtpm::start() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string((tmp != nullptr) && (*tmp != 0) ? tmp : "/tmp") + "/locus-swtpm.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return false;
  dir_ = buf.data();
  const std::string ca = dir_ + "/ca";
  const std::string state = dir_ + "/state";
  if (mkdir(ca.c_str(), 0700) != 0 || mkdir(state.c_str(), 0700) != 0) return false;
  // swtpm_localca with its own state: never the system-wide /var/lib/swtpm-localca.
  bool ok =
      write_file(dir_ + "/localca.conf",
                 "statedir = " + ca + "\nsigningkey = " + ca + "/signkey.pem\nissuercert = " + ca +
                     "/issuercert.pem\ncertserial = " + ca + "/certserial\n") &&
      write_file(
          dir_ + "/localca.options",
          "--platform-manufacturer locus-test\n--platform-version 2.1\n--platform-model swtpm\n") &&
      write_file(dir_ + "/swtpm_setup.conf",
                 "create_certs_tool = /usr/bin/swtpm_localca\n"
                 "create_certs_tool_config = " +
                     dir_ +
                     "/localca.conf\n"
                     "create_certs_tool_options = " +
                     dir_ +
                     "/localca.options\n"
                     "active_pcr_banks = sha256\n");
  if (!ok) return false;
  const std::string conf = dir_ + "/swtpm_setup.conf";
  const char* setup[] = {"swtpm_setup",      "--tpm2",   "--tpmstate", state.c_str(),
                         "--create-ek-cert", "--config", conf.c_str(), nullptr};
  if (run_command(setup, dir_ + "/setup.log") != 0) {
    std::fprintf(stderr, "swtpm_setup failed, see %s/setup.log\n", dir_.c_str());
    return false;
  }
  ca_file_ = dir_ + "/tpm-ca.pem";
  if (!write_file(ca_file_, read_file(ca + "/issuercert.pem") +
                                read_file(ca + "/swtpm-localca-rootca-cert.pem"))) {
    return false;
  }
  return launch();
}

bool Swtpm::launch() {
  const std::string state = "dir=" + dir_ + "/state";
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port_pair();
    if (port_ == 0) {
      std::fprintf(stderr,
                   "swtpm attempt %d: no free pair of adjacent loopback ports in 64 tries\n",
                   attempt + 1);
      continue;
    }
    const std::string server = "type=tcp,port=" + std::to_string(port_) + ",bindaddr=127.0.0.1";
    const std::string ctrl = "type=tcp,port=" + std::to_string(port_ + 1) + ",bindaddr=127.0.0.1";
    const char* argv[] = {"swtpm",
                          "socket",
                          "--tpm2",
                          "--server",
                          server.c_str(),
                          "--ctrl",
                          ctrl.c_str(),
                          "--tpmstate",
                          state.c_str(),
                          "--flags",
                          "not-need-init,startup-clear",
                          nullptr};
    pid_ = spawn(argv, dir_ + "/swtpm.log");
    if (pid_ < 0) return false;
    track(pid_);
    // Readiness: the server port accepts a connection (bounded: 10 s), or swtpm exited
    // (port taken between our probe and its bind: try other ports).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        exited = true;
        break;
      }
      if (can_connect(port_) && can_connect(port_ + 1)) return true;
      poll(nullptr, 0, 20);  // back-off between connection attempts
    }
    if (untrack(pid_) && !exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::fprintf(stderr, "swtpm attempt %d on ports %d/%d: %s\n", attempt + 1, port_, port_ + 1,
                 exited ? "exited" : "not accepting after 10 s, killed");
    pid_ = -1;
  }
  // The log goes with the folder when the caller stops: its end, here, says why.
  std::string log = read_file(dir_ + "/swtpm.log");
  if (log.size() > 2000) log = log.substr(log.size() - 2000);
  std::fprintf(stderr, "swtpm did not start, see %s/swtpm.log:\n%s\n", dir_.c_str(), log.c_str());
  return false;
}

bool Swtpm::restart() {
  if (pid_ > 0 && untrack(pid_)) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  return launch();
}

void Swtpm::stop() {
  if (pid_ > 0 && untrack(pid_)) {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  pid_ = -1;
  if (!dir_.empty() && std::getenv("LOCUS_KEEP_TMP") == nullptr) {
    const char* rm[] = {"rm", "-rf", "--", dir_.c_str(), nullptr};
    (void)run_command(rm, "");
  }
  dir_.clear();
}

}  // namespace locus::tpm::test
