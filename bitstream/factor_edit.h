// Editing a stored file's factors without decoding pixels: set a global factor (its stream is
// rewritten, every other stream is copied byte for byte) or drop any factor (its stream is
// removed; the decoder uses the prior mean). Shared by `facet edit`, `facet decompress --set/--drop`,
// `facet traverse` and `facet inspect`.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "entropy/quantized_cdf.h"
#include "formats/container.h"

namespace facet {

// How a model codes one named global factor: a short stream (FORMAT.md §5.7) of one i32 symbol,
// coded with table `table` of `tables`; stored value = symbol * step. The user sees the factor in
// its unit through to_user / from_user (identity for the photo appearance factors; for a sprite
// latent, the ground-truth factor value it tracks).
struct GlobalFactorModel {
  std::string name;
  std::string unit;
  const CdfTableSet* tables = nullptr;
  uint32_t table = 0;
  double step = 1.0;
  double prior_mean = 0.0;  // stored units: what a dropped factor decodes as
  double prior_sigma = 1.0; // stored units: the span of a traversal
  std::function<double(double)> to_user = [](double v) { return v; };
  std::function<double(double)> from_user = [](double v) { return v; };
};

// `--set NAME=VALUE`: VALUE with a leading '+' or '-' changes the stored value by that amount;
// without a sign it sets it; `NAME:=VALUE` sets it whatever the sign.
struct FactorSetting {
  double value = 0;
  bool relative = false;
};
StatusOr<std::pair<std::string, FactorSetting>> parse_factor_setting(const std::string& text);

// The stored value (in stored units) of global factor `model` in a parsed file.
StatusOr<double> read_global_factor(const FctFile& file, const GlobalFactorModel& model);

// Re-encodes global factor `model` of `file` with `value` (stored units, clamped to its table).
Status write_global_factor(FctFile& file, const GlobalFactorModel& model, double value);

// Applies drops, then settings; fails on unknown names, on dropping "hyper" (every spatial group
// needs it), and on setting a factor that is not a global factor of the model.
Status edit_factors(FctFile& file, const std::vector<GlobalFactorModel>& globals,
                    const std::map<std::string, FactorSetting>& settings, const std::set<std::string>& drops);

// The same on file bytes: a new, valid .fct.
StatusOr<Bytes> edit_fct_bytes(const uint8_t* data, size_t size, const std::vector<GlobalFactorModel>& globals,
                               const std::map<std::string, FactorSetting>& settings,
                               const std::set<std::string>& drops);

}  // namespace facet
