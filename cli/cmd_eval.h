// facet eval: the options of its two sub-commands and the functions that run them
// (cmd_eval_factors.cpp, cmd_eval_disentanglement.cpp); cmd_eval.cpp registers them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "common/status.h"

namespace facet::cli {

// facet eval factors: the photo model's factors, measured on a directory of images.
struct EvalFactorsOptions {
  std::string directory, model, baseline_model;
  double quality = 75;
  int effort = kMinEffort;  // the encoder effort of every file the measurements write
  int thetas = 100;
  // Which measurements: edits (appearance cost and edit fidelity), disentanglement, chroma,
  // structure, cost (needs baseline_model).
  std::vector<std::string> measure = {"edits", "disentanglement", "chroma", "structure", "cost"};
  uint64_t seed = 1;
  int threads = 0;
};
Status eval_factors(const EvalFactorsOptions& o);

// facet eval disentanglement: the sprites model against the renderer's ground-truth factors.
struct EvalSpritesOptions {
  std::string model;
  int points = 10000;
  int held_out = 1000;
  uint64_t seed = 12345;
  int threads = 0;
  bool json = false;
};
Status eval_disentanglement(const EvalSpritesOptions& o);

}  // namespace facet::cli
