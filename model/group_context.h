// The group context on the deterministic path (FORMAT.md §5.6.2, §8): the Gaussian mean and table
// index of a coded group (structure.g with g >= 1, chroma) from the hyper-synthesis's corrected by
// a small network over the groups decoded before it. Plain C++ float loops shared by encoder and
// decoder, so the indexes are bit-identical on every machine and thread count. Mirrors
// PhotoModel::group_parameters.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "model/hyper_synthesis.h"
#include "model/model_config.h"

namespace facet {

// One coded group's context network: 3x3 conv of [hyper mean, hyper raw scale, the first
// `context_groups` structure groups' decoded values] to K channels, ReLU, 3x3 conv to 2 x the
// group's channels (mean corrections, then raw-scale corrections).
struct GroupContextWeights {
  int context_groups = 0;  // 0: no network (the hyperprior alone)
  Conv3x3Weights hidden, out;
};

// Coded group k's means and table indexes, [channels of k, h, w] each.
struct CodedGroupParameters {
  std::vector<float> means;
  std::vector<int32_t> indexes;
};

// hs: the hyper-synthesis of the file ([M, h, w] means and raw scales). y_hat: [M, h, w] latents in
// which the groups that k's context reads are already decoded (symbol + mean, the values the
// decoder holds; other channels are not read). scale_thresholds: the model's (FORMAT.md §8). `weights` has one entry per coded group
// (ModelConfig::coded_groups()) or is empty for a model without group context. `threads` splits
// output channels only; the result does not depend on it.
StatusOr<CodedGroupParameters> coded_group_parameters(const ModelConfig& config,
                                                      const std::vector<GroupContextWeights>& weights,
                                                      const std::vector<float>& scale_thresholds,
                                                      const HyperSynthesisResult& hs, const std::vector<float>& y_hat,
                                                      int k, int threads);

// The shapes of a model's context networks are those its configuration implies.
Status validate_group_context(const ModelConfig& config, const std::vector<GroupContextWeights>& weights);

}  // namespace facet
