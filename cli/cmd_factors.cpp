// facet edit: a stored file's factors set or dropped without decoding pixels (facet_edit of the C API).
#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "codec/codec.h"
#include "common/file_io.h"
#include "formats/image_io.h"

namespace facet::cli {
namespace {

struct EditCommandOptions {
  std::string input, output, model;
  std::vector<std::string> set, drop;
  bool force = false;
};

int run_edit(const EditCommandOptions& o) {
  auto edits = parse_edit_options(o.set, o.drop);
  if (!edits.ok()) return report_error(edits.status());
  ApiModel model(nullptr, facet_model_free);
  if (!edits->settings.empty()) {  // drops need no model; settings re-encode with its tables
    // The model before the input: a command handed to facet-torch must not have read standard input.
    auto loaded = load_model_option(o.model, TransformsBackend::kNone);  // the tables alone
    if (!loaded.ok()) return report_error(loaded.status());
    model = api_model(*loaded);
  }
  auto input = read_file(o.input);
  if (!input.ok()) return report_error(input.status());
  const ApiEdits api = api_edits(*edits);
  uint8_t* edited = nullptr;
  size_t edited_size = 0;
  if (facet_edit(model.get(), input->data(), input->size(), api.settings.data(), api.settings.size(), api.drops.data(),
                 api.drops.size(), &edited, &edited_size) != FACET_OK)
    return report_error(api_error().with_context(o.input));
  std::unique_ptr<uint8_t, void (*)(void*)> owned(edited, facet_free);
  WriteOptions write;
  write.overwrite = o.force;
  Status written = write_file_atomic(o.output, edited, edited_size, write);
  if (!written.ok()) return report_error(written);
  std::fprintf(stderr, "%s: %zu -> %zu bytes\n", o.output.c_str(), input->size(), edited_size);
  return kExitOk;
}

}  // namespace

void add_edit_command(CLI::App& app, Runner* run) {
  auto e = std::make_shared<EditCommandOptions>();
  CLI::App* edit = app.add_subcommand("edit", "Set or drop factors of a .fct file without decoding pixels");
  edit->add_option("INPUT", e->input, "Facet file ('-' for standard input)")->required();
  edit->add_option("-o,--output", e->output, "Output .fct ('-' for standard output)")->required();
  edit->add_option("--set", e->set, "Global factor: NAME=VALUE sets it, NAME=+DELTA / NAME=-DELTA changes it, NAME:=VALUE sets any sign");
  edit->add_option("--drop", e->drop, "Remove a factor's stream (decodes as its prior mean)");
  edit->add_option("--model", e->model, "The file's model (needed by --set; default: the shipped model)");
  edit->add_flag("-f,--force", e->force, "Overwrite an existing output");
  edit->footer(
      "Examples:\n"
      "  facet edit photo.fct -o brighter.fct --set exposure=+0.5 --set saturation=-1\n"
      "  facet edit photo.fct -o small.fct --drop chroma --drop structure.2\n"
      "  facet edit sprite.fct -o moved.fct --set posX=0.8 --model models/facet-sprites.safetensors.zst\n"
      "Untouched streams are copied byte for byte; the output is a new, valid .fct.");
  edit->callback([e, run] { *run = [e] { return run_edit(*e); }; });
}

}  // namespace facet::cli
