// Registration of the facet sub-commands on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace facet::cli {

// Each sub-command adds itself to `app` and sets `run` to the function that executes it when the
// sub-command is chosen; run returns the process exit code.
using Runner = std::function<int()>;

void add_inspect_command(CLI::App& app, Runner* run);
void add_bench_command(CLI::App& app, Runner* run);
void add_codec_commands(CLI::App& app, Runner* run);  // compress, decompress
void add_train_command(CLI::App& app, Runner* run);
void add_bench_model_command(CLI::App& bench, Runner* run);  // under `facet bench`
void add_rd_command(CLI::App& app, Runner* run);
void add_sprites_command(CLI::App& app, Runner* run);  // sprites generate, sprites render
void add_edit_command(CLI::App& app, Runner* run);
void add_traverse_command(CLI::App& app, Runner* run);
void add_eval_command(CLI::App& app, Runner* run);     // eval factors, eval disentanglement

}  // namespace facet::cli
