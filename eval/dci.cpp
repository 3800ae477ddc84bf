// DCI (definition in dci.h) and its lasso predictor.
#include "eval/dci.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "eval/gradient_boosting.h"

namespace facet {
namespace {

// ---------------------------------------------------------------------------------------------
// Lasso (DCI's alternative predictor).

struct Standardizer {
  std::vector<double> mean, scale;  // scale 0 for a constant column
};

Standardizer fit_standardizer(const CodeMatrix& x) {
  Standardizer s{std::vector<double>(x.cols, 0.0), std::vector<double>(x.cols, 0.0)};
  for (size_t c = 0; c < x.cols; ++c) {
    double sum = 0;
    for (size_t r = 0; r < x.rows; ++r) sum += x.at(r, c);
    const double mean = sum / double(x.rows);
    double sq = 0;
    for (size_t r = 0; r < x.rows; ++r) sq += (x.at(r, c) - mean) * (x.at(r, c) - mean);
    s.mean[c] = mean;
    s.scale[c] = std::sqrt(sq / double(x.rows));
  }
  return s;
}

std::vector<double> standardize(const CodeMatrix& x, const Standardizer& s) {
  std::vector<double> out(x.values.size());
  for (size_t r = 0; r < x.rows; ++r)
    for (size_t c = 0; c < x.cols; ++c)
      out[r * x.cols + c] = s.scale[c] > 0 ? (x.at(r, c) - s.mean[c]) / s.scale[c] : 0.0;
  return out;
}

PredictorFit fit_lasso(const std::vector<double>& x_train, const std::vector<double>& x_test,
                       size_t d, const std::vector<double>& gram,
                       const std::vector<int>& train_labels, const std::vector<int>& test_labels,
                       const DciOptions& options) {
  const size_t n = train_labels.size(), m = test_labels.size();
  PredictorFit fit;
  fit.importance.assign(d, 0.0);
  double y_mean = 0;
  for (int v : train_labels) y_mean += v;
  y_mean /= double(n);
  double y_sq = 0;
  for (int v : train_labels) y_sq += (v - y_mean) * (v - y_mean);
  const double y_scale = std::sqrt(y_sq / double(n));
  const int lo = *std::min_element(train_labels.begin(), train_labels.end());
  const int hi = *std::max_element(train_labels.begin(), train_labels.end());

  std::vector<double> w(d, 0.0);
  if (y_scale > 0) {
    std::vector<double> corr(d, 0.0);  // X^T y / n, y standardized
    for (size_t i = 0; i < n; ++i) {
      const double yi = (train_labels[i] - y_mean) / y_scale;
      for (size_t j = 0; j < d; ++j) corr[j] += x_train[i * d + j] * yi;
    }
    for (double& c : corr) c /= double(n);
    for (int iteration = 0; iteration < options.lasso_max_iterations; ++iteration) {
      double largest_step = 0;
      for (size_t j = 0; j < d; ++j) {
        const double gjj = gram[j * d + j];
        if (gjj <= 0) continue;
        double rho = corr[j];
        for (size_t l = 0; l < d; ++l)
          if (l != j) rho -= gram[j * d + l] * w[l];
        const double shrunk = std::max(0.0, std::abs(rho) - options.lasso_alpha);
        const double updated = (rho < 0 ? -shrunk : shrunk) / gjj;
        largest_step = std::max(largest_step, std::abs(updated - w[j]));
        w[j] = updated;
      }
      if (largest_step <= options.lasso_tolerance) break;
    }
  }
  for (size_t j = 0; j < d; ++j) fit.importance[j] = std::abs(w[j]);

  auto accuracy = [&](const std::vector<double>& x, const std::vector<int>& labels, size_t rows) {
    size_t hits = 0;
    for (size_t i = 0; i < rows; ++i) {
      double z = 0;
      for (size_t j = 0; j < d; ++j) z += x[i * d + j] * w[j];
      const double predicted = std::clamp(std::round(y_mean + y_scale * z), double(lo), double(hi));
      hits += int(predicted) == labels[i];
    }
    return double(hits) / double(rows);
  };
  fit.train_accuracy = accuracy(x_train, train_labels, n);
  fit.test_accuracy = accuracy(x_test, test_labels, m);
  return fit;
}

// 1 - entropy of (values + 1e-11), normalized, in log base `base` (scipy.stats.entropy).
double one_minus_entropy(const std::vector<double>& values, size_t base) {
  double total = 0;
  for (double v : values) total += v + 1e-11;
  double h = 0;
  for (double v : values) {
    const double p = (v + 1e-11) / total;
    if (p > 0) h -= p * std::log(p);
  }
  return 1.0 - h / std::log(double(base));
}

DciResult dci_scores(const std::vector<double>& importance, size_t d, size_t k) {
  DciResult result;
  result.importance = importance;
  result.per_code_disentanglement.resize(d);
  result.per_factor_completeness.resize(k);
  double total = 0;
  for (double v : importance) total += v;
  std::vector<double> row(k), column(d), code_weight(d), factor_weight(k);
  for (size_t i = 0; i < d; ++i) {
    double row_sum = 0;
    for (size_t j = 0; j < k; ++j) row_sum += (row[j] = importance[i * k + j]);
    result.per_code_disentanglement[i] = one_minus_entropy(row, k);
    code_weight[i] = total > 0 ? row_sum / total : 1.0 / double(d);
  }
  for (size_t j = 0; j < k; ++j) {
    double column_sum = 0;
    for (size_t i = 0; i < d; ++i) column_sum += (column[i] = importance[i * k + j]);
    result.per_factor_completeness[j] = one_minus_entropy(column, d);
    factor_weight[j] = total > 0 ? column_sum / total : 1.0 / double(k);
  }
  for (size_t i = 0; i < d; ++i)
    result.disentanglement += code_weight[i] * result.per_code_disentanglement[i];
  for (size_t j = 0; j < k; ++j)
    result.completeness += factor_weight[j] * result.per_factor_completeness[j];
  return result;
}


}  // namespace

StatusOr<DciResult> dci_from_importance(const std::vector<double>& importance, size_t num_codes,
                                        size_t num_factors) {
  FACET_RETURN_ERROR_IF(num_codes < 2 || num_factors < 2, kInvalidArgument,
                        "DCI needs at least 2 code dimensions and 2 factors, got " +
                            std::to_string(num_codes) + " and " + std::to_string(num_factors));
  FACET_RETURN_ERROR_IF(
      importance.size() / num_codes != num_factors || importance.size() % num_codes != 0,
      kInvalidArgument,
      "importance matrix has " + std::to_string(importance.size()) + " values for " +
          std::to_string(num_codes) + " x " + std::to_string(num_factors));
  for (double v : importance)
    FACET_RETURN_ERROR_IF(!std::isfinite(v) || v < 0, kInvalidArgument,
                          "importance values must be finite and non-negative");
  return dci_scores(importance, num_codes, num_factors);
}

StatusOr<DciResult> compute_dci(const CodeMatrix& train_codes, const FactorMatrix& train_factors,
                                const CodeMatrix& test_codes, const FactorMatrix& test_factors,
                                const DciOptions& options) {
  FACET_RETURN_IF_ERROR(validate_splits(train_codes, train_factors, test_codes, test_factors));
  const size_t d = train_codes.cols, k = train_factors.cols;
  FACET_RETURN_ERROR_IF(d < 2 || k < 2, kInvalidArgument,
                        "DCI needs at least 2 code dimensions and 2 factors, got " +
                            std::to_string(d) + " and " + std::to_string(k));
  FACET_RETURN_ERROR_IF(train_codes.rows > std::numeric_limits<uint32_t>::max(), kInvalidArgument,
                        "DCI takes at most 2^32 - 1 train rows");
  if (options.predictor == DciPredictor::kGradientBoosting) {
    FACET_RETURN_ERROR_IF(options.num_stages < 1, kInvalidArgument,
                          "DCI needs at least one boosting stage");
    FACET_RETURN_ERROR_IF(!(options.learning_rate > 0) || !std::isfinite(options.learning_rate),
                          kInvalidArgument, "DCI learning rate must be finite and positive");
    FACET_RETURN_ERROR_IF(
        options.max_depth < 1 || options.max_depth > 10, kInvalidArgument,
        "DCI tree depth must be in 1..10, got " + std::to_string(options.max_depth));
    FACET_RETURN_ERROR_IF(
        options.max_bins < 2 || options.max_bins > 256, kInvalidArgument,
        "DCI max_bins must be in 2..256, got " + std::to_string(options.max_bins));
  } else if (options.predictor == DciPredictor::kLasso) {
    FACET_RETURN_ERROR_IF(!(options.lasso_alpha >= 0) || !std::isfinite(options.lasso_alpha),
                          kInvalidArgument, "DCI lasso alpha must be finite and >= 0");
    FACET_RETURN_ERROR_IF(options.lasso_max_iterations < 1, kInvalidArgument,
                          "DCI lasso needs at least one iteration");
    FACET_RETURN_ERROR_IF(!(options.lasso_tolerance >= 0), kInvalidArgument,
                          "DCI lasso tolerance must be >= 0");
  } else {
    return make_error(ErrorCode::kInvalidArgument, "unknown DCI predictor");
  }

  std::vector<double> importance(d * k, 0.0);
  std::vector<double> train_accuracy(k), test_accuracy(k);
  if (options.predictor == DciPredictor::kGradientBoosting) {
    const std::vector<PredictorFit> fits =
        fit_gradient_boosting_per_factor(train_codes, train_factors, test_codes, test_factors, options);
    for (size_t j = 0; j < k; ++j) {
      for (size_t i = 0; i < d; ++i) importance[i * k + j] = fits[j].importance[i];
      train_accuracy[j] = fits[j].train_accuracy;
      test_accuracy[j] = fits[j].test_accuracy;
    }
  } else {
    const Standardizer standardizer = fit_standardizer(train_codes);
    const std::vector<double> x_train = standardize(train_codes, standardizer);
    const std::vector<double> x_test = standardize(test_codes, standardizer);
    const size_t n = train_codes.rows;
    std::vector<double> gram(d * d, 0.0);
    for (size_t r = 0; r < n; ++r)
      for (size_t a = 0; a < d; ++a)
        for (size_t b = 0; b < d; ++b) gram[a * d + b] += x_train[r * d + a] * x_train[r * d + b];
    for (double& g : gram) g /= double(n);
    for (size_t j = 0; j < k; ++j) {
      const PredictorFit fit = fit_lasso(x_train, x_test, d, gram, factor_column(train_factors, j),
                                         factor_column(test_factors, j), options);
      for (size_t i = 0; i < d; ++i) importance[i * k + j] = fit.importance[i];
      train_accuracy[j] = fit.train_accuracy;
      test_accuracy[j] = fit.test_accuracy;
    }
  }
  DciResult result = dci_scores(importance, d, k);
  result.train_accuracy = train_accuracy;
  result.test_accuracy = test_accuracy;
  for (size_t j = 0; j < k; ++j) {
    result.informativeness_train += train_accuracy[j] / double(k);
    result.informativeness_test += test_accuracy[j] / double(k);
  }
  return result;
}

}  // namespace facet
