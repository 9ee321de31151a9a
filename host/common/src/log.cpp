// Structured JSON-lines logging on stderr (log.h).
#include "locus/common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "locus/common/clock.h"
#include "locus/common/json_read.h"

namespace locus::host {

static std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
static std::mutex g_log_mu;

void set_log_level(LogLevel l) {
  g_level = static_cast<int>(l);
}
LogLevel log_level() {
  return static_cast<LogLevel>(g_level.load());
}

bool log_enabled(LogLevel l) {
  return static_cast<int>(l) >= g_level.load() && l != LogLevel::kOff;
}

bool parse_log_level(const std::string& s, LogLevel* out) {
  if (s == "debug")
    *out = LogLevel::kDebug;
  else if (s == "info")
    *out = LogLevel::kInfo;
  else if (s == "warn")
    *out = LogLevel::kWarn;
  else if (s == "error")
    *out = LogLevel::kError;
  else if (s == "off")
    *out = LogLevel::kOff;
  else
    return false;
  return true;
}

void log(LogLevel l, const std::string& event, const std::string& fields_json) {
  if (!log_enabled(l)) return;
  static const char* names[] = {"debug", "info", "warn", "error"};
  nlohmann::json j = nlohmann::json::object();
  j["ts"] = unix_time();
  j["level"] = names[static_cast<int>(l)];
  j["event"] = event;
  if (!fields_json.empty()) {
    auto f = locus::host::parse_json(fields_json);
    if (f.is_object()) {
      for (auto it = f.begin(); it != f.end(); ++it) j[it.key()] = it.value();
    }
  }
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> g(g_log_mu);
  (void)std::fwrite(line.data(), 1, line.size(), stderr);
  (void)std::fflush(stderr);
}

}  // namespace locus::host
