// MIG (definition in mig.h).
#include "eval/mig.h"

#include <string>
#include <utility>

namespace facet {

StatusOr<MigResult> compute_mig(const CodeMatrix& codes, const FactorMatrix& factors, int bins) {
  FACET_RETURN_IF_ERROR(check_pair(codes, factors, "MIG"));
  FACET_RETURN_ERROR_IF(bins < 1, kInvalidArgument,
                        "MIG needs at least 1 bin, got " + std::to_string(bins));
  FACET_RETURN_ERROR_IF(codes.cols < 2, kInvalidArgument,
                        "MIG needs at least 2 code dimensions, got " + std::to_string(codes.cols));
  const size_t d = codes.cols, k = factors.cols;
  FACET_ASSIGN_OR_RETURN(DiscretizedInformation info, discretized_mutual_information(codes, factors, bins, "MIG"));
  MigResult result;
  result.mutual_info = std::move(info.mutual_info);
  result.factor_entropy = std::move(info.factor_entropy);
  std::vector<double> gaps;
  mean_top_two_gap(result.mutual_info, d, k, gaps);
  result.per_factor.assign(k, 0.0);
  double total = 0;
  size_t used = 0;
  for (size_t j = 0; j < k; ++j) {
    if (!(result.factor_entropy[j] > 0)) continue;
    result.per_factor[j] = gaps[j] / result.factor_entropy[j];
    total += result.per_factor[j];
    ++used;
  }
  FACET_RETURN_ERROR_IF(used == 0, kInvalidArgument,
                        "MIG needs a factor with more than one value; every factor is constant");
  result.mig = total / double(used);
  return result;
}

}  // namespace facet
