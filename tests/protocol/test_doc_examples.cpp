// Checks docs/protocol.md against the code: every `<!-- example: NAME -->` block in the doc
// must equal, byte for byte, what the codecs produce today from the fixed inputs of
// doc_examples.cpp; every example must be in the doc; every message example must decode.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_examples.h"
#include "locus/protocol/claims.h"
#include "locus/protocol/frame.h"
#include "locus/protocol/messages.h"
#include "locus_test/cmocka.h"

using namespace locus;
using namespace locus::protocol;

namespace {

char* g_doc = nullptr;

int setup(void**) {
  const char* src = getenv("LOCUS_SOURCE_DIR");
  if (src == nullptr) return -1;
  char path[1024];
  snprintf(path, sizeof path, "%s/docs/protocol.md", src);
  FILE* f = fopen(path, "rb");
  if (f == nullptr) return -1;
  static char buf[1 << 20];
  const size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  g_doc = buf;
  return 0;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Finds the example block for name; parses its hex into out. Returns the length, or -1.
long doc_example(const char* name, uint8_t* out, size_t cap) {
  char marker[128];
  snprintf(marker, sizeof marker, "<!-- example: %s -->", name);
  const char* m = strstr(g_doc, marker);
  if (m == nullptr) return -1;
  if (strstr(m + 1, marker) != nullptr) return -1;  // duplicated marker
  const char* open = strstr(m, "```");
  if (open == nullptr) return -1;
  const char* p = strchr(open, '\n');
  if (p == nullptr) return -1;
  const char* close = strstr(p, "```");
  if (close == nullptr) return -1;
  size_t n = 0;
  for (; p < close; ++p) {
    if (*p == ' ' || *p == '\n' || *p == '\r') continue;
    const int hi = hexval(p[0]);
    const int lo = p + 1 < close ? hexval(p[1]) : -1;
    if (hi < 0 || lo < 0 || n >= cap) return -1;
    out[n++] = static_cast<uint8_t>(hi << 4 | lo);
    ++p;
  }
  return static_cast<long>(n);
}

// Every example the code builds appears in the doc with exactly the same bytes.
void test_doc_matches_code(void**) {
  static uint8_t want[8192], got[8192];
  int mismatches = 0;
  for (size_t i = 0; i < doc_examples::kExampleCount; ++i) {
    const doc_examples::Example& ex = doc_examples::kExamples[i];
    const size_t n = ex.build(want, sizeof want);
    assert_true(n > 0);
    const long d = doc_example(ex.name, got, sizeof got);
    if (d < 0 || static_cast<size_t>(d) != n || memcmp(want, got, n) != 0) {
      print_message(
          "docs/protocol.md example %s differs from the code (run protocol_gen_examples %s)\n",
          ex.name, ex.name);
      mismatches++;
    }
  }
  assert_int_equal(mismatches, 0);
}

// The doc has no example markers that the code does not build (no stale examples).
void test_no_stale_examples(void**) {
  const char* p = g_doc;
  int unknown = 0;
  while ((p = strstr(p, "<!-- example: ")) != nullptr) {
    p += strlen("<!-- example: ");
    const char* e = strstr(p, " -->");
    assert_non_null(e);
    bool found = false;
    for (size_t i = 0; i < doc_examples::kExampleCount; ++i) {
      const char* name = doc_examples::kExamples[i].name;
      found |= strlen(name) == static_cast<size_t>(e - p) && strncmp(name, p, e - p) == 0;
    }
    if (!found) {
      print_message("unknown example marker: %.*s\n", static_cast<int>(e - p), p);
      unknown++;
    }
  }
  assert_int_equal(unknown, 0);
}

// The message examples decode as the type their name says, and the frames deframe.
void test_examples_decode(void**) {
  static uint8_t buf[8192], payload[kMaxPayload];
  for (size_t i = 0; i < doc_examples::kExampleCount; ++i) {
    const doc_examples::Example& ex = doc_examples::kExamples[i];
    const size_t n = ex.build(buf, sizeof buf);
    assert_true(n > 0);
    const ByteSpan in(buf, n);
    if (strncmp(ex.name, "frame_", 6) == 0) {
      uint8_t rev = 0;
      size_t pl = 0;
      assert_true(decode_frame(in, &rev, MutByteSpan(payload, sizeof payload), &pl).ok());
      if (rev == kRevFast) {
        FastRound r;
        assert_true(decode_fast_round(ByteSpan(payload, pl), &r).ok());
      } else {
        Envelope env;
        assert_true(decode_envelope(ByteSpan(payload, pl), &env).ok());
      }
    } else if (strstr(ex.name, "_request") != nullptr || strstr(ex.name, "_response") != nullptr) {
      Envelope env;
      assert_true(decode_envelope(in, &env).ok());
      assert_true(env.type == kMsgError || strstr(ex.name, "_response") != nullptr
                      ? (env.type & kResponseBit) != 0
                      : is_request_type(env.type));
    } else if (strcmp(ex.name, "eat_claims") == 0) {
      EatClaims c;
      assert_true(decode_claims(in, &c).ok());
    } else if (strcmp(ex.name, "license_payload") == 0) {
      License l;
      assert_true(decode_license(in, &l).ok());
    } else if (strcmp(ex.name, "rotation_payload") == 0) {
      VerifierKeyRotation r;
      assert_true(decode_rotation(in, &r).ok());
    } else if (strcmp(ex.name, "transcript_payload") == 0) {
      static DboundTranscript t;
      assert_true(decode_transcript(in, &t).ok());
    } else if (strcmp(ex.name, "landmark_record_payload") == 0) {
      LandmarkRecord r;
      assert_true(decode_landmark_record(in, &r).ok());
    }
  }
}

struct Code {
  ProtocolError e;
  const char* name;
};
const Code kCodes[] = {
    {ProtocolError::kFrameBadFcs, "kFrameBadFcs"},
    {ProtocolError::kFrameTruncated, "kFrameTruncated"},
    {ProtocolError::kFrameOversize, "kFrameOversize"},
    {ProtocolError::kFrameUnstuffedFlag, "kFrameUnstuffedFlag"},
    {ProtocolError::kFrameBadEscape, "kFrameBadEscape"},
    {ProtocolError::kFrameLengthMismatch, "kFrameLengthMismatch"},
    {ProtocolError::kFrameUnknownRev, "kFrameUnknownRev"},
    {ProtocolError::kFrameNoFlag, "kFrameNoFlag"},
    {ProtocolError::kFrameTrailingBytes, "kFrameTrailingBytes"},
    {ProtocolError::kOutputTooSmall, "kOutputTooSmall"},
    {ProtocolError::kBadFastRound, "kBadFastRound"},
    {ProtocolError::kBadEnvelope, "kBadEnvelope"},
    {ProtocolError::kUnknownMessageType, "kUnknownMessageType"},
    {ProtocolError::kBadRequestId, "kBadRequestId"},
    {ProtocolError::kUnexpectedType, "kUnexpectedType"},
    {ProtocolError::kBodyWrongType, "kBodyWrongType"},
    {ProtocolError::kMissingField, "kMissingField"},
    {ProtocolError::kUnknownField, "kUnknownField"},
    {ProtocolError::kFieldWrongType, "kFieldWrongType"},
    {ProtocolError::kFieldWrongSize, "kFieldWrongSize"},
    {ProtocolError::kFieldOutOfRange, "kFieldOutOfRange"},
    {ProtocolError::kBadNonceSize, "kBadNonceSize"},
    {ProtocolError::kWrongArity, "kWrongArity"},
    {ProtocolError::kBadProfile, "kBadProfile"},
    {ProtocolError::kTooManyRounds, "kTooManyRounds"},
    {ProtocolError::kRoundOutOfOrder, "kRoundOutOfOrder"},
    {ProtocolError::kBadErrorCode, "kBadErrorCode"},
    {ProtocolError::kBadPublicKey, "kBadPublicKey"},
    {ProtocolError::kBadUeid, "kBadUeid"},
    {ProtocolError::kBadLicenseMode, "kBadLicenseMode"},
    {ProtocolError::kBadLeaseLength, "kBadLeaseLength"},
};

// Every ProtocolError is unique, has its own description, and is listed in the doc's code
// table as "| 0x05XX | `kName` |"; the table has no code the enum lacks.
void test_error_codes_documented(void**) {
  const size_t n = sizeof kCodes / sizeof kCodes[0];
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      assert_int_not_equal(static_cast<int>(kCodes[i].e), static_cast<int>(kCodes[j].e));
      assert_string_not_equal(to_string(kCodes[i].e), to_string(kCodes[j].e));
    }
    assert_string_not_equal(to_string(kCodes[i].e), "unknown protocol error");
    char row[128];
    snprintf(row, sizeof row, "| 0x%04X | `%s` |", Status(kCodes[i].e).code(), kCodes[i].name);
    if (strstr(g_doc, row) == nullptr) print_message("docs/protocol.md lacks the row %s\n", row);
    assert_non_null(strstr(g_doc, row));
  }
  // Count the rows of the code table: exactly one per enumerator.
  size_t rows = 0;
  for (const char* p = g_doc; (p = strstr(p, "\n| 0x05")) != nullptr; ++p) {
    if (strstr(p, " | `k") == p + 9) rows++;
  }
  assert_int_equal(rows, n);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_doc_matches_code),
      cmocka_unit_test(test_no_stale_examples),
      cmocka_unit_test(test_examples_decode),
      cmocka_unit_test(test_error_codes_documented),
  };
  return cmocka_run_group_tests(tests, setup, nullptr);
}
