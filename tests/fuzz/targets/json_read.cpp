// Fuzz target json_read: host::read_json (request bodies of the verifier's HTTP API) against
// nlohmann::json::parse, differentially. Invariants: both accept or both refuse the input;
// when both accept, the two documents are the same tree (same type at every node, same
// values: integers stay unsigned / signed as nlohmann makes them, doubles bit for bit). The
// allowed differences: read_json refuses nesting deeper than kJsonMaxDepth, and any NUL byte
// (nlohmann takes one outside a string for the end of the input and ignores what follows).
#include "locus/common/json_read.h"

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_targets.h"

namespace {

using nlohmann::json;

bool same(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json::value_t::object: {
      if (a.size() != b.size()) return false;
      auto ib = b.begin();
      for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib)
        if (ia.key() != ib.key() || !same(ia.value(), ib.value())) return false;
      return true;
    }
    case json::value_t::array:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i])) return false;
      return true;
    case json::value_t::number_float: {
      const double x = a.get<double>(), y = b.get<double>();
      uint64_t bx = 0, by = 0;  // bit for bit: -0.0 is not 0.0
      std::memcpy(&bx, &x, sizeof bx);
      std::memcpy(&by, &y, sizeof by);
      return bx == by;
    }
    default: return a == b;
  }
}

}  // namespace

extern "C" int locus_fuzz_json_read(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  json mine;
  std::string why;
  const bool ok = locus::host::read_json(text, &mine, &why);
  LOCUS_FUZZ_CHECK(ok == why.empty());
  LOCUS_FUZZ_CHECK(ok != mine.is_discarded());
  if (!ok && why.rfind("nesting too deep", 0) == 0) return 0;
  if (text.find('\0') != std::string_view::npos) {
    LOCUS_FUZZ_CHECK(!ok);  // never valid JSON text, in or out of a string
    return 0;
  }
  const json ref = json::parse(text.begin(), text.end(), nullptr, false);
  LOCUS_FUZZ_CHECK(ok == !ref.is_discarded());
  if (!ok) return 0;
  LOCUS_FUZZ_ACCEPTED();
  LOCUS_FUZZ_CHECK(same(mine, ref));
  return 0;
}
