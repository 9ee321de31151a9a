// JSON text into nlohmann::json (json_read.h): a recursive-descent reader over the bytes,
// depth-limited, building the same values nlohmann's own parser builds.
#include "locus/common/json_read.h"

#include <locale.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

namespace locus::host {

namespace {

using nlohmann::json;

class Reader {
 public:
  Reader(std::string_view t, std::string* why)
      : begin_(t.data()), p_(t.data()), end_(t.data() + t.size()), why_(why) {}

  bool document(json* out) {
    if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF &&
        static_cast<unsigned char>(p_[1]) == 0xBB && static_cast<unsigned char>(p_[2]) == 0xBF)
      p_ += 3;  // a UTF-8 byte order mark, as nlohmann skips it
    ws();
    if (!value(out, 0)) return false;
    ws();
    if (p_ != end_) return fail("unexpected data after the JSON value");
    return true;
  }

 private:
  bool fail(const char* what) {
    if (why_ != nullptr)
      *why_ = std::string(what) + " at byte " + std::to_string(static_cast<long>(p_ - begin_));
    return false;
  }

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool literal(const char* word, size_t n, json v, json* out) {
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0)
      return fail("invalid literal");
    p_ += n;
    *out = std::move(v);
    return true;
  }

  bool value(json* out, int depth) {
    if (p_ == end_) return fail("unexpected end of input");
    switch (*p_) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': {
        std::string s;
        if (!string(&s)) return false;
        *out = std::move(s);
        return true;
      }
      case 't': return literal("true", 4, json(true), out);
      case 'f': return literal("false", 5, json(false), out);
      case 'n': return literal("null", 4, json(nullptr), out);
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return number(out);
        return fail("invalid value");
    }
  }

  // The shape an object and an array share: the opening byte, then elements separated by ','
  // up to `close`; `element` reads one (a key and its value, or a value).
  template <typename Element>
  bool sequence(char close, int depth, Element element) {
    if (depth > kJsonMaxDepth) return fail("nesting too deep");
    ++p_;  // '{' or '['
    ws();
    if (p_ < end_ && *p_ == close) {
      ++p_;
      return true;
    }
    for (;;) {
      if (!element()) return false;
      ws();
      if (p_ == end_) return fail("unexpected end of input");
      if (*p_ == ',') {
        ++p_;
        ws();
        continue;
      }
      if (*p_ == close) {
        ++p_;
        return true;
      }
      return fail(close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }

  bool object(json* out, int depth) {
    *out = json::object();
    auto& obj = out->get_ref<json::object_t&>();
    return sequence('}', depth, [&]() {
      if (p_ == end_ || *p_ != '"') return fail("expected a string key");
      std::string key;
      if (!string(&key)) return false;
      ws();
      if (p_ == end_ || *p_ != ':') return fail("expected ':'");
      ++p_;
      ws();
      json v;
      if (!value(&v, depth)) return false;
      obj[std::move(key)] = std::move(v);  // a repeated key: the last value wins
      return true;
    });
  }

  bool array(json* out, int depth) {
    *out = json::array();
    auto& arr = out->get_ref<json::array_t&>();
    return sequence(']', depth, [&]() {
      arr.emplace_back();
      return value(&arr.back(), depth);
    });
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Four hex digits after "\u"; -1 if malformed.
  long hex4() {
    if (end_ - p_ < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(p_[i]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    p_ += 4;
    return v;
  }

  static void put_utf8(unsigned long cp, std::string* s) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Length of the well-formed UTF-8 sequence at p_ (lead byte >= 0x80), 0 if ill-formed
  // (Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
  size_t utf8_len() const {
    const auto* u = reinterpret_cast<const unsigned char*>(p_);
    const size_t left = static_cast<size_t>(end_ - p_);
    auto in = [&](size_t i, unsigned lo, unsigned hi) {
      return i < left && u[i] >= lo && u[i] <= hi;
    };
    const unsigned c = u[0];
    if (c >= 0xC2 && c <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
    if (c == 0xE0) return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
      return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    if (c == 0xED) return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
    if (c == 0xF0) return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3)
      return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    if (c == 0xF4) return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    return 0;
  }

  bool string(std::string* s) {
    ++p_;  // opening quote
    for (;;) {
      // The plain run up to the next quote, backslash, control or non-ASCII byte, at once.
      const char* run = p_;
      while (p_ < end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      s->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return fail("control character in a string");
      if (c >= 0x80) {
        const size_t n = utf8_len();
        if (n == 0) return fail("invalid UTF-8 in a string");
        s->append(p_, n);
        p_ += n;
        continue;
      }
      // A backslash escape.
      ++p_;
      if (p_ == end_) return fail("unterminated string");
      const char e = *p_++;
      switch (e) {
        case '"': s->push_back('"'); break;
        case '\\': s->push_back('\\'); break;
        case '/': s->push_back('/'); break;
        case 'b': s->push_back('\b'); break;
        case 'f': s->push_back('\f'); break;
        case 'n': s->push_back('\n'); break;
        case 'r': s->push_back('\r'); break;
        case 't': s->push_back('\t'); break;
        case 'u': {
          const long hi = hex4();
          if (hi < 0) return fail("invalid \\u escape");
          if (hi >= 0xDC00 && hi <= 0xDFFF) return fail("lone low surrogate in \\u escape");
          if (hi >= 0xD800 && hi <= 0xDBFF) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
              return fail("high surrogate without its low surrogate");
            p_ += 2;
            const long lo = hex4();
            if (lo < 0) return fail("invalid \\u escape");
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("high surrogate without its low surrogate");
            put_utf8(0x10000 + ((static_cast<unsigned long>(hi) - 0xD800) << 10) +
                         (static_cast<unsigned long>(lo) - 0xDC00),
                     s);
          } else {
            put_utf8(static_cast<unsigned long>(hi), s);
          }
          break;
        }
        default: --p_; return fail("invalid escape in a string");
      }
    }
  }

  static locale_t c_locale() {
    static const locale_t l = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    return l;
  }

  bool number(json* out) {
    const char* start = p_;
    const bool neg = *p_ == '-';
    if (neg) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail("invalid number");
    uint64_t mag = 0;
    bool overflow = false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        const auto d = static_cast<uint64_t>(*p_ - '0');
        if (mag > (UINT64_MAX - d) / 10) overflow = true;
        mag = mag * 10 + d;
        ++p_;
      }
    }
    bool is_float = false;
    if (p_ < end_ && *p_ == '.') {
      is_float = true;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail("invalid number");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_float = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return fail("invalid number");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (!is_float && !overflow) {
      if (!neg) {
        *out = json(static_cast<json::number_unsigned_t>(mag));
        return true;
      }
      if (mag <= static_cast<uint64_t>(INT64_MAX)) {
        *out = json(-static_cast<json::number_integer_t>(mag));
        return true;
      }
      if (mag == static_cast<uint64_t>(INT64_MAX) + 1) {
        *out = json(static_cast<json::number_integer_t>(INT64_MIN));
        return true;
      }
    }
    // A fraction, an exponent or an integer beyond 64 bits: a double, as nlohmann makes it.
    const std::string tok(start, static_cast<size_t>(p_ - start));
    const locale_t loc = c_locale();
    if (loc == static_cast<locale_t>(nullptr)) return fail("no C locale for numbers");
    const double d = strtod_l(tok.c_str(), nullptr, loc);
    if (!std::isfinite(d)) {
      p_ = start;
      return fail("number overflow");
    }
    *out = json(d);
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::string* why_;
};

}  // namespace

bool read_json(std::string_view text, nlohmann::json* out, std::string* why) {
  Reader r(text, why);
  if (r.document(out)) return true;
  *out = nlohmann::json(nlohmann::json::value_t::discarded);
  return false;
}

nlohmann::json parse_json(std::string_view text) {
  nlohmann::json j;
  (void)read_json(text, &j);  // discarded on failure
  return j;
}

}  // namespace locus::host
