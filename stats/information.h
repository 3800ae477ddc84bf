// Estimators shared by the disentanglement metrics (eval/mig.h, eval/dci.h, eval/factor_vae.h,
// eval/sap.h) and by the sprites codec, which names each stored latent after the factor it carries
// most information about (sprites/sprites_codec_model.h). Plain C++, deterministic.
//
// Conventions shared by every function:
// - Matrices are row-major, one row per observation. Codes are N x D real numbers (the
//   representation, e.g. posterior means), factors are N x K non-negative integer labels (the
//   ground-truth factor values as class indices 0..n_k-1; gaps in the label set are allowed:
//   only the distinct values matter, except for the lasso DCI predictor and SAP's continuous
//   variant, which treat labels as numbers).
// - Inputs are validated and every problem is a Status of kInvalidArgument (never a crash):
//   empty matrices, values.size() != rows * cols, row counts that differ between codes and
//   factors, column counts that differ between train and test, non-finite codes, negative labels,
//   and the per-metric requirements stated in each metric's header.
// - Results are deterministic: no threads, no unseeded randomness, ties broken towards the
//   lowest index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/status.h"

namespace facet {

// N x D codes, row-major: values[r * cols + c].
struct CodeMatrix {
  size_t rows = 0, cols = 0;
  std::vector<double> values;

  double at(size_t r, size_t c) const { return values[r * cols + c]; }
  double& at(size_t r, size_t c) { return values[r * cols + c]; }
};

// N x K factor labels, row-major: values[r * cols + c].
struct FactorMatrix {
  size_t rows = 0, cols = 0;
  std::vector<int> values;

  int at(size_t r, size_t c) const { return values[r * cols + c]; }
  int& at(size_t r, size_t c) { return values[r * cols + c]; }
};

// The checks of every two-split metric (the list under "Conventions" above), with messages that
// name the split: "train codes have 3 rows but the factors 4".
Status validate_splits(const CodeMatrix& train_codes, const FactorMatrix& train_factors,
                       const CodeMatrix& test_codes, const FactorMatrix& test_factors);

// Mean over the columns of a rows x cols row-major matrix of (largest - second largest entry);
// per_column receives each column's gap.
double mean_top_two_gap(const std::vector<double>& m, size_t rows, size_t cols,
                        std::vector<double>& per_column);

// Non-empty, rows x cols values, finite codes / non-negative labels; `name` starts the messages.
Status check_codes(const CodeMatrix& m, const std::string& name);
Status check_factors(const FactorMatrix& m, const std::string& name);
// Both, and equal row counts ("<split> codes have 3 rows but the factors 4").
Status check_pair(const CodeMatrix& codes, const FactorMatrix& factors, const std::string& split);

// One column of a matrix.
std::vector<int> factor_column(const FactorMatrix& m, size_t col);
std::vector<double> code_column(const CodeMatrix& m, size_t col);

// Replaces each label by its index among the sorted distinct labels; returns the distinct labels.
std::vector<int> compact(std::vector<int>& labels);

// scikit-learn's mutual_info_score of two compacted labelings (na and nb distinct values): the
// plug-in estimate from the contingency table, natural log, clipped at 0.
double mutual_info(const std::vector<int>& a, size_t na, const std::vector<int>& b, size_t nb);

// Plug-in entropy in nats of a compacted labeling with `classes` values.
double entropy(const std::vector<int>& labels, size_t classes);

// np.digitize(x, np.histogram(x, bins)[1][:-1]) - 1: bins 0..bins-1. Bin edges
// e_j = min + j * (max - min) / bins; the bin of x is the number of edges e_0..e_{bins-1} that are
// <= x, minus one (a value on an inner edge goes right; the maximum goes to the last bin). A
// constant x falls in one bin.
std::vector<int> digitize(const std::vector<double>& x, int bins);

// Unbiased uniform integer in [0, n), n >= 1, the same on every standard library.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n);

// Each code dimension discretized into `bins` (digitize), then its mutual information with each
// factor (mutual_info) and each factor's entropy (entropy), in nats. Validates the matrices
// (check_pair with `name`) and bins >= 1.
struct DiscretizedInformation {
  std::vector<double> mutual_info;     // D x K row-major
  std::vector<double> factor_entropy;  // K
};
StatusOr<DiscretizedInformation> discretized_mutual_information(const CodeMatrix& codes,
                                                                const FactorMatrix& factors, int bins,
                                                                const std::string& name);

}  // namespace facet
