// Scale table and discretized-Gaussian CDF tables.
#include "entropy/gaussian_tables.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace facet {
namespace {

double standard_normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Quantile of the standard normal for small p (bisection on erfc; exactness is not needed, only
// a range that leaves at most the requested tail outside).
double upper_quantile(double p) {
  double lo = 0.0, hi = 40.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (standard_normal_cdf(-mid) > p) lo = mid; else hi = mid;
  }
  return hi;
}

}  // namespace

std::vector<float> make_scale_table(const GaussianTableOptions& options) {
  std::vector<float> scales(options.levels);
  const double log_min = std::log(double(options.min_scale));
  const double log_max = std::log(double(options.max_scale));
  for (int i = 0; i < options.levels; ++i) {
    const double t = options.levels == 1 ? 0.0 : double(i) / (options.levels - 1);
    scales[i] = static_cast<float>(std::exp(log_min + t * (log_max - log_min)));
  }
  return scales;
}

uint32_t scale_index(const std::vector<float>& scales, float sigma) {
  // Binary search over a sorted table; NaN compares false and lands at index 0.
  uint32_t lo = 0, hi = static_cast<uint32_t>(scales.size()) - 1;
  if (!(sigma > scales[0])) return 0;
  while (lo < hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (scales[mid] >= sigma) hi = mid; else lo = mid + 1;
  }
  return lo;
}

double discretized_gaussian_mass(double scale, int32_t k) {
  // Symmetric form keeps precision in the far tails: use the upper tail for positive k.
  const double a = (std::fabs(double(k)) - 0.5) / scale;
  const double b = (std::fabs(double(k)) + 0.5) / scale;
  return standard_normal_cdf(-a) - standard_normal_cdf(-b);
}

StatusOr<CdfTableSet> make_gaussian_cdf_tables(const std::vector<float>& scales, double tail_mass) {
  FACET_RETURN_ERROR_IF(scales.empty(), kInvalidArgument, "empty scale table");
  FACET_RETURN_ERROR_IF(!(tail_mass > 0.0 && tail_mass < 0.5), kInvalidArgument,
                        "tail mass must be in (0, 0.5)");
  const double z = upper_quantile(tail_mass / 2);
  std::vector<QuantizedCdf> tables;
  tables.reserve(scales.size());
  for (size_t i = 0; i < scales.size(); ++i) {
    FACET_RETURN_ERROR_IF(!(scales[i] > 0.0f) || !std::isfinite(scales[i]), kInvalidArgument,
                          "scale " + std::to_string(i) + " is not positive and finite");
    const int32_t radius = static_cast<int32_t>(std::ceil(double(scales[i]) * z));
    std::vector<double> pmf(2 * size_t(radius) + 1);
    double inside = 0.0;
    for (int32_t k = -radius; k <= radius; ++k) {
      pmf[k + radius] = discretized_gaussian_mass(scales[i], k);
      inside += pmf[k + radius];
    }
    FACET_ASSIGN_OR_RETURN(QuantizedCdf table,
                           quantize_pmf(pmf, std::max(0.0, 1.0 - inside), -radius));
    tables.push_back(std::move(table));
  }
  return CdfTableSet::create(tables);
}

}  // namespace facet
