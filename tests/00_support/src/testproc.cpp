// Test process helpers: free ports, spawn with a readiness line, kill by PID.
#include "locus_test/testproc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

extern char** environ;

namespace locus::host::test {

static int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int free_port(bool udp) {
  int fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// Children started through Process and not yet reaped. A test that fails part-way (cmocka
// jumps out of it, so no destructor runs) or a helper that leaks its Process would leave its
// servers running after the test program ends: at exit, whatever is still here is killed
// and reaped.
static std::mutex g_live_mu;
static std::set<pid_t>* g_live = nullptr;  // never destroyed: used from the atexit handler
static pid_t g_live_owner = -1;            // a fork()ed copy that calls exit() kills nothing

static void kill_live_children() {
  std::lock_guard<std::mutex> g(g_live_mu);
  if (g_live == nullptr || ::getpid() != g_live_owner) return;
  for (pid_t p : *g_live) ::kill(p, SIGKILL);
  for (pid_t p : *g_live) {
    int st = 0;
    (void)::waitpid(p, &st, 0);
  }
  g_live->clear();
}

static void track_child(pid_t pid, bool live) {
  std::lock_guard<std::mutex> g(g_live_mu);
  if (g_live == nullptr) {
    g_live = new std::set<pid_t>();  // NOLINT(cppcoreguidelines-owning-memory): see above
    g_live_owner = ::getpid();
    (void)std::atexit(kill_live_children);
  }
  if (live)
    g_live->insert(pid);
  else
    g_live->erase(pid);
}

static std::vector<char*> cvec(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

static std::vector<std::string> env_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; e++) env.emplace_back(*e);
  for (auto& x : extra) env.push_back(x);
  return env;
}

Process::~Process() {
  if (pid_ > 0) (void)kill_and_wait(SIGKILL, 2000);
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool Process::start(const std::vector<std::string>& argv, const std::string& stderr_path,
                    const std::vector<std::string>& env_extra) {
  return spawn(argv, stderr_path, false, env_extra);
}

bool Process::start_merged(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env_extra) {
  return spawn(argv, "", true, env_extra);
}

bool Process::spawn(const std::vector<std::string>& argv, const std::string& stderr_path,
                    bool merge, const std::vector<std::string>& env_extra) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  if (merge)
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  else if (!stderr_path.empty())
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
  auto av = cvec(argv);
  auto envs = env_with(env_extra);
  auto ev = cvec(envs);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, av.data(), ev.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(p[1]);
  if (rc != 0) {
    ::close(p[0]);
    return false;
  }
  pid_ = pid;
  out_fd_ = p[0];
  track_child(pid, true);
  return true;
}

// 1: read some bytes; 0: nothing within timeout_ms; -1: the child closed the pipe (or error).
int Process::read_some(int timeout_ms) {
  if (out_fd_ < 0) return -1;
  pollfd pfd{out_fd_, POLLIN, 0};
  if (::poll(&pfd, 1, timeout_ms) <= 0) return 0;
  char b[4096];
  const ssize_t n = ::read(out_fd_, b, sizeof b);
  if (n <= 0) return -1;
  buf_.append(b, static_cast<size_t>(n));
  transcript_.append(b, static_cast<size_t>(n));
  return 1;
}

bool Process::wait_for_line(const std::string& needle, int timeout_ms, std::string* line) {
  const int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    size_t nl = 0;
    while ((nl = buf_.find('\n')) != std::string::npos) {
      std::string l = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (l.find(needle) != std::string::npos) {
        if (line != nullptr) *line = l;
        return true;
      }
    }
    const int64_t left = deadline - now_ms();
    if (left <= 0 || read_some(static_cast<int>(left)) < 0) return false;
  }
}

void Process::drain(int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  for (int64_t left = timeout_ms; left > 0; left = deadline - now_ms())
    if (read_some(static_cast<int>(left)) <= 0) return;
}

int Process::wait_exit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      track_child(pid_, false);
      pid_ = -1;
      return st;
    }
    if (now_ms() > deadline) return -1;
    ::usleep(10000);  // polling a child's exit, bounded by the deadline
  }
}

int Process::kill_and_wait(int sig, int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  int st = wait_exit(timeout_ms);
  if (st == -1 && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    st = wait_exit(2000);
  }
  return st;
}

int run_command(const std::vector<std::string>& argv, std::string* out, std::string* err,
                int timeout_ms, const std::string& stdin_data) {
  int po[2], pe[2], pi[2];
  if (::pipe2(po, O_CLOEXEC) != 0 || ::pipe2(pe, O_CLOEXEC) != 0 || ::pipe2(pi, O_CLOEXEC) != 0)
    return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  posix_spawn_file_actions_adddup2(&fa, pi[0], 0);
  auto av = cvec(argv);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, av.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(po[1]);
  ::close(pe[1]);
  ::close(pi[0]);
  if (rc != 0) {
    ::close(po[0]);
    ::close(pe[0]);
    ::close(pi[1]);
    return -1;
  }
  if (!stdin_data.empty()) {
    ssize_t w = ::write(pi[1], stdin_data.data(), stdin_data.size());
    (void)w;
  }
  ::close(pi[1]);
  std::string o, e;
  int64_t deadline = now_ms() + timeout_ms;
  bool oo = true, eo = true;
  while ((oo || eo) && now_ms() < deadline) {
    pollfd p[2] = {{oo ? po[0] : -1, POLLIN, 0}, {eo ? pe[0] : -1, POLLIN, 0}};
    int r = ::poll(p, 2, 100);
    if (r <= 0) continue;
    char b[4096];
    if (oo && (p[0].revents & (POLLIN | POLLHUP)) != 0) {
      ssize_t n = ::read(po[0], b, sizeof b);
      if (n <= 0)
        oo = false;
      else
        o.append(b, static_cast<size_t>(n));
    }
    if (eo && (p[1].revents & (POLLIN | POLLHUP)) != 0) {
      ssize_t n = ::read(pe[0], b, sizeof b);
      if (n <= 0)
        eo = false;
      else
        e.append(b, static_cast<size_t>(n));
    }
  }
  ::close(po[0]);
  ::close(pe[0]);
  int st = 0;
  bool timed_out = oo || eo;
  if (timed_out) ::kill(pid, SIGKILL);
  ::waitpid(pid, &st, 0);
  if (out != nullptr) *out = o;
  if (err != nullptr) *err = e;
  if (timed_out) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string make_temp_dir(const std::string& prefix) {
  const char* t = std::getenv("TMPDIR");
  std::string tmpl = std::string(t != nullptr && *t != '\0' ? t : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> b(tmpl.begin(), tmpl.end());
  b.push_back(0);
  if (::mkdtemp(b.data()) == nullptr) return "";
  return std::string(b.data());
}

static int rm_cb(const char* p, const struct stat*, int, struct FTW*) {
  return ::remove(p);
}

void remove_tree(const std::string& path) {
  if (path.empty() || path == "/") return;
  ::nftw(path.c_str(), rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace locus::host::test
