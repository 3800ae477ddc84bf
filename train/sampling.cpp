#include "train/sampling.h"

#include <algorithm>
#include <random>

#include "model/model_config.h"

namespace facet {

uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int64_t EpochSampler::crop_of(int64_t g) {
  const int64_t epoch = g / count_;
  if (epoch != epoch_) {
    order_.resize(size_t(count_));
    for (int64_t i = 0; i < count_; ++i) order_[size_t(i)] = i;
    std::mt19937_64 rng(mix_seed(seed_, uint64_t(epoch)));
    std::shuffle(order_.begin(), order_.end(), rng);
    epoch_ = epoch;
  }
  return order_[size_t(g % count_)];
}

uint64_t EpochSampler::sample_seed(int64_t g) const { return mix_seed(seed_ ^ 0x5A3E1u, uint64_t(g)); }

int EpochSampler::balanced_rate_point(int64_t g, int points) {
  const int64_t block = g / points;
  if (block != point_block_ || int(point_order_.size()) != points) {
    point_order_.resize(size_t(points));
    for (int k = 0; k < points; ++k) point_order_[size_t(k)] = k;
    std::mt19937_64 rng(mix_seed(seed_ ^ 0xB41A4CEu, uint64_t(block)));
    std::shuffle(point_order_.begin(), point_order_.end(), rng);
    point_block_ = block;
  }
  return point_order_[size_t(g % points)];
}

std::vector<double> RelativeRatePointWeights::step_sums(const std::vector<double>& losses,
                                                        const std::vector<int64_t>& points, int rate_points) {
  std::vector<double> sums(2 * size_t(rate_points), 0.0);
  for (size_t i = 0; i < points.size(); ++i) {
    sums[size_t(points[i])] += losses[i];
    sums[size_t(rate_points + points[i])] += 1;
  }
  return sums;
}

std::vector<float> RelativeRatePointWeights::update(const std::vector<double>& sums,
                                                    const std::vector<int64_t>& points) {
  const size_t count = means_.size();
  for (size_t k = 0; k < count; ++k) {
    if (sums[count + k] <= 0) continue;
    const double mean = sums[k] / sums[count + k];
    means_[k] = means_[k] > 0 ? kDecay * means_[k] + (1 - kDecay) * mean : mean;
  }
  double total = 0;
  int seen = 0;
  for (double m : means_)
    if (m > 0) total += m, ++seen;
  std::vector<float> weights;
  for (int64_t k : points) weights.push_back(means_[size_t(k)] > 0 ? float(total / seen / means_[size_t(k)]) : 1.0f);
  return weights;
}

std::string RelativeRatePointWeights::to_string() const { return format_lambda_list(means_); }

void RelativeRatePointWeights::restore(const std::map<std::string, std::string>& metadata) {
  const auto it = metadata.find(kMetadataKey);
  if (it == metadata.end()) return;
  const StatusOr<std::vector<double>> means = parse_lambda_list(it->second);
  if (!means.ok() || means->size() != means_.size()) return;
  for (double m : *means)
    if (!(m >= 0)) return;  // NaN too
  means_ = *means;
}

}  // namespace facet
