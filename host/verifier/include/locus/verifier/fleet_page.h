// locus/verifier/fleet_page.h: the operator's read-only fleet page (GET /fleet), served only
// when the verifier was started with an operator token (docs/verifier-server.md "Fleet
// page"). Server-rendered HTML with inline SVG, no script.
//
// Contents: the boards of the page (UEID, site, host, hardware model, enrollment state, mode and
// lease left as last decided, last decision with its first failing check, firmware FWID/SVN from
// its last evidence); per site of the policy its approved zones, required landmarks and the
// decision map (location::render_svg, as `locus verifier explain` draws it) of the site's
// latest decision with landmark measurements; every landmark of the trust list with its
// health (a TCP connect to its set-up port, all at once, 300 ms at most in all) and the last
// decision that used it. When the fleet has more than one page, the maps and "last used" come from
// the boards of the page shown, and say so. Every string that comes from boards, the registry or
// the configuration is HTML-escaped.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "locus/common/common.h"

namespace locus::verifier {

class Verifier;

// Which boards the page lists: at most `limit` in UEID order after `after` (empty: from the
// first). GET /fleet?after=<66 hex digits>&limit=<1..kFleetMaxLimit>; the page links to the
// next one. The render reads the page's boards and their newest decisions only, so its cost
// follows the page, not the fleet.
constexpr int64_t kFleetDefaultLimit = 1000;
constexpr int64_t kFleetMaxLimit = 10000;
struct FleetQuery {
  host::Bytes after;
  int64_t limit = kFleetDefaultLimit;
};

// The page; kDb (or another registry error) if the registry cannot be read.
host::HostResult<std::string> render_fleet_page(const Verifier& v, const FleetQuery& q = {});
// The login form (401 answer), with an optional message.
std::string render_fleet_login(const std::string& message);
// HTML text escaping (& < > " ').
std::string html_escape(const std::string& s);
// Landmark health: a TCP connect to each (host, port), all at once, true for those that
// completed within timeout_ms in all (so the page waits timeout_ms at most, not once per
// unreachable landmark). An empty host or port 0 is false.
std::vector<bool> probe_ports(const std::vector<std::pair<std::string, uint16_t>>& targets,
                              int timeout_ms);

}  // namespace locus::verifier
