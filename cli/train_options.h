// The options of training shared by `facet train` and the trainer-only `facet-train` (which
// builds against a CUDA LibTorch without OpenCV, libpng or zstd).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "codec/trainer.h"
#include "common/status.h"

namespace facet::cli {

struct TrainerCliOptions {
  TrainOptions train;
  std::string lambdas;  // comma-separated, replaces the config's when given
  int threads = 0;      // CPU threads (0: all cores)
  std::string init;     // weights file to start from (fine-tuning); read by each front end
};

// Model shape, optimization, checkpoints, logging, device and threads.
void add_trainer_options(CLI::App* cmd, TrainerCliOptions& options);

// Applies --lambdas and --threads and validates the model configuration.
Status finish_trainer_options(TrainerCliOptions& options);

// One progress line on stdout ("train step ..." or "eval  step ...").
void print_train_progress(const TrainProgress& progress);

}  // namespace facet::cli
