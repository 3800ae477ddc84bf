// Disentanglement metrics of a learned representation against ground-truth factors of variation,
// as disentanglement_lib (Locatello et al. 2019, "Challenging Common Assumptions in the
// Unsupervised Learning of Disentangled Representations") defines them: MIG, DCI and the FactorVAE
// score here, SAP in eval/sap.h (its linear SVM is liblinear's, so it is a library of its own).
// Plain C++: no LibTorch, no OpenCV, no scikit-learn; where disentanglement_lib calls scikit-learn
// this file says what is done instead.
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
//   and the per-metric requirements stated below.
// - Results are deterministic: no threads, no unseeded randomness, ties broken towards the
//   lowest index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
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

// ---------------------------------------------------------------------------------------------
// Shared by the metrics (and by SAP in eval/sap.h, which needs liblinear and so lives apart).

// The checks of every two-split metric (the list under "Conventions" above), with messages that
// name the split: "train codes have 3 rows but the factors 4".
Status validate_splits(const CodeMatrix& train_codes, const FactorMatrix& train_factors,
                       const CodeMatrix& test_codes, const FactorMatrix& test_factors);

// Mean over the columns of a rows x cols row-major matrix of (largest - second largest entry);
// per_column receives each column's gap.
double mean_top_two_gap(const std::vector<double>& m, size_t rows, size_t cols,
                        std::vector<double>& per_column);

// ---------------------------------------------------------------------------------------------
// MIG, the Mutual Information Gap (Chen et al. 2018; disentanglement_lib mig.py).
//
// Each code dimension is discretized on its own: np.histogram(code, bins) bin edges
// e_j = min + j * (max - min) / bins, j = 0..bins, then np.digitize(code, edges[:-1]), i.e. the
// bin of x is the number of edges e_0..e_{bins-1} that are <= x (a value equal to an inner edge
// goes to the bin on its right; the maximum goes to the last bin). A constant dimension falls in
// one bin. The mutual information between each discretized code i and each factor k is
// scikit-learn's mutual_info_score (plug-in estimate from the contingency table, natural log,
// clipped at 0), and H(v_k) the plug-in entropy of the factor in nats. Then
//   per_factor[k] = (largest_i MI(i,k) - second largest_i MI(i,k)) / H(v_k)
//   mig = mean of per_factor over the factors with H(v_k) > 0.
// A factor that takes a single value (H = 0, where disentanglement_lib divides by zero) is left
// out of the mean, its per_factor entry is 0; when every factor is constant, the result is
// kInvalidArgument. Needs D >= 2 (a second largest MI) and bins >= 1.
struct MigResult {
  double mig = 0;
  std::vector<double> per_factor;      // K
  std::vector<double> mutual_info;     // D x K row-major, nats
  std::vector<double> factor_entropy;  // K, nats
};
StatusOr<MigResult> compute_mig(const CodeMatrix& codes, const FactorMatrix& factors,
                                int bins = 20);

// ---------------------------------------------------------------------------------------------
// DCI: Disentanglement, Completeness, Informativeness (Eastwood & Williams 2018;
// disentanglement_lib dci.py). One predictor per factor is trained on the train split to predict
// the factor from all D codes; its feature importances form column k of the D x K importance
// matrix R. With P_ik = R_ik / sum_k' R_ik' and disentanglement_lib's +1e-11 on every entry
// before the entropies (scipy.stats.entropy normalizes):
//   per_code_disentanglement[i] = 1 - H_K(P_i.)        (entropy with log base K)
//   disentanglement = sum_i rho_i per_code_disentanglement[i], rho_i = sum_k R_ik / sum R
//   per_factor_completeness[k] = 1 - H_D(R_.k / sum_i R_ik)   (entropy with log base D)
//   completeness = sum_k w_k per_factor_completeness[k], w_k = sum_i R_ik / sum R
// (when R is all zeros, rho and w are uniform). The completeness weights w_k are
// disentanglement_lib's; with the default predictor every column of R sums to 1, so w_k = 1/K and
// completeness is the plain mean over factors. informativeness_train / _test = mean over factors
// of the predictor's accuracy on the train / test split. Needs D >= 2 and K >= 2 (the log bases).
enum class DciPredictor {
  // scikit-learn GradientBoostingClassifier() with its defaults, as disentanglement_lib fits it:
  // multinomial deviance (softmax) for 3+ classes with one regression tree per class and stage,
  // binomial deviance (one tree per stage) for 2 classes; initial scores log class priors (log
  // odds for 2 classes); num_stages = 100 stages, learning_rate = 0.1, regression trees of
  // max_depth = 3 fitted by squared error to the negative gradients (y_k - p_k), splitting any
  // node of >= 2 samples whose variance is > DBL_EPSILON (min_samples_leaf = 1), leaf values one
  // Newton step ((C-1)/C) * sum(y - p) / sum(p (1 - p)) as scikit-learn (C = classes; no (C-1)/C
  // for 2 classes); prediction argmax of the scores. Feature importance: the squared-error
  // reduction of every split, summed over all trees of all stages per feature, normalized to sum
  // 1 (scikit-learn's feature_importances_). Differences from scikit-learn:
  // - splits are searched on histograms: each code dimension is cut into at most max_bins = 64
  //   bins on the train split. A dimension with <= max_bins distinct values gets one bin per value
  //   (so every split scikit-learn considers is a bin boundary). Otherwise cut j
  //   (j = 1..max_bins-1) goes into the widest gap between consecutive sorted values within
  //   +-N/(2 max_bins) ranks of the j/max_bins quantile, at its midpoint (so clustered codes are
  //   cut between clusters). A split keeps the node's train samples of bins <= b on the left;
  //   other codes (the test split) go left when <= the midpoint between the largest train code
  //   of the node's occupied bins on the left and the smallest on the right, which with one value
  //   per bin is exactly scikit-learn's threshold;
  // - equal-gain splits go to the lowest feature, then the lowest threshold (scikit-learn breaks
  //   ties by a random feature order);
  // - codes are kept as doubles (scikit-learn's trees round them to float32);
  // - a factor with a single value in the train split (an error in scikit-learn) gets an
  //   all-zero importance column and a constant predictor.
  kGradientBoosting,
  // Lasso regression, as Eastwood & Williams also used: codes standardized with the train split's
  // mean and (population) standard deviation, the factor label as a number standardized likewise;
  // minimizes 1/(2N) |y - X w|^2 + lasso_alpha |w|_1 by cyclic coordinate descent until no
  // coefficient moves by more than lasso_tolerance (at most lasso_max_iterations sweeps);
  // importance R_ik = |w_i|. Its "accuracy" rounds the prediction (back in label units) to the
  // nearest integer, clamped to the train split's label range. Constant codes and constant
  // factors get zero coefficients.
  kLasso,
};
struct DciOptions {
  DciPredictor predictor = DciPredictor::kGradientBoosting;
  int num_stages = 100;        // >= 1
  double learning_rate = 0.1;  // > 0
  int max_depth = 3;           // 1..10
  int max_bins = 64;           // 2..256
  double lasso_alpha = 0.02;   // >= 0
  int lasso_max_iterations = 1000;
  double lasso_tolerance = 1e-7;
};
struct DciResult {
  double disentanglement = 0, completeness = 0;
  double informativeness_train = 0, informativeness_test = 0;
  std::vector<double> importance;                // D x K row-major
  std::vector<double> per_code_disentanglement;  // D
  std::vector<double> per_factor_completeness;   // K
  std::vector<double> train_accuracy;            // K
  std::vector<double> test_accuracy;             // K
};
StatusOr<DciResult> compute_dci(const CodeMatrix& train_codes, const FactorMatrix& train_factors,
                                const CodeMatrix& test_codes, const FactorMatrix& test_factors,
                                const DciOptions& options = DciOptions());

// The disentanglement and completeness part of DCI from a given D x K importance matrix
// (non-negative, finite, D >= 2, K >= 2); the informativeness and accuracy fields stay 0.
StatusOr<DciResult> dci_from_importance(const std::vector<double>& importance, size_t num_codes,
                                        size_t num_factors);

// ---------------------------------------------------------------------------------------------
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
