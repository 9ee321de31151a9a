// A software stand-in for a provisioned board, for verifier unit tests only: DICE-shaped
// keys and certificates (root CA -> DeviceID -> Alias with TcbInfo) and real COSE_Sign1
// evidence built with crypto/ and protocol/. The integration tests use the real firmware
// (locus-host-sim) instead.
#pragma once

#include <string>

#include "locus/certs/certs.h"
#include "locus/common/common.h"
#include "locus/crypto/cose.h"
#include "locus/crypto/x509.h"
#include "locus/protocol/claims.h"

namespace simdev {

using locus::host::Bytes;

struct Ca {
  locus::crypto::P256PrivateKey key;
  locus::crypto::P256PublicKey pub;
  Bytes der;
  std::string subject = "CN=Test Root,O=locus";
};

inline Bytes bytes_of(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

inline Ca make_ca(const char* seed) {
  Ca ca;
  Bytes s = bytes_of(seed);
  (void)locus::crypto::p256_derive_key(s, bytes_of("ca"), &ca.key);
  (void)locus::crypto::p256_public_key(ca.key, &ca.pub);
  uint8_t serial[] = {0x01, 0x02};
  locus::crypto::CertSpec spec;
  spec.subject = ca.subject.c_str();
  spec.issuer = ca.subject.c_str();
  spec.serial = serial;
  spec.is_ca = true;
  uint8_t der[1500];
  size_t n = 0;
  (void)locus::crypto::x509_issue(spec, ca.pub, ca.key, locus::MutByteSpan(der, sizeof der), &n);
  ca.der.assign(der, der + n);
  return ca;
}

struct Device {
  locus::crypto::P256PrivateKey devid_key, alias_key;
  locus::crypto::P256PublicKey devid_pub, alias_pub;
  Bytes ueid;
  Bytes devid_cert, alias_cert;
  std::string serial_hex;
  std::array<uint8_t, 32> fwid{};
  uint32_t svn = 3;
  std::string hwmodel = "locus-host-sim";
};

// seed picks the device; fwid_seed the firmware; alias cert TcbInfo may differ from claims
// when tcb_fwid/tcb_svn are given.
inline Device make_device(const Ca& ca, const char* seed, uint8_t fw_byte, uint32_t svn,
                          const std::array<uint8_t, 32>* tcb_fwid = nullptr,
                          const uint32_t* tcb_svn = nullptr) {
  Device d;
  d.svn = svn;
  d.fwid.fill(fw_byte);
  (void)locus::crypto::p256_derive_key(bytes_of(seed), bytes_of("devid"), &d.devid_key);
  (void)locus::crypto::p256_public_key(d.devid_key, &d.devid_pub);
  Bytes aseed = bytes_of(seed);
  aseed.push_back(fw_byte);
  (void)locus::crypto::p256_derive_key(aseed, bytes_of("alias"), &d.alias_key);
  (void)locus::crypto::p256_public_key(d.alias_key, &d.alias_pub);
  d.ueid = locus::certs::ueid_of(d.devid_pub).value();
  std::string devid_subject = "CN=locus DeviceID,serialNumber=" + locus::host::hex_encode(d.ueid);
  std::string alias_subject = "CN=locus Alias,serialNumber=" + locus::host::hex_encode(d.ueid);
  uint8_t serial[16];
  for (size_t i = 0; i < sizeof serial; i++)
    serial[i] = static_cast<uint8_t>(0x40 + seed[i % 3] + i);
  serial[0] = static_cast<uint8_t>(0x40 | (serial[0] & 0x3F));  // positive: no DER sign byte
  locus::crypto::CertSpec spec;
  spec.subject = devid_subject.c_str();
  spec.issuer = ca.subject.c_str();
  spec.serial = serial;
  spec.is_ca = true;
  spec.max_path_len = 0;
  uint8_t der[1500];
  size_t n = 0;
  (void)locus::crypto::x509_issue(spec, d.devid_pub, ca.key, locus::MutByteSpan(der, sizeof der),
                                  &n);
  d.devid_cert.assign(der, der + n);
  d.serial_hex = locus::host::hex_encode(locus::ByteSpan(serial, sizeof serial));
  locus::crypto::TcbInfo tcb;
  tcb.fwid = tcb_fwid != nullptr ? *tcb_fwid : d.fwid;
  tcb.svn = tcb_svn != nullptr ? *tcb_svn : svn;
  uint8_t aserial[] = {0x11, fw_byte};
  locus::crypto::CertSpec as;
  as.subject = alias_subject.c_str();
  as.issuer = devid_subject.c_str();
  as.serial = aserial;
  as.tcb_info = &tcb;
  (void)locus::crypto::x509_issue(as, d.alias_pub, d.devid_key, locus::MutByteSpan(der, sizeof der),
                                  &n);
  d.alias_cert.assign(der, der + n);
  return d;
}

// Evidence for nonce; claims can be adjusted by the caller through `tweak`.
template <typename F>
Bytes evidence(const Device& d, const Bytes& nonce, F tweak) {
  locus::protocol::EatClaims c;
  c.nonce = nonce;
  std::copy(d.ueid.begin(), d.ueid.end(), c.ueid.begin());
  c.hwmodel = locus::ByteSpan(reinterpret_cast<const uint8_t*>(d.hwmodel.data()), d.hwmodel.size());
  c.dbgstat = 0;
  c.swname = locus::ByteSpan(reinterpret_cast<const uint8_t*>(locus::protocol::kSwName),
                             sizeof(locus::protocol::kSwName) - 1);
  c.fwid = d.fwid;
  c.svn = d.svn;
  c.boot_count = 1;
  c.mode = locus::protocol::kModeRestricted;
  c.license_counter = 0;
  tweak(c);
  uint8_t payload[1024];
  size_t plen = 0;
  (void)locus::protocol::encode_claims(c, locus::MutByteSpan(payload, sizeof payload), &plen);
  locus::ByteSpan chain[1] = {locus::ByteSpan(d.alias_cert)};
  locus::cose::Sign1Options opt;
  opt.x5chain = chain;
  opt.x5chain_len = 1;
  uint8_t out[3000];
  size_t olen = 0;
  (void)locus::cose::sign1_es256(d.alias_key, locus::ByteSpan(payload, plen), opt,
                                 locus::MutByteSpan(out, sizeof out), &olen);
  return Bytes(out, out + olen);
}

inline Bytes evidence(const Device& d, const Bytes& nonce) {
  return evidence(d, nonce, [](locus::protocol::EatClaims&) {});
}

}  // namespace simdev
