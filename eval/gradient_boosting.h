// Histogram gradient boosting: DCI's default predictor (dci.h, DciPredictor::kGradientBoosting).
#pragma once

#include <vector>

#include "eval/dci.h"
#include "stats/information.h"

namespace facet {

// One predictor's feature importances (D, summing to 1 unless all zero) and accuracies.
struct PredictorFit {
  std::vector<double> importance;
  double train_accuracy = 0, test_accuracy = 0;
};

// One boosted classifier per factor (column of the factor matrices), fitted on the train split;
// the inputs are validated by the caller (compute_dci).
std::vector<PredictorFit> fit_gradient_boosting_per_factor(const CodeMatrix& train_codes,
                                                          const FactorMatrix& train_factors,
                                                          const CodeMatrix& test_codes,
                                                          const FactorMatrix& test_factors,
                                                          const DciOptions& options);

}  // namespace facet
