// A tiny photo-model training run for the trainer's tests: four 64² crops of a fixed pattern and
// the options of a 3-step run of a 16-channel model with two rate points.
#pragma once

#include <string>

#include "train/crops.h"
#include "train/trainer.h"

namespace facet::test {

inline CropSet tiny_crops() {
  CropSet crops;
  crops.size = 64;
  crops.count = 4;
  for (int64_t i = 0; i < crops.count * 64 * 64 * 3; ++i) crops.pixels.push_back(uint8_t((i * 37 + i / 200) % 251));
  return crops;
}

inline TrainOptions tiny_train_options(const std::string& model_id) {
  TrainOptions o;
  o.config.n = 16;
  o.config.m = 24;
  o.config.hyper_n = 16;
  o.config.groups = 3;
  o.config.lambdas = {0.005, 0.02};
  o.config.model_id = model_id;
  o.crop = 64;
  o.batch = 2;
  o.steps = 3;
  o.warmup_steps = 1;
  o.log_every = 1;
  return o;
}

}  // namespace facet::test
