// The FactorVAE score (Kim & Mnih 2018; disentanglement_lib factor_vae.py). Conventions of every
// metric: stats/information.h.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/status.h"
#include "stats/information.h"

namespace facet {

// FactorVAE score (Kim & Mnih 2018; disentanglement_lib factor_vae.py).
//
// A ground-truth data set with independent uniform factors: factor k takes the values
// 0..factor_sizes[k]-1. `represent` maps a batch of factor rows (B x K) to their codes (B x D; D
// the same on every call); it may be stochastic (e.g. render an image and encode it). It is
// called with at most batch_size rows at a time; its errors are returned with context.
struct GroundTruthSampler {
  std::vector<int> factor_sizes;
  std::function<StatusOr<CodeMatrix>(const FactorMatrix&)> represent;
};
struct FactorVaeOptions {
  int batch_size = 64;                     // >= 2
  int num_train = 10000;                   // votes, >= 1
  int num_eval = 5000;                     // votes, >= 1
  int num_variance_estimate = 10000;       // >= 2
  // A dimension is active when its global standard deviation is >= this (and its variance > 0).
  // 0.05 is disentanglement_lib's unsupervised study (its gin configuration sets
  // prune_dims.threshold = 0.05, which _prune_dims compares with the std); the library's own default
  // of 0 keeps every dimension. Kim & Mnih prune collapsed dimensions without naming a threshold.
  double prune_std_threshold = 0.05;  // >= 0
};
// 1. global_variances: sample variance (ddof = 1) of each code dimension over
//    num_variance_estimate random factor rows. A dimension is active when its variance is > 0
//    and its standard deviation >= prune_std_threshold (a zero-variance dimension is inactive
//    even at threshold 0, where disentanglement_lib would divide by 0). No active dimension: both
//    accuracies 0 (as disentanglement_lib).
// 2. One vote: draw k uniformly from the K factors, batch_size random factor rows, set factor k
//    of every row to the first row's value; represent them; per active dimension the sample
//    variance (ddof = 1) within the batch divided by its global variance (the variance of the
//    codes divided by the global std); the vote is (argmin dimension, k).
// 3. train_votes (D x K) from num_train votes; classifier[d] = the factor with the most votes of
//    dimension d (ties: lowest k; -1 for a dimension with no vote); train_accuracy = sum_d
//    train_votes[d][classifier[d]] / num_train; eval_accuracy likewise on num_eval fresh votes
//    (the FactorVAE score).
// Random numbers: a std::mt19937_64 seeded with `seed`, uniform integers by rejection sampling
// (identical on every standard library); draw order: the variance rows (row by row, factor by
// factor), then per vote k, then the batch's rows.
struct FactorVaeResult {
  double train_accuracy = 0;
  double eval_accuracy = 0;  // the FactorVAE score
  int num_active_dims = 0;
  std::vector<double> global_variances;  // D
  std::vector<bool> active;              // D
  std::vector<int> classifier;           // D: factor index or -1
  std::vector<int64_t> train_votes;      // D x K row-major
  std::vector<int64_t> eval_votes;       // D x K row-major
};
StatusOr<FactorVaeResult> compute_factor_vae_score(
    const GroundTruthSampler& sampler, uint64_t seed,
    const FactorVaeOptions& options = FactorVaeOptions());
}  // namespace facet
