// Hex, base64 and PEM armour (encoding.h).
#include "locus/common/encoding.h"

#include <cstring>

namespace locus::host {

std::string hex_encode(ByteSpan b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(b.size * 2);
  for (size_t i = 0; i < b.size; i++) {
    s.push_back(d[b.data[i] >> 4]);
    s.push_back(d[b.data[i] & 0xF]);
  }
  return s;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

HostResult<Bytes> hex_decode(const std::string& s) {
  if (s.size() % 2 != 0) return {HostError::kParse, "hex string has odd length"};
  Bytes out(s.size() / 2);
  for (size_t i = 0; i < out.size(); i++) {
    int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
    if (h < 0 || l < 0) return {HostError::kParse, "invalid hex digit"};
    out[i] = static_cast<uint8_t>((h << 4) | l);
  }
  return out;
}

static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string b64_encode(ByteSpan b) {
  std::string s;
  s.reserve((b.size + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= b.size; i += 3) {
    uint32_t v = (uint32_t{b.data[i]} << 16) | (uint32_t{b.data[i + 1]} << 8) | b.data[i + 2];
    s.push_back(kB64[(v >> 18) & 63]);
    s.push_back(kB64[(v >> 12) & 63]);
    s.push_back(kB64[(v >> 6) & 63]);
    s.push_back(kB64[v & 63]);
  }
  if (b.size - i == 1) {
    uint32_t v = uint32_t{b.data[i]} << 16;
    s.push_back(kB64[(v >> 18) & 63]);
    s.push_back(kB64[(v >> 12) & 63]);
    s += "==";
  } else if (b.size - i == 2) {
    uint32_t v = (uint32_t{b.data[i]} << 16) | (uint32_t{b.data[i + 1]} << 8);
    s.push_back(kB64[(v >> 18) & 63]);
    s.push_back(kB64[(v >> 12) & 63]);
    s.push_back(kB64[(v >> 6) & 63]);
    s += "=";
  }
  return s;
}

// Decoding table: the value of each alphabet character, -1 for every other byte (NUL too).
struct B64Table {
  int8_t v[256];
  constexpr B64Table() : v() {
    for (int i = 0; i < 256; i++) v[i] = -1;
    for (int i = 0; i < 64; i++) v[static_cast<unsigned char>(kB64[i])] = static_cast<int8_t>(i);
  }
};
constexpr B64Table kB64Table;

static int b64val(char c) {
  return kB64Table.v[static_cast<unsigned char>(c)];
}

HostResult<Bytes> b64_decode(const std::string& s) {
  if (s.size() % 4 != 0) return {HostError::kParse, "base64 length is not a multiple of 4"};
  Bytes out(s.size() / 4 * 3);
  size_t o = 0;
  for (size_t i = 0; i < s.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; j++) {
      char c = s[i + static_cast<size_t>(j)];
      if (c == '=') {
        if (i + 4 != s.size() || j < 2) return {HostError::kParse, "misplaced base64 padding"};
        v[j] = 0;
        pad++;
      } else {
        if (pad != 0) return {HostError::kParse, "misplaced base64 padding"};
        v[j] = b64val(c);
        if (v[j] < 0) return {HostError::kParse, "invalid base64 character"};
      }
    }
    uint32_t w = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out[o++] = static_cast<uint8_t>(w >> 16);
    if (pad < 2) out[o++] = static_cast<uint8_t>(w >> 8);
    if (pad < 1) out[o++] = static_cast<uint8_t>(w);
    // Canonical: the unused bits must be zero.
    if ((pad == 1 && (w & 0xFF) != 0) || (pad == 2 && (w & 0xFFFF) != 0))
      return {HostError::kParse, "non-canonical base64"};
  }
  out.resize(o);
  return out;
}

std::string pem_encode(const std::string& label, ByteSpan der) {
  std::string b = b64_encode(der);
  std::string s = "-----BEGIN " + label + "-----\n";
  for (size_t i = 0; i < b.size(); i += 64) s += b.substr(i, 64) + "\n";
  s += "-----END " + label + "-----\n";
  return s;
}

HostResult<Bytes> pem_decode(const std::string& label, const std::string& pem) {
  std::string begin = "-----BEGIN " + label + "-----";
  std::string end = "-----END " + label + "-----";
  size_t a = pem.find(begin);
  if (a == std::string::npos) return {HostError::kParse, "no PEM block '" + label + "'"};
  size_t b = pem.find(end, a);
  if (b == std::string::npos) return {HostError::kParse, "unterminated PEM block '" + label + "'"};
  std::string body;
  for (size_t i = a + begin.size(); i < b; i++) {
    char c = pem[i];
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body.push_back(c);
  }
  return b64_decode(body);
}

}  // namespace locus::host
