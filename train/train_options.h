// The options of training shared by `facet train` and the trainer-only `facet-train` (which
// builds against a CUDA LibTorch without OpenCV, libpng or zstd).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "train/sprites_trainer.h"
#include "train/trainer.h"
#include "common/status.h"

namespace facet::cli {

struct TrainerCliOptions {
  std::string model = "photo";  // or "sprites"
  TrainOptions train;
  SpritesConfig sprites;
  std::string lambdas;  // comma-separated, replaces the config's when given
  int threads = 0;      // CPU threads (0: all cores)
  std::string init;     // weights file to start from (fine-tuning); read by each front end
  int dist_timeout_seconds = 600;  // data parallel: rendezvous and every collective
  std::string ema;                 // comma-separated weight-average decays (--ema)
};

// Model kind and shape, optimization, checkpoints, logging, device and threads.
void add_trainer_options(CLI::App* cmd, TrainerCliOptions& options);

// Applies --lambdas and --threads and validates the model configuration. Launched by torchrun
// (WORLD_SIZE > 1 in the environment), also joins the data-parallel group (train/data_parallel.h).
Status finish_trainer_options(TrainerCliOptions& options);

// The sprites model's training options: the shared ones the user gave on `cmd` (the photo
// model's defaults do not apply to it), its own --latents and --beta.
SpritesTrainOptions sprites_train_options(const TrainerCliOptions& options, const CLI::App& cmd);

// One progress line on stdout ("train step ..." or "eval  step ...").
void print_train_progress(const TrainProgress& progress);
void print_sprites_progress(const SpritesProgress& progress);

}  // namespace facet::cli
