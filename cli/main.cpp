// The facet command: parses the command line and dispatches to a sub-command. Built twice: as
// `facet` (no LibTorch: coding on oneDNN) and, with FACET_WITH_LIBTORCH, as `facet-torch`, the
// same commands plus what needs LibTorch (training, sprites, evaluation, efforts >= 2), which
// `facet` hands its command line to (cli_common.h, run_with_libtorch).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/cli_common.h"
#include "cli/commands.h"
#ifdef FACET_WITH_LIBTORCH
#include "common/allocator.h"
#include "torch_codec/libtorch_backend.h"
#endif

namespace {

const char* kDescription =
    "Facet: a learned image codec whose files are made of named, editable factors.";

const char* kFooter = R"(Examples:
  facet compress photo.png -o photo.fct -q 60   compress with the shipped model
  facet decompress photo.fct -o photo.png       decompress to PNG
  facet inspect photo.fct [--json]              show the header and the factor table
  facet rd kodak/ --plot rd.png                 RD curves, BD-rates vs JPEG, WebP, JXL, AVIF
  facet bench entropy                           rANS overhead and throughput on one core
  facet bench model kodak/ -q 25,50,75          network cost, bpp, PSNR, speed
  facet train --data photos/ -o model.safetensors.zst   train a photo model

Exit codes:
  0  success
  1  bad input data (damaged or unsupported file, a limit exceeded)
  2  usage error (bad command line or option value)
  3  I/O error (a file could not be read or written)
  4  internal error (a bug: please report it)

Run 'facet COMMAND --help' for the options of a command.)";

#ifndef FACET_WITH_LIBTORCH
// A command of facet-torch (LibTorch, or OpenCV's drawing and baselines): `facet` takes any
// arguments for it and hands the command line over.
void add_libtorch_command(CLI::App& app, facet::cli::Runner* run, const char* name, const char* description) {
  CLI::App* cmd = app.add_subcommand(name, std::string(description) + " (runs in facet-torch)");
  cmd->prefix_command();
  cmd->set_help_flag();
  cmd->allow_extras();
  cmd->callback([run, name] { *run = [name] { return facet::cli::run_with_libtorch(std::string("facet ") + name); }; });
}
#endif

}  // namespace

int main(int argc, char** argv) {
#ifdef FACET_WITH_LIBTORCH
  // LibTorch's many short-lived tensors: keep freed memory (allocator.h). `facet` leaves glibc's
  // default, which hands a tile's large buffers back: the Kodak decode peaks at about 180 MB
  // instead of 225 MB, at the same speed.
  facet::keep_freed_memory_for_reuse();
  facet::use_libtorch_backend();
#endif
  facet::cli::set_program_arguments(argc, argv);
  CLI::App app(kDescription, "facet");
  app.set_version_flag("--version", std::string("facet ") + FACET_VERSION);
  app.footer(kFooter);
  app.require_subcommand(1);

  facet::cli::Runner run;
  facet::cli::add_inspect_command(app, &run);
  facet::cli::add_codec_commands(app, &run);
  facet::cli::add_bench_command(app, &run);
  facet::cli::add_edit_command(app, &run);
#ifdef FACET_WITH_LIBTORCH
  facet::cli::add_rd_command(app, &run);
  facet::cli::add_traverse_command(app, &run);
  facet::cli::add_train_command(app, &run);
  facet::cli::add_sprites_command(app, &run);
  facet::cli::add_eval_command(app, &run);
#else
  add_libtorch_command(app, &run, "rd", "Rate-distortion curves against JPEG, WebP, JPEG XL, AVIF");
  add_libtorch_command(app, &run, "traverse", "A grid of decodes with one factor swept per row");
  add_libtorch_command(app, &run, "train", "Train a photo or sprites model");
  add_libtorch_command(app, &run, "sprites", "Render and code dSprites-like sprites");
  add_libtorch_command(app, &run, "eval", "Measure factors and disentanglement");
#endif
  facet::cli::set_program_path(argv[0]);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : facet::cli::kExitUsage;
  }
  try {
    return run ? run() : facet::cli::kExitUsage;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "facet: error: out of memory\n");
    return facet::cli::kExitInternal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facet: error: internal: %s\n", e.what());
    return facet::cli::kExitInternal;
  }
}
