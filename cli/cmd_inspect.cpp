// facet inspect: prints a .fct file's header and factor table (text or --json).
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/file_io.h"
#include "codec/codec.h"
#include "formats/container.h"

namespace facet::cli {
namespace {

struct InspectOptions {
  std::string input, model;
  bool json = false;
};

// Values of the global factors in their units, when the file's model is at hand (--model, or the
// default model when its hash matches); empty otherwise.
struct FactorValue {
  double value = 0;
  std::string unit;
};
std::map<std::string, FactorValue> global_values(const FctFile& file, const std::string& model_path,
                                                 std::string* note) {
  std::map<std::string, FactorValue> values;
  bool has_global = false;
  for (const FactorEntry& f : file.header.factors) has_global |= f.kind == FactorKind::kGlobal;
  if (!has_global) return values;
  auto model = load_model_option(model_path, TransformsBackend::kNone);  // the tables alone
  if (!model.ok() || (*model)->hash != file.header.model_hash) {
    *note = "global factor values need the file's model '" + file.header.model_id + "' (--model FILE)";
    return values;
  }
  for (const GlobalFactorModel& g : (*model)->global_factors()) {
    if (file.header.find(g.name) < 0) continue;
    auto v = read_global_factor(file, g);
    if (v.ok()) values[g.name] = {g.to_user(*v), g.unit};
  }
  return values;
}

const char* channel_layout(uint8_t channels) {
  switch (channels) {
    case 1: return "gray";
    case 2: return "gray+alpha";
    case 3: return "RGB";
    case 4: return "RGBA";
  }
  return "?";
}

std::string shape_text(const std::vector<uint32_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

nlohmann::json to_json(const std::string& path, size_t file_bytes, uint64_t header_bytes,
                       const FctHeader& h, const std::map<std::string, FactorValue>& values) {
  nlohmann::json factors = nlohmann::json::array();
  for (const FactorEntry& f : h.factors) {
    nlohmann::json value = nullptr, unit = nullptr;
    if (auto it = values.find(f.name); it != values.end()) {
      value = it->second.value;
      unit = it->second.unit;
    }
    factors.push_back({{"name", f.name},
                       {"value", value},
                       {"unit", unit},
                       {"kind", factor_kind_name(f.kind)},
                       {"coder", stream_coder_name(f.coder)},
                       {"element_type", element_type_name(f.element_type)},
                       {"shape", f.shape},
                       {"quant_step", f.quant_step},
                       {"offset", f.offset},
                       {"bytes", f.length},
                       {"checksum", hex(f.checksum, 8)},
                       {"context", f.context}});
  }
  return {{"file", path},
          {"bytes", file_bytes},
          {"format_version", h.version},
          {"header_bytes", header_bytes},
          {"width", h.width},
          {"height", h.height},
          {"channels", h.channels},
          {"source_bit_depth", h.source_bit_depth},
          {"quality", h.quality / 100.0},
          {"model_id", h.model_id},
          {"model_hash", hex(h.model_hash, 16)},
          {"bits_per_pixel", 8.0 * double(file_bytes) / double(uint64_t{h.width} * h.height)},
          {"factors", factors}};
}

void print_text(const std::string& path, size_t file_bytes, uint64_t header_bytes, const FctHeader& h,
                const std::map<std::string, FactorValue>& values, const std::string& note) {
  std::printf("%s: Facet file, format version %u, %zu bytes (%.4f bpp)\n", path.c_str(),
              unsigned(h.version), file_bytes,
              8.0 * double(file_bytes) / double(uint64_t{h.width} * h.height));
  std::printf("  image    %u x %u, %s, source %u-bit\n", h.width, h.height, channel_layout(h.channels),
              unsigned(h.source_bit_depth));
  std::printf("  model    %s (hash %s)\n", h.model_id.empty() ? "-" : h.model_id.c_str(),
              hex(h.model_hash, 16).c_str());
  std::printf("  quality  %.2f\n", h.quality / 100.0);
  std::printf("  header   %llu bytes, %zu factors\n", static_cast<unsigned long long>(header_bytes),
              h.factors.size());
  std::printf("  %-16s %-8s %-16s %-4s %-14s %-10s %10s  %-8s  %s\n", "factor", "kind", "coder", "type",
              "shape", "step", "bytes", "checksum", "value");
  for (const FactorEntry& f : h.factors) {
    std::string value;
    if (auto it = values.find(f.name); it != values.end()) {
      char text[64];
      std::snprintf(text, sizeof text, "%+.4f %s", it->second.value, it->second.unit.c_str());
      value = text;
    }
    // What decoding the stream reads (FORMAT.md §4.2): it cannot be kept without those.
    std::string reads;
    for (const std::string& name : f.context) reads += (reads.empty() ? "reads " : ",") + name;
    if (!reads.empty()) value += (value.empty() ? "" : "  ") + reads;
    std::printf("  %-16s %-8s %-16s %-4s %-14s %-10g %10llu  %-8s  %s\n", f.name.c_str(),
                factor_kind_name(f.kind), stream_coder_name(f.coder), element_type_name(f.element_type),
                shape_text(f.shape).c_str(), double(f.quant_step),
                static_cast<unsigned long long>(f.length), hex(f.checksum, 8).c_str(), value.c_str());
  }
  if (!note.empty()) std::printf("  (%s)\n", note.c_str());
}

int run_inspect(const InspectOptions& options) {
  auto bytes = read_file(options.input);
  if (!bytes.ok()) return report_error(bytes.status());
  auto file = read_fct(bytes->data(), bytes->size());
  if (!file.ok()) return report_error(file.status().with_context(options.input));
  const uint64_t header_bytes = fct_header_size(file->header).value();
  std::string note;
  const auto values = global_values(*file, options.model, &note);
  if (options.json) {
    std::printf("%s\n", to_json(options.input, bytes->size(), header_bytes, file->header, values).dump(2).c_str());
  } else {
    print_text(options.input, bytes->size(), header_bytes, file->header, values, note);
  }
  return kExitOk;
}

}  // namespace

void add_inspect_command(CLI::App& app, Runner* run) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show the header and factor table of a .fct file");
  cmd->add_option("FILE", options->input, "Facet file ('-' for standard input)")->required();
  cmd->add_flag("--json", options->json, "Print JSON instead of text");
  cmd->add_option("--model", options->model, "Model for the global factors' values (default: the shipped model)");
  cmd->footer("Example:\n  facet inspect photo.fct --json");
  cmd->callback([options, run] { *run = [options] { return run_inspect(*options); }; });
}

}  // namespace facet::cli
