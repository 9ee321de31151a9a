// Interop helper for tests/cose/cose_interop.py (not a CMocka test; the script drives it).
//   cose_interop_tool write DIR   signs a fixed payload with a fixed derived key, kid, a
//                                 2-certificate x5chain and an external_aad; writes
//                                 DIR/ours.cose, DIR/ours.pub (65-byte SEC1 point),
//                                 DIR/ours.payload, DIR/ours.aad
//   cose_interop_tool verify FILE PUB AAD [untagged]
//                                 decodes and verifies FILE with PUB (65 bytes) and AAD;
//                                 prints "OK" and exits 0, or prints the error and exits 1.
#include <stdio.h>
#include <string.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "locus/crypto/cose.h"

namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

bool write_file(const std::string& path, const uint8_t* p, size_t n) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n));
  return static_cast<bool>(f);
}

const char* describe(locus::Status s) {
  switch (s.module()) {
    case locus::Module::kCose:
      return locus::cose::to_string(static_cast<locus::cose::CoseError>(s.local()));
    case locus::Module::kCrypto:
      return locus::crypto::to_string(static_cast<locus::crypto::CryptoError>(s.local()));
    default: return "other error";
  }
}

int do_write(const std::string& dir) {
  const char* seed = "locus cose interop seed, fixed for reproducibility";
  const char* label = "interop";
  locus::crypto::P256PrivateKey key;
  if (!locus::crypto::p256_derive_key(
           locus::ByteSpan(reinterpret_cast<const uint8_t*>(seed), strlen(seed)),
           locus::ByteSpan(reinterpret_cast<const uint8_t*>(label), strlen(label)), &key)
           .ok()) {
    return 2;
  }
  locus::crypto::P256PublicKey pub;
  if (!locus::crypto::p256_public_key(key, &pub).ok()) return 2;
  const std::string payload = "locus interop payload: evidence would go here";
  const std::string aad = "external aad 0123456789abcdef";
  const std::string c1 = "leaf certificate bytes", c2 = "intermediate certificate bytes";
  const locus::ByteSpan chain[2] = {
      locus::ByteSpan(reinterpret_cast<const uint8_t*>(c1.data()), c1.size()),
      locus::ByteSpan(reinterpret_cast<const uint8_t*>(c2.data()), c2.size())};
  locus::cose::Sign1Options opt;
  opt.kid = locus::ByteSpan(reinterpret_cast<const uint8_t*>("alias-key-1"), 11);
  opt.x5chain = chain;
  opt.x5chain_len = 2;
  opt.external_aad = locus::ByteSpan(reinterpret_cast<const uint8_t*>(aad.data()), aad.size());
  uint8_t out[1024];
  size_t n = 0;
  locus::Status s = locus::cose::sign1_es256(
      key, locus::ByteSpan(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()), opt,
      locus::MutByteSpan(out), &n);
  if (!s.ok()) {
    fprintf(stderr, "sign failed: %s\n", describe(s));
    return 1;
  }
  bool ok = write_file(dir + "/ours.cose", out, n) &&
            write_file(dir + "/ours.pub", pub.q.data(), pub.q.size()) &&
            write_file(dir + "/ours.payload", reinterpret_cast<const uint8_t*>(payload.data()),
                       payload.size()) &&
            write_file(dir + "/ours.aad", reinterpret_cast<const uint8_t*>(aad.data()), aad.size());
  return ok ? 0 : 2;
}

int do_verify(const std::string& file, const std::string& pubfile, const std::string& aadfile,
              bool tagged) {
  const std::vector<uint8_t> msg = read_file(file), pubv = read_file(pubfile),
                             aad = read_file(aadfile);
  locus::crypto::P256PublicKey pub;
  if (pubv.size() != pub.q.size()) {
    fprintf(stderr, "public key must be 65 bytes\n");
    return 2;
  }
  memcpy(pub.q.data(), pubv.data(), pubv.size());
  locus::cose::Sign1View v;
  locus::Status s = locus::cose::sign1_decode(msg, &v, tagged);
  if (s.ok()) s = locus::cose::sign1_verify_es256(v, pub, aad);
  if (!s.ok()) {
    printf("%s\n", describe(s));
    return 1;
  }
  printf("OK kid=%zu x5chain=%zu payload=%zu\n", v.kid.size, v.x5chain_len, v.payload.size);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "write") == 0) return do_write(argv[2]);
  if ((argc == 5 || argc == 6) && strcmp(argv[1], "verify") == 0) {
    return do_verify(argv[2], argv[3], argv[4], argc == 5);
  }
  fprintf(stderr, "usage: %s write DIR | verify FILE PUB AAD [untagged]\n", argv[0]);
  return 2;
}
