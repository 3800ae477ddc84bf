// What every facet sub-command shares: exit codes, error reporting, verbosity.
#pragma once

#include <memory>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bitstream/factor_edit.h"
#include "networks/precision.h"
#include "eval/rd_sweep.h"
#include "common/status.h"

namespace facet {
struct CodecModel;
}

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

// --threads: the requested count, or every core when it is 0.
int resolve_threads(int requested);

// The name -> value table of --precision (auto, fp32, bf16) and its name for printing.
const std::map<std::string, TransformPrecision>& precision_names();
const char* precision_name(TransformPrecision precision);

// --model: the given weights file, or the default model (codec.h's find_default_model), loaded.
StatusOr<std::shared_ptr<CodecModel>> load_model_option(const std::string& model);

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

}  // namespace facet::cli
