// Shared CLI helpers (cli.h): errors to exit codes in one place, output, progress.
#include "cli.h"

#include <unistd.h>

#include <CLI/Error.hpp>  // CLI::RuntimeError only: the parser itself is not needed here
#include <cstdio>
#include <nlohmann/json.hpp>

#include "locus/landmark/errors.h"
#include "locus/location/records.h"
#include "locus/tpm/errors.h"

bool CliContext::progress_allowed() const {
  return !json && !quiet && ::isatty(2) == 1;
}

namespace locus::cli {

host::HostError host_class(Status s) {
  switch (s.module()) {
    case Module::kHost: return host::host_error_of(s);
    case Module::kTpm: return tpm::host_class(static_cast<tpm::TpmError>(s.local()));
    case Module::kGeo: return location::host_class(static_cast<location::LocationError>(s.local()));
    case Module::kLandmark:
      return landmark::host_class(static_cast<landmark::LandmarkError>(s.local()));
    default: return host::HostError::kInternal;
  }
}

int exit_code_for(Status s) {
  return host::exit_code_for(host_class(s));
}

void fail(const CliContext& ctx, const host::Error& e) {
  const host::HostError cls = host_class(e.status);
  const int code = host::exit_code_for(cls);
  if (ctx.json) {
    std::printf(
        "%s\n",
        nlohmann::json{{"error", e.message}, {"kind", host::to_string(cls)}, {"exit_code", code}}
            .dump()
            .c_str());
    (void)std::fflush(stdout);
  } else {
    (void)std::fprintf(stderr, "locus: error: %s\n", e.message.c_str());
  }
  throw CLI::RuntimeError(code);
}

void fail(const CliContext& ctx, Status code, const std::string& message) {
  fail(ctx, host::Error{code, message});
}

void emit(const CliContext& ctx, const std::string& json_text, const std::string& human_text) {
  const std::string& s = ctx.json ? json_text : human_text;
  if (!s.empty()) std::printf("%s%s", s.c_str(), s.back() == '\n' ? "" : "\n");
  (void)std::fflush(stdout);
}

Progress::Progress(const CliContext& ctx, size_t total, std::string label)
    : on_(ctx.progress_allowed()), total_(total), label_(std::move(label)) {}
Progress::~Progress() {
  done();
}
void Progress::step(const std::string& item) {
  n_++;
  if (!on_) return;
  (void)std::fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s", n_, total_, label_.c_str(), item.c_str());
  (void)std::fflush(stderr);
}
void Progress::clear() {
  if (on_) (void)std::fprintf(stderr, "\r\033[K");
}
void Progress::done() {
  if (on_) (void)std::fprintf(stderr, "\r\033[K");
  on_ = false;
}

}  // namespace locus::cli
