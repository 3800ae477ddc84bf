// Exit codes and error printing for the facet command.
#include "cli/cli_common.h"

#include "api/facet_internal.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include "codec/codec.h"
#include "common/file_io.h"
#include "formats/checksum.h"

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

namespace {
std::vector<std::string>& program_arguments() {
  static std::vector<std::string> arguments;
  return arguments;
}
}  // namespace

void set_program_arguments(int argc, char** argv) { program_arguments().assign(argv, argv + argc); }

bool has_libtorch() { return libtorch_backend_installed(); }

int run_with_libtorch(const std::string& why) {
  namespace fs = std::filesystem;
  std::string torch_program;
  if (const char* env = std::getenv("FACET_TORCH")) {
    torch_program = env;
  } else {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) torch_program = (self.parent_path() / "facet-torch").string();
  }
  std::vector<std::string> arguments = program_arguments();
  if (arguments.empty() || torch_program.empty())
    return report_error(make_error(ErrorCode::kUnsupported, why + " needs LibTorch (facet-torch), not found"));
  arguments[0] = torch_program;
  std::vector<char*> argv;
  for (auto& a : arguments) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  execv(torch_program.c_str(), argv.data());
  return report_error(make_error(ErrorCode::kUnsupported, why + " needs LibTorch: cannot run " + torch_program + ": " +
                                                              std::strerror(errno) +
                                                              " (build or install facet-torch, or set FACET_TORCH)"));
}

StatusOr<std::shared_ptr<CodecModel>> load_model_option(const std::string& model, TransformsBackend backend) {
  std::string path = model;
  if (path.empty()) {
    FACET_ASSIGN_OR_RETURN(path, find_default_model(program_path()));
  }
  FACET_ASSIGN_OR_RETURN(Bytes bytes, read_file(path, kMaxWeightsFileBytes));
  // Without transforms (inspect, edit) the entropy tables alone, which a zstd-wrapped model gives
  // after decompressing its first megabyte (of 13.6 for the shipped model).
  const bool tables_only = backend == TransformsBackend::kNone;
  FACET_ASSIGN_OR_RETURN(TensorFile file, tables_only
                                              ? decode_weights_file_selected(bytes.data(), bytes.size(), is_entropy_table)
                                              : decode_weights_file(bytes.data(), bytes.size()));
  if (tables_only && is_sprites_model(file) && has_libtorch()) {
    FACET_ASSIGN_OR_RETURN(file, decode_weights_file(bytes.data(), bytes.size()));  // a sprites model needs all
  }
  if (!has_libtorch()) {
    if (is_sprites_model(file)) std::exit(run_with_libtorch("the sprites model " + path));
    if (backend == TransformsBackend::kLibTorch) std::exit(run_with_libtorch("--backend libtorch"));
  }
  auto loaded = load_codec_model_file(file, hash64(bytes.data(), bytes.size()), path, backend);
  if (!loaded.ok()) return loaded.status();
  return loaded;
}

const std::map<std::string, TransformsBackend>& backend_names() {
  static const std::map<std::string, TransformsBackend> names = {{"onednn", TransformsBackend::kOnednn},
                                                                 {"libtorch", TransformsBackend::kLibTorch}};
  return names;
}

const char* backend_name(TransformsBackend backend) {
  switch (backend) {
    case TransformsBackend::kLibTorch: return "libtorch";
    case TransformsBackend::kNone: return "none";
    default: return "onednn";
  }
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

ApiEdits api_edits(const EditOptions& edits) {
  ApiEdits out;
  for (const auto& [name, setting] : edits.settings)
    out.settings.push_back(facet_factor_setting{name.c_str(), setting.value, setting.relative ? 1 : 0});
  for (const std::string& name : edits.drops) out.drops.push_back(name.c_str());
  return out;
}

ApiModel api_model(std::shared_ptr<CodecModel> model) { return ApiModel(facet_model_wrap(std::move(model)), facet_model_free); }

Status api_error() { return facet_last_status(); }

}  // namespace facet::cli

