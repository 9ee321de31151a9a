// The operator's fleet page (contract: locus/verifier/fleet_page.h).
#include "locus/verifier/fleet_page.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "locus/common/json_read.h"
#include "locus/location/location.h"
#include "locus/location/svg.h"
#include "locus/verifier/verifier.h"

namespace locus::verifier {

using json = nlohmann::json;

std::string html_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::vector<bool> probe_ports(const std::vector<std::pair<std::string, uint16_t>>& targets,
                              int timeout_ms) {
  std::vector<bool> up(targets.size(), false);
  std::vector<int> fds(targets.size(), -1);
  std::vector<pollfd> pending;
  std::vector<size_t> which;
  for (size_t i = 0; i < targets.size(); i++) {
    const auto& [host, port] = targets[i];
    if (host.empty() || port == 0) continue;
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 ||
        res == nullptr)
      continue;
    const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0) {
      fds[i] = fd;
      if (::connect(fd, res->ai_addr, res->ai_addrlen) == 0) {
        up[i] = true;
      } else if (errno == EINPROGRESS) {
        pending.push_back({fd, POLLOUT, 0});
        which.push_back(i);
      }
    }
    freeaddrinfo(res);
  }
  // All connects are in flight together; one deadline for all of them.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pending.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    const int n = ::poll(pending.data(), pending.size(), static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (size_t k = pending.size(); k-- > 0;) {
      if (pending[k].revents == 0) continue;
      int err = 0;
      socklen_t l = sizeof err;
      up[which[k]] = getsockopt(pending[k].fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err == 0;
      pending.erase(pending.begin() + static_cast<long>(k));
      which.erase(which.begin() + static_cast<long>(k));
    }
  }
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  return up;
}

namespace {

const char kStyle[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;"
    "margin-bottom:1.5em}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left;"
    "font-size:90%}th{background:#eee}.affirming,.full,.reachable{color:#070}"
    ".contraindicated,.restricted,.unreachable{color:#a00}code{font-size:85%}"
    ".site{margin-bottom:2em}";

std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
         html_escape(title) + "</title><style>" + kStyle + "</style></head><body>\n" + body +
         "</body></html>\n";
}

std::string utc(int64_t t) {
  char b[32];
  const time_t tt = static_cast<time_t>(t);
  struct tm tmv {};
  gmtime_r(&tt, &tmv);
  (void)std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%SZ", &tmv);
  return b;
}

std::string first_failure(const json& d) {
  if (d.contains("checks") && d["checks"].is_array())
    for (const auto& c : d["checks"])
      if (c.is_object() && !c.value("pass", false))
        return c.value("name", std::string("?")) + ": " + c.value("reason", std::string());
  return "";
}

// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 is wrong, no member's move throws
struct Last {
  int64_t id = 0, time = 0;
  std::string status;
  json decision;
};

}  // namespace

std::string render_fleet_login(const std::string& message) {
  std::string b = "<h1>locus fleet</h1>\n";
  if (!message.empty()) b += "<p id=\"login-message\">" + html_escape(message) + "</p>\n";
  b += "<form method=\"post\" action=\"/fleet/login\"><label>Operator token "
       "<input type=\"password\" name=\"token\" autocomplete=\"current-password\"></label> "
       "<button type=\"submit\">Open the fleet page</button></form>\n";
  return page("locus fleet: login", b);
}

host::HostResult<std::string> render_fleet_page(const Verifier& v, const FleetQuery& q) {
  registry::Registry* reg = v.registry();
  const int64_t limit = std::clamp<int64_t>(q.limit, 1, kFleetMaxLimit);
  // One board more than the page holds tells whether there is a next page.
  auto devs = reg->devices_after(q.after, limit + 1);
  if (!devs.ok()) return devs.error();
  const bool has_next = static_cast<int64_t>(devs.value().size()) > limit;
  if (has_next) devs.value().pop_back();
  auto total = reg->count_devices();
  if (!total.ok()) return total.error();
  const bool paged = has_next || !q.after.empty();
  // The newest decision of each board of the page (one index lookup per board, not the
  // decision table, which grows with every renewal), oldest first: a site's map and a
  // landmark's last disc come from the newest of these that has them.
  // Bounded by the page's own last board, not by a count: a board enrolled since
  // devices_after() cannot push one of the page's boards out of this read.
  host::HostResult<std::vector<registry::Decision>> decs = std::vector<registry::Decision>{};
  if (!devs.value().empty())
    decs = reg->latest_decisions_between(q.after, devs.value().back().ueid);
  if (!decs.ok()) return decs.error();
  const int64_t now = host::unix_time();
  const Policy& pol = v.policy();
  std::map<std::string, Last> last;           // by UEID hex
  std::map<std::string, Last> last_located;   // by site: latest decision with landmark discs
  std::map<std::string, Last> landmark_last;  // by landmark id
  std::map<std::string, std::string> site_of;
  for (const auto& d : devs.value()) site_of[host::hex_encode(d.ueid)] = d.site;
  for (const auto& d : decs.value()) {
    const std::string u = host::hex_encode(d.ueid);
    // A board enrolled between the two reads, inside the page's UEID range, is not on this
    // page: its decision says nothing here (not even a landmark's last disc).
    if (site_of.count(u) == 0u) continue;
    json j = locus::host::parse_json(d.decision_json);
    if (j.is_discarded()) j = json::object();
    Last l{d.id, d.time, d.status, j};
    last[u] = l;
    if (j.contains("claims") && j["claims"].is_object() && j["claims"].contains("location")) {
      const json& loc = j["claims"]["location"];
      last_located[site_of[u]] = l;
      if (loc.contains("discs") && loc["discs"].is_array())
        for (const auto& di : loc["discs"])
          if (di.is_object() && di.contains("landmark") && di["landmark"].is_string())
            landmark_last[di["landmark"].get<std::string>()] = l;
    }
  }

  std::string b = "<h1>locus fleet</h1>\n<p>Verifier <code>" + html_escape(pol.verifier_id) +
                  "</code>, policy <code>" + html_escape(pol.source) + "</code>, as of " +
                  utc(now) + ". Read-only; mode and lease are as last decided.</p>\n";
  // ---- boards ----
  b += "<h2>Boards (" + std::to_string(total.value()) + ")</h2>\n";
  if (paged) {
    b += "<p id=\"boards-page\">" + std::to_string(devs.value().size()) + " boards in UEID order" +
         (q.after.empty() ? std::string(", from the first")
                          : ", after <code>" + html_escape(host::hex_encode(q.after)) + "</code>") +
         ". <a id=\"first-page\" href=\"/fleet?limit=" + std::to_string(limit) +
         "\">first page</a>";
    if (has_next && !devs.value().empty())
      b += " · <a id=\"next-page\" href=\"/fleet?after=" +
           html_escape(host::hex_encode(devs.value().back().ueid)) +
           "&amp;limit=" + std::to_string(limit) + "\">next " + std::to_string(limit) +
           " boards</a>";
    b += "</p>\n";
  }
  b += "<table id=\"boards\"><tr><th>UEID</th><th>site</th><th>host</th><th>hardware</th>"
       "<th>enrollment</th><th>mode (as last decided)</th><th>lease left</th>"
       "<th>last decision</th><th>reason</th><th>firmware</th></tr>\n";
  for (const auto& d : devs.value()) {
    const std::string u = host::hex_encode(d.ueid);
    std::string enr = d.revoked ? "revoked" : registry::to_string(d.state);
    if (d.revoked && !d.revoke_reason.empty()) enr += " (" + d.revoke_reason + ")";
    std::string mode = "RESTRICTED", lease = "-", dec = "none yet", why, fw = "-";
    std::string mode_class = "restricted";
    auto it = last.find(u);
    if (it != last.end()) {
      const Last& l = it->second;
      dec = "#" + std::to_string(l.id) + " " + l.status + " at " + utc(l.time);
      why = first_failure(l.decision);
      if (l.status == "affirming" && !d.revoked) {
        const int64_t left = l.time + pol.lease_for(pol.site(d.site)) - now;
        if (left > 0) {
          mode = "FULL";
          mode_class = "full";
          lease = std::to_string(left) + " s";
        } else {
          lease = "expired";
        }
      }
      const json& c = l.decision.value("claims", json::object());
      if (c.is_object() && c.contains("fwid") && c["fwid"].is_string())
        fw = c["fwid"].get<std::string>().substr(0, 16) + "… svn " +
             (c.contains("svn") ? c["svn"].dump() : std::string("?"));
    }
    b += "<tr class=\"board\" id=\"board-" + html_escape(u) + "\"><td><code title=\"" +
         html_escape(u) + "\">" + html_escape(u.substr(0, 18)) + "…</code></td><td>" +
         html_escape(d.site) + "</td><td>" + html_escape(d.host) + "</td><td>" +
         html_escape(d.hwmodel) + "</td><td>" + html_escape(enr) + "</td><td class=\"" +
         mode_class + "\">" + mode + "</td><td>" + html_escape(lease) + "</td><td class=\"" +
         (it == last.end() ? std::string() : html_escape(it->second.status)) + "\">" +
         html_escape(dec) + "</td><td>" + html_escape(why) + "</td><td><code>" + html_escape(fw) +
         "</code></td></tr>\n";
  }
  b += "</table>\n";
  // ---- sites ----
  b += "<h2>Sites (" + std::to_string(pol.sites.size()) + ")</h2>\n";
  const std::string of_page = paged ? " among the boards of this page" : "";
  for (const auto& [name, sp] : pol.sites) {
    b += "<div class=\"site\" id=\"site-" + html_escape(name) + "\"><h3>" + html_escape(name) +
         "</h3>\n<ul>";
    for (const auto& z : sp.zones) {
      char disc[96];
      (void)std::snprintf(disc, sizeof disc, "disc %.4f, %.4f, radius %.1f km", z.disc.lat_deg,
                          z.disc.lon_deg, z.disc.radius_km);
      b += "<li>approved zone " + html_escape(z.name) + ": " +
           (z.is_polygon ? "GeoJSON " + html_escape(z.geojson_path) : std::string(disc)) + "</li>";
    }
    for (const auto& z : sp.forbidden) b += "<li>forbidden region " + html_escape(z.name) + "</li>";
    b += "<li>landmarks required: " +
         (sp.landmarks.empty() ? std::string("none") : std::to_string(sp.landmarks.size()));
    for (const auto& l : sp.landmarks) b += " " + html_escape(l);
    b += "</li><li>lease " + std::to_string(pol.lease_for(&sp)) + " s</li></ul>\n";
    if (sp.location) {
      std::vector<location::DiscInfo> discs;
      std::string caption =
          sp.landmarks.empty()
              ? "approved zones (the site requires no landmarks; the verdict "
                "drawn is that of no measurement)"
              : "zones only (no decision with landmark measurements yet" + of_page + ")";
      auto ll = last_located.find(name);
      if (ll != last_located.end()) {
        auto d = location::discs_from_json(ll->second.decision["claims"]["location"]);
        caption = "decision #" + std::to_string(ll->second.id) + " (" + ll->second.status +
                  (paged ? ", the newest" + of_page : std::string()) + ")";
        if (d.ok())
          discs = d.take();
        else  // drawn as zones only, and said so
          caption += ": its location verdict is unreadable (" + d.message() + "); zones only";
      }
      const location::LocationVerdict verdict = location::evaluate(discs, *sp.location);
      std::string svg =
          location::render_svg(verdict, *sp.location, "site " + name + ": " + caption);
      if (svg.compare(0, 5, "<?xml") == 0) svg.erase(0, svg.find("?>") + 2);
      b += "<figure class=\"map\" id=\"map-" + html_escape(name) + "\">" + svg +
           "<figcaption>decision map: " + html_escape(caption) + "</figcaption></figure>\n";
    }
    b += "</div>\n";
  }
  // ---- landmarks ----
  const auto lms = v.trusted_landmarks();
  b += "<h2>Landmarks (" + std::to_string(lms.size()) + ")</h2>\n";
  if (lms.empty()) {
    b += "<p>No landmark trust list configured.</p>\n";
  } else {
    b += "<table id=\"landmarks\"><tr><th>id</th><th>operator</th><th>position</th>"
         "<th>set-up port</th><th>health</th><th>last used" +
         of_page + "</th></tr>\n";
    std::vector<std::pair<std::string, uint16_t>> ports;
    ports.reserve(lms.size());
    for (const auto& l : lms) ports.emplace_back(l.host, l.tcp_port);
    const std::vector<bool> health = probe_ports(ports, 300);
    for (size_t li = 0; li < lms.size(); li++) {
      const auto& l = lms[li];
      const bool up = health[li];
      char pos[64];
      (void)std::snprintf(pos, sizeof pos, "%.4f, %.4f", l.lat_deg, l.lon_deg);
      auto lu = landmark_last.find(l.id);
      b += "<tr class=\"landmark\" id=\"landmark-" + html_escape(l.id) + "\"><td>" +
           html_escape(l.id) + "</td><td>" + html_escape(l.operator_name) + "</td><td>" + pos +
           "</td><td>" + html_escape(l.host) + ":" + std::to_string(l.tcp_port) +
           "</td><td class=\"" + (up ? "reachable" : "unreachable") + "\">" +
           (up ? "reachable" : "unreachable") + "</td><td>" +
           (lu == landmark_last.end()
                ? std::string("never")
                : "decision #" + std::to_string(lu->second.id) + " at " + utc(lu->second.time)) +
           "</td></tr>\n";
    }
    b += "</table>\n";
  }
  return page("locus fleet", b);
}

}  // namespace locus::verifier
