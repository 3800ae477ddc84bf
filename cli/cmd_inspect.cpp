// facet inspect: prints a .fct file's header and factor table (text or --json), read with the C
// API's facet_inspect.
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

const char* channel_layout(uint32_t channels) {
  switch (channels) {
    case 1: return "gray";
    case 2: return "gray+alpha";
    case 3: return "RGB";
    case 4: return "RGBA";
  }
  return "?";
}

std::string shape_text(const facet_factor& f) {
  if (f.rank == 0) return "scalar";
  std::string s;
  for (uint32_t i = 0; i < f.rank; ++i) s += (i ? "x" : "") + std::to_string(f.shape[i]);
  return s;
}

std::vector<facet_factor> factors_of(const facet_file_info* info) {
  std::vector<facet_factor> factors(facet_file_info_factor_count(info));
  for (size_t i = 0; i < factors.size(); ++i) facet_file_info_factor(info, i, &factors[i]);
  return factors;
}

std::vector<std::string> split_reads(const char* reads) {
  std::vector<std::string> names;
  std::string name;
  for (const char* c = reads; *c; ++c) {
    if (*c == ',') {
      names.push_back(name);
      name.clear();
    } else {
      name += *c;
    }
  }
  if (!name.empty()) names.push_back(name);
  return names;
}

double bits_per_pixel(const facet_file_info* info, size_t file_bytes) {
  return 8.0 * double(file_bytes) / double(uint64_t{facet_file_info_width(info)} * facet_file_info_height(info));
}

nlohmann::json to_json(const std::string& path, size_t file_bytes, const facet_file_info* info) {
  nlohmann::json factors = nlohmann::json::array();
  for (const facet_factor& f : factors_of(info)) {
    nlohmann::json value = nullptr, unit = nullptr;
    if (f.has_value) {
      value = f.value;
      unit = f.unit;
    }
    factors.push_back({{"name", f.name},
                       {"value", value},
                       {"unit", unit},
                       {"kind", f.kind},
                       {"coder", f.coder},
                       {"element_type", f.element_type},
                       {"shape", std::vector<uint32_t>(f.shape, f.shape + f.rank)},
                       {"quant_step", float(f.quant_step)},
                       {"offset", f.offset},
                       {"bytes", f.bytes},
                       {"checksum", hex(f.checksum, 8)},
                       {"context", split_reads(f.reads)}});
  }
  return {{"file", path},
          {"bytes", file_bytes},
          {"format_version", facet_file_info_format_version(info)},
          {"header_bytes", facet_file_info_header_bytes(info)},
          {"width", facet_file_info_width(info)},
          {"height", facet_file_info_height(info)},
          {"channels", facet_file_info_channels(info)},
          {"source_bit_depth", facet_file_info_source_bit_depth(info)},
          {"quality", facet_file_info_quality(info)},
          {"model_id", facet_file_info_model_id(info)},
          {"model_hash", hex(facet_file_info_model_hash(info), 16)},
          {"bits_per_pixel", bits_per_pixel(info, file_bytes)},
          {"factors", factors}};
}

void print_text(const std::string& path, size_t file_bytes, const facet_file_info* info, const std::string& note) {
  const std::vector<facet_factor> factors = factors_of(info);
  const std::string model_id = facet_file_info_model_id(info);
  std::printf("%s: Facet file, format version %u, %zu bytes (%.4f bpp)\n", path.c_str(),
              facet_file_info_format_version(info), file_bytes, bits_per_pixel(info, file_bytes));
  std::printf("  image    %u x %u, %s, source %u-bit\n", facet_file_info_width(info), facet_file_info_height(info),
              channel_layout(facet_file_info_channels(info)), facet_file_info_source_bit_depth(info));
  std::printf("  model    %s (hash %s)\n", model_id.empty() ? "-" : model_id.c_str(),
              hex(facet_file_info_model_hash(info), 16).c_str());
  std::printf("  quality  %.2f\n", facet_file_info_quality(info));
  std::printf("  header   %llu bytes, %zu factors\n",
              static_cast<unsigned long long>(facet_file_info_header_bytes(info)), factors.size());
  std::printf("  %-16s %-8s %-16s %-4s %-14s %-10s %10s  %-8s  %s\n", "factor", "kind", "coder", "type",
              "shape", "step", "bytes", "checksum", "value");
  for (const facet_factor& f : factors) {
    std::string value;
    if (f.has_value) {
      char text[64];
      std::snprintf(text, sizeof text, "%+.4f %s", f.value, f.unit);
      value = text;
    }
    // What decoding the stream reads (FORMAT.md §4.2): it cannot be kept without those.
    if (*f.reads) value += std::string(value.empty() ? "" : "  ") + "reads " + f.reads;
    std::printf("  %-16s %-8s %-16s %-4s %-14s %-10g %10llu  %-8s  %s\n", f.name, f.kind, f.coder,
                f.element_type, shape_text(f).c_str(), f.quant_step, static_cast<unsigned long long>(f.bytes),
                hex(f.checksum, 8).c_str(), value.c_str());
  }
  if (!note.empty()) std::printf("  (%s)\n", note.c_str());
}

// facet_inspect of the C API, with the file's model when it is at hand (--model, or the default
// model when its hash matches) for the global factors' values.
int run_inspect(const InspectOptions& options) {
  auto bytes = read_file(options.input);
  if (!bytes.ok()) return report_error(bytes.status());
  facet_file_info* plain = nullptr;
  if (facet_inspect(nullptr, bytes->data(), bytes->size(), &plain) != FACET_OK)
    return report_error(api_error().with_context(options.input));
  std::unique_ptr<facet_file_info, void (*)(facet_file_info*)> info(plain, facet_file_info_free);
  std::string note;
  bool has_global = false;
  for (const facet_factor& f : factors_of(info.get())) has_global |= std::string(f.kind) == "global";
  if (has_global) {
    auto model = load_model_option(options.model, TransformsBackend::kNone);  // the tables alone
    if (model.ok() && (*model)->hash == facet_file_info_model_hash(info.get())) {
      ApiModel api = api_model(*model);
      facet_file_info* valued = nullptr;
      if (facet_inspect(api.get(), bytes->data(), bytes->size(), &valued) != FACET_OK)
        return report_error(api_error().with_context(options.input));
      info.reset(valued);
    } else {
      note = std::string("global factor values need the file's model '") + facet_file_info_model_id(info.get()) +
             "' (--model FILE)";
    }
  }
  if (options.json) {
    std::printf("%s\n", to_json(options.input, bytes->size(), info.get()).dump(2).c_str());
  } else {
    print_text(options.input, bytes->size(), info.get(), note);
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
