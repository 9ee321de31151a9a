// locus/common/log.h: structured logging, one JSON object per line on stderr.
#pragma once

#include <string>

namespace locus::host {

// Structured logging: one JSON object per line on stderr:
//   {"ts":..., "level":"info", "event":"...", ...fields}
enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
void set_log_level(LogLevel l);
LogLevel log_level();
// Whether log(l, ...) prints: callers that build costly fields ask first.
bool log_enabled(LogLevel l);
bool parse_log_level(const std::string& s, LogLevel* out);
// fields_json: a JSON object text (may be "{}" or empty) merged into the line.
void log(LogLevel l, const std::string& event, const std::string& fields_json = "");

}  // namespace locus::host
