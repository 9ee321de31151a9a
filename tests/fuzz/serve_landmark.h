// serve_landmark.h: the in-process landmark of the landmark_tcp and landmark_udp fuzz targets.
#pragma once

#include <atomic>
#include <thread>

#include "locus/landmark/server.h"

namespace locus::fuzz {

// Serves s on a second thread until the process exits; then stops and joins it (serve() joins
// its session threads), so that no session thread is still running when LeakSanitizer looks:
// a live thread's OpenSSL thread state would be reported as leaked. Call once per process.
inline void serve_until_exit(landmark::Server* s) {
  static std::atomic<bool> stop{false};
  struct Serving {
    std::thread t;
    ~Serving() {
      stop = true;
      if (t.joinable()) t.join();
    }
  };
  static Serving serving;
  serving.t = std::thread([s] { s->serve(&stop, 0, false); });
}

}  // namespace locus::fuzz
