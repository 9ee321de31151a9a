// Prometheus text exposition (contract: locus/common/metrics.h).
#include "locus/common/metrics.h"

#include <cmath>
#include <cstdio>

namespace locus::host::metrics {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size()]) {
  for (size_t i = 0; i < bounds_.size(); i++) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) i++;
  if (i < bounds_.size())
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
  else
    inf_.fetch_add(1, std::memory_order_relaxed);
  if (std::isfinite(v))
    sum_nano_.fetch_add(static_cast<int64_t>(std::llround(v * 1e9)), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::render(const std::string& name, const std::string& labels, std::string* out) const {
  const std::string pre = labels.empty() ? "" : labels + ",";
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds_.size(); i++) {
    cum += buckets_[i].load(std::memory_order_relaxed);
    sample(name + "_bucket", pre + "le=\"" + format_double(bounds_[i]) + "\"", cum, out);
  }
  cum += inf_.load(std::memory_order_relaxed);
  sample(name + "_bucket", pre + "le=\"+Inf\"", cum, out);
  const double sum = static_cast<double>(sum_nano_.load(std::memory_order_relaxed)) / 1e9;
  *out +=
      name + "_sum" + (labels.empty() ? "" : "{" + labels + "}") + " " + format_double(sum) + "\n";
  // The count equals the +Inf bucket of this scrape (both from the buckets read above), so a
  // scrape racing an observe() never shows count < +Inf.
  sample(name + "_count", labels, cum, out);
}

Counter& CounterFamily::at(const std::string& label_value) {
  std::lock_guard<std::mutex> g(mu_);
  auto& p = series_[label_value];
  if (!p) p = std::make_unique<Counter>();
  return *p;
}

uint64_t CounterFamily::value(const std::string& label_value) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = series_.find(label_value);
  return it == series_.end() ? 0 : it->second->value();
}

void CounterFamily::render(const std::string& name, const std::string& lbl,
                           std::string* out) const {
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& [v, c] : series_) sample(name, label(lbl, v), c->value(), out);
}

void header(const std::string& name, const std::string& help, const char* type, std::string* out) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(const std::string& name, const std::string& labels, uint64_t v, std::string* out) {
  *out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(v) + "\n";
}

void sample_i(const std::string& name, const std::string& labels, int64_t v, std::string* out) {
  *out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(v) + "\n";
}

std::string label(const std::string& key, const std::string& value) {
  std::string e;
  for (char c : value) {
    if (c == '\\')
      e += "\\\\";
    else if (c == '"')
      e += "\\\"";
    else if (c == '\n')
      e += "\\n";
    else
      e += c;
  }
  return key + "=\"" + e + "\"";
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char b[64];
  (void)std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

}  // namespace locus::host::metrics
