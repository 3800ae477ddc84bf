// The facet command: parses the command line and dispatches to a sub-command.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/allocator.h"

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

}  // namespace

int main(int argc, char** argv) {
  facet::keep_freed_memory_for_reuse();
  CLI::App app(kDescription, "facet");
  app.set_version_flag("--version", std::string("facet ") + FACET_VERSION);
  app.footer(kFooter);
  app.require_subcommand(1);

  facet::cli::Runner run;
  facet::cli::add_inspect_command(app, &run);
  facet::cli::add_codec_commands(app, &run);
  facet::cli::add_train_command(app, &run);
  facet::cli::add_bench_command(app, &run);
  facet::cli::add_rd_command(app, &run);
  facet::cli::add_sprites_command(app, &run);
  facet::cli::add_factor_commands(app, &run);
  facet::cli::add_eval_command(app, &run);
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
