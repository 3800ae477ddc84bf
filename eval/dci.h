// DCI: Disentanglement, Completeness, Informativeness (Eastwood & Williams 2018; disentanglement_lib
// dci.py). Conventions of every metric: stats/information.h. The default predictor, histogram
// gradient boosting, is in gradient_boosting.{h,cpp}; the lasso alternative in dci.cpp.
#pragma once

#include <vector>

#include "common/status.h"
#include "stats/information.h"

namespace facet {

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

}  // namespace facet
