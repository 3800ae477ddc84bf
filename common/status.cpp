// Names of error codes and the printable form of a Status.
#include "common/status.h"

namespace facet {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid-argument";
    case ErrorCode::kTruncated: return "truncated";
    case ErrorCode::kBadMagic: return "bad-magic";
    case ErrorCode::kUnsupportedVersion: return "unsupported-version";
    case ErrorCode::kChecksumMismatch: return "checksum-mismatch";
    case ErrorCode::kLimitExceeded: return "limit-exceeded";
    case ErrorCode::kStreamOutOfRange: return "stream-out-of-range";
    case ErrorCode::kStreamOverlap: return "stream-overlap";
    case ErrorCode::kTrailingBytes: return "trailing-bytes";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(error_code_name(code_)) + ": " + message_;
}

}  // namespace facet
