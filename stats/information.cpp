// Estimators shared by the disentanglement metrics (eval/) and the sprites codec's baking
// (sprites/): validation of code and factor matrices, histogram discretization, plug-in mutual
// information and entropy. Definitions in information.h.
#include "stats/information.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

namespace facet {
namespace {

// Non-empty and rows x cols values (CodeMatrix or FactorMatrix).
template <typename Matrix>
Status check_shape(const Matrix& m, const std::string& name) {
  FACET_RETURN_ERROR_IF(
      m.rows == 0 || m.cols == 0, kInvalidArgument,
      name + " is empty (" + std::to_string(m.rows) + " x " + std::to_string(m.cols) + ")");
  FACET_RETURN_ERROR_IF(m.values.size() % m.cols != 0 || m.values.size() / m.cols != m.rows,
                        kInvalidArgument,
                        name + " has " + std::to_string(m.values.size()) + " values for " +
                            std::to_string(m.rows) + " x " + std::to_string(m.cols));
  return ok_status();
}

}  // namespace


Status check_codes(const CodeMatrix& m, const std::string& name) {
  FACET_RETURN_IF_ERROR(check_shape(m, name));
  for (size_t i = 0; i < m.values.size(); ++i)
    FACET_RETURN_ERROR_IF(!std::isfinite(m.values[i]), kInvalidArgument,
                          name + " has a non-finite value at row " + std::to_string(i / m.cols) +
                              ", column " + std::to_string(i % m.cols));
  return ok_status();
}

Status check_factors(const FactorMatrix& m, const std::string& name) {
  FACET_RETURN_IF_ERROR(check_shape(m, name));
  for (size_t i = 0; i < m.values.size(); ++i)
    FACET_RETURN_ERROR_IF(m.values[i] < 0, kInvalidArgument,
                          name + " has a negative label " + std::to_string(m.values[i]) +
                              " at row " + std::to_string(i / m.cols) + ", column " +
                              std::to_string(i % m.cols));
  return ok_status();
}

Status check_pair(const CodeMatrix& codes, const FactorMatrix& factors, const std::string& split) {
  FACET_RETURN_IF_ERROR(check_codes(codes, split + " codes"));
  FACET_RETURN_IF_ERROR(check_factors(factors, split + " factors"));
  FACET_RETURN_ERROR_IF(codes.rows != factors.rows, kInvalidArgument,
                        split + " codes have " + std::to_string(codes.rows) +
                            " rows but the factors " + std::to_string(factors.rows));
  return ok_status();
}


Status validate_splits(const CodeMatrix& train_codes, const FactorMatrix& train_factors,
                       const CodeMatrix& test_codes, const FactorMatrix& test_factors) {
  FACET_RETURN_IF_ERROR(check_pair(train_codes, train_factors, "train"));
  FACET_RETURN_IF_ERROR(check_pair(test_codes, test_factors, "test"));
  FACET_RETURN_ERROR_IF(train_codes.cols != test_codes.cols, kInvalidArgument,
                        "train codes have " + std::to_string(train_codes.cols) +
                            " dimensions but the test codes " + std::to_string(test_codes.cols));
  FACET_RETURN_ERROR_IF(train_factors.cols != test_factors.cols, kInvalidArgument,
                        "train data has " + std::to_string(train_factors.cols) +
                            " factors but the test data " + std::to_string(test_factors.cols));
  return ok_status();
}


// Replaces each label by its index among the sorted distinct labels; returns the distinct labels.
std::vector<int> compact(std::vector<int>& labels) {
  std::vector<int> classes = labels;
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  for (int& label : labels)
    label = int(std::lower_bound(classes.begin(), classes.end(), label) - classes.begin());
  return classes;
}

std::vector<int> factor_column(const FactorMatrix& m, size_t col) {
  std::vector<int> out(m.rows);
  for (size_t r = 0; r < m.rows; ++r) out[r] = m.at(r, col);
  return out;
}

std::vector<double> code_column(const CodeMatrix& m, size_t col) {
  std::vector<double> out(m.rows);
  for (size_t r = 0; r < m.rows; ++r) out[r] = m.at(r, col);
  return out;
}

// scikit-learn's mutual_info_score of two compacted labelings (na and nb distinct values).
double mutual_info(const std::vector<int>& a, size_t na, const std::vector<int>& b, size_t nb) {
  if (na <= 1 || nb <= 1) return 0;  // as scikit-learn: a single cluster carries no information
  const size_t n = a.size();
  std::vector<uint64_t> keys(n);
  std::vector<double> count_a(na, 0), count_b(nb, 0);
  for (size_t i = 0; i < n; ++i) {
    keys[i] = uint64_t(a[i]) * nb + uint64_t(b[i]);
    count_a[a[i]] += 1;
    count_b[b[i]] += 1;
  }
  std::sort(keys.begin(), keys.end());
  const double log_n = std::log(double(n));
  double mi = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && keys[j] == keys[i]) ++j;
    const double nij = double(j - i);
    const double outer = count_a[keys[i] / nb] * count_b[keys[i] % nb];
    const double p = nij / double(n);
    const double term = p * (std::log(nij) - log_n) + p * (-std::log(outer) + log_n + log_n);
    if (std::abs(term) >= DBL_EPSILON) mi += term;
    i = j;
  }
  return std::max(0.0, mi);
}

// Plug-in entropy in nats of a compacted labeling with `classes` values.
double entropy(const std::vector<int>& labels, size_t classes) {
  std::vector<double> counts(classes, 0);
  for (int label : labels) counts[label] += 1;
  double h = 0;
  for (double c : counts)
    if (c > 0) {
      const double p = c / double(labels.size());
      h -= p * std::log(p);
    }
  return std::max(0.0, h);
}

// np.digitize(x, np.histogram(x, bins)[1][:-1]) - 1: bins 0..bins-1.
std::vector<int> digitize(const std::vector<double>& x, int bins) {
  const double lo = *std::min_element(x.begin(), x.end());
  const double hi = *std::max_element(x.begin(), x.end());
  std::vector<int> out(x.size(), 0);
  if (!(hi > lo)) return out;  // np.histogram widens a constant range; everything is one bin
  const double delta = hi - lo, step = delta / bins;
  // numpy's linspace: j * step + start, or j / bins * delta + start when step underflows to 0.
  auto edge = [&](int j) { return step != 0 ? j * step + lo : double(j) / bins * delta + lo; };
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = std::floor((x[i] - lo) / step);
    int b = std::isfinite(t) ? int(std::clamp(t, 0.0, double(bins - 1))) : 0;
    while (b + 1 < bins && edge(b + 1) <= x[i]) ++b;
    while (b > 0 && edge(b) > x[i]) --b;
    out[i] = b;
  }
  return out;
}

// Unbiased uniform integer in [0, n), n >= 1, the same on every standard library.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  for (;;) {
    const uint64_t x = rng();
    if (x >= threshold) return x % n;
  }
}

double mean_top_two_gap(const std::vector<double>& m, size_t rows, size_t cols,
                        std::vector<double>& per_column) {
  per_column.assign(cols, 0);
  double total = 0;
  for (size_t c = 0; c < cols; ++c) {
    double first = -std::numeric_limits<double>::infinity(), second = first;
    for (size_t r = 0; r < rows; ++r) {
      const double v = m[r * cols + c];
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) {
        second = v;
      }
    }
    per_column[c] = first - second;
    total += per_column[c];
  }
  return total / double(cols);
}

StatusOr<DiscretizedInformation> discretized_mutual_information(const CodeMatrix& codes,
                                                                const FactorMatrix& factors, int bins,
                                                                const std::string& name) {
  FACET_RETURN_IF_ERROR(check_pair(codes, factors, name));
  FACET_RETURN_ERROR_IF(bins < 1, kInvalidArgument,
                        name + " needs at least 1 bin, got " + std::to_string(bins));
  const size_t d = codes.cols, k = factors.cols;
  std::vector<std::vector<int>> factor_labels(k);
  std::vector<size_t> factor_classes(k);
  DiscretizedInformation result;
  result.factor_entropy.resize(k);
  for (size_t j = 0; j < k; ++j) {
    factor_labels[j] = factor_column(factors, j);
    factor_classes[j] = compact(factor_labels[j]).size();
    result.factor_entropy[j] = entropy(factor_labels[j], factor_classes[j]);
  }
  result.mutual_info.assign(d * k, 0.0);
  for (size_t i = 0; i < d; ++i) {
    std::vector<int> code_labels = digitize(code_column(codes, i), bins);
    const size_t code_classes = compact(code_labels).size();
    for (size_t j = 0; j < k; ++j)
      result.mutual_info[i * k + j] =
          mutual_info(code_labels, code_classes, factor_labels[j], factor_classes[j]);
  }
  return result;
}

}  // namespace facet
