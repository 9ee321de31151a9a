// board.h for host-sim: UDS and image from files, storage in a fixed-size file written with
// pwrite + fsync (the journal in the core is the real power-cut guarantee), the write-once
// region in a second file that this board only ever programs (1 -> 0 bits, never erased),
// the link on a TCP or Unix socket (one client at a time, TCP_NODELAY), entropy from
// getrandom(2).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "hostsim.h"
#include "locus/firmware/board.h"

namespace hostsim {
namespace {
constexpr size_t kStorageSize = 8192;
constexpr size_t kOtpSize = 512;
int g_storage_fd = -1;
int g_otp_fd = -1;
int g_client_fd = -1;
uint64_t g_start_us = 0;

uint64_t now_raw_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}
}  // namespace

Config& config() {
  static Config c;
  return c;
}

namespace {
using locus::host::HostError;
using locus::host::HStatus;

HStatus io_error(std::string m) {
  return HStatus(HostError::kIo, std::move(m));
}
HStatus usage_error(std::string m) {
  return HStatus(HostError::kUsage, std::move(m));
}

// Opens (creating erased, 0xFF) a fixed-size file; *fd gets the descriptor.
HStatus open_fixed(const std::string& path, size_t size, const char* what, int* fd) {
  *fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (*fd < 0) {
    return io_error(std::string("cannot open ") + what + " " + path + ": " + strerror(errno));
  }
  struct stat st {};
  if (fstat(*fd, &st) != 0) {
    return io_error(std::string("cannot stat ") + what + ": " + strerror(errno));
  }
  if (st.st_size == 0) {
    // A blank part: erased flash reads 0xFF.
    unsigned char blank[kStorageSize];
    memset(blank, 0xFF, sizeof(blank));
    if (pwrite(*fd, blank, size, 0) != static_cast<ssize_t>(size) || fsync(*fd) != 0) {
      return io_error(std::string("cannot initialise ") + what + ": " + strerror(errno));
    }
  } else if (static_cast<size_t>(st.st_size) != size) {
    return HStatus(HostError::kConfig, std::string(what) + " " + path + " has " +
                                           std::to_string(st.st_size) + " bytes, expected " +
                                           std::to_string(size) + " (not a host-sim " + what +
                                           "?)");
  }
  return HStatus::Ok();
}
}  // namespace

HStatus open_storage(const std::string& path, const std::string& otp_path) {
  HStatus st = open_fixed(path, kStorageSize, "state file", &g_storage_fd);
  if (st.ok()) {
    st = open_fixed(otp_path, kOtpSize, "write-once file", &g_otp_fd);
  }
  if (!st.ok()) {
    return st;
  }
  g_start_us = now_raw_us();
  return HStatus::Ok();
}

HStatus open_listener(const std::string& spec, std::string* bound) {
  int fd = -1;
  if (spec.rfind("tcp:", 0) == 0) {
    const std::string rest = spec.substr(4);
    const size_t colon = rest.rfind(':');
    if (colon == std::string::npos) {
      return usage_error("expected tcp:HOST:PORT, got " + spec);
    }
    const std::string host = rest.substr(0, colon);
    char* end = nullptr;
    const long port = strtol(rest.c_str() + colon + 1, &end, 10);
    if (end == nullptr || *end != '\0' || port < 0 || port > 65535 || colon + 1 == rest.size()) {
      return usage_error("bad port in " + spec);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
      return usage_error("bad IPv4 address in " + spec);
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return io_error(std::string("socket: ") + strerror(errno));
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      const std::string e = strerror(errno);
      close(fd);
      return io_error("bind " + spec + ": " + e);
    }
    socklen_t len = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    *bound = host + ":" + std::to_string(ntohs(a.sin_port));
  } else if (spec.rfind("unix:", 0) == 0) {
    const std::string path = spec.substr(5);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(a.sun_path)) {
      return usage_error("bad unix socket path in " + spec);
    }
    memcpy(a.sun_path, path.c_str(), path.size());
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return io_error(std::string("socket: ") + strerror(errno));
    }
    unlink(path.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      const std::string e = strerror(errno);
      close(fd);
      return io_error("bind " + spec + ": " + e);
    }
    *bound = path;
  } else {
    return usage_error("--listen wants tcp:127.0.0.1:PORT or unix:PATH, got " + spec);
  }
  if (listen(fd, 1) != 0) {
    const std::string e = strerror(errno);
    close(fd);
    return io_error("listen: " + e);
  }
  config().listen_fd = fd;
  return HStatus::Ok();
}

}  // namespace hostsim

namespace locus::board {
using hostsim::config;

Status read_uds(uint8_t out[32]) {
  memcpy(out, config().uds, 32);
  return Status::Ok();
}
Status measure_image(uint8_t fwid[32]) {
  memcpy(fwid, config().fwid, 32);
  return Status::Ok();
}
Status entropy(uint8_t* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    const ssize_t r = getrandom(out + done, len - done, 0);
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      return BoardError::kEntropyFailed;
    }
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}
bool entropy_is_emulated() {
  return true;
}  // getrandom is the host's, not the board's TRNG
uint64_t monotonic_us() {
  return hostsim::now_raw_us() - hostsim::g_start_us;
}
size_t storage_size() {
  return hostsim::kStorageSize;
}
Status storage_read(size_t offset, uint8_t* out, size_t len) {
  if (offset > hostsim::kStorageSize || len > hostsim::kStorageSize - offset) {
    return BoardError::kStorageRange;
  }
  const ssize_t r = pread(hostsim::g_storage_fd, out, len, static_cast<off_t>(offset));
  return r == static_cast<ssize_t>(len) ? Status::Ok() : Status(BoardError::kStorageIo);
}
Status storage_write(size_t offset, const uint8_t* in, size_t len) {
  if (offset > hostsim::kStorageSize || len > hostsim::kStorageSize - offset) {
    return BoardError::kStorageRange;
  }
  const ssize_t r = pwrite(hostsim::g_storage_fd, in, len, static_cast<off_t>(offset));
  return r == static_cast<ssize_t>(len) ? Status::Ok() : Status(BoardError::kStorageIo);
}
Status storage_flush() {
  return fsync(hostsim::g_storage_fd) == 0 ? Status::Ok() : Status(BoardError::kStorageIo);
}
size_t otp_size() {
  return hostsim::kOtpSize;
}
Status otp_read(size_t offset, uint8_t* out, size_t len) {
  if (offset > hostsim::kOtpSize || len > hostsim::kOtpSize - offset) {
    return BoardError::kStorageRange;
  }
  const ssize_t r = pread(hostsim::g_otp_fd, out, len, static_cast<off_t>(offset));
  return r == static_cast<ssize_t>(len) ? Status::Ok() : Status(BoardError::kStorageIo);
}
Status otp_program(size_t offset, const uint8_t* in, size_t len) {
  if (offset > hostsim::kOtpSize || len > hostsim::kOtpSize - offset) {
    return BoardError::kStorageRange;
  }
  uint8_t cur[hostsim::kOtpSize];
  if (pread(hostsim::g_otp_fd, cur, len, static_cast<off_t>(offset)) != static_cast<ssize_t>(len)) {
    return BoardError::kStorageIo;
  }
  // Programming clears bits only: a 1 wanted where a 0 is already programmed cannot be done.
  for (size_t i = 0; i < len; ++i) {
    if ((cur[i] & in[i]) != in[i]) {
      return BoardError::kOtpConflict;
    }
    cur[i] &= in[i];
  }
  if (pwrite(hostsim::g_otp_fd, cur, len, static_cast<off_t>(offset)) !=
          static_cast<ssize_t>(len) ||
      fsync(hostsim::g_otp_fd) != 0) {
    return BoardError::kStorageIo;
  }
  return Status::Ok();
}

Result<size_t> link_read(uint8_t* buf, size_t cap, uint32_t timeout_ms) {
  if (hostsim::g_client_fd < 0) {
    pollfd p{config().listen_fd, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(timeout_ms));
    if (r == 0) {
      return BoardError::kLinkTimeout;
    }
    if (r < 0) {
      return errno == EINTR ? BoardError::kLinkTimeout : BoardError::kLinkIo;
    }
    const int c = accept4(config().listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      return BoardError::kLinkTimeout;
    }
    // Frames are written in small pieces: without TCP_NODELAY, delayed ACKs stall each
    // response by tens of milliseconds (a Unix socket ignores the option).
    const int one = 1;
    (void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    hostsim::g_client_fd = c;
    log("link: client connected");
    return BoardError::kLinkTimeout;  // nothing read yet
  }
  pollfd p{hostsim::g_client_fd, POLLIN, 0};
  const int r = poll(&p, 1, static_cast<int>(timeout_ms));
  if (r == 0) {
    return BoardError::kLinkTimeout;
  }
  if (r < 0) {
    return errno == EINTR ? BoardError::kLinkTimeout : BoardError::kLinkIo;
  }
  const ssize_t n = read(hostsim::g_client_fd, buf, cap);
  if (n > 0) {
    return static_cast<size_t>(n);
  }
  close(hostsim::g_client_fd);
  hostsim::g_client_fd = -1;
  log("link: client disconnected");
  return BoardError::kLinkIo;
}

Status link_write(const uint8_t* buf, size_t len) {
  if (hostsim::g_client_fd < 0) {
    return BoardError::kLinkIo;
  }
  size_t done = 0;
  while (done < len) {
    const ssize_t w = send(hostsim::g_client_fd, buf + done, len - done, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return BoardError::kLinkIo;
    }
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

void set_interconnect(InterconnectMode mode) {
  // No real links here: the mode is visible via GET_STATUS and the core's log lines.
  (void)mode;
}

void log(const char* line) {
  // Best effort: a closed stderr must not stop the board.
  (void)fprintf(stderr, "locus-host-sim: %s\n", line);
  (void)fflush(stderr);
}

}  // namespace locus::board
