// MIG, DCI and the FactorVAE score (definitions and every deviation from disentanglement_lib in
// disentanglement.h; SAP is in sap.cpp).
#include "eval/disentanglement.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace facet {
namespace {

// ---------------------------------------------------------------------------------------------
// Validation.

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

}  // namespace

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

namespace {

// ---------------------------------------------------------------------------------------------
// Shared helpers.

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

// ---------------------------------------------------------------------------------------------
// Histogram gradient boosting (DCI's default predictor).

// scikit-learn's threshold between two consecutive distinct values: their midpoint, kept strictly
// below the larger one.
double midpoint(double a, double b) {
  const double t = a / 2 + b / 2;
  return (t >= a && t < b) ? t : a;
}

// Per feature the ascending thresholds; bin(x) = number of thresholds < x, so bins <= j go left
// of threshold j exactly when x <= threshold j.
std::vector<double> fit_thresholds(std::vector<double> v, int max_bins) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  std::vector<double> thresholds;
  std::vector<double> distinct = v;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() <= size_t(max_bins)) {
    for (size_t i = 1; i < distinct.size(); ++i)
      thresholds.push_back(midpoint(distinct[i - 1], distinct[i]));
    return thresholds;
  }
  const size_t bins = size_t(max_bins);
  const size_t half = std::max<size_t>(1, n / (2 * bins));
  for (size_t j = 1; j < bins; ++j) {
    const size_t center = j * n / bins;
    const size_t lo = center > half ? center - half : 1;
    const size_t hi = std::min(n - 1, center + half);
    size_t best = 0;
    double best_gap = 0;
    for (size_t p = std::max<size_t>(lo, 1); p <= hi; ++p) {
      const double gap = v[p] - v[p - 1];
      const size_t dist = p > center ? p - center : center - p;
      const size_t best_dist = best > center ? best - center : center - best;
      if (gap > best_gap || (gap == best_gap && gap > 0 && dist < best_dist)) {
        best = p;
        best_gap = gap;
      }
    }
    if (best_gap > 0) thresholds.push_back(midpoint(v[best - 1], v[best]));
  }
  std::sort(thresholds.begin(), thresholds.end());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  return thresholds;
}

// Codes as bin indices, feature-major: bins[f * rows + r].
struct BinnedCodes {
  size_t rows = 0, cols = 0;
  std::vector<uint8_t> bins;
};

// The smallest and largest train code of each bin, [f * stride + b] (empty bins: +inf, -inf).
struct BinRanges {
  size_t stride = 0;
  std::vector<double> low, high;
};

BinRanges bin_ranges(const CodeMatrix& codes, const BinnedCodes& binned, size_t stride) {
  BinRanges ranges{
      stride, std::vector<double>(codes.cols * stride, std::numeric_limits<double>::infinity()),
      std::vector<double>(codes.cols * stride, -std::numeric_limits<double>::infinity())};
  for (size_t f = 0; f < codes.cols; ++f)
    for (size_t r = 0; r < codes.rows; ++r) {
      const size_t at = f * stride + binned.bins[f * codes.rows + r];
      ranges.low[at] = std::min(ranges.low[at], codes.at(r, f));
      ranges.high[at] = std::max(ranges.high[at], codes.at(r, f));
    }
  return ranges;
}

BinnedCodes apply_thresholds(const CodeMatrix& codes,
                             const std::vector<std::vector<double>>& thresholds) {
  BinnedCodes out{codes.rows, codes.cols, std::vector<uint8_t>(codes.rows * codes.cols)};
  for (size_t f = 0; f < codes.cols; ++f) {
    const std::vector<double>& t = thresholds[f];
    for (size_t r = 0; r < codes.rows; ++r)
      out.bins[f * codes.rows + r] =
          uint8_t(std::lower_bound(t.begin(), t.end(), codes.at(r, f)) - t.begin());
  }
  return out;
}

struct TreeNode {
  int feature = -1;        // -1: leaf
  int threshold = 0;       // train: bins <= threshold go left
  double split_value = 0;  // any code: values <= split_value go left
  int left = -1, right = -1;
  uint32_t begin = 0, end = 0;  // the node's samples: indices_[begin, end)
  double value = 0;
};

// Grows regression trees of squared error on one target over one binned data set, reusing its
// buffers from tree to tree.
class TreeGrower {
 public:
  TreeGrower(const BinnedCodes& data, const std::vector<int>& num_bins, const BinRanges& ranges,
             int max_depth)
      : data_(data),
        num_bins_(num_bins),
        ranges_(ranges),
        max_depth_(max_depth),
        stride_(ranges.stride) {
    indices_.resize(data.rows);
    scratch_.resize(data.rows);
    gathered_.resize(data.rows);
    sums_.assign(size_t(max_depth + 1), std::vector<double>(data.cols * stride_));
    counts_.assign(size_t(max_depth + 1), std::vector<uint32_t>(data.cols * stride_));
  }

  // Fits a tree to `target`; leaf values are leaf_scale * sum(target) / sum(hessian) over the
  // leaf (0 when the denominator is below 1e-150); adds each split's squared-error reduction to
  // importance[feature].
  const std::vector<TreeNode>& grow(const double* target, const double* hessian, double leaf_scale,
                                    std::vector<double>& importance) {
    target_ = target;
    hessian_ = hessian;
    leaf_scale_ = leaf_scale;
    importance_ = &importance;
    for (size_t i = 0; i < indices_.size(); ++i) indices_[i] = uint32_t(i);
    nodes_.clear();
    TreeNode root;
    root.begin = 0;
    root.end = uint32_t(indices_.size());
    nodes_.push_back(root);
    if (max_depth_ > 0) build_histogram(0, 0);
    grow_node(0, 0, 0);
    return nodes_;
  }

  const std::vector<uint32_t>& indices() const { return indices_; }

 private:
  void build_histogram(int node, int level) {
    const TreeNode& nd = nodes_[node];
    double* sums = sums_[level].data();
    uint32_t* counts = counts_[level].data();
    std::fill(sums_[level].begin(), sums_[level].end(), 0.0);
    std::fill(counts_[level].begin(), counts_[level].end(), 0u);
    for (uint32_t j = nd.begin; j < nd.end; ++j) gathered_[j] = target_[indices_[j]];
    for (size_t f = 0; f < data_.cols; ++f) {
      const uint8_t* column = data_.bins.data() + f * data_.rows;
      double* s = sums + f * stride_;
      uint32_t* c = counts + f * stride_;
      for (uint32_t j = nd.begin; j < nd.end; ++j) {
        const uint8_t b = column[indices_[j]];
        s[b] += gathered_[j];
        c[b] += 1;
      }
    }
  }

  void make_leaf(int node) {
    TreeNode& nd = nodes_[node];
    double numerator = 0, denominator = 0;
    for (uint32_t j = nd.begin; j < nd.end; ++j) {
      numerator += target_[indices_[j]];
      denominator += hessian_[indices_[j]];
    }
    nd.feature = -1;
    nd.value = std::abs(denominator) < 1e-150 ? 0.0 : leaf_scale_ * numerator / denominator;
  }

  // The node's histogram is in level `level` when depth < max_depth.
  void grow_node(int node, int depth, int level) {
    const uint32_t begin = nodes_[node].begin, end = nodes_[node].end;
    const double n = double(end - begin);
    double total = 0, total_sq = 0;
    for (uint32_t j = begin; j < end; ++j) {
      const double t = target_[indices_[j]];
      total += t;
      total_sq += t * t;
    }
    const double mean = total / n;
    if (depth >= max_depth_ || end - begin < 2 || total_sq / n - mean * mean <= DBL_EPSILON) {
      make_leaf(node);
      return;
    }
    // Best split: the largest S_l^2/n_l + S_r^2/n_r - S^2/n, lowest feature then bin on ties.
    int best_feature = -1, best_bin = 0;
    double best_gain = -std::numeric_limits<double>::infinity();
    const double* sums = sums_[level].data();
    const uint32_t* counts = counts_[level].data();
    const double parent_term = total * total / n;
    for (size_t f = 0; f < data_.cols; ++f) {
      const double* s = sums + f * stride_;
      const uint32_t* c = counts + f * stride_;
      double sum_left = 0;
      uint32_t n_left = 0;
      for (int b = 0; b + 1 < num_bins_[f]; ++b) {
        sum_left += s[b];
        n_left += c[b];
        if (n_left == 0) continue;
        const uint32_t n_right = (end - begin) - n_left;
        if (n_right == 0) break;
        const double sum_right = total - sum_left;
        const double gain =
            sum_left * sum_left / n_left + sum_right * sum_right / n_right - parent_term;
        if (gain > best_gain) {
          best_gain = gain;
          best_feature = int(f);
          best_bin = b;
        }
      }
    }
    if (best_feature < 0) {  // every feature is constant on the node
      make_leaf(node);
      return;
    }
    (*importance_)[best_feature] += std::max(0.0, best_gain);
    // The split value: midway between the largest train code of the node's occupied bins on the
    // left and the smallest on the right (with one value per bin, scikit-learn's threshold).
    const uint32_t* best_counts = counts + size_t(best_feature) * stride_;
    int left_bin = best_bin, right_bin = best_bin + 1;
    while (left_bin > 0 && best_counts[left_bin] == 0) --left_bin;
    while (right_bin + 1 < num_bins_[best_feature] && best_counts[right_bin] == 0) ++right_bin;
    const double split_value = midpoint(ranges_.high[size_t(best_feature) * stride_ + left_bin],
                                        ranges_.low[size_t(best_feature) * stride_ + right_bin]);

    // Stable partition: left keeps bins <= best_bin.
    const uint8_t* column = data_.bins.data() + size_t(best_feature) * data_.rows;
    uint32_t write = begin, spill = 0;
    for (uint32_t j = begin; j < end; ++j) {
      const uint32_t i = indices_[j];
      if (column[i] <= best_bin)
        indices_[write++] = i;
      else
        scratch_[spill++] = i;
    }
    std::copy(scratch_.begin(), scratch_.begin() + spill, indices_.begin() + write);
    const uint32_t mid = write;

    TreeNode left, right;
    left.begin = begin;
    left.end = mid;
    right.begin = mid;
    right.end = end;
    const int left_id = int(nodes_.size());
    nodes_.push_back(left);
    const int right_id = int(nodes_.size());
    nodes_.push_back(right);
    TreeNode& nd = nodes_[node];
    nd.feature = best_feature;
    nd.threshold = best_bin;
    nd.split_value = split_value;
    nd.left = left_id;
    nd.right = right_id;

    if (depth + 1 >= max_depth_) {  // children are leaves: no histograms needed
      make_leaf(left_id);
      make_leaf(right_id);
      return;
    }
    // Histogram of the smaller child into the next level; the larger one is the parent's minus
    // it, in place.
    const bool left_smaller = (mid - begin) <= (end - mid);
    const int small_id = left_smaller ? left_id : right_id;
    const int large_id = left_smaller ? right_id : left_id;
    build_histogram(small_id, level + 1);
    std::vector<double>& parent_sums = sums_[level];
    std::vector<uint32_t>& parent_counts = counts_[level];
    const std::vector<double>& small_sums = sums_[level + 1];
    const std::vector<uint32_t>& small_counts = counts_[level + 1];
    for (size_t i = 0; i < parent_sums.size(); ++i) {
      parent_sums[i] -= small_sums[i];
      parent_counts[i] -= small_counts[i];
    }
    grow_node(small_id, depth + 1, level + 1);
    grow_node(large_id, depth + 1, level);
  }

  const BinnedCodes& data_;
  const std::vector<int>& num_bins_;
  const BinRanges& ranges_;
  const int max_depth_;
  const size_t stride_;
  std::vector<uint32_t> indices_, scratch_;
  std::vector<double> gathered_;
  std::vector<std::vector<double>> sums_;
  std::vector<std::vector<uint32_t>> counts_;
  std::vector<TreeNode> nodes_;
  const double* target_ = nullptr;
  const double* hessian_ = nullptr;
  double leaf_scale_ = 1;
  std::vector<double>* importance_ = nullptr;
};

struct PredictorFit {
  std::vector<double> importance;  // D
  double train_accuracy = 0, test_accuracy = 0;
};

PredictorFit fit_gradient_boosting(const BinnedCodes& train, const std::vector<int>& num_bins,
                                   const BinRanges& ranges, const std::vector<int>& train_labels,
                                   const CodeMatrix& test, const std::vector<int>& test_labels,
                                   const DciOptions& options) {
  PredictorFit fit;
  fit.importance.assign(train.cols, 0.0);
  std::vector<int> y = train_labels;
  const std::vector<int> classes = compact(y);
  const size_t n = train.rows, m = test.rows, num_classes = classes.size();
  if (num_classes == 1) {  // constant predictor
    fit.train_accuracy = 1;
    size_t hits = 0;
    for (int label : test_labels) hits += label == classes[0];
    fit.test_accuracy = double(hits) / double(m);
    return fit;
  }
  const bool binary = num_classes == 2;
  const size_t trees_per_stage = binary ? 1 : num_classes;

  // Initial scores: log priors (multinomial) or log odds (binomial), priors clipped to float32's
  // epsilon as scikit-learn.
  std::vector<double> prior(num_classes, 0.0);
  for (int c : y) prior[c] += 1;
  for (double& p : prior)
    p = std::clamp(p / double(n), double(FLT_EPSILON), 1.0 - double(FLT_EPSILON));
  std::vector<double> init(trees_per_stage);
  if (binary)
    init[0] = std::log(prior[1] / (1 - prior[1]));
  else
    for (size_t k = 0; k < num_classes; ++k) init[k] = std::log(prior[k]);
  std::vector<double> raw_train(n * trees_per_stage), raw_test(m * trees_per_stage);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < trees_per_stage; ++k) raw_train[i * trees_per_stage + k] = init[k];
  for (size_t i = 0; i < m; ++i)
    for (size_t k = 0; k < trees_per_stage; ++k) raw_test[i * trees_per_stage + k] = init[k];

  // Negative gradients and hessians, tree-major: [k * n + i].
  std::vector<double> residual(trees_per_stage * n), hessian(trees_per_stage * n);
  std::vector<double> prob(num_classes);
  TreeGrower grower(train, num_bins, ranges, options.max_depth);
  const double leaf_scale = binary ? 1.0 : double(num_classes - 1) / double(num_classes);
  const double lr = options.learning_rate;
  for (int stage = 0; stage < options.num_stages; ++stage) {
    for (size_t i = 0; i < n; ++i) {
      const double* raw = &raw_train[i * trees_per_stage];
      if (binary) {
        const double p = 1.0 / (1.0 + std::exp(-raw[0]));
        residual[i] = (y[i] == 1 ? 1.0 : 0.0) - p;
        hessian[i] = p * (1 - p);
        continue;
      }
      const double top = *std::max_element(raw, raw + num_classes);
      double z = 0;
      for (size_t k = 0; k < num_classes; ++k) z += (prob[k] = std::exp(raw[k] - top));
      for (size_t k = 0; k < num_classes; ++k) {
        const double p = prob[k] / z;
        residual[k * n + i] = (size_t(y[i]) == k ? 1.0 : 0.0) - p;
        hessian[k * n + i] = p * (1 - p);
      }
    }
    for (size_t k = 0; k < trees_per_stage; ++k) {
      const std::vector<TreeNode>& tree =
          grower.grow(&residual[k * n], &hessian[k * n], leaf_scale, fit.importance);
      const std::vector<uint32_t>& indices = grower.indices();
      for (const TreeNode& node : tree) {
        if (node.feature >= 0) continue;
        for (uint32_t j = node.begin; j < node.end; ++j)
          raw_train[size_t(indices[j]) * trees_per_stage + k] += lr * node.value;
      }
      for (size_t i = 0; i < m; ++i) {
        int at = 0;
        while (tree[at].feature >= 0) {
          const TreeNode& node = tree[at];
          at = test.at(i, size_t(node.feature)) <= node.split_value ? node.left : node.right;
        }
        raw_test[i * trees_per_stage + k] += lr * tree[at].value;
      }
    }
  }

  auto predict = [&](const double* raw) {
    if (binary) return raw[0] > 0 ? classes[1] : classes[0];
    return classes[std::max_element(raw, raw + num_classes) - raw];
  };
  size_t hits = 0;
  for (size_t i = 0; i < n; ++i)
    hits += predict(&raw_train[i * trees_per_stage]) == train_labels[i];
  fit.train_accuracy = double(hits) / double(n);
  hits = 0;
  for (size_t i = 0; i < m; ++i) hits += predict(&raw_test[i * trees_per_stage]) == test_labels[i];
  fit.test_accuracy = double(hits) / double(m);

  double total = 0;
  for (double v : fit.importance) total += v;
  if (total > 0)
    for (double& v : fit.importance) v /= total;
  return fit;
}

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

// ---------------------------------------------------------------------------------------------
// FactorVAE score.

FactorMatrix sample_factors(const std::vector<int>& sizes, size_t rows, std::mt19937_64& rng) {
  FactorMatrix out{rows, sizes.size(), std::vector<int>(rows * sizes.size())};
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < sizes.size(); ++k)
      out.at(r, k) = int(uniform_below(rng, uint64_t(sizes[k])));
  return out;
}

StatusOr<CodeMatrix> represent_checked(const GroundTruthSampler& sampler,
                                       const FactorMatrix& factors, size_t& dims) {
  StatusOr<CodeMatrix> result = sampler.represent(factors);
  if (!result.ok()) return result.status().with_context("FactorVAE sampler");
  CodeMatrix codes = std::move(result).value();
  FACET_RETURN_IF_ERROR(check_codes(codes, "FactorVAE sampler codes"));
  FACET_RETURN_ERROR_IF(codes.rows != factors.rows, kInvalidArgument,
                        "FactorVAE sampler returned " + std::to_string(codes.rows) +
                            " code rows for " + std::to_string(factors.rows) + " factor rows");
  if (dims == 0) dims = codes.cols;
  FACET_RETURN_ERROR_IF(codes.cols != dims, kInvalidArgument,
                        "FactorVAE sampler returned " + std::to_string(codes.cols) +
                            " dimensions after " + std::to_string(dims));
  return codes;
}

// Sample variance (ddof = 1) of column c.
double column_variance(const CodeMatrix& m, size_t c) {
  double sum = 0;
  for (size_t r = 0; r < m.rows; ++r) sum += m.at(r, c);
  const double mean = sum / double(m.rows);
  double sq = 0;
  for (size_t r = 0; r < m.rows; ++r) sq += (m.at(r, c) - mean) * (m.at(r, c) - mean);
  return sq / double(m.rows - 1);
}

// num_votes votes into a D x K table.
Status cast_votes(const GroundTruthSampler& sampler, const FactorVaeOptions& options,
                  const std::vector<double>& global_variances, const std::vector<bool>& active,
                  int num_votes, std::mt19937_64& rng, size_t& dims, std::vector<int64_t>& votes) {
  const size_t k_count = sampler.factor_sizes.size();
  votes.assign(dims * k_count, 0);
  for (int vote = 0; vote < num_votes; ++vote) {
    const size_t k = size_t(uniform_below(rng, k_count));
    FactorMatrix batch = sample_factors(sampler.factor_sizes, size_t(options.batch_size), rng);
    for (size_t r = 1; r < batch.rows; ++r) batch.at(r, k) = batch.at(0, k);
    FACET_ASSIGN_OR_RETURN(CodeMatrix codes, represent_checked(sampler, batch, dims));
    size_t best = dims;
    double best_ratio = std::numeric_limits<double>::infinity();
    for (size_t d = 0; d < dims; ++d) {
      if (!active[d]) continue;
      const double ratio = column_variance(codes, d) / global_variances[d];
      if (best == dims || ratio < best_ratio) {
        best = d;
        best_ratio = ratio;
      }
    }
    votes[best * k_count + k] += 1;
  }
  return ok_status();
}

}  // namespace

// ---------------------------------------------------------------------------------------------

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

StatusOr<MigResult> compute_mig(const CodeMatrix& codes, const FactorMatrix& factors, int bins) {
  FACET_RETURN_IF_ERROR(check_pair(codes, factors, "MIG"));
  FACET_RETURN_ERROR_IF(bins < 1, kInvalidArgument,
                        "MIG needs at least 1 bin, got " + std::to_string(bins));
  FACET_RETURN_ERROR_IF(codes.cols < 2, kInvalidArgument,
                        "MIG needs at least 2 code dimensions, got " + std::to_string(codes.cols));
  const size_t d = codes.cols, k = factors.cols;
  std::vector<std::vector<int>> factor_labels(k);
  std::vector<size_t> factor_classes(k);
  MigResult result;
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
    std::vector<std::vector<double>> thresholds(d);
    std::vector<int> num_bins(d);
    for (size_t i = 0; i < d; ++i) {
      thresholds[i] = fit_thresholds(code_column(train_codes, i), options.max_bins);
      num_bins[i] = int(thresholds[i].size()) + 1;
    }
    const BinnedCodes train = apply_thresholds(train_codes, thresholds);
    const BinRanges ranges =
        bin_ranges(train_codes, train, size_t(*std::max_element(num_bins.begin(), num_bins.end())));
    for (size_t j = 0; j < k; ++j) {
      const PredictorFit fit =
          fit_gradient_boosting(train, num_bins, ranges, factor_column(train_factors, j),
                                test_codes, factor_column(test_factors, j), options);
      for (size_t i = 0; i < d; ++i) importance[i * k + j] = fit.importance[i];
      train_accuracy[j] = fit.train_accuracy;
      test_accuracy[j] = fit.test_accuracy;
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

StatusOr<FactorVaeResult> compute_factor_vae_score(const GroundTruthSampler& sampler, uint64_t seed,
                                                   const FactorVaeOptions& options) {
  FACET_RETURN_ERROR_IF(sampler.factor_sizes.empty(), kInvalidArgument,
                        "FactorVAE sampler has no factors");
  for (int size : sampler.factor_sizes)
    FACET_RETURN_ERROR_IF(size < 1, kInvalidArgument,
                          "FactorVAE factor sizes must be >= 1, got " + std::to_string(size));
  FACET_RETURN_ERROR_IF(!sampler.represent, kInvalidArgument,
                        "FactorVAE sampler has no represent function");
  FACET_RETURN_ERROR_IF(
      options.batch_size < 2, kInvalidArgument,
      "FactorVAE batch size must be >= 2, got " + std::to_string(options.batch_size));
  FACET_RETURN_ERROR_IF(options.num_train < 1 || options.num_eval < 1, kInvalidArgument,
                        "FactorVAE needs at least one train and one eval vote");
  FACET_RETURN_ERROR_IF(options.num_variance_estimate < 2, kInvalidArgument,
                        "FactorVAE needs at least 2 samples to estimate variances");
  FACET_RETURN_ERROR_IF(!(options.prune_std_threshold >= 0) || !std::isfinite(options.prune_std_threshold),
                        kInvalidArgument, "FactorVAE prune threshold (a standard deviation) must be finite and >= 0");

  std::mt19937_64 rng(seed);
  size_t dims = 0;
  // Global variances from num_variance_estimate rows, represented batch_size rows at a time.
  CodeMatrix all;
  all.rows = size_t(options.num_variance_estimate);
  for (size_t done = 0; done < all.rows;) {
    const size_t rows = std::min(all.rows - done, size_t(options.batch_size));
    const FactorMatrix batch = sample_factors(sampler.factor_sizes, rows, rng);
    FACET_ASSIGN_OR_RETURN(CodeMatrix codes, represent_checked(sampler, batch, dims));
    all.values.insert(all.values.end(), codes.values.begin(), codes.values.end());
    done += rows;
  }
  all.cols = dims;

  FactorVaeResult result;
  result.global_variances.resize(dims);
  result.active.resize(dims);
  for (size_t d = 0; d < dims; ++d) {
    result.global_variances[d] = column_variance(all, d);
    result.active[d] = result.global_variances[d] > 0 &&
                       std::sqrt(result.global_variances[d]) >= options.prune_std_threshold;
    result.num_active_dims += result.active[d] ? 1 : 0;
  }
  const size_t k_count = sampler.factor_sizes.size();
  result.classifier.assign(dims, -1);
  if (result.num_active_dims == 0) {
    result.train_votes.assign(dims * k_count, 0);
    result.eval_votes.assign(dims * k_count, 0);
    return result;
  }
  FACET_RETURN_IF_ERROR(cast_votes(sampler, options, result.global_variances, result.active,
                                   options.num_train, rng, dims, result.train_votes));
  int64_t correct = 0;
  for (size_t d = 0; d < dims; ++d) {
    int64_t most = 0;
    for (size_t k = 0; k < k_count; ++k)
      if (result.train_votes[d * k_count + k] > most) {
        most = result.train_votes[d * k_count + k];
        result.classifier[d] = int(k);
      }
    correct += most;
  }
  result.train_accuracy = double(correct) / double(options.num_train);
  FACET_RETURN_IF_ERROR(cast_votes(sampler, options, result.global_variances, result.active,
                                   options.num_eval, rng, dims, result.eval_votes));
  correct = 0;
  for (size_t d = 0; d < dims; ++d)
    if (result.classifier[d] >= 0) correct += result.eval_votes[d * k_count + result.classifier[d]];
  result.eval_accuracy = double(correct) / double(options.num_eval);
  return result;
}

}  // namespace facet
