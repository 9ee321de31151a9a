#include "qemu_board.h"

#include <arpa/inet.h>
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
namespace {

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

QemuBoard::~QemuBoard() { stop(); }

bool write_uds_hex(const std::string& path, const uint8_t uds[32], uint32_t addr) {
  FILE* f = fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  auto rec = [f](uint8_t type, uint16_t a, const uint8_t* d, size_t n) {
    unsigned sum = static_cast<unsigned>(n) + (a >> 8) + (a & 0xFF) + type;
    fprintf(f, ":%02X%04X%02X", static_cast<unsigned>(n), a, type);
    for (size_t i = 0; i < n; ++i) {
      fprintf(f, "%02X", d[i]);
      sum += d[i];
    }
    fprintf(f, "%02X\n", (0x100 - (sum & 0xFF)) & 0xFF);
  };
  const uint8_t hi[2] = {static_cast<uint8_t>(addr >> 24), static_cast<uint8_t>(addr >> 16)};
  rec(4, 0, hi, 2);
  rec(0, static_cast<uint16_t>(addr & 0xFFFF), uds, 16);
  rec(0, static_cast<uint16_t>((addr + 16) & 0xFFFF), uds + 16, 16);
  rec(1, 0, nullptr, 0);
  return fclose(f) == 0;
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
  for (const char* f : {"uds.hex", "storage.bin", "qemu.log"}) unlink((dir + "/" + f).c_str());
  rmdir(dir.c_str());
}

bool QemuBoard::start(const BoardSpec& spec, const std::string& dir, const std::vector<std::string>& extra) {
  dir_ = dir;
  const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  socklen_t sl = sizeof(sa);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || listen(lfd, 1) != 0 ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &sl) != 0) {
    close(lfd);
    return false;
  }
  const unsigned port = ntohs(sa.sin_port);

  std::vector<std::string> args = {
      "qemu-system-arm", "-M", spec.machine, "-nographic", "-monitor", "none",
      "-semihosting-config",
      "enable=on,target=native,arg=locus-fw,arg=storage=" + dir + "/storage.bin",
      "-kernel", spec.image,
      "-device", "loader,file=" + dir + "/uds.hex",
      "-chardev", "socket,id=link,host=127.0.0.1,port=" + std::to_string(port) + ",server=off,nodelay=on",
      "-serial", "chardev:link"};
  args.insert(args.end(), extra.begin(), extra.end());

  pid_ = fork();
  if (pid_ < 0) {
    close(lfd);
    return false;
  }
  if (pid_ == 0) {
    const int log = open((dir + "/qemu.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (chdir(dir.c_str()) != 0) _exit(126);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  pollfd p{lfd, POLLIN, 0};
  const int pr = poll(&p, 1, 20000);
  if (pr != 1) {
    fprintf(stderr, "qemu did not connect to port %u\n%s\n", port, console().c_str());
    close(lfd);
    return false;
  }
  fd_ = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  close(lfd);
  if (fd_ < 0) return false;
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

bool QemuBoard::request(uint8_t type, const std::vector<uint8_t>& body, Reply* out, int timeout_ms) {
  if (fd_ < 0) return false;
  const uint32_t id = next_id_++;
  std::vector<uint8_t> msg(body.size() + 32);
  size_t mlen = 0;
  if (!protocol::encode_envelope(type, id, ByteSpan(body.data(), body.size()),
                                 MutByteSpan(msg.data(), msg.size()), &mlen).ok()) {
    return false;
  }
  std::vector<uint8_t> frame(protocol::max_frame_size(mlen));
  size_t flen = 0;
  if (!protocol::encode_frame(protocol::kRevMessage, ByteSpan(msg.data(), mlen),
                              MutByteSpan(frame.data(), frame.size()), &flen).ok()) {
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

void QemuBoard::stop() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; ++i) {  // up to 5 s, then SIGKILL
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      usleep(10000);
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  rx_.clear();
}

std::string QemuBoard::console() const {
  std::ifstream f(dir_ + "/qemu.log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace locus::qemutest
