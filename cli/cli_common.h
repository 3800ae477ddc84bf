// What every facet sub-command shares: exit codes, error reporting, verbosity.
#pragma once

#include <memory>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bitstream/factor_edit.h"
#include "codec/codec.h"
#include "facet/facet.h"
#include "common/precision.h"
#include "eval/rd_sweep.h"
#include "common/status.h"

namespace facet::cli {

// Documented exit codes (README.md, `facet --help`).
enum ExitCode : int {
  kExitOk = 0,
  kExitBadData = 1,  // the input is damaged, not a supported format, or over a limit
  kExitUsage = 2,    // bad command line or argument values
  kExitIo = 3,       // a file could not be read or written
  kExitInternal = 4, // a bug in Facet
};

int exit_code_for(ErrorCode code);

// Prints "facet: error: <code>: <message>" to stderr and returns the matching exit code.
int report_error(const Status& status);

// The path this process was started as (argv[0]), for finding files shipped beside it.
const std::string& program_path();
void set_program_path(const std::string& path);

// The command line this process was started with, kept for run_with_libtorch.
void set_program_arguments(int argc, char** argv);

// `facet` itself never loads LibTorch. What needs it (encoder efforts >= 2, sprites models, the
// training, the LibTorch reference transforms) runs in facet-torch, the same command line built
// with LibTorch: this replaces the process by facet-torch with the same arguments ($FACET_TORCH,
// else facet-torch beside this executable). Returns only on failure, with the error reported;
// `why` says what needed it. A process that has LibTorch (facet-torch) never calls it.
int run_with_libtorch(const std::string& why);
bool has_libtorch();  // this process is facet-torch (the LibTorch backend is installed)

// --threads: the requested count, or every core when it is 0.
int resolve_threads(int requested);

// The name -> value table of --precision (auto, fp32, bf16) and its name for printing.
const std::map<std::string, TransformPrecision>& precision_names();
const char* precision_name(TransformPrecision precision);

// --model: the given weights file, or the default model (codec.h's find_default_model), loaded.
// In `facet` a sprites model or the LibTorch backend hands the command to facet-torch
// (run_with_libtorch): call it before reading standard input.
StatusOr<std::shared_ptr<CodecModel>> load_model_option(const std::string& model,
                                                        TransformsBackend backend = TransformsBackend::kOnednn);

// The name -> value table of --backend (onednn, libtorch) and its name for printing.
const std::map<std::string, TransformsBackend>& backend_names();
const char* backend_name(TransformsBackend backend);

// Hexadecimal rendering of a 32- or 64-bit value, zero-padded.
std::string hex(uint64_t value, int digits);

// The images of a directory (sorted by name; files that are not images are skipped) or one image
// file, as 8-bit RGB (cmd_rd.cpp).
StatusOr<std::vector<RdImage>> load_rd_images(const std::string& directory_or_file);

// --set NAME=VALUE ... and --drop NAME ... as parsed edits.
struct EditOptions {
  std::map<std::string, FactorSetting> settings;
  std::set<std::string> drops;
};
StatusOr<EditOptions> parse_edit_options(const std::vector<std::string>& set, const std::vector<std::string>& drop);

// The same as the C API takes them (facet.h): arrays that point into `edits`, valid while it lives.
struct ApiEdits {
  std::vector<facet_factor_setting> settings;
  std::vector<const char*> drops;
};
ApiEdits api_edits(const EditOptions& edits);

// A model the command line loaded (load_model_option) as the C API's handle; freed with it.
using ApiModel = std::unique_ptr<facet_model, void (*)(facet_model*)>;
ApiModel api_model(std::shared_ptr<CodecModel> model);

// The C API's last failure on this thread as a Status (its code and message), for report_error.
Status api_error();

}  // namespace facet::cli
