// Whole-file reads with a size limit and atomic writes (temporary file + rename); "-" is stdin/stdout.
#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace facet {

// Largest input Facet reads into memory (any file kind).
constexpr uint64_t kMaxInputFileBytes = uint64_t{1} << 31;  // 2 GiB

// Reads a whole file, or standard input when path is "-". Fails with kLimitExceeded past
// max_bytes and with kIo when the file cannot be read.
StatusOr<Bytes> read_file(const std::string& path, uint64_t max_bytes = kMaxInputFileBytes);

struct WriteOptions {
  bool overwrite = false;          // -f: replace an existing output
  bool allow_terminal = false;     // write binary data to stdout even if it is a terminal
};

// Writes `data` to `path` atomically: a temporary file in the same directory is written, flushed
// and renamed over the target, so that a crash or an error never leaves a half-written output.
// "-" writes to standard output (refused when stdout is a terminal unless allow_terminal).
// An existing output is kept (kInvalidArgument) unless options.overwrite.
Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size,
                         const WriteOptions& options = {});
inline Status write_file_atomic(const std::string& path, const Bytes& data,
                                const WriteOptions& options = {}) {
  return write_file_atomic(path, data.data(), data.size(), options);
}

}  // namespace facet
