// DICE identity derivation (see dice.h).
#include "locus/firmware/dice.h"

#include <string.h>

#include "locus/crypto/ct.h"
#include "locus/crypto/hash.h"
#include "locus/crypto/x509.h"
#include "locus/firmware/board.h"
#include "locus/firmware/errors.h"

namespace locus::firmware {
namespace {

bool append(char* buf, size_t cap, size_t* n, const char* s) {
  const size_t l = strlen(s);
  if (cap - *n <= l) {
    return false;
  }
  memcpy(buf + *n, s, l);
  *n += l;
  buf[*n] = '\0';
  return true;
}

bool subject(const DiceIdentity& id, const char* cn, char* buf, size_t cap) {
  size_t n = 0;
  if (cap == 0) {
    return false;
  }
  buf[0] = '\0';
  return append(buf, cap, &n, "CN=") && append(buf, cap, &n, cn) &&
         append(buf, cap, &n, ",serialNumber=") && append(buf, cap, &n, id.ueid_hex);
}

Status derive_inner(uint32_t svn, DiceSecrets* s, DiceIdentity* out) {
  LOCUS_TRY(board::read_uds(s->uds));
  LOCUS_TRY(board::measure_image(out->fwid));
  crypto::Digest cdi;
  LOCUS_TRY(crypto::hmac_sha256(ByteSpan(s->uds, 32), ByteSpan(out->fwid, 32), &cdi));
  memcpy(s->cdi, cdi.data(), 32);
  crypto::zeroize(cdi.data(), cdi.size());
  LOCUS_TRY(crypto::p256_derive_key(
      ByteSpan(s->uds, 32),
      ByteSpan(reinterpret_cast<const uint8_t*>(kDeviceIdLabel), sizeof(kDeviceIdLabel) - 1),
      &out->devid_priv));
  LOCUS_TRY(crypto::hkdf_sha256(
      ByteSpan(), ByteSpan(s->uds, 32),
      ByteSpan(reinterpret_cast<const uint8_t*>(kStorageLabel), sizeof(kStorageLabel) - 1),
      MutByteSpan(out->storage_key, sizeof(out->storage_key))));
  crypto::zeroize(s->uds, sizeof(s->uds));
  LOCUS_TRY(crypto::p256_derive_key(
      ByteSpan(s->cdi, 32),
      ByteSpan(reinterpret_cast<const uint8_t*>(kAliasLabel), sizeof(kAliasLabel) - 1),
      &out->alias_priv));
  crypto::zeroize(s->cdi, sizeof(s->cdi));
  LOCUS_TRY(crypto::p256_public_key(out->devid_priv, &out->devid_pub));
  LOCUS_TRY(crypto::p256_public_key(out->alias_priv, &out->alias_pub));

  crypto::Digest h;
  LOCUS_TRY(crypto::sha256(ByteSpan(out->devid_pub.q.data(), 65), &h));
  out->ueid[0] = 0x01;
  memcpy(out->ueid + 1, h.data(), 32);
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < kUeidSize; ++i) {
    out->ueid_hex[2 * i] = kHex[out->ueid[i] >> 4];
    out->ueid_hex[2 * i + 1] = kHex[out->ueid[i] & 0xF];
  }
  out->ueid_hex[2 * kUeidSize] = '\0';
  out->svn = svn;

  // Alias certificate, issued at every boot.
  crypto::Digest ah;
  LOCUS_TRY(crypto::sha256(ByteSpan(out->alias_pub.q.data(), 65), &ah));
  uint8_t serial[16];
  memcpy(serial, ah.data(), sizeof(serial));
  serial[0] &= 0x7F;
  if (serial[0] == 0) {
    serial[0] = 0x01;  // keep 16 significant bytes, positive
  }
  char subj[128];
  char issuer[128];
  if (!dice_alias_subject(*out, subj, sizeof(subj)) ||
      !dice_devid_subject(*out, issuer, sizeof(issuer))) {
    return FirmwareError::kDiceFailed;
  }
  crypto::TcbInfo tcb;
  memcpy(tcb.fwid.data(), out->fwid, 32);
  tcb.svn = svn;
  crypto::CertSpec spec;
  spec.subject = subj;
  spec.issuer = issuer;
  spec.serial = ByteSpan(serial, sizeof(serial));
  spec.tcb_info = &tcb;
  return crypto::x509_issue(spec, out->alias_pub, out->devid_priv,
                            MutByteSpan(out->alias_cert, sizeof(out->alias_cert)),
                            &out->alias_cert_len);
}

}  // namespace

Status dice_derive(uint32_t svn, DiceSecrets* secrets, DiceIdentity* out) {
  Status st = derive_inner(svn, secrets, out);
  // Whatever happened, the UDS and CDI do not outlive this call.
  crypto::zeroize(secrets, sizeof(*secrets));
  if (!st.ok()) {
    dice_wipe(out);
    return st;
  }
  return Status::Ok();
}

Status dice_write_csr(const DiceIdentity& id, MutByteSpan out, size_t* out_len) {
  char subj[128];
  if (!dice_devid_subject(id, subj, sizeof(subj))) {
    return FirmwareError::kDiceFailed;
  }
  return crypto::x509_write_csr(id.devid_priv, subj, out, out_len);
}

bool dice_devid_subject(const DiceIdentity& id, char* buf, size_t cap) {
  return subject(id, "locus DeviceID", buf, cap);
}
bool dice_alias_subject(const DiceIdentity& id, char* buf, size_t cap) {
  return subject(id, "locus Alias", buf, cap);
}

void dice_wipe(DiceIdentity* id) {
  crypto::zeroize(id->storage_key, sizeof(id->storage_key));
  crypto::zeroize(id->devid_priv.d.data(), id->devid_priv.d.size());
  crypto::zeroize(id->alias_priv.d.data(), id->alias_priv.d.size());
  id->alias_cert_len = 0;
}

}  // namespace locus::firmware
