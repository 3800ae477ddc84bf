// Histogram gradient boosting, DCI's default predictor (its definition and every difference from
// scikit-learn's GradientBoostingClassifier: DciPredictor::kGradientBoosting in dci.h).
#include "eval/gradient_boosting.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <utility>

namespace facet {
namespace {

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


}  // namespace

std::vector<PredictorFit> fit_gradient_boosting_per_factor(const CodeMatrix& train_codes,
                                                          const FactorMatrix& train_factors,
                                                          const CodeMatrix& test_codes,
                                                          const FactorMatrix& test_factors,
                                                          const DciOptions& options) {
  const size_t d = train_codes.cols, k = train_factors.cols;
  std::vector<std::vector<double>> thresholds(d);
  std::vector<int> num_bins(d);
  for (size_t i = 0; i < d; ++i) {
    thresholds[i] = fit_thresholds(code_column(train_codes, i), options.max_bins);
    num_bins[i] = int(thresholds[i].size()) + 1;
  }
  const BinnedCodes train = apply_thresholds(train_codes, thresholds);
  const BinRanges ranges =
      bin_ranges(train_codes, train, size_t(*std::max_element(num_bins.begin(), num_bins.end())));
  std::vector<PredictorFit> fits;
  for (size_t j = 0; j < k; ++j)
    fits.push_back(fit_gradient_boosting(train, num_bins, ranges, factor_column(train_factors, j),
                                         test_codes, factor_column(test_factors, j), options));
  return fits;
}

}  // namespace facet
