// Fuzz target x509_cert: a certificate from the wire (the Alias certificate in an x5chain,
// a DeviceID certificate at install) through our wrappers: certs::parse_cert (the
// verifier's chain checks) and crypto::Certificate::parse, then TcbInfo through both readers
// (the host one and the board's bounded x509_read_tcb_info). Invariants: the two parsers
// agree on acceptance; an accepted certificate keeps its DER bytes exactly, its TBS lies
// inside them, and both TcbInfo readers agree (same result, same FWID and SVN).
#include <string.h>

#include "fuzz_targets.h"
#include "locus/certs/certs.h"
#include "locus/crypto/x509.h"
#include "locus/crypto/x509_host.h"

using namespace locus;

extern "C" int locus_fuzz_x509_cert(const uint8_t* data, size_t size) {
  const ByteSpan in(data, size);
  auto info = certs::parse_cert(in);
  crypto::Certificate c;
  const Status cs = c.parse(in);
  crypto::TcbInfo board_tcb;
  const Status bs = crypto::x509_read_tcb_info(in, &board_tcb);
  if (!info.ok()) return 0;
  LOCUS_FUZZ_ACCEPTED();
  const auto& ci = info.value();
  // DER input (not PEM): the parsed certificate is the input, and its TBS is a part of it.
  if (size > 0 && data[0] == 0x30) {
    LOCUS_FUZZ_CHECK(locus_fuzz::same_bytes(ci.der.data(), ci.der.size(), data, size));
    LOCUS_FUZZ_CHECK(ci.tbs.size() < size &&
                     memmem(data, size, ci.tbs.data(), ci.tbs.size()) != nullptr);
  }
  if (!cs.ok()) return 0;  // the crypto wrapper refuses more (e.g. non-P-256 keys)
  crypto::TcbInfo host_tcb;
  const Status hs = c.tcb_info(&host_tcb);
  if (size > 0 && data[0] == 0x30) {
    LOCUS_FUZZ_CHECK(hs.ok() == bs.ok());
    if (hs.ok()) LOCUS_FUZZ_CHECK(host_tcb.svn == board_tcb.svn && host_tcb.fwid == board_tcb.fwid);
  }
  return 0;
}
