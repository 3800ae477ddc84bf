// Exit codes and error printing for the facet command.
#include "cli/cli_common.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "codec/codec.h"

namespace facet::cli {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return kExitOk;
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kIo: return kExitIo;
    case ErrorCode::kInternal: return kExitInternal;
    case ErrorCode::kTruncated:
    case ErrorCode::kBadMagic:
    case ErrorCode::kUnsupportedVersion:
    case ErrorCode::kChecksumMismatch:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kStreamOutOfRange:
    case ErrorCode::kStreamOverlap:
    case ErrorCode::kTrailingBytes:
    case ErrorCode::kCorrupt:
    case ErrorCode::kUnsupported: return kExitBadData;
  }
  return kExitInternal;
}

int report_error(const Status& status) {
  std::fprintf(stderr, "facet: error: %s\n", status.to_string().c_str());
  return exit_code_for(status.code());
}

namespace {
std::string& program_path_storage() {
  static std::string path;
  return path;
}
}  // namespace

const std::string& program_path() { return program_path_storage(); }
void set_program_path(const std::string& path) { program_path_storage() = path; }

int resolve_threads(int requested) {
  return requested > 0 ? requested : int(std::max(1u, std::thread::hardware_concurrency()));
}

StatusOr<std::shared_ptr<CodecModel>> load_model_option(const std::string& model) {
  std::string path = model;
  if (path.empty()) {
    FACET_ASSIGN_OR_RETURN(path, find_default_model(program_path()));
  }
  return load_codec_model(path);
}

std::string hex(uint64_t value, int digits) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%0*llx", digits, static_cast<unsigned long long>(value));
  return buffer;
}

StatusOr<EditOptions> parse_edit_options(const std::vector<std::string>& set, const std::vector<std::string>& drop) {
  EditOptions e;
  for (const std::string& text : set) {
    FACET_ASSIGN_OR_RETURN(auto parsed, parse_factor_setting(text));
    FACET_RETURN_ERROR_IF(!e.settings.emplace(parsed.first, parsed.second).second, kInvalidArgument,
                          "factor '" + parsed.first + "' is set twice");
  }
  for (const std::string& name : drop) e.drops.insert(name);
  return e;
}

const std::map<std::string, TransformPrecision>& precision_names() {
  static const std::map<std::string, TransformPrecision> names = {
      {"auto", TransformPrecision::kAuto}, {"fp32", TransformPrecision::kFp32}, {"bf16", TransformPrecision::kBf16}};
  return names;
}

const char* precision_name(TransformPrecision precision) {
  switch (precision) {
    case TransformPrecision::kFp32: return "fp32";
    case TransformPrecision::kBf16: return "bf16";
    default: return "auto";
  }
}

}  // namespace facet::cli
