// Facet's one error type: Status (a code and a message) and StatusOr<T>, shared by every layer.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace facet {

// Typed error codes. Each reader rejection has its own code so that tests and callers can tell
// them apart; the CLI maps each code to an exit status (see exit_code_for()).
enum class ErrorCode : int {
  kOk = 0,
  kInvalidArgument,     // a caller passed a bad value (usage error)
  kTruncated,           // input ended before a structure was complete
  kBadMagic,            // the input is not the expected format
  kUnsupportedVersion,  // a format version this build does not read
  kChecksumMismatch,    // stored and computed checksums differ
  kLimitExceeded,       // a field is larger than the format's or the reader's limit
  kStreamOutOfRange,    // a stream extends past the end of the file
  kStreamOverlap,       // two streams share bytes
  kTrailingBytes,       // bytes after the last structure
  kCorrupt,             // a structure is internally inconsistent
  kUnsupported,         // valid input that this build cannot handle (feature, colour type...)
  kIo,                  // the operating system refused a read or a write
  kInternal,            // a bug: an invariant of Facet itself does not hold
};

// Short stable name of a code, e.g. "truncated"; used in messages and in --json output.
const char* error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "truncated: header ends at byte 12 of 40"
  std::string to_string() const;

  // Prepends context ("reading foo.fct: ") to the message, keeping the code.
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status ok_status() { return Status(); }
inline Status make_error(ErrorCode code, std::string message) {
  assert(code != ErrorCode::kOk);
  return Status(code, std::move(message));
}

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok() && "StatusOr built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  Status status() const { return ok() ? Status() : std::get<Status>(state_); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace facet

#define FACET_CONCAT_INNER_(a, b) a##b
#define FACET_CONCAT_(a, b) FACET_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is an error.
#define FACET_RETURN_IF_ERROR(expr)             \
  do {                                          \
    ::facet::Status facet_status_ = (expr);     \
    if (!facet_status_.ok()) return facet_status_; \
  } while (0)

// `FACET_ASSIGN_OR_RETURN(auto x, f());` declares x from a StatusOr or returns its error.
#define FACET_ASSIGN_OR_RETURN(lhs, expr) \
  FACET_ASSIGN_OR_RETURN_IMPL_(FACET_CONCAT_(facet_statusor_, __LINE__), lhs, expr)
#define FACET_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// Input-dependent check: returns an error (never asserts) when `cond` holds.
#define FACET_RETURN_ERROR_IF(cond, code, message)                        \
  do {                                                                    \
    if (cond) return ::facet::make_error(::facet::ErrorCode::code, message); \
  } while (0)
