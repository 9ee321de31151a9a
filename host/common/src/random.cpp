// The OS CSPRNG (random.h).
#include "locus/common/random.h"

#include <sys/random.h>

#include <cerrno>

namespace locus::host {

bool os_random(uint8_t* out, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = ::getrandom(out + off, len - off, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

int os_entropy(void*, uint8_t* out, size_t len) {
  return os_random(out, len) ? 0 : -1;
}

}  // namespace locus::host
