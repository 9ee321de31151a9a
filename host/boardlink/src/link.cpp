// The board link client (see link.h for the contract).
#include "locus/boardlink/link.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "locus/crypto/cbor.h"

namespace locus::boardlink {

using host::HostError;

std::string status_code_hex(uint16_t code) {
  char b[8];
  (void)std::snprintf(b, sizeof b, "0x%04x", code);
  return b;
}

namespace {

int remaining_ms(int64_t deadline_ms) {
  const int64_t left = deadline_ms - host::monotonic_ms();
  if (left <= 0) return 0;
  return left > 0x7fffffff ? 0x7fffffff : static_cast<int>(left);
}

// Splits "tcp:HOST:PORT" / "unix:PATH".
bool parse_spec(const std::string& spec, bool* is_unix, std::string* a, std::string* b) {
  if (spec.rfind("unix:", 0) == 0) {
    *is_unix = true;
    *a = spec.substr(5);
    return !a->empty() && a->size() < sizeof(sockaddr_un{}.sun_path);
  }
  if (spec.rfind("tcp:", 0) != 0) return false;
  *is_unix = false;
  const std::string rest = spec.substr(4);
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= rest.size()) return false;
  *a = rest.substr(0, colon);
  *b = rest.substr(colon + 1);
  if (a->size() > 2 && a->front() == '[' && a->back() == ']') *a = a->substr(1, a->size() - 2);
  for (char c : *b)
    if (c < '0' || c > '9') return false;
  return b->size() <= 5 && std::stoul(*b) <= 65535 && std::stoul(*b) > 0;
}

// Non-blocking connect bounded by timeout_ms; the socket is left blocking afterwards.
int connect_bounded(int fd, const sockaddr* sa, socklen_t len, int timeout_ms, int* err) {
  const int fl = fcntl(fd, F_GETFL, 0);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
    *err = errno;
    return -1;
  }
  int r = ::connect(fd, sa, len);
  if (r != 0 && errno != EINPROGRESS) {
    *err = errno;
    return -1;
  }
  if (r != 0) {
    const int64_t deadline = host::monotonic_ms() + timeout_ms;
    for (;;) {
      pollfd p{fd, POLLOUT, 0};
      const int pr = ::poll(&p, 1, remaining_ms(deadline));
      if (pr < 0 && errno == EINTR) continue;
      if (pr <= 0) {
        *err = ETIMEDOUT;
        return -1;
      }
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        *err = soerr != 0 ? soerr : errno;
        return -1;
      }
      break;
    }
  }
  if (fcntl(fd, F_SETFL, fl) != 0) {
    *err = errno;
    return -1;
  }
  return 0;
}

bool idempotent(uint8_t type) {
  return type == protocol::kMsgGetIdentity || type == protocol::kMsgGetStatus ||
         type == protocol::kMsgGetEvidence;
}

}  // namespace

Link::Link() : msg_buf_(protocol::kMaxPayload), frame_buf_(protocol::kMaxFrameSize) {}

Link::~Link() {
  close();
}

void Link::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  rx_len_ = rx_pos_ = 0;
  deframer_.reset();
}

HStatus Link::open(const std::string& spec, int timeout_ms) {
  close();
  bool is_unix = false;
  std::string a, b;
  if (!parse_spec(spec, &is_unix, &a, &b))
    return {HostError::kUsage, "link must be tcp:HOST:PORT or unix:PATH, got '" + spec + "'"};
  spec_ = spec;
  return connect_now(timeout_ms);
}

HStatus Link::connect_now(int timeout_ms) {
  close();
  bool is_unix = false;
  std::string a, b;
  if (!parse_spec(spec_, &is_unix, &a, &b))
    return {HostError::kUsage, "link must be tcp:HOST:PORT or unix:PATH, got '" + spec_ + "'"};
  int err = 0;
  if (is_unix) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {HostError::kNetwork, std::string("socket: ") + std::strerror(errno)};
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, a.c_str(), a.size() + 1);
    if (connect_bounded(fd, reinterpret_cast<const sockaddr*>(&sun), sizeof sun, timeout_ms,
                        &err) != 0) {
      ::close(fd);
      return {HostError::kNetwork, "cannot connect to " + spec_ + ": " + std::strerror(err)};
    }
    fd_ = fd;
    return HStatus::Ok();
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const int gr = ::getaddrinfo(a.c_str(), b.c_str(), &hints, &res);
  if (gr != 0 || res == nullptr)
    return {HostError::kNetwork, "cannot resolve " + spec_ + ": " + gai_strerror(gr)};
  HStatus st(HostError::kNetwork, "cannot connect to " + spec_);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect_bounded(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms, &err) == 0) {
      // The timed rounds are 19-byte frames: never let Nagle hold one back.
      const int one = 1;
      (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd_ = fd;
      st = HStatus::Ok();
      break;
    }
    st = HStatus(HostError::kNetwork, "cannot connect to " + spec_ + ": " + std::strerror(err));
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return st;
}

HStatus Link::send_all(const uint8_t* data, size_t len, int64_t deadline_ms) {
  size_t off = 0;
  while (off < len) {
    const ssize_t w = ::send(fd_, data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      off += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      const int pr = ::poll(&p, 1, remaining_ms(deadline_ms));
      if (pr < 0 && errno == EINTR) continue;
      if (pr <= 0) return {HostError::kNetwork, "link write timed out"};
      continue;
    }
    return {HostError::kNetwork, std::string("link write: ") + std::strerror(errno)};
  }
  return HStatus::Ok();
}

HStatus Link::read_frame(int64_t deadline_ms, uint8_t* rev, ByteSpan* payload, bool* peer_gone) {
  *peer_gone = false;
  for (;;) {
    while (rx_pos_ < rx_len_) {
      const protocol::DeframeResult r = deframer_.feed(rx_[rx_pos_++]);
      if (r.event == protocol::DeframeEvent::kFrame) {
        *rev = r.rev;
        *payload = r.payload;
        return HStatus::Ok();
      }
      // kError: a malformed frame (noise, bad FCS) was dropped; keep reading.
    }
    rx_pos_ = rx_len_ = 0;
    const int left = remaining_ms(deadline_ms);
    if (left <= 0) return {HostError::kNetwork, "board did not answer in time"};
    pollfd p{fd_, POLLIN, 0};
    const int pr = ::poll(&p, 1, left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return {HostError::kNetwork, std::string("link poll: ") + std::strerror(errno)};
    if (pr == 0) continue;  // the deadline check above ends the loop
    const ssize_t n = ::recv(fd_, rx_.data(), rx_.size(), 0);
    if (n == 0) {
      *peer_gone = true;
      return {HostError::kNetwork, "board closed the link"};
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      *peer_gone = true;
      return {HostError::kNetwork, std::string("link read: ") + std::strerror(errno)};
    }
    rx_len_ = static_cast<size_t>(n);
  }
}

HStatus Link::request_once(uint8_t type, ByteSpan body_item, RawResponse* out, bool* peer_gone) {
  *peer_gone = false;
  const int64_t deadline = host::monotonic_ms() + timeout_ms_;
  if (fd_ < 0) {
    HStatus c = connect_now(timeout_ms_);
    if (!c.ok()) return c;
  }
  const uint32_t id = next_id_++;
  size_t mlen = 0;
  if (!protocol::encode_envelope(type, id, body_item, MutByteSpan(msg_buf_.data(), msg_buf_.size()),
                                 &mlen)
           .ok())
    return {HostError::kInternal, "request does not fit one link message"};
  size_t flen = 0;
  if (!protocol::encode_frame(protocol::kRevMessage, ByteSpan(msg_buf_.data(), mlen),
                              MutByteSpan(frame_buf_.data(), frame_buf_.size()), &flen)
           .ok())
    return {HostError::kInternal, "framing failed"};
  HStatus s = send_all(frame_buf_.data(), flen, deadline);
  if (!s.ok()) {
    *peer_gone = true;
    close();
    return s;
  }
  for (;;) {
    uint8_t rev = 0;
    ByteSpan payload;
    s = read_frame(deadline, &rev, &payload, peer_gone);
    if (!s.ok()) {
      close();  // the stream state is unknown now: start clean next time
      return s;
    }
    if (rev != protocol::kRevMessage) continue;  // a late fast-round answer
    protocol::Envelope env;
    const Status es = protocol::decode_envelope(payload, &env);
    if (!es.ok() || env.request_id != id) continue;  // not the answer to this request
    out->type = env.type;
    out->request_id = env.request_id;
    out->body.assign(env.body.begin(), env.body.end());
    out->board_error = 0;
    if (env.type == protocol::kMsgError) {
      protocol::ErrorResponse er;
      if (!protocol::decode_body(env.body, &er).ok())
        return {HostError::kParse, "malformed error response"};
      out->board_error = er.code;
    }
    return HStatus::Ok();
  }
}

HStatus Link::request(uint8_t type, ByteSpan body_item, RawResponse* out) {
  if (out == nullptr) return {HostError::kInternal, "no output"};
  if (spec_.empty()) return {HostError::kUsage, "link not opened"};
  bool gone = false;
  const bool was_connected = fd_ >= 0;
  HStatus s = request_once(type, body_item, out, &gone);
  // A connection that had been idle may have been closed by the board (host-sim serves one
  // client; a UART bridge may restart): one retry on a fresh connection, if harmless.
  if (!s.ok() && gone && was_connected && idempotent(type))
    s = request_once(type, body_item, out, &gone);
  return s;
}

template <typename Req>
HStatus Link::call(const Req& req, uint8_t want_type, RawResponse* resp, const char* what) {
  board_error_ = 0;
  uint8_t item[protocol::kMaxPayload];
  cbor::Encoder e(item, sizeof item);
  const Status s = protocol::encode_body(e, req);
  auto n = e.finish();
  if (!s.ok() || !n.ok())
    return {HostError::kInternal, std::string(what) + ": cannot encode the request"};
  HStatus hs = request(Req::kType, ByteSpan(item, n.value()), resp);
  if (!hs.ok()) return {hs.code(), std::string(what) + ": " + hs.message()};
  if (resp->type == protocol::kMsgError) {
    board_error_ = resp->board_error;
    return {HostError::kRefused,
            std::string(what) + ": board answered error " + status_code_hex(resp->board_error)};
  }
  if (resp->type != want_type)
    return {HostError::kParse, std::string(what) + ": unexpected response type"};
  return HStatus::Ok();
}

HStatus Link::get_identity(Identity* out) {
  RawResponse r;
  HStatus s =
      call(protocol::GetIdentityRequest{}, protocol::IdentityResponse::kType, &r, "GET_IDENTITY");
  if (!s.ok()) return s;
  protocol::IdentityResponse id;
  if (!protocol::decode_body(r.body, &id).ok())
    return {HostError::kParse, "GET_IDENTITY: malformed identity"};
  out->ueid = id.ueid;
  out->devid_pub = id.devid_pub;
  out->csr.assign(id.csr.begin(), id.csr.end());
  out->devid_cert.assign(id.devid_cert.begin(), id.devid_cert.end());
  out->alias_cert.assign(id.alias_cert.begin(), id.alias_cert.end());
  out->hwmodel.assign(reinterpret_cast<const char*>(id.hwmodel.data), id.hwmodel.size);
  out->svn = id.svn;
  out->fwid = id.fwid;
  return HStatus::Ok();
}

HStatus Link::get_status(protocol::StatusInfo* out) {
  RawResponse r;
  HStatus s = call(protocol::GetStatusRequest{}, protocol::StatusResponse::kType, &r, "GET_STATUS");
  if (!s.ok()) return s;
  protocol::StatusResponse sr;
  if (!protocol::decode_body(r.body, &sr).ok())
    return {HostError::kParse, "GET_STATUS: malformed status"};
  *out = sr.status;
  return HStatus::Ok();
}

HStatus Link::get_evidence(ByteSpan nonce, Bytes* cose_sign1) {
  if (nonce.size < protocol::kMinNonceSize || nonce.size > protocol::kMaxNonceSize)
    return {HostError::kUsage, "GET_EVIDENCE: nonce must be 16..64 bytes"};
  protocol::GetEvidenceRequest req;
  req.nonce = nonce;
  RawResponse r;
  HStatus s = call(req, protocol::EvidenceResponse::kType, &r, "GET_EVIDENCE");
  if (!s.ok()) return s;
  protocol::EvidenceResponse er;
  if (!protocol::decode_body(r.body, &er).ok())
    return {HostError::kParse, "GET_EVIDENCE: malformed evidence"};
  cose_sign1->assign(er.cose_sign1.begin(), er.cose_sign1.end());
  return HStatus::Ok();
}

HStatus Link::apply_license(ByteSpan license, protocol::StatusInfo* out) {
  protocol::ApplyLicenseRequest req;
  req.cose_sign1 = license;
  RawResponse r;
  HStatus s = call(req, protocol::ApplyLicenseResponse::kType, &r, "APPLY_LICENSE");
  if (!s.ok()) return s;
  protocol::ApplyLicenseResponse ar;
  if (!protocol::decode_body(r.body, &ar).ok())
    return {HostError::kParse, "APPLY_LICENSE: malformed status"};
  *out = ar.status;
  return HStatus::Ok();
}

HStatus Link::install_devid_cert(ByteSpan der) {
  protocol::InstallDevidCertRequest req;
  req.cert = der;
  RawResponse r;
  return call(req, protocol::InstallDevidCertResponse::kType, &r, "INSTALL_DEVID_CERT");
}

HStatus Link::install_verifier_key(const protocol::P256Pub& key) {
  protocol::InstallVerifierKeyRequest req;
  req.key = key;
  RawResponse r;
  return call(req, protocol::InstallVerifierKeyResponse::kType, &r, "INSTALL_VERIFIER_KEY");
}

HStatus Link::lm_setup(const protocol::LmSetupRequest& req, protocol::P256Pub* dev_eph_pub) {
  RawResponse r;
  HStatus s = call(req, protocol::LmSetupResponse::kType, &r, "LM_SETUP");
  if (!s.ok()) return s;
  protocol::LmSetupResponse sr;
  if (!protocol::decode_body(r.body, &sr).ok())
    return {HostError::kParse, "LM_SETUP: malformed response"};
  *dev_eph_pub = sr.dev_eph_pub;
  return HStatus::Ok();
}

HStatus Link::lm_close(const protocol::SessionId& session_id, Bytes* transcript) {
  protocol::LmCloseRequest req;
  req.session_id = session_id;
  RawResponse r;
  HStatus s = call(req, protocol::LmCloseResponse::kType, &r, "LM_CLOSE");
  if (!s.ok()) return s;
  protocol::LmCloseResponse cr;
  if (!protocol::decode_body(r.body, &cr).ok())
    return {HostError::kParse, "LM_CLOSE: malformed response"};
  transcript->assign(cr.cose_sign1.begin(), cr.cose_sign1.end());
  return HStatus::Ok();
}

// The timed path. Everything it touches is preallocated; it does not log or allocate.
Status Link::fast_round(uint8_t round, const protocol::Challenge& challenge,
                        protocol::Answer* answer) {
  board_error_ = 0;
  if (fd_ < 0 || answer == nullptr) return HostError::kNetwork;
  protocol::FastRound fr;
  fr.round = round;
  fr.value = challenge;
  size_t flen = 0;
  Status s = protocol::encode_fast_frame(fr, MutByteSpan(fast_tx_.data(), fast_tx_.size()), &flen);
  if (!s.ok()) return s;
  const int64_t deadline = host::monotonic_ms() + timeout_ms_;
  size_t off = 0;
  while (off < flen) {
    const ssize_t w = ::send(fd_, fast_tx_.data() + off, flen - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close();
      return HostError::kNetwork;
    }
    off += static_cast<size_t>(w);
  }
  for (;;) {
    while (rx_pos_ < rx_len_) {
      const protocol::DeframeResult r = deframer_.feed(rx_[rx_pos_++]);
      if (r.event != protocol::DeframeEvent::kFrame) continue;
      if (r.rev == protocol::kRevFast) {
        protocol::FastRound resp;
        if (!protocol::decode_fast_round(r.payload, &resp).ok())
          return protocol::ProtocolError::kBadFastRound;
        if (resp.round != round) continue;  // a stale answer to an earlier round
        *answer = resp.value;
        return Status::Ok();
      }
      // rev 0x01: the board refused the round with an error message.
      protocol::Envelope env;
      protocol::ErrorResponse er;
      if (protocol::decode_envelope(r.payload, &env).ok() && env.type == protocol::kMsgError &&
          protocol::decode_body(env.body, &er).ok() && er.code != 0) {
        board_error_ = er.code;
        return Status::FromCode(er.code);
      }
    }
    rx_pos_ = rx_len_ = 0;
    const int left = remaining_ms(deadline);
    if (left <= 0) return HostError::kNetwork;
    pollfd p{fd_, POLLIN, 0};
    const int pr = ::poll(&p, 1, left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) {
      close();
      return HostError::kNetwork;
    }
    if (pr == 0) continue;
    const ssize_t n = ::recv(fd_, rx_.data(), rx_.size(), 0);
    if (n <= 0) {
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      close();
      return HostError::kNetwork;
    }
    rx_len_ = static_cast<size_t>(n);
  }
}

}  // namespace locus::boardlink
