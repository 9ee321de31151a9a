// Bounded whole-file reads and atomic, no-silent-overwrite writes (files.h).
#include "locus/common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace locus::host {

HostResult<Bytes> read_file(const std::string& path, size_t max_size) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {HostError::kIo, path + ": " + std::strerror(errno)};
  Bytes out;
  uint8_t buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (out.size() + n > max_size) {
      (void)std::fclose(f);
      return {HostError::kIo, path + ": file too large"};
    }
    out.insert(out.end(), buf, buf + n);
  }
  bool err = std::ferror(f) != 0;
  (void)std::fclose(f);
  if (err) return {HostError::kIo, path + ": read error"};
  return out;
}

HostResult<std::string> read_text_file(const std::string& path, size_t max_size) {
  auto r = read_file(path, max_size);
  if (!r.ok()) return r.error();
  return std::string(r.value().begin(), r.value().end());
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

HStatus write_file(const std::string& path, ByteSpan data, unsigned mode, bool force) {
  if (!force && file_exists(path))
    return {HostError::kExists,
            path + ": exists; refusing to overwrite (use --force to replace it)"};
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return {HostError::kIo, tmp + ": " + std::strerror(errno)};
  (void)::fchmod(fd, static_cast<mode_t>(mode));  // umask must not widen or narrow it
  size_t off = 0;
  while (off < data.size) {
    ssize_t w = ::write(fd, data.data + off, data.size - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return {HostError::kIo, path + ": " + std::strerror(e)};
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return {HostError::kIo, path + ": fsync/close failed"};
  }
  if (!force) {
    // link() fails if the target appeared meanwhile: no silent overwrite even in a race.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      if (e == EEXIST)
        return {HostError::kExists,
                path + ": exists; refusing to overwrite (use --force to replace it)"};
      return {HostError::kIo, path + ": " + std::strerror(e)};
    }
    ::unlink(tmp.c_str());
  } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return {HostError::kIo, path + ": " + std::strerror(e)};
  }
  return HStatus::Ok();
}

HStatus write_text_file(const std::string& path, const std::string& text, unsigned mode,
                        bool force) {
  return write_file(path, ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                    mode, force);
}

}  // namespace locus::host
