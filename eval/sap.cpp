// SAP (definitions in sap.h): R^2 of 1-D linear fits, or the accuracy of 1-D linear SVMs fitted
// by liblinear.
#include "eval/sap.h"

#include <linear.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace facet {
namespace {

// R^2 of the 1-D linear regression of the factor on the code = squared Pearson correlation.
double r_squared(const CodeMatrix& codes, size_t i, const std::vector<int>& labels) {
  const size_t n = codes.rows;
  double x_mean = 0, y_mean = 0;
  for (size_t r = 0; r < n; ++r) {
    x_mean += codes.at(r, i);
    y_mean += labels[r];
  }
  x_mean /= double(n);
  y_mean /= double(n);
  double cov = 0, var_x = 0, var_y = 0;
  for (size_t r = 0; r < n; ++r) {
    const double dx = codes.at(r, i) - x_mean, dy = labels[r] - y_mean;
    cov += dx * dy;
    var_x += dx * dx;
    var_y += dy * dy;
  }
  const double ddof = double(n > 1 ? n - 1 : 1);  // np.cov's ddof = 1
  cov /= ddof;
  var_x /= ddof;
  var_y /= ddof;
  return (var_x > 1e-12 && var_y > 0) ? cov * cov / (var_x * var_y) : 0.0;
}

void silent(const char*) {}

// One sample of a 1-D problem in liblinear's sparse form: the code, the intercept feature, the end.
struct Sample {
  feature_node nodes[3];
  explicit Sample(double x) : nodes{{1, x}, {2, 1.0}, {-1, 0.0}} {}
};

struct ModelDeleter {
  void operator()(model* m) const { free_and_destroy_model(&m); }
};

// Accuracy on the test split of LinearSVC(C=0.01, class_weight="balanced") fitted on code i of the
// train split.
StatusOr<double> linear_svm_accuracy(const CodeMatrix& train, const std::vector<int>& train_labels,
                                     const CodeMatrix& test, const std::vector<int>& test_labels, size_t i) {
  const size_t n = train.rows;
  std::map<int, double> counts;
  for (int label : train_labels) counts[label] += 1;
  if (counts.size() == 1) {
    size_t hits = 0;
    for (int label : test_labels) hits += label == train_labels[0];
    return double(hits) / double(test_labels.size());
  }
  std::vector<Sample> samples;
  samples.reserve(n);
  std::vector<feature_node*> rows(n);
  std::vector<double> y(n);
  for (size_t r = 0; r < n; ++r) {
    samples.emplace_back(train.at(r, i));
    rows[r] = samples.back().nodes;
    y[r] = train_labels[r];
  }
  problem prob{};
  prob.l = int(n);
  prob.n = 2;  // the code and the intercept feature
  prob.y = y.data();
  prob.x = rows.data();
  prob.bias = 1.0;
  // class_weight="balanced": n / (classes * count).
  std::vector<int> weight_labels;
  std::vector<double> weights;
  for (const auto& [label, count] : counts) {
    weight_labels.push_back(label);
    weights.push_back(double(n) / (double(counts.size()) * count));
  }
  parameter param{};
  param.solver_type = L2R_L2LOSS_SVC_DUAL;
  param.eps = 1e-4;
  param.C = 0.01;
  param.nr_weight = int(weights.size());
  param.weight_label = weight_labels.data();
  param.weight = weights.data();
  param.p = 0.1;
  param.init_sol = nullptr;
  if (const char* error = check_parameter(&prob, &param))
    return make_error(ErrorCode::kInternal, std::string("liblinear rejected the SAP problem: ") + error);
  set_print_string_function(silent);
  std::srand(1);
  std::unique_ptr<model, ModelDeleter> fitted(::train(&prob, &param));
  if (!fitted) return make_error(ErrorCode::kInternal, "liblinear failed to fit the SAP classifier");
  size_t hits = 0;
  for (size_t r = 0; r < test.rows; ++r) {
    Sample s(test.at(r, i));
    hits += int(predict(fitted.get(), s.nodes)) == test_labels[r];
  }
  return double(hits) / double(test.rows);
}

}  // namespace

StatusOr<SapResult> compute_sap(const CodeMatrix& train_codes, const FactorMatrix& train_factors,
                                const CodeMatrix& test_codes, const FactorMatrix& test_factors,
                                SapVariant variant) {
  FACET_RETURN_IF_ERROR(validate_splits(train_codes, train_factors, test_codes, test_factors));
  FACET_RETURN_ERROR_IF(train_codes.cols < 2, kInvalidArgument,
                        "SAP needs at least 2 code dimensions, got " + std::to_string(train_codes.cols));
  FACET_RETURN_ERROR_IF(train_codes.rows > size_t(1) << 30, kInvalidArgument, "SAP takes at most 2^30 train rows");
  const size_t d = train_codes.cols, k = train_factors.cols;
  SapResult result;
  result.score_matrix.assign(d * k, 0.0);
  for (size_t j = 0; j < k; ++j) {
    const std::vector<int> train_labels = factor_column(train_factors, j);
    const std::vector<int> test_labels = factor_column(test_factors, j);
    for (size_t i = 0; i < d; ++i) {
      if (variant == SapVariant::kContinuous) {
        result.score_matrix[i * k + j] = r_squared(train_codes, i, train_labels);
      } else {
        FACET_ASSIGN_OR_RETURN(result.score_matrix[i * k + j],
                               linear_svm_accuracy(train_codes, train_labels, test_codes, test_labels, i));
      }
    }
  }
  result.sap = mean_top_two_gap(result.score_matrix, d, k, result.per_factor);
  return result;
}

}  // namespace facet
