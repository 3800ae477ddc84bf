// Factor edits on a parsed .fct file.
#include "bitstream/factor_edit.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "formats/container_streams.h"

namespace facet {
namespace {

const GlobalFactorModel* find_model(const std::vector<GlobalFactorModel>& globals, const std::string& name) {
  for (const auto& g : globals)
    if (g.name == name) return &g;
  return nullptr;
}

}  // namespace

StatusOr<std::pair<std::string, FactorSetting>> parse_factor_setting(const std::string& text) {
  const size_t eq = text.find('=');
  FACET_RETURN_ERROR_IF(eq == std::string::npos || eq == 0, kInvalidArgument,
                        "bad --set '" + text + "': expected NAME=VALUE, NAME=+DELTA or NAME:=VALUE");
  std::string name = text.substr(0, eq), value = text.substr(eq + 1);
  FactorSetting s;
  FACET_RETURN_ERROR_IF(!value.empty() && std::isspace(static_cast<unsigned char>(value[0])), kInvalidArgument,
                        "bad --set '" + text + "': no space after '='");
  if (!name.empty() && name.back() == ':') {
    name.pop_back();
  } else {
    s.relative = !value.empty() && (value[0] == '+' || value[0] == '-');
  }
  char* end = nullptr;
  s.value = std::strtod(value.c_str(), &end);
  FACET_RETURN_ERROR_IF(name.empty() || value.empty() || *end != '\0' || !std::isfinite(s.value),
                        kInvalidArgument, "bad --set '" + text + "': the value is not a number");
  return std::make_pair(name, s);
}

StatusOr<double> read_global_factor(const FctFile& file, const GlobalFactorModel& model) {
  const int at = file.header.find(model.name);
  FACET_RETURN_ERROR_IF(at < 0, kInvalidArgument, "the file has no factor '" + model.name + "'");
  const FactorEntry& entry = file.header.factors[at];
  FACET_RETURN_ERROR_IF(entry.kind != FactorKind::kGlobal || entry.quant_step != float(model.step), kCorrupt,
                        "factor '" + model.name + "' does not match the model");
  FACET_ASSIGN_OR_RETURN(std::vector<int32_t> v,
                         decode_short_stream(entry, file.streams[at], {model.table}, *model.tables));
  return v[0] * model.step;
}

Status write_global_factor(FctFile& file, const GlobalFactorModel& model, double value) {
  const int at = file.header.find(model.name);
  FACET_RETURN_ERROR_IF(at < 0, kInvalidArgument, "the file has no factor '" + model.name + "' (dropped?)");
  const FactorEntry& entry = file.header.factors[at];
  FACET_RETURN_ERROR_IF(!std::isfinite(value), kInvalidArgument, "factor value is not finite");
  const CdfTableSet& t = *model.tables;
  const double lo = t.offset(model.table), hi = t.offset(model.table) + double(t.symbol_count(model.table)) - 2;
  const int32_t symbol = int32_t(std::clamp(std::round(value / model.step), lo, hi));
  FACET_ASSIGN_OR_RETURN(Bytes stream, encode_short_stream(entry, {symbol}, {model.table}, t));
  file.streams[at] = std::move(stream);
  return ok_status();
}

Status edit_factors(FctFile& file, const std::vector<GlobalFactorModel>& globals,
                    const std::map<std::string, FactorSetting>& settings, const std::set<std::string>& drops) {
  for (const std::string& name : drops) {
    FACET_RETURN_ERROR_IF(name == "hyper", kInvalidArgument, "'hyper' cannot be dropped: every spatial group needs it");
    const int at = file.header.find(name);
    FACET_RETURN_ERROR_IF(at < 0, kInvalidArgument, "cannot drop '" + name + "': the file has no such factor");
    FACET_RETURN_ERROR_IF(settings.count(name), kInvalidArgument, "factor '" + name + "' is both set and dropped");
  }
  // A kept stream keeps what its decoding reads (FORMAT.md §4.2): such a drop is refused, not
  // extended, so that an edit never removes more than it was asked to.
  for (const FactorEntry& kept : file.header.factors) {
    if (drops.count(kept.name)) continue;
    for (const std::string& needed : kept.context)
      FACET_RETURN_ERROR_IF(drops.count(needed), kInvalidArgument,
                            "dropping '" + needed + "' leaves '" + kept.name + "' without its context: drop '" +
                                kept.name + "' too");
  }
  for (const std::string& name : drops) {
    const int at = file.header.find(name);
    file.header.factors.erase(file.header.factors.begin() + at);
    file.streams.erase(file.streams.begin() + at);
  }
  for (const auto& [name, setting] : settings) {
    const GlobalFactorModel* model = find_model(globals, name);
    if (!model) {
      std::string known;
      for (const auto& g : globals) known += (known.empty() ? "" : ", ") + g.name;
      return make_error(ErrorCode::kInvalidArgument,
                        "cannot set '" + name + "': not a global factor of the model (" +
                            (known.empty() ? std::string("it has none") : "it has " + known) + ")");
    }
    FACET_ASSIGN_OR_RETURN(double stored, read_global_factor(file, *model));
    const double user = setting.relative ? model->to_user(stored) + setting.value : setting.value;
    FACET_RETURN_IF_ERROR(write_global_factor(file, *model, model->from_user(user)));
  }
  return ok_status();
}

StatusOr<Bytes> edit_fct_bytes(const uint8_t* data, size_t size, const std::vector<GlobalFactorModel>& globals,
                               const std::map<std::string, FactorSetting>& settings,
                               const std::set<std::string>& drops) {
  FACET_ASSIGN_OR_RETURN(FctFile file, read_fct(data, size));
  FACET_RETURN_IF_ERROR(edit_factors(file, globals, settings, drops));
  return write_fct(file.header, file.streams);
}

}  // namespace facet
