// locus/landmark/metrics_http.h: a minimal HTTP/1.1 listener that answers GET /metrics with
// a text body from a callback (the landmark's Server::metrics_text()). Off unless
// `locus landmark serve --metrics-listen HOST:PORT` is given.
//
// Deliberately small and separate from the timing server: one thread, one connection at a
// time (Prometheus scrapes one at a time), a 4 KiB request cap and a 2 s deadline for the
// whole request, "Connection: close" after each answer. Anything but GET /metrics is 404,
// other methods 405. It shares nothing with the timed path but the atomic counters it reads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "locus/common/result.h"

namespace locus::landmark {

class MetricsHttp {
 public:
  explicit MetricsHttp(std::function<std::string()> render) : render_(std::move(render)) {}
  ~MetricsHttp();  // stops and joins
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Binds HOST:PORT (IPv4; PORT 0: a free port) and starts the thread.
  // Errors: HostError::kUsage (not an IPv4 address), kNetwork (bind, listen).
  host::HStatus start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }
  void stop();
  uint64_t scrapes() const { return scrapes_.load(); }

 private:
  void loop();
  void handle(int fd);
  std::function<std::string()> render_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> scrapes_{0};
  std::thread t_;
};

}  // namespace locus::landmark
