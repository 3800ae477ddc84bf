// Training of the sprites beta-TCVAE on sprites rendered on the fly (every factor uniform; on a GPU
// drawn from a table of all of them rendered once), CPU or CUDA. The final weights file also holds
// what coding needs (sprites_codec_model.h).
#pragma once

#include <functional>
#include <random>
#include <string>

#include "sprites/sprite_batches.h"
#include "sprites/sprites_model.h"
#include "common/status.h"

namespace facet {

struct SpritesTrainOptions {
  SpritesConfig config;
  int64_t steps = 20000;
  int batch = 64;
  double learning_rate = 1e-3;
  int64_t warmup_steps = 500;
  double final_lr_fraction = 0.05;
  std::string checkpoint;  // parameters + Adam state, every checkpoint_every steps and at the end
  int64_t checkpoint_every = 1000;
  bool resume = false;
  std::string output;      // final weights file (plain safetensors)
  int64_t log_every = 100;
  uint64_t seed = 1;
  std::string device = "cpu";
  double time_budget_seconds = 0;  // as TrainOptions::time_budget_seconds
};

struct SpritesProgress {
  int64_t step = 0;
  double loss = 0, reconstruction = 0, kl = 0, total_correlation = 0, learning_rate = 0, steps_per_second = 0;
  int active_latents = 0;  // latents with a mean KL above 0.1 nats in the window
  int64_t budget_steps = 0;  // > 0: a line saying the time budget set the total to this many steps
};

Status train_sprites_model(const SpritesTrainOptions& options,
                           const std::function<void(const SpritesProgress&)>& report);

}  // namespace facet
