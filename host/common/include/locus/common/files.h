// locus/common/files.h: bounded file reads, 0600 writes that never replace a file silently.
#pragma once

#include <cstddef>
#include <string>

#include "locus/common/encoding.h"
#include "locus/common/result.h"
#include "locus/span.h"

namespace locus::host {

// Whole-file read (bounded to max_size bytes).
HostResult<Bytes> read_file(const std::string& path, size_t max_size = 64u << 20);
HostResult<std::string> read_text_file(const std::string& path, size_t max_size = 64u << 20);
// Writes a file with the given mode (0600 for secrets). Refuses to replace an existing file
// unless force is set (kExists, message says so). Writes to a temp file and renames.
HStatus write_file(const std::string& path, ByteSpan data, unsigned mode = 0600,
                   bool force = false);
HStatus write_text_file(const std::string& path, const std::string& text, unsigned mode = 0600,
                        bool force = false);
bool file_exists(const std::string& path);

}  // namespace locus::host
