// SAP, the Separated Attribute Predictability score (Kumar et al. 2018), as disentanglement_lib
// computes it (evaluation/metrics/sap_score.py, with the settings of its unsupervised study). The
// conventions of eval/disentanglement.h apply: row-major matrices, validated inputs (every problem
// is a Status of kInvalidArgument), deterministic results.
//
// A D x K score matrix, score(i, k) = how well code dimension i alone predicts factor k; then
//   per_factor[k] = top score - second score down column k,   SAP = mean of per_factor.
// Needs D >= 2.
#pragma once

#include <vector>

#include "common/status.h"
#include "stats/information.h"

namespace facet {

enum class SapVariant {
  // disentanglement_lib's continuous_factors=True: score(i,k) = R^2 of a 1-D linear regression of
  // factor k on code i = squared Pearson correlation, on the train split only (the test split is
  // validated, then unused). 0 when the code's variance is <= 1e-12 (as disentanglement_lib) or
  // the factor's variance is 0 (where disentanglement_lib gives NaN).
  kContinuous,
  // disentanglement_lib's continuous_factors=False, the variant the literature reports: per (code
  // i, factor k) scikit-learn's LinearSVC(C=0.01, class_weight="balanced") is fitted on the train
  // split's 1-D code and score(i,k) is its accuracy on the test split. Facet fits the same model
  // with liblinear, the library LinearSVC wraps: L2-regularized squared-hinge loss solved in the
  // dual (solver L2R_L2LOSS_SVC_DUAL), C = 0.01, an intercept as a constant feature of 1 that is
  // regularized like the weight (LinearSVC's intercept_scaling = 1), stopping tolerance 1e-4,
  // class weights n / (classes * count of the class). Two classes: one problem, each class at its
  // weight times C; 3+ classes: one-vs-rest, the class at its weight times C against the rest at C
  // (liblinear's rule, which LinearSVC inherits), prediction the largest decision value (ties: the
  // class seen first in the train split). liblinear shuffles with rand():
  // Facet seeds it (srand(1)) before each fit, so results are reproducible, and the calls are not
  // safe to run from two threads at once. A factor with one value in the train split (an error in
  // scikit-learn) predicts that value. With C = 0.01 and codes of unit scale the SVM is strongly
  // regularized: factors with many values score near chance, and so SAP is small (0.03 for the
  // shipped sprites model, against 0.3 for a nearest-class-mean classifier).
  kDiscrete,
};

struct SapResult {
  double sap = 0;
  std::vector<double> per_factor;    // K: top - second score
  std::vector<double> score_matrix;  // D x K row-major
};

StatusOr<SapResult> compute_sap(const CodeMatrix& train_codes, const FactorMatrix& train_factors,
                                const CodeMatrix& test_codes, const FactorMatrix& test_factors,
                                SapVariant variant);

}  // namespace facet
