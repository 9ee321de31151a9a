// locus/verifier/fleet_page.h: the operator's read-only fleet page (GET /fleet), served only
// when the verifier was started with an operator token (docs/verifier-server.md "Fleet
// page"). Server-rendered HTML with inline SVG, no script.
//
// Contents: every board (UEID, site, host, hardware model, enrollment state, mode and lease
// left as last decided, last decision with its first failing check, firmware FWID/SVN from
// its last evidence); per site of the policy its approved zones, required landmarks and the
// decision map (location::render_svg, as `locus verifier explain` draws it) of the site's
// latest decision with landmark measurements; every landmark of the trust list with its
// health (a TCP connect to its set-up port, 300 ms at most, and the last decision that used
// it). Every string that comes from boards, the registry or the configuration is
// HTML-escaped.
#pragma once

#include <string>

#include "locus/common/common.h"

namespace locus::verifier {

class Verifier;

// The whole page; kDb (or another registry error) if the registry cannot be read.
host::HostResult<std::string> render_fleet_page(const Verifier& v);
// The login form (401 answer), with an optional message.
std::string render_fleet_login(const std::string& message);
// HTML text escaping (& < > " ').
std::string html_escape(const std::string& s);

}  // namespace locus::verifier
