// The FactorVAE score (definition in factor_vae.h).
#include "eval/factor_vae.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

namespace facet {
namespace {

// ---------------------------------------------------------------------------------------------
// FactorVAE score.

FactorMatrix sample_factors(const std::vector<int>& sizes, size_t rows, std::mt19937_64& rng) {
  FactorMatrix out{rows, sizes.size(), std::vector<int>(rows * sizes.size())};
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < sizes.size(); ++k)
      out.at(r, k) = int(uniform_below(rng, uint64_t(sizes[k])));
  return out;
}

StatusOr<CodeMatrix> represent_checked(const GroundTruthSampler& sampler,
                                       const FactorMatrix& factors, size_t& dims) {
  StatusOr<CodeMatrix> result = sampler.represent(factors);
  if (!result.ok()) return result.status().with_context("FactorVAE sampler");
  CodeMatrix codes = std::move(result).value();
  FACET_RETURN_IF_ERROR(check_codes(codes, "FactorVAE sampler codes"));
  FACET_RETURN_ERROR_IF(codes.rows != factors.rows, kInvalidArgument,
                        "FactorVAE sampler returned " + std::to_string(codes.rows) +
                            " code rows for " + std::to_string(factors.rows) + " factor rows");
  if (dims == 0) dims = codes.cols;
  FACET_RETURN_ERROR_IF(codes.cols != dims, kInvalidArgument,
                        "FactorVAE sampler returned " + std::to_string(codes.cols) +
                            " dimensions after " + std::to_string(dims));
  return codes;
}

// Sample variance (ddof = 1) of column c.
double column_variance(const CodeMatrix& m, size_t c) {
  double sum = 0;
  for (size_t r = 0; r < m.rows; ++r) sum += m.at(r, c);
  const double mean = sum / double(m.rows);
  double sq = 0;
  for (size_t r = 0; r < m.rows; ++r) sq += (m.at(r, c) - mean) * (m.at(r, c) - mean);
  return sq / double(m.rows - 1);
}

// num_votes votes into a D x K table.
Status cast_votes(const GroundTruthSampler& sampler, const FactorVaeOptions& options,
                  const std::vector<double>& global_variances, const std::vector<bool>& active,
                  int num_votes, std::mt19937_64& rng, size_t& dims, std::vector<int64_t>& votes) {
  const size_t k_count = sampler.factor_sizes.size();
  votes.assign(dims * k_count, 0);
  for (int vote = 0; vote < num_votes; ++vote) {
    const size_t k = size_t(uniform_below(rng, k_count));
    FactorMatrix batch = sample_factors(sampler.factor_sizes, size_t(options.batch_size), rng);
    for (size_t r = 1; r < batch.rows; ++r) batch.at(r, k) = batch.at(0, k);
    FACET_ASSIGN_OR_RETURN(CodeMatrix codes, represent_checked(sampler, batch, dims));
    size_t best = dims;
    double best_ratio = std::numeric_limits<double>::infinity();
    for (size_t d = 0; d < dims; ++d) {
      if (!active[d]) continue;
      const double ratio = column_variance(codes, d) / global_variances[d];
      if (best == dims || ratio < best_ratio) {
        best = d;
        best_ratio = ratio;
      }
    }
    votes[best * k_count + k] += 1;
  }
  return ok_status();
}


}  // namespace

StatusOr<FactorVaeResult> compute_factor_vae_score(const GroundTruthSampler& sampler, uint64_t seed,
                                                   const FactorVaeOptions& options) {
  FACET_RETURN_ERROR_IF(sampler.factor_sizes.empty(), kInvalidArgument,
                        "FactorVAE sampler has no factors");
  for (int size : sampler.factor_sizes)
    FACET_RETURN_ERROR_IF(size < 1, kInvalidArgument,
                          "FactorVAE factor sizes must be >= 1, got " + std::to_string(size));
  FACET_RETURN_ERROR_IF(!sampler.represent, kInvalidArgument,
                        "FactorVAE sampler has no represent function");
  FACET_RETURN_ERROR_IF(
      options.batch_size < 2, kInvalidArgument,
      "FactorVAE batch size must be >= 2, got " + std::to_string(options.batch_size));
  FACET_RETURN_ERROR_IF(options.num_train < 1 || options.num_eval < 1, kInvalidArgument,
                        "FactorVAE needs at least one train and one eval vote");
  FACET_RETURN_ERROR_IF(options.num_variance_estimate < 2, kInvalidArgument,
                        "FactorVAE needs at least 2 samples to estimate variances");
  FACET_RETURN_ERROR_IF(!(options.prune_std_threshold >= 0) || !std::isfinite(options.prune_std_threshold),
                        kInvalidArgument, "FactorVAE prune threshold (a standard deviation) must be finite and >= 0");

  std::mt19937_64 rng(seed);
  size_t dims = 0;
  // Global variances from num_variance_estimate rows, represented batch_size rows at a time.
  CodeMatrix all;
  all.rows = size_t(options.num_variance_estimate);
  for (size_t done = 0; done < all.rows;) {
    const size_t rows = std::min(all.rows - done, size_t(options.batch_size));
    const FactorMatrix batch = sample_factors(sampler.factor_sizes, rows, rng);
    FACET_ASSIGN_OR_RETURN(CodeMatrix codes, represent_checked(sampler, batch, dims));
    all.values.insert(all.values.end(), codes.values.begin(), codes.values.end());
    done += rows;
  }
  all.cols = dims;

  FactorVaeResult result;
  result.global_variances.resize(dims);
  result.active.resize(dims);
  for (size_t d = 0; d < dims; ++d) {
    result.global_variances[d] = column_variance(all, d);
    result.active[d] = result.global_variances[d] > 0 &&
                       std::sqrt(result.global_variances[d]) >= options.prune_std_threshold;
    result.num_active_dims += result.active[d] ? 1 : 0;
  }
  const size_t k_count = sampler.factor_sizes.size();
  result.classifier.assign(dims, -1);
  if (result.num_active_dims == 0) {
    result.train_votes.assign(dims * k_count, 0);
    result.eval_votes.assign(dims * k_count, 0);
    return result;
  }
  FACET_RETURN_IF_ERROR(cast_votes(sampler, options, result.global_variances, result.active,
                                   options.num_train, rng, dims, result.train_votes));
  int64_t correct = 0;
  for (size_t d = 0; d < dims; ++d) {
    int64_t most = 0;
    for (size_t k = 0; k < k_count; ++k)
      if (result.train_votes[d * k_count + k] > most) {
        most = result.train_votes[d * k_count + k];
        result.classifier[d] = int(k);
      }
    correct += most;
  }
  result.train_accuracy = double(correct) / double(options.num_train);
  FACET_RETURN_IF_ERROR(cast_votes(sampler, options, result.global_variances, result.active,
                                   options.num_eval, rng, dims, result.eval_votes));
  correct = 0;
  for (size_t d = 0; d < dims; ++d)
    if (result.classifier[d] >= 0) correct += result.eval_votes[d * k_count + result.classifier[d]];
  result.eval_accuracy = double(correct) / double(options.num_eval);
  return result;
}

}  // namespace facet
