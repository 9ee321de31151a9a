// Appraisal of a host TPM quote (verify.h). Every check runs and adds its own reason; the
// verdict is accepted only when no check failed, set last.
#include "locus/tpm/verify.h"

#include <cstdio>

#include "locus/common/common.h"
#include "locus/crypto/ct.h"
#include "locus/crypto/p256.h"

namespace locus::tpm {

namespace {

bool same(ByteSpan a, ByteSpan b) {
  return crypto::ct_equal(a, b);
}

std::string hex(ByteSpan b) {
  return host::hex_encode(b);
}

// The quote's ECDSA P-256 signature over the attest bytes, checked with crypto/ (the image's
// backend: OpenSSL on the host). Any failure, including a bad AK point, is "does not verify".
Status verify_quote_signature(const std::array<uint8_t, 65>& ak, ByteSpan attest,
                              const std::array<uint8_t, 64>& rs) {
  crypto::P256PublicKey pub;
  pub.q = ak;
  crypto::P256Signature sig;
  sig.rs = rs;
  return crypto::ecdsa_verify(pub, attest, sig);
}

}  // namespace

Result<QuoteVerdict> appraise_quote(const QuoteBundle& q, const HostRecord& host,
                                    ByteSpan verifier_nonce, ByteSpan evidence_bytes,
                                    const QuoteOptions& opts) {
  QuoteVerdict v;
  auto add = [&v](QuoteCheck c, std::string text) {
    v.reasons.push_back(QuoteReason{c, std::move(text)});
  };
  const std::string board =
      opts.board_ueid_hex.empty() ? std::string("the board") : "board " + opts.board_ueid_hex;

  // 1. The quote must come from the AK of the host the board was enrolled in.
  if (host.ak_name.empty() || !same(ByteSpan(q.ak_name.data(), q.ak_name.size()),
                                    ByteSpan(host.ak_name.data(), host.ak_name.size()))) {
    add(QuoteCheck::kBoardMoved, board + " was enrolled in host '" + host.host +
                                     "' but the quote is signed by another TPM attestation key (" +
                                     hex(ByteSpan(q.ak_name.data(), q.ak_name.size())) +
                                     "): the board has been moved to another host");
    return v;  // nothing else can be checked against this host's record
  }

  // 2. Parse.
  auto pa = parse_attest(ByteSpan(q.attest.data(), q.attest.size()));
  if (!pa.ok()) {
    add(QuoteCheck::kMalformed, std::string("TPMS_ATTEST rejected: ") +
                                    to_string(static_cast<TpmError>(pa.status().local())));
    return v;
  }
  v.attest = *pa;
  const ParsedAttest& a = v.attest;
  auto sig = parse_ecdsa_signature(ByteSpan(q.signature.data(), q.signature.size()));
  if (!sig.ok()) {
    add(QuoteCheck::kMalformed, std::string("TPMT_SIGNATURE rejected: ") +
                                    to_string(static_cast<TpmError>(sig.status().local())));
    return v;
  }

  // 3. Signature with the enrolled AK over the attest bytes.
  const Status sig_status =
      verify_quote_signature(host.ak_key, ByteSpan(q.attest.data(), q.attest.size()), *sig);
  if (!sig_status.ok()) {
    add(QuoteCheck::kBadSignature,
        "quote signature does not verify with the AK enrolled for host '" + host.host + "'");
    return v;  // unsigned content proves nothing; stop here
  }
  if (!host.qualified_signer.empty() &&
      !same(ByteSpan(a.qualified_signer.data(), a.qualified_signer.size()),
            ByteSpan(host.qualified_signer.data(), host.qualified_signer.size()))) {
    add(QuoteCheck::kWrongSigner, "qualifiedSigner differs from the one recorded at enrollment");
  }

  // 4. extraData = SHA-256(nonce || SHA-256(evidence)).
  Result<Sha256Digest> want = quote_extra_data(verifier_nonce, evidence_bytes);
  if (!want.ok()) {
    add(QuoteCheck::kWrongExtraData, "SHA-256 failed: the quote's extraData cannot be checked");
  } else if (!same(ByteSpan(a.extra_data.data(), a.extra_data.size()),
                   ByteSpan(want.value().data(), want.value().size()))) {
    add(QuoteCheck::kWrongExtraData,
        "quote extraData is not SHA-256(verifier nonce || SHA-256(evidence)): quote made for "
        "another nonce or "
        "other evidence");
  }

  // 5. Clock info vs the last accepted quote.
  // safe == NO follows an unorderly TPM reset (no TPM2_Shutdown): Clock may repeat values.
  // The nonce still binds the quote, so a policy that accepts reboots tolerates it.
  if (!a.clock_info.safe && !opts.accept_reboot) {
    add(QuoteCheck::kClockUnsafe,
        "TPM clockInfo.safe is NO (TPM reset without orderly shutdown): clock may repeat");
  }
  if (host.have_last) {
    const ClockInfo& l = host.last;
    const ClockInfo& c = a.clock_info;
    if (c.reset_count < l.reset_count ||
        (c.reset_count == l.reset_count && c.restart_count < l.restart_count)) {
      add(QuoteCheck::kReplay,
          "TPM reset/restart counters went backwards: replayed or rolled-back quote");
    } else if (c.reset_count != l.reset_count) {
      if (!opts.accept_reboot) {
        add(QuoteCheck::kTpmReset, "TPM resetCount changed since the last accepted quote (" +
                                       std::to_string(l.reset_count) + " -> " +
                                       std::to_string(c.reset_count) + "): host rebooted");
      }
    } else if (c.restart_count != l.restart_count) {
      if (!opts.accept_reboot) {
        add(QuoteCheck::kTpmRestart, "TPM restartCount changed since the last accepted quote (" +
                                         std::to_string(l.restart_count) + " -> " +
                                         std::to_string(c.restart_count) + ")");
      }
    } else if (c.clock <= l.clock) {
      add(QuoteCheck::kReplay, "TPM clock did not advance since the last accepted quote (" +
                                   std::to_string(l.clock) + " -> " + std::to_string(c.clock) +
                                   "): replay");
    }
  }

  // 6. PCRs: the selection is the host's policy, the reported values hash to pcrDigest, and
  //    the values are the golden ones.
  bool sel_ok = a.pcr_select.size() == 1 && a.pcr_select[0].hash_alg == kTpmAlgSha256 &&
                a.pcr_select[0].pcrs == host.pcrs && q.pcrs.size() == host.pcrs.size();
  for (size_t i = 0; sel_ok && i < q.pcrs.size(); ++i) sel_ok = q.pcrs[i].index == host.pcrs[i];
  if (!sel_ok) {
    add(QuoteCheck::kPcrSelection,
        "quoted/reported PCR selection is not the host's policy (sha256 bank)");
  } else {
    Result<Sha256Digest> d = pcr_composite_digest(q.pcrs);
    if (!d.ok()) {
      add(QuoteCheck::kPcrDigest, "SHA-256 failed: the quoted pcrDigest cannot be checked");
    } else if (!same(ByteSpan(d.value().data(), d.value().size()),
                     ByteSpan(a.pcr_digest.data(), a.pcr_digest.size()))) {
      add(QuoteCheck::kPcrDigest, "reported PCR values do not hash to the quoted pcrDigest");
    } else {
      for (size_t i = 0; i < q.pcrs.size() && i < host.golden.size(); ++i) {
        if (!same(ByteSpan(q.pcrs[i].value.data(), 32),
                  ByteSpan(host.golden[i].value.data(), 32))) {
          add(QuoteCheck::kPcrMismatch,
              "PCR " + std::to_string(q.pcrs[i].index) +
                  " differs from the golden value recorded at enrollment (now " +
                  hex(ByteSpan(q.pcrs[i].value.data(), 32)) + ")");
        }
      }
      if (host.golden.size() != q.pcrs.size())
        add(QuoteCheck::kPcrMismatch, "golden PCR set incomplete");
    }
  }

  // Re-check the decisive facts (cheap) and set success last.
  if (v.reasons.empty() && sig_status.ok() && want.ok() &&
      same(ByteSpan(a.extra_data.data(), a.extra_data.size()),
           ByteSpan(want.value().data(), want.value().size()))) {
    v.accepted = true;
  }
  return v;
}

Result<QuoteVerdict> appraise_board_quote(TpmRegistry& reg, const std::string& ueid_hex,
                                          const QuoteBundle& q, ByteSpan verifier_nonce,
                                          ByteSpan evidence_bytes, const QuoteOptions& opts) {
  auto host_name = reg.board_host(ueid_hex);
  if (!host_name.ok()) return host_name.status();
  auto host = reg.get_host(*host_name);
  if (!host.ok()) return host.status();
  QuoteOptions o = opts;
  o.board_ueid_hex = ueid_hex;
  auto v = appraise_quote(q, *host, verifier_nonce, evidence_bytes, o);
  if (!v.ok()) return v;
  QuoteVerdict verdict = *v;
  if (!verdict.accepted && !verdict.reasons.empty() &&
      verdict.reasons[0].check == QuoteCheck::kBoardMoved) {
    auto other = reg.host_by_ak_name(ByteSpan(q.ak_name.data(), q.ak_name.size()));
    if (other.ok()) {
      verdict.reasons[0].text = "board " + ueid_hex + " was enrolled in host '" + *host_name +
                                "' but the quote comes from host '" + *other +
                                "': the board has been moved to another host";
    }
  }
  if (verdict.accepted) {
    Status s = reg.record_accepted(*host_name, verdict.attest.clock_info);
    if (!s.ok()) return s;  // fail closed: an unrecorded acceptance would weaken replay checks
  }
  return verdict;
}

const char* to_string(QuoteCheck c) {
  switch (c) {
    case QuoteCheck::kOk: return "ok";
    case QuoteCheck::kBoardMoved: return "board_moved";
    case QuoteCheck::kMalformed: return "quote_malformed";
    case QuoteCheck::kBadSignature: return "quote_signature_invalid";
    case QuoteCheck::kWrongSigner: return "quote_wrong_signer";
    case QuoteCheck::kWrongExtraData: return "quote_wrong_extra_data";
    case QuoteCheck::kTpmReset: return "tpm_reset";
    case QuoteCheck::kTpmRestart: return "tpm_restart";
    case QuoteCheck::kReplay: return "quote_replay";
    case QuoteCheck::kClockUnsafe: return "tpm_clock_unsafe";
    case QuoteCheck::kPcrSelection: return "pcr_selection";
    case QuoteCheck::kPcrDigest: return "pcr_digest";
    case QuoteCheck::kPcrMismatch: return "pcr_mismatch";
    default: return "unknown";
  }
}

}  // namespace locus::tpm
