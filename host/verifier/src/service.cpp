// HTTP front of the verifier on Boost.Beast/Asio (contract and limits: service.h; the choice of
// library and what was measured: docs/verifier-server.md).
//
// Threads: one I/O thread runs the io_context (accept, TLS, reading and writing every
// connection, all deadlines); `workers` threads run the handlers, fed by WorkQueue. A
// connection hands its parsed request to the queue and, when the worker is done, the answer
// is posted back to the I/O thread, which writes it.
#include "locus/verifier/service.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "locus/common/json_read.h"
#include "locus/common/keys.h"
#include "locus/common/metrics.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/protocol/messages.h"
#include "locus/verifier/ear.h"
#include "locus/verifier/fleet_page.h"

namespace locus::verifier {

using json = nlohmann::json;
using host::HostError;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
namespace metrics = host::metrics;

namespace {

constexpr size_t kMaxHeader = size_t{8} * 1024;

std::string err_body(const std::string& e) {
  return json{{"error", e}}.dump();
}

// What an error from the verifier core means to an HTTP client: its own mistake (4xx, with
// the specific reason in the body) or ours (500).
int status_for(Status e) {
  switch (host::host_error_of(e)) {
    case HostError::kNotFound: return 404;
    case HostError::kParse:
    case HostError::kUsage: return 400;
    // A revoked board, or one whose enrollment is not complete, is refused a nonce: the
    // request is understood and will not be served (403 Forbidden), not a server fault.
    case HostError::kRevoked:
    case HostError::kRefused: return 403;
    // The source address holds too many unused nonces (verifier.h kMaxNoncesPerSource).
    case HostError::kNonce: return 429;
    default: return 500;
  }
}

bool get_hex(const json& j, const char* k, size_t want, host::Bytes* out, std::string* err) {
  if (!j.contains(k) || !j[k].is_string()) {
    *err = std::string("missing or non-string field '") + k + "'";
    return false;
  }
  auto b = host::hex_decode(j[k].get<std::string>());
  if (!b.ok() || ((want != 0u) && b.value().size() != want)) {
    *err = std::string("field '") + k + "' must be " + std::to_string(want) + " bytes of hex";
    return false;
  }
  *out = b.take();
  return true;
}

bool get_b64(const json& j, const char* k, host::Bytes* out, std::string* err) {
  const auto it = j.find(k);
  if (it == j.end() || !it->is_string()) {
    *err = std::string("missing or non-string field '") + k + "'";
    return false;
  }
  auto b = host::b64_decode(it->get_ref<const std::string&>());
  if (!b.ok()) {
    *err = std::string("field '") + k + "': " + b.message();
    return false;
  }
  *out = b.take();
  return true;
}

// The value of `key` in a query string ("a=1&ueid=..."); "" when absent. UEIDs are hex, so
// no percent-decoding is needed: a '%' makes the hex check fail with a clear error.
std::string query_param(beast::string_view q, const std::string& key) {
  while (!q.empty()) {
    const size_t amp = q.find('&');
    beast::string_view kv = q.substr(0, amp);
    const size_t eq = kv.find('=');
    if (eq != beast::string_view::npos && kv.substr(0, eq) == key) {
      return std::string(kv.substr(eq + 1));
    }
    if (amp == beast::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return "";
}

enum class Route : uint8_t {
  kHealth,
  kNonce,
  kAttest,
  kRequired,
  kQuotePolicy,
  kEarKey,
  kMetrics,
  kFleet,
  kFleetLogin,
  kNotFound,
  kMethod
};

Route route_of(http::verb m, beast::string_view path) {
  struct Entry {
    const char* path;
    http::verb verb;
    Route route;
  };
  static const Entry kRoutes[] = {
      {"/v1/health", http::verb::get, Route::kHealth},
      {"/v1/nonce", http::verb::post, Route::kNonce},
      {"/v1/attest", http::verb::post, Route::kAttest},
      {"/v1/landmarks/required", http::verb::get, Route::kRequired},
      {"/v1/quote-policy", http::verb::get, Route::kQuotePolicy},
      {"/v1/ear-key", http::verb::get, Route::kEarKey},
      {"/metrics", http::verb::get, Route::kMetrics},
      {"/fleet", http::verb::get, Route::kFleet},
      {"/fleet/login", http::verb::post, Route::kFleetLogin},
  };
  for (const Entry& e : kRoutes) {
    if (path == e.path) return m == e.verb ? e.route : Route::kMethod;
  }
  return Route::kNotFound;
}

size_t body_limit_for(Route r) {
  switch (r) {
    case Route::kNonce:
    case Route::kFleetLogin: return kMaxNonceBody;
    case Route::kAttest: return kMaxAttestBody;
    default: return 0;
  }
}

}  // namespace

// One answer: status, body, its Content-Type and any extra header fields.
struct Reply {
  int status = 500;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

namespace {

// Requests waiting for a worker, one FIFO per source address, served round-robin across
// sources: a source that floods only lengthens its own line.
class WorkQueue {
 public:
  enum class Push : uint8_t { kOk, kFullTotal, kFullSource, kStopped };

  Push push(const std::string& src, std::function<void()> job, size_t cap_total, size_t cap_src) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stopped_) return Push::kStopped;
      if (total_ >= cap_total) return Push::kFullTotal;
      auto& q = per_source_[src];
      if (q.size() >= cap_src) return Push::kFullSource;
      if (q.empty()) order_.push_back(src);
      q.push_back(std::move(job));
      ++total_;
    }
    // After unlocking: a worker woken under the lock would only block on it again.
    cv_.notify_one();
    return Push::kOk;
  }

  // Blocks for the next job; false once stopped.
  bool pop(std::function<void()>* job) {
    std::unique_lock<std::mutex> g(mu_);
    cv_.wait(g, [this] { return stopped_ || total_ > 0; });
    if (stopped_) return false;
    const std::string src = order_.front();
    order_.pop_front();
    auto it = per_source_.find(src);
    *job = std::move(it->second.front());
    it->second.pop_front();
    --total_;
    if (it->second.empty()) {
      per_source_.erase(it);
    } else {
      order_.push_back(src);
    }
    return true;
  }

  void stop() {
    std::lock_guard<std::mutex> g(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

  // Drops every waiting job (after the workers are joined).
  void clear() {
    std::lock_guard<std::mutex> g(mu_);
    per_source_.clear();
    order_.clear();
    total_ = 0;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, std::deque<std::function<void()>>> per_source_;
  std::deque<std::string> order_;
  size_t total_ = 0;
  bool stopped_ = false;
};

}  // namespace

struct HttpService::Impl {
  HttpService* owner;
  ServiceOptions opt;

  std::atomic<uint64_t> accepted{0}, refused_total{0}, refused_source{0}, timed_out{0}, requests{0},
      busy{0}, open{0}, rate_limited{0};
  std::mutex conn_mu;
  std::unordered_map<std::string, size_t> per_source;  // open connections per address
  WorkQueue queue;
  std::vector<std::thread> workers;

  // Declared so that sessions still held by the io_context are destroyed (with ioc) while the
  // maps above and the TLS context are alive.
  std::optional<ssl::context> tls;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_retry{ioc};
  std::atomic<bool> stopping{false};

  // /metrics (docs/operator-guide.md "Metrics"); the connection counters above are exported
  // as they are.
  metrics::CounterFamily decisions;  // by status
  metrics::CounterFamily refusals;   // by first failing check
  metrics::Histogram appraisal{
      {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  metrics::Counter registry_errors, nonces_issued, nonce_refused, ear_unsigned;
  std::string render_metrics();

  explicit Impl(HttpService* o, ServiceOptions op) : owner(o), opt(std::move(op)) {}
  ~Impl() {
    shutdown();
    for (auto& t : workers) {
      if (t.joinable()) t.join();
    }
    queue.clear();
  }

  void shutdown() {
    stopping = true;
    queue.stop();
    ioc.stop();
  }

  // Connection accounting (the caps). Returns false when the connection must be refused.
  bool admit(const std::string& src) {
    std::lock_guard<std::mutex> g(conn_mu);
    if (open.load() >= opt.max_connections) {
      ++refused_total;
      return false;
    }
    size_t& n = per_source[src];
    if (n >= opt.max_per_source) {
      ++refused_source;
      return false;
    }
    ++n;
    ++open;
    ++accepted;
    return true;
  }
  // Per-source token bucket (opt.rate_per_source per second, burst of two seconds' worth).
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  // Kept across reconnects (else one request per connection would bypass it); when the map
  // grows past 65536 sources, the buckets that are full again (idle for 2 s) are dropped.
  std::unordered_map<std::string, Bucket> buckets;
  bool take_token(const std::string& src) {
    if (opt.rate_per_source <= 0) return true;
    std::lock_guard<std::mutex> g(conn_mu);
    const auto now = std::chrono::steady_clock::now();
    const double burst = 2 * opt.rate_per_source;
    if (buckets.size() > 65536) {
      for (auto i = buckets.begin(); i != buckets.end();) {
        const double dt = std::chrono::duration<double>(now - i->second.last).count();
        i = i->second.tokens + dt * opt.rate_per_source >= burst ? buckets.erase(i) : std::next(i);
      }
    }
    auto [it, fresh] = buckets.try_emplace(src, Bucket{burst, now});
    Bucket& b = it->second;
    if (!fresh) {
      const double dt = std::chrono::duration<double>(now - b.last).count();
      b.tokens = std::min(burst, b.tokens + dt * opt.rate_per_source);
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  void release(const std::string& src) {
    std::lock_guard<std::mutex> g(conn_mu);
    auto it = per_source.find(src);
    if (it != per_source.end() && --it->second == 0) per_source.erase(it);
    --open;
  }

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket sock);

  // Runs one parsed request (on a worker thread).
  void dispatch(Route r, const http::request<http::string_body>& req, const std::string& src,
                Reply* out);
  // GET /fleet and POST /fleet/login (404 unless an operator token was configured).
  void fleet(Route r, const http::request<http::string_body>& req, Reply* out);
  bool token_ok(const std::string& presented) const;
  metrics::Counter fleet_denied;
};

namespace {

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpService::Impl* srv, std::string src, Stream&& s)
      : srv_(srv), src_(std::move(src)), stream_(std::move(s)) {}
  Session(HttpService::Impl* srv, std::string src, tcp::socket&& sock, ssl::context& ctx)
      : srv_(srv), src_(std::move(src)), stream_(std::move(sock), ctx) {}
  ~Session() { srv_->release(src_); }

  void start() {
    if constexpr (kTls) {
      lowest().expires_after(ms(srv_->opt.handshake_timeout_ms));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->on_error(ec);
                                self->wait_request();
                              });
    } else {
      wait_request();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  static std::chrono::milliseconds ms(int v) { return std::chrono::milliseconds(v); }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void on_error(beast::error_code ec) {
    if (ec == beast::error::timeout) ++srv_->timed_out;
    // Anything else (peer closed, reset, bad TLS) just ends the connection.
  }

  // Idle wait: the first byte of the next request, within idle_timeout.
  void wait_request() {
    parser_.emplace();
    parser_->header_limit(kMaxHeader);
    parser_->body_limit(kMaxAttestBody);
    if (buf_.size() > 0) return read_header();  // pipelined bytes already here
    lowest().expires_after(ms(srv_->opt.idle_timeout_ms));
    stream_.async_read_some(buf_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->on_error(ec);
                              self->buf_.commit(n);
                              self->read_header();
                            });
  }

  // The whole header within header_timeout of its first byte (slowloris).
  void read_header() {
    lowest().expires_after(ms(srv_->opt.header_timeout_ms));
    http::async_read_header(
        stream_, buf_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit) return reply_error(431, "header too large");
    if (ec == http::error::body_limit) return reply_error(413, "body too large");
    if (ec) {
      if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
          ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted || ec == ssl::error::stream_truncated) {
        return on_error(ec);
      }
      return reply_error(400, "malformed HTTP request");
    }
    const auto& h = parser_->get();
    const beast::string_view target = h.target();
    const size_t qm = target.find('?');
    route_ = route_of(h.method(), target.substr(0, qm));
    const size_t limit = body_limit_for(route_);
    const auto cl = parser_->content_length();
    if (cl && *cl > limit) return reply_error(413, "body too large for this endpoint");
    parser_->body_limit(limit);
    if (parser_->is_done()) return on_request();
    lowest().expires_after(ms(srv_->opt.body_timeout_ms));
    http::async_read(stream_, buf_, *parser_,
                     [self = this->shared_from_this()](beast::error_code e, size_t) {
                       if (e == http::error::body_limit) {
                         return self->reply_error(413, "body too large for this endpoint");
                       }
                       if (e) return self->on_error(e);
                       self->on_request();
                     });
  }

  void on_request() {
    lowest().expires_never();  // the worker's time is bounded by the queue, not the socket
    keep_alive_ = parser_->get().keep_alive();
    if (route_ == Route::kNotFound) return reply(404, err_body("no such endpoint"));
    if (route_ == Route::kMethod) return reply(405, err_body("method not allowed here"));
    if (route_ == Route::kHealth) {
      return reply(200, json{{"status", "ok"}, {"version", kVersion}}.dump());
    }
    if (route_ == Route::kEarKey) return reply(200, srv_->owner->ear_key_body());
    if (!srv_->take_token(src_)) {
      ++srv_->rate_limited;
      return reply(429, err_body("too many requests from this address, retry"));
    }
    auto self = this->shared_from_this();
    req_ = parser_->release();
    const auto pushed = srv_->queue.push(
        src_,
        [self]() {
          Reply rep;
          self->srv_->dispatch(self->route_, self->req_, self->src_, &rep);
          asio::post(self->lowest().get_executor(),
                     [self, r = std::move(rep)]() mutable { self->reply(std::move(r)); });
        },
        srv_->opt.queue_depth, srv_->opt.queue_per_source);
    if (pushed != WorkQueue::Push::kOk) {
      ++srv_->busy;
      keep_alive_ = false;
      reply(503, err_body(pushed == WorkQueue::Push::kFullSource
                              ? "too many requests from this address in flight"
                              : "verifier busy, retry"));
    }
  }

  void reply_error(int status, const std::string& why) {
    keep_alive_ = false;
    reply(status, err_body(why));
  }

  void reply(int status, std::string body) {
    Reply r;
    r.status = status;
    r.body = std::move(body);
    reply(std::move(r));
  }

  void reply(Reply r) {
    ++srv_->requests;
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(http::field::server, std::string("locus-verifier/") + kVersion);
    res_.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res_.set(k, v);
    if (r.status == 503 || r.status == 429) res_.set(http::field::retry_after, "1");
    res_.keep_alive(keep_alive_ && !srv_->stopping.load());
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    lowest().expires_after(ms(srv_->opt.write_timeout_ms));
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->on_error(ec);
                        if (self->res_.keep_alive()) return self->wait_request();
                        self->close();
                      });
  }

  void close() {
    if constexpr (kTls) {
      lowest().expires_after(ms(srv_->opt.write_timeout_ms));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->lowest().close(); });
    } else {
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  HttpService::Impl* srv_;
  std::string src_;
  Stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  Route route_ = Route::kNotFound;
  bool keep_alive_ = false;
};

}  // namespace

void HttpService::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
    on_accept(ec, std::move(s));
  });
}

void HttpService::Impl::on_accept(beast::error_code ec, tcp::socket sock) {
  if (stopping.load() || ec == asio::error::operation_aborted) return;
  if (ec) {
    // EMFILE/ENFILE and the like: back off briefly instead of spinning on the error.
    host::log(host::LogLevel::kWarn, "verifier_accept_error", json{{"error", ec.message()}}.dump());
    accept_retry.expires_after(std::chrono::milliseconds(50));
    accept_retry.async_wait([this](beast::error_code) {
      if (!stopping.load()) do_accept();
    });
    return;
  }
  beast::error_code e2;
  const auto ep = sock.remote_endpoint(e2);
  if (e2) {
    do_accept();
    return;
  }
  const std::string src = ep.address().to_string();
  if (!admit(src)) {
    sock.close(e2);
    do_accept();
    return;
  }
  sock.set_option(tcp::no_delay(true), e2);
  if (tls) {
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(this, src, std::move(sock),
                                                                    *tls)
        ->start();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(this, src, beast::tcp_stream(std::move(sock)))
        ->start();
  }
  do_accept();
}

void HttpService::Impl::dispatch(Route r, const http::request<http::string_body>& req,
                                 const std::string& src, Reply* out) {
  const beast::string_view target = req.target();
  const size_t qm = target.find('?');
  const beast::string_view q =
      qm == beast::string_view::npos ? beast::string_view() : target.substr(qm + 1);
  std::string* body = &out->body;
  int* status = &out->status;
  switch (r) {
    case Route::kNonce: *status = owner->handle_nonce(req.body(), body, src); return;
    case Route::kAttest: *status = owner->handle_attest(req.body(), body); return;
    case Route::kRequired: *status = owner->handle_required(query_param(q, "ueid"), body); return;
    case Route::kQuotePolicy:
      *status = owner->handle_quote_policy(query_param(q, "ueid"), body);
      return;
    case Route::kFleet:
    case Route::kFleetLogin: fleet(r, req, out); return;
    case Route::kMetrics:
      *status = 200;
      *body = render_metrics();
      out->content_type = metrics::kContentType;
      return;
    default:
      *status = 500;
      *body = err_body("internal error");
      return;
  }
}

bool HttpService::Impl::token_ok(const std::string& presented) const {
  // Digests of both, compared in constant time: neither the length nor a prefix of the
  // token leaks through timing.
  crypto::Digest a{}, b{};
  if (opt.operator_token.empty() || presented.empty()) return false;
  if (!crypto::sha256(opt.operator_token, &a).ok() || !crypto::sha256(presented, &b).ok())
    return false;
  return crypto::ct_equal(a, b);
}

namespace {

// The value of cookie `name` in a Cookie header ("a=1; b=2"); "" when absent.
std::string cookie_value(beast::string_view h, const std::string& name) {
  std::string s(h);
  size_t p = 0;
  while (p < s.size()) {
    while (p < s.size() && (s[p] == ' ' || s[p] == ';')) p++;
    const size_t e = s.find(';', p);
    const std::string kv = s.substr(p, e == std::string::npos ? std::string::npos : e - p);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == name) return kv.substr(eq + 1);
    if (e == std::string::npos) break;
    p = e + 1;
  }
  return "";
}

// application/x-www-form-urlencoded value of `key` (percent and '+' decoded); "" if absent.
std::string form_value(const std::string& body, const std::string& key) {
  size_t p = 0;
  while (p <= body.size()) {
    const size_t e = body.find('&', p);
    const std::string kv = body.substr(p, e == std::string::npos ? std::string::npos : e - p);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == key) {
      std::string out;
      const std::string v = kv.substr(eq + 1);
      for (size_t i = 0; i < v.size(); i++) {
        if (v[i] == '+') {
          out += ' ';
        } else if (v[i] == '%' && i + 2 < v.size()) {
          auto hx = host::hex_decode(v.substr(i + 1, 2));
          if (!hx.ok() || hx.value().size() != 1) return "";
          out += static_cast<char>(hx.value()[0]);
          i += 2;
        } else {
          out += v[i];
        }
      }
      return out;
    }
    if (e == std::string::npos) break;
    p = e + 1;
  }
  return "";
}

constexpr char kFleetCookie[] = "locus_operator";

void html_reply(Reply* out, int status, std::string body) {
  out->status = status;
  out->body = std::move(body);
  out->content_type = "text/html; charset=utf-8";
  out->headers.push_back({"Cache-Control", "no-store"});
  out->headers.push_back({"X-Content-Type-Options", "nosniff"});
  out->headers.push_back({"Referrer-Policy", "no-referrer"});
  // No script at all; inline style and the inline SVG only; forms post to this origin.
  out->headers.push_back({"Content-Security-Policy",
                          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"});
}

}  // namespace

void HttpService::Impl::fleet(Route r, const http::request<http::string_body>& req, Reply* out) {
  if (opt.operator_token.empty()) {
    out->status = 404;
    out->body = err_body("no such endpoint");
    return;
  }
  if (r == Route::kFleetLogin) {
    if (!token_ok(form_value(req.body(), "token"))) {
      fleet_denied.inc();
      html_reply(out, 401, render_fleet_login("Wrong operator token."));
      return;
    }
    html_reply(out, 303, "");
    out->headers.push_back({"Location", "/fleet"});
    // Lax, not Strict: the redirect after this POST must carry it. HttpOnly: no script can
    // read it (the page has none anyway). Secure on HTTPS.
    out->headers.push_back({"Set-Cookie", std::string(kFleetCookie) + "=" + opt.operator_token +
                                              "; Path=/fleet; HttpOnly; SameSite=Lax" +
                                              (tls ? "; Secure" : "")});
    return;
  }
  std::string presented;
  const auto auth = req.find(http::field::authorization);
  if (auth != req.end()) {
    const std::string a(auth->value());
    if (a.compare(0, 7, "Bearer ") == 0) presented = a.substr(7);
  } else {
    const auto ck = req.find(http::field::cookie);
    if (ck != req.end()) presented = cookie_value(ck->value(), kFleetCookie);
  }
  if (!token_ok(presented)) {
    fleet_denied.inc();
    html_reply(out, 401, render_fleet_login(presented.empty() ? "" : "Wrong operator token."));
    out->headers.push_back({"WWW-Authenticate", "Bearer realm=\"locus fleet\""});
    return;
  }
  // ?after=<UEID hex>&limit=<n>: which page of boards (fleet_page.h). Anything else in them
  // is refused with the reason, never read as "from the first" or "all".
  FleetQuery fq;
  {
    const beast::string_view target = req.target();
    const size_t qm = target.find('?');
    const beast::string_view qs =
        qm == beast::string_view::npos ? beast::string_view() : target.substr(qm + 1);
    const std::string after = query_param(qs, "after"), limit = query_param(qs, "limit");
    if (!after.empty()) {
      auto u = host::hex_decode(after);
      if (!u.ok() || u.value().size() != protocol::kUeidSize) {
        html_reply(out, 400,
                   "<!DOCTYPE html><p id=\"query-error\">query parameter 'after' must be a "
                   "UEID: 66 hex digits</p>");
        return;
      }
      fq.after = u.take();
    }
    if (!limit.empty()) {
      const bool digits = limit.size() <= 5 && std::all_of(limit.begin(), limit.end(), [](char c) {
                            return c >= '0' && c <= '9';
                          });
      const int64_t n = digits ? std::stoll(limit) : 0;
      if (!digits || n < 1 || n > kFleetMaxLimit) {
        html_reply(out, 400,
                   "<!DOCTYPE html><p id=\"query-error\">query parameter 'limit' must be 1.." +
                       std::to_string(kFleetMaxLimit) + "</p>");
        return;
      }
      fq.limit = n;
    }
  }
  auto pagehtml = render_fleet_page(*owner->v_, fq);
  if (!pagehtml.ok()) {
    registry_errors.inc();
    html_reply(out, 500,
               "<!DOCTYPE html><p>registry error: " + html_escape(pagehtml.message()) + "</p>");
    return;
  }
  html_reply(out, 200, pagehtml.take());
}

std::string HttpService::Impl::render_metrics() {
  std::string o;
  metrics::header("locus_verifier_decisions_total", "Decisions made, by status.", "counter", &o);
  // Both statuses always present, so that a rate() starts at 0 rather than at absence.
  decisions.at("affirming");
  decisions.at("contraindicated");
  decisions.render("locus_verifier_decisions_total", "status", &o);
  metrics::header("locus_verifier_refusals_total",
                  "Contraindicated decisions, by the first check that failed.", "counter", &o);
  refusals.render("locus_verifier_refusals_total", "check", &o);
  metrics::header("locus_verifier_appraisal_seconds",
                  "Time to appraise one POST /v1/attest and record its decision.", "histogram", &o);
  appraisal.render("locus_verifier_appraisal_seconds", "", &o);
  metrics::header("locus_verifier_nonces_issued_total", "Nonces issued.", "counter", &o);
  metrics::sample("locus_verifier_nonces_issued_total", "", nonces_issued.value(), &o);
  metrics::header("locus_verifier_nonce_requests_refused_total",
                  "POST /v1/nonce refused (unknown, pending or revoked device, or error).",
                  "counter", &o);
  metrics::sample("locus_verifier_nonce_requests_refused_total", "", nonce_refused.value(), &o);
  auto open_nonces = owner->v_->open_nonces();
  if (!open_nonces.ok()) registry_errors.inc();
  metrics::header("locus_verifier_outstanding_nonces",
                  "Nonces issued, unused and unexpired, in the registry (-1: could not be read).",
                  "gauge", &o);
  metrics::sample_i("locus_verifier_outstanding_nonces", "",
                    open_nonces.ok() ? open_nonces.value() : -1, &o);
  metrics::header("locus_verifier_registry_errors_total",
                  "Registry operations that failed (decision not recorded, nonce not stored, "
                  "lookups failed).",
                  "counter", &o);
  metrics::sample("locus_verifier_registry_errors_total", "", registry_errors.value(), &o);
  const registry::Registry* reg = owner->v_->registry();
  const registry::CommitStats cs = reg != nullptr ? reg->commit_stats() : registry::CommitStats{};
  metrics::header("locus_verifier_registry_transactions_total",
                  "Durable registry transactions committed (decisions, revocations, ...).",
                  "counter", &o);
  metrics::sample("locus_verifier_registry_transactions_total", "", cs.transactions, &o);
  metrics::header("locus_verifier_registry_commits_total",
                  "Registry COMMITs (each one fdatasync) that made them durable: fewer than the "
                  "transactions where group commit joined concurrent ones (SQLite).",
                  "counter", &o);
  metrics::sample("locus_verifier_registry_commits_total", "", cs.commits, &o);
  metrics::header("locus_verifier_ear_unsigned_total",
                  "Decisions returned without a signed EAR (signing failed).", "counter", &o);
  metrics::sample("locus_verifier_ear_unsigned_total", "", ear_unsigned.value(), &o);
  metrics::header("locus_verifier_fleet_denied_total",
                  "Fleet page requests refused (no or wrong operator token).", "counter", &o);
  metrics::sample("locus_verifier_fleet_denied_total", "", fleet_denied.value(), &o);
  metrics::header("locus_verifier_http_connections_open", "HTTP connections open now.", "gauge",
                  &o);
  metrics::sample("locus_verifier_http_connections_open", "", open.load(), &o);
  metrics::header("locus_verifier_http_connections_accepted_total",
                  "HTTP connections accepted and kept.", "counter", &o);
  metrics::sample("locus_verifier_http_connections_accepted_total", "", accepted.load(), &o);
  metrics::header("locus_verifier_http_connections_refused_total",
                  "HTTP connections closed at once by a cap (total or per source address).",
                  "counter", &o);
  metrics::sample("locus_verifier_http_connections_refused_total", metrics::label("cap", "source"),
                  refused_source.load(), &o);
  metrics::sample("locus_verifier_http_connections_refused_total", metrics::label("cap", "total"),
                  refused_total.load(), &o);
  metrics::header("locus_verifier_http_timeouts_total", "HTTP connections closed by a deadline.",
                  "counter", &o);
  metrics::sample("locus_verifier_http_timeouts_total", "", timed_out.load(), &o);
  metrics::header("locus_verifier_http_requests_total", "HTTP responses written.", "counter", &o);
  metrics::sample("locus_verifier_http_requests_total", "", requests.load(), &o);
  metrics::header("locus_verifier_http_busy_total", "Requests answered 503 (work queue full).",
                  "counter", &o);
  metrics::sample("locus_verifier_http_busy_total", "", busy.load(), &o);
  metrics::header("locus_verifier_http_rate_limited_total",
                  "Requests answered 429 (per-source rate limit).", "counter", &o);
  metrics::sample("locus_verifier_http_rate_limited_total", "", rate_limited.load(), &o);
  return o;
}

HttpService::HttpService(Verifier* v, ServiceOptions opt)
    : impl_(new Impl(this, std::move(opt))), v_(v) {}

HttpService::~HttpService() = default;

ServiceStats HttpService::stats() const {
  ServiceStats s;
  s.accepted = impl_->accepted.load();
  s.refused_total = impl_->refused_total.load();
  s.refused_source = impl_->refused_source.load();
  s.timed_out = impl_->timed_out.load();
  s.requests = impl_->requests.load();
  s.busy = impl_->busy.load();
  s.rate_limited = impl_->rate_limited.load();
  s.open = impl_->open.load();
  return s;
}

const ServiceOptions& HttpService::options() const {
  return impl_->opt;
}

int HttpService::handle_nonce(const std::string& body, std::string* out,
                              const std::string& source) {
  json j;
  if (!host::read_json(body, &j) || !j.is_object()) {
    *out = err_body("body is not a JSON object");
    return 400;
  }
  host::Bytes ueid;
  std::string e;
  if (!get_hex(j, "ueid", 33, &ueid, &e)) {
    *out = err_body(e);
    return 400;
  }
  auto n = v_->issue_nonce(ueid, source);
  if (!n.ok()) {
    impl_->nonce_refused.inc();
    if (n.code() == HostError::kDb) impl_->registry_errors.inc();
    *out = err_body(n.code() == HostError::kNotFound ? "unknown device" : n.message());
    return status_for(n.code());
  }
  impl_->nonces_issued.inc();
  *out =
      json{{"nonce", host::b64_encode(n.value().nonce)}, {"expires_in_s", n.value().expires_in_s}}
          .dump();
  return 200;
}

int HttpService::handle_attest(const std::string& body, std::string* out) {
  json j;
  if (!host::read_json(body, &j) || !j.is_object()) {
    *out = err_body("body is not a JSON object");
    return 400;
  }
  AttestRequest r;
  std::string e;
  if (!get_hex(j, "ueid", 33, &r.ueid, &e) || !get_b64(j, "nonce", &r.nonce, &e) ||
      !get_b64(j, "evidence", &r.evidence, &e)) {
    *out = err_body(e);
    return 400;
  }
  if (r.nonce.size() < 16 || r.nonce.size() > 64) {
    *out = err_body("nonce must be 16..64 bytes");
    return 400;
  }
  if (j.contains("landmark_records") && !j["landmark_records"].is_null()) {
    const json& lr = j["landmark_records"];
    if (!lr.is_array() || lr.size() > 32) {
      *out = err_body("landmark_records must be an array (at most 32)");
      return 400;
    }
    for (const auto& p : lr) {
      LandmarkPair lp;
      if (!p.is_object() || !get_b64(p, "record", &lp.record, &e) ||
          !get_b64(p, "transcript", &lp.transcript, &e)) {
        *out = err_body(e.empty() ? "landmark_records entries must be objects"
                                  : "landmark_records: " + e);
        return 400;
      }
      r.landmarks.push_back(std::move(lp));
    }
  }
  if (j.contains("tpm")) r.tpm = std::move(j["tpm"]);
  AttestResult res;
  // No process-wide lock: single-use nonces, counters and the decision + audit record are
  // made consistent by the registry's transactions (verifier.h: safe to call concurrently).
  const auto t0 = std::chrono::steady_clock::now();
  res = v_->attest(r);
  impl_->appraisal.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  impl_->decisions.at(res.affirming ? "affirming" : "contraindicated").inc();
  if (!res.affirming) {
    std::string first = "none";
    for (const auto& c : res.checks)
      if (!c.pass) {
        first = c.name;
        break;
      }
    impl_->refusals.at(first).inc();
  }
  for (const auto& c : res.checks)
    if (c.name == "record" && !c.pass) impl_->registry_errors.inc();
  if (res.ear.empty()) impl_->ear_unsigned.inc();
  // The decision's text as stored in its row (serialised once); keys in the order
  // nlohmann::json would print them.
  const bool licensed = res.affirming && !res.license.empty();
  if (host::log_enabled(host::LogLevel::kInfo))  // the line is built only when printed
    host::log(host::LogLevel::kInfo, "decision",
              json{{"ueid", host::hex_encode(r.ueid)},
                   {"status", res.decision.value("status", "")},
                   {"decision_id", res.decision_id},
                   {"reason", res.first_failure()}}
                  .dump());
  // The EAR is a JWS compact serialisation (base64url and dots): no JSON escaping needed.
  *out = "{\"decision\":" + res.decision_json +
         ",\"ear\":" + (res.ear.empty() ? std::string("null") : "\"" + res.ear + "\"") +
         ",\"license\":" +
         (licensed ? "\"" + host::b64_encode(res.license) + "\"" : std::string("null")) + "}";
  return 200;
}

std::string HttpService::ear_key_body() const {
  const auto& pub = v_->ear_public_key();
  auto pem = host::public_key_to_pem(pub);
  return json{{"alg", "ES256"},
              {"kid", ear_key_id(pub)},
              {"jwk", ear_public_jwk(pub)},
              {"pem", pem.ok() ? pem.value() : ""}}
      .dump();
}

int HttpService::handle_required(const std::string& ueid_hex, std::string* out) {
  auto u = host::hex_decode(ueid_hex);
  if (!u.ok() || u.value().size() != 33) {
    *out = err_body("query parameter 'ueid' must be 33 bytes of hex");
    return 400;
  }
  auto r = v_->required_landmarks(u.value());
  if (!r.ok()) {
    if (r.code() != HostError::kNotFound) impl_->registry_errors.inc();
    *out = err_body(r.code() == HostError::kNotFound ? r.message() : "internal error");
    return status_for(r.code());
  }
  *out = r.value().dump();
  return 200;
}

int HttpService::handle_quote_policy(const std::string& ueid_hex, std::string* out) {
  auto u = host::hex_decode(ueid_hex);
  if (!u.ok() || u.value().size() != 33) {
    *out = err_body("query parameter 'ueid' must be 33 bytes of hex");
    return 400;
  }
  auto r = v_->quote_policy(u.value());
  if (!r.ok()) {
    if (r.code() != HostError::kNotFound) impl_->registry_errors.inc();
    *out = err_body(r.code() == HostError::kNotFound ? r.message() : "internal error");
    return status_for(r.code());
  }
  *out = r.value().dump();
  return 200;
}

namespace {

HStatus load_tls(const ServiceOptions& o, std::optional<ssl::context>* out) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty()) {
    if (!o.tls_client_ca_file.empty()) {
      return {HostError::kConfig, "a TLS client CA needs a server certificate and key"};
    }
    return HStatus::Ok();
  }
  if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
    return {HostError::kConfig, "HTTPS needs both a certificate and a key"};
  }
  out->emplace(ssl::context::tls_server);
  ssl::context& c = **out;
  beast::error_code ec;
  c.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::single_dh_use,
                ec);
  if (!ec) c.use_certificate_chain_file(o.tls_cert_file, ec);
  if (ec) {
    out->reset();
    return {HostError::kConfig, "TLS certificate " + o.tls_cert_file + ": " + ec.message()};
  }
  c.use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    out->reset();
    return {HostError::kConfig, "TLS key " + o.tls_key_file + ": " + ec.message()};
  }
  if (!o.tls_client_ca_file.empty()) {
    c.load_verify_file(o.tls_client_ca_file, ec);
    if (!ec) c.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) {
      out->reset();
      return {HostError::kConfig, "TLS client CA " + o.tls_client_ca_file + ": " + ec.message()};
    }
  }
  return HStatus::Ok();
}

// Raises RLIMIT_NOFILE to its hard limit and returns how many descriptors the server may use.
uint64_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? (uint64_t(1) << 20) : uint64_t(rl.rlim_cur);
}

}  // namespace

HostResult<int> HttpService::bind(const std::string& hostaddr, int port) {
  Impl& m = *impl_;
  HStatus t = load_tls(m.opt, &m.tls);
  if (!t.ok()) return t.error();
  if (m.opt.max_connections == 0 || m.opt.max_per_source == 0 || m.opt.queue_depth == 0 ||
      m.opt.queue_per_source == 0 || m.opt.backlog <= 0) {
    return {HostError::kConfig, "connection caps, queue bounds and backlog must be positive"};
  }
  // Keep 64 descriptors for the registry, the audit log and the process itself.
  const uint64_t fds = raise_fd_limit();
  if (fds < 128) return {HostError::kConfig, "RLIMIT_NOFILE is below 128"};
  if (m.opt.max_connections > fds - 64) {
    host::log(host::LogLevel::kWarn, "verifier_fd_limit",
              json{{"max_connections", m.opt.max_connections}, {"lowered_to", fds - 64}}.dump());
    m.opt.max_connections = size_t(fds - 64);
  }
  beast::error_code ec;
  const auto addr = asio::ip::make_address(hostaddr, ec);
  if (ec) return {HostError::kUsage, "listen address must be an IP address: " + hostaddr};
  const tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(m.opt.backlog, ec);
  if (ec) {
    return {HostError::kNetwork,
            "cannot listen on " + hostaddr + ":" + std::to_string(port) + ": " + ec.message()};
  }
  return int(m.acceptor.local_endpoint().port());
}

HStatus HttpService::run() {
  Impl& m = *impl_;
  if (!m.acceptor.is_open()) return {HostError::kUsage, "run() before a successful bind()"};
  unsigned n =
      m.opt.workers != 0u ? m.opt.workers : 4 * std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    m.workers.emplace_back([&m] {
      std::function<void()> job;
      while (m.queue.pop(&job)) {
        job();
        job = nullptr;
      }
    });
  }
  m.do_accept();
  m.ioc.run();
  m.queue.stop();
  for (auto& t : m.workers) t.join();
  m.workers.clear();
  return HStatus::Ok();
}

void HttpService::stop() {
  impl_->shutdown();
}

}  // namespace locus::verifier

namespace locus::verifier {

HostResult<std::string> load_operator_token(const std::string& path) {
  auto t = host::read_text_file(path, 4096);
  if (!t.ok()) return {HostError::kConfig, "operator token: " + t.message()};
  std::string s = t.value();
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  if (s.size() < 16 || s.size() > 256)
    return {HostError::kConfig, path + ": operator token must be 16..256 characters"};
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '~' || c == '-';
    if (!ok)
      return {HostError::kConfig,
              path + ": operator token may only contain A-Z a-z 0-9 . _ ~ - (one line)"};
  }
  return s;
}

}  // namespace locus::verifier
