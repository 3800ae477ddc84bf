// MIG, the Mutual Information Gap (Chen et al. 2018; disentanglement_lib mig.py). Conventions
// of every metric: stats/information.h.
#pragma once

#include <vector>

#include "common/status.h"
#include "stats/information.h"

namespace facet {

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

}  // namespace facet
