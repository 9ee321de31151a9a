#include "qemu_board.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"

namespace locus::qemutest {

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::vector<uint8_t> null_body() {
  return {0xF6};
}

bool get_status(QemuBoard& b, protocol::StatusInfo* out, int timeout_ms) {
  Reply r;
  if (!b.request(protocol::kMsgGetStatus, null_body(), &r, timeout_ms)) return false;
  if (r.type != protocol::response_type(protocol::kMsgGetStatus)) return false;
  protocol::StatusResponse s;
  if (!protocol::decode_body(ByteSpan(r.body.data(), r.body.size()), &s).ok()) return false;
  *out = s.status;
  return true;
}

bool derive_key(const char* seed, crypto::P256PrivateKey* k, crypto::P256PublicKey* pub) {
  return crypto::p256_derive_key(ByteSpan(reinterpret_cast<const uint8_t*>(seed), strlen(seed)),
                                 ByteSpan(reinterpret_cast<const uint8_t*>("qemu-test"), 9), k)
             .ok() &&
         crypto::p256_public_key(*k, pub).ok();
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(f, stat);
  const size_t close_paren = stat.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < stat.size() &&
         stat[close_paren + 2] != 'Z';
}

QemuBoard::~QemuBoard() {
  stop();
}

bool write_uds(const std::string& dir, const uint8_t uds[32]) {
  FILE* f = fopen((dir + "/uds.bin").c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = fwrite(uds, 1, 32, f) == 32;
  return fclose(f) == 0 && ok;
}

bool copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!in || !out) return false;
  out << in.rdbuf();
  out.flush();
  return static_cast<bool>(out);
}

std::string make_temp_dir(const char* tag) {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/locus-" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return "";
  return std::string(buf.data());
}

void remove_dir(const std::string& dir) {
  if (dir.empty()) return;
  DIR* d = opendir(dir.c_str());
  if (d != nullptr) {
    for (int i = 0; i < 256; ++i) {
      dirent* e = readdir(d);
      if (e == nullptr) break;
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      unlink((dir + "/" + e->d_name).c_str());
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

namespace {

// Runs the launcher with args, stdout captured (bounded by timeout_ms); its exit status.
int run_launcher(const std::vector<std::string>& args, const std::string& log, std::string* out,
                 int timeout_ms) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) {
    close(pfd[0]);
    close(pfd[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(pfd[1], 1);
    const int lf = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (lf >= 0) dup2(lf, 2);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    std::vector<char*> argv;
    argv.reserve(args.size());
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(pfd[1]);
  const int64_t deadline = now_ms() + timeout_ms;
  for (int i = 0; i < 100000; ++i) {
    const int64_t left = deadline - now_ms();
    if (left <= 0) break;
    pollfd p{pfd[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) != 1) break;
    char buf[512];
    const ssize_t n = read(pfd[0], buf, sizeof(buf));
    if (n <= 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(pfd[0]);
  int status = 0;
  for (int i = 0; i < 1000; ++i) {  // the launcher exits right after its output (10 s bound)
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

std::string field(const std::string& line, const std::string& key) {
  const size_t k = line.find(" " + key + "=");
  if (k == std::string::npos) return "";
  const size_t v = k + key.size() + 2;
  const size_t e = line.find_first_of(" \n", v);
  return line.substr(v, e == std::string::npos ? std::string::npos : e - v);
}

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), 0 if the process is
// gone or a zombie: with the PID it names one process, so a reused PID is never killed.
unsigned long long proc_start_time(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(f, stat);
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return 0;
  if (stat[close_paren + 2] == 'Z') return 0;
  std::istringstream rest(stat.substr(close_paren + 2));
  std::string tok;
  for (int field_no = 3; field_no <= 22 && rest >> tok; ++field_no) {
    if (field_no == 22) return strtoull(tok.c_str(), nullptr, 10);
  }
  return 0;
}

// The launcher starts QEMU in a session of its own and exits, so QEMU is no child of the
// test: neither a failed CMocka assertion (longjmp: no destructor runs) nor CTest's timeout
// (SIGKILL to the test's process tree) would stop it. A reaper guards each board: a process
// detached from the test (double fork, so CTest's tree kill does not reach it) that holds
// the read end of a pipe whose only write end is the test's. When the test process ends, in
// any way, the pipe reads EOF and the reaper stops this QEMU (SIGTERM, SIGKILL after 2 s),
// identified by PID and start time. It exits by itself once QEMU is gone. Returns the
// test's end of the pipe (close it after a clean stop), or -1.
int spawn_reaper(pid_t qemu) {
  const unsigned long long started = proc_start_time(qemu);
  if (started == 0) return -1;
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) return -1;
  const pid_t child = fork();
  if (child < 0) {
    close(pfd[0]);
    close(pfd[1]);
    return -1;
  }
  if (child == 0) {
    if (fork() != 0) _exit(0);  // the grandchild is the reaper, re-parented away from the test
    setsid();
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);  // only the pipe ends it
    for (int fd = 0; fd < 1024; ++fd) {
      if (fd != pfd[0]) close(fd);  // also other boards' write ends, inherited by the fork
    }
    for (;;) {  // bounded by QEMU's life: it ends when QEMU is gone or has been killed
      if (proc_start_time(qemu) != started) _exit(0);
      pollfd p{pfd[0], POLLIN, 0};
      const int r = poll(&p, 1, 500);
      if (r == 0) continue;
      char c = 0;
      if (r > 0 && read(pfd[0], &c, 1) > 0) continue;  // nothing is ever written
      break;  // EOF (the test ended) or an error: stop QEMU
    }
    if (proc_start_time(qemu) == started) kill(qemu, SIGTERM);
    for (int i = 0; i < 40 && proc_start_time(qemu) == started; ++i) usleep(50000);
    if (proc_start_time(qemu) == started) kill(qemu, SIGKILL);
    _exit(0);
  }
  close(pfd[0]);
  int status = 0;
  waitpid(child, &status, 0);  // the intermediate child exits at once
  return pfd[1];
}

}  // namespace

bool QemuBoard::start(const BoardSpec& spec, const std::string& dir,
                      const std::vector<std::string>& semihost,
                      const std::vector<std::string>& extra) {
  stop();
  dir_ = dir;
  launcher_ = spec.launcher;
  std::vector<std::string> args = {"python3",    spec.launcher, "start",    "--board",
                                   spec.machine, "--image",     spec.image, "--dir",
                                   dir,          "--timeout",   "120"};
  for (const auto& a : semihost) {
    args.push_back("--arg");
    args.push_back(a);
  }
  if (!extra.empty()) {
    args.push_back("--");
    args.insert(args.end(), extra.begin(), extra.end());
  }
  std::string out;
  const int rc = run_launcher(args, dir + "/launcher.log", &out, 150000);
  const size_t at = out.find("LOCUS_QEMU_BOARD ");
  if (rc != 0 || at == std::string::npos) {
    fprintf(stderr, "qemu-board start failed (exit %d)\n%s\n%s\n", rc, out.c_str(),
            console().c_str());
    return false;
  }
  const std::string line = out.substr(at, out.find('\n', at) - at);
  const std::string link = field(line, "link");
  pid_ = static_cast<pid_t>(atoi(field(line, "pid").c_str()));
  const size_t colon = link.rfind(':');
  if (link.rfind("tcp:127.0.0.1:", 0) != 0 || colon == std::string::npos || pid_ <= 0) {
    fprintf(stderr, "qemu-board: unexpected line '%s'\n", line.c_str());
    return false;
  }
  reaper_fd_ = spawn_reaper(pid_);
  if (reaper_fd_ < 0) {
    fprintf(stderr, "qemu-board: cannot guard QEMU pid %d with a reaper\n", static_cast<int>(pid_));
    stop();
    return false;
  }
  link_ = link;
  const int port = atoi(link.c_str() + colon + 1);
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    close(fd_);
    fd_ = -1;
    return false;
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

bool QemuBoard::read_frame(std::vector<uint8_t>* payload, uint8_t* rev, int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  protocol::Deframer* d = new protocol::Deframer();
  bool ok = false;
  for (size_t iter = 0; iter < 1000000 && !ok; ++iter) {
    // First the bytes already buffered, then the socket.
    while (!rx_.empty() && !ok) {
      const uint8_t b = rx_.front();
      rx_.erase(rx_.begin());
      const protocol::DeframeResult r = d->feed(b);
      if (r.event == protocol::DeframeEvent::kFrame) {
        payload->assign(r.payload.begin(), r.payload.end());
        *rev = r.rev;
        ok = true;
      }
    }
    if (ok) break;
    const int64_t left = deadline - now_ms();
    if (left <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) != 1) break;
    uint8_t buf[4096];
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n <= 0) break;
    rx_.insert(rx_.end(), buf, buf + n);
  }
  delete d;
  return ok;
}

bool QemuBoard::request(uint8_t type, const std::vector<uint8_t>& body, Reply* out,
                        int timeout_ms) {
  if (fd_ < 0) return false;
  const uint32_t id = next_id_++;
  std::vector<uint8_t> msg(body.size() + 32);
  size_t mlen = 0;
  if (!protocol::encode_envelope(type, id, ByteSpan(body.data(), body.size()),
                                 MutByteSpan(msg.data(), msg.size()), &mlen)
           .ok()) {
    return false;
  }
  std::vector<uint8_t> frame(protocol::max_frame_size(mlen));
  size_t flen = 0;
  if (!protocol::encode_frame(protocol::kRevMessage, ByteSpan(msg.data(), mlen),
                              MutByteSpan(frame.data(), frame.size()), &flen)
           .ok()) {
    return false;
  }
  for (size_t off = 0; off < flen;) {
    const ssize_t n = write(fd_, frame.data() + off, flen - off);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  const int64_t deadline = now_ms() + timeout_ms;
  for (int tries = 0; tries < 16; ++tries) {
    std::vector<uint8_t> payload;
    uint8_t rev = 0;
    const int64_t left = deadline - now_ms();
    if (left <= 0 || !read_frame(&payload, &rev, static_cast<int>(left))) return false;
    if (rev != protocol::kRevMessage) continue;
    protocol::Envelope env;
    const Status st = protocol::decode_envelope(ByteSpan(payload.data(), payload.size()), &env);
    if (!st.ok() || env.request_id != id) continue;
    out->type = env.type;
    out->body.assign(env.body.begin(), env.body.end());
    out->error_code = 0;
    if (env.type == protocol::kMsgError) {
      protocol::ErrorResponse er;
      if (protocol::decode_body(env.body, &er).ok()) out->error_code = er.code;
    }
    return true;
  }
  return false;
}

bool QemuBoard::wait_ready(int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  for (int i = 0; i < 120 && now_ms() < deadline; ++i) {
    Reply r;
    if (request(protocol::kMsgGetStatus, {0xF6}, &r, 1000)) return true;
  }
  return false;
}

void QemuBoard::disconnect() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  rx_.clear();
}

bool QemuBoard::running() const {
  return process_alive(pid_);
}

void QemuBoard::stop() {
  disconnect();
  if (pid_ > 0) {
    std::string out;
    const int rc = run_launcher({"python3", launcher_, "stop", "--dir", dir_},
                                dir_ + "/launcher.log", &out, 30000);
    if (rc != 0 && running()) {
      fprintf(stderr, "qemu-board stop failed (exit %d): killing pid %d\n", rc,
              static_cast<int>(pid_));
      kill(pid_, SIGKILL);
    }
    pid_ = -1;
  }
  link_.clear();
  if (reaper_fd_ >= 0) {  // QEMU is stopped: the reaper sees EOF and exits
    close(reaper_fd_);
    reaper_fd_ = -1;
  }
}

bool QemuBoard::wait_console(const std::string& needle, int count, int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  for (int i = 0; i < 100000 && now_ms() < deadline; ++i) {
    const std::string log = console();
    int n = 0;
    for (size_t p = log.find(needle); p != std::string::npos; p = log.find(needle, p + 1)) ++n;
    if (n >= count) return true;
    usleep(20000);  // polling a log file: there is no readiness signal to wait on instead
  }
  return false;
}

std::string QemuBoard::console() const {
  std::ifstream f(dir_ + "/console.log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace locus::qemutest
