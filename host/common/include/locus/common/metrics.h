// locus/common/metrics.h: counters, gauges and histograms rendered in the Prometheus text
// exposition format (version 0.0.4), for the verifier's and the landmark's /metrics.
//
// Every update is a relaxed atomic (no lock on the hot path): values are exact under any
// number of threads; a scrape sees each series at some instant between updates. Label
// values are escaped (\\, \", \n) as the format requires. A labelled family creates a
// series on first use under a mutex; callers only use small, closed label sets (statuses,
// check names, outcomes), never board-supplied strings.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace locus::host::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void inc() { v_.fetch_add(1, std::memory_order_relaxed); }
  void dec() { v_.fetch_sub(1, std::memory_order_relaxed); }
  void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Cumulative histogram with fixed upper bounds (ascending; +Inf is implicit). The sum is kept
// in integer nanounits so that it too is one atomic add.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Appends NAME_bucket{le=...}, NAME_sum and NAME_count lines (labels: extra, may be "").
  void render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bound, non-cumulative
  std::atomic<uint64_t> inf_{0}, count_{0};
  std::atomic<int64_t> sum_nano_{0};
};

// Counters keyed by the value of one label.
class CounterFamily {
 public:
  Counter& at(const std::string& label_value);
  uint64_t value(const std::string& label_value) const;  // 0 if never used
  // NAME{LABEL="v"} N lines, label values sorted.
  void render(const std::string& name, const std::string& label, std::string* out) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Counter>> series_;
};

// "# HELP name help\n# TYPE name type\n".
void header(const std::string& name, const std::string& help, const char* type, std::string* out);
// name{labels} value\n (labels "" for none); integer and floating values.
void sample(const std::string& name, const std::string& labels, uint64_t v, std::string* out);
void sample_i(const std::string& name, const std::string& labels, int64_t v, std::string* out);
// key="escaped value"
std::string label(const std::string& key, const std::string& value);
std::string format_double(double v);

// The Content-Type of the text format.
constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace locus::host::metrics
