// What a training step draws: which stored crop each sample of the run is, the seed of its own
// draws (patch offset, flips, rate point, noise), the balanced order of rate points, and the
// relative weights of the rate points in the step's loss. Pure bookkeeping, without LibTorch, so
// that it is tested on its own (tests/train/sampling_test.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace facet {

// A 64-bit mix of two values (splitmix64's finalizer): the seed of a sample's or a step's draws.
uint64_t mix_seed(uint64_t a, uint64_t b);

// The run's samples in order: global sample g is crop order[g % count] of epoch g / count, each
// epoch a fresh permutation of all crops drawn from the seed. A step of a run of W ranks with batch
// B takes global samples [step * W * B, (step + 1) * W * B) and rank r the r-th B of them, so the
// ranks' samples are disjoint within an epoch, every crop is seen once an epoch, and the run sees
// the same images as one process with batch W * B. A sample's patch offset, flips and rate point
// are drawn from (seed, g) alone: the same whatever the world size, and a resumed run continues
// exactly as an uninterrupted one.
class EpochSampler {
 public:
  EpochSampler(int64_t count, uint64_t seed) : count_(count), seed_(seed) {}
  int64_t crop_of(int64_t g);
  // The seed of sample g's own draws.
  uint64_t sample_seed(int64_t g) const;
  // The balanced rate point of sample g (TrainOptions::RatePointSampling::kBalanced): samples
  // [j * K, (j + 1) * K) take the K rate points once each, in an order drawn from (seed, j).
  int balanced_rate_point(int64_t g, int points);

 private:
  int64_t count_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
  int64_t point_block_ = -1;
  std::vector<int> point_order_;
};

// TrainOptions::RatePointWeights::kRelative: a running mean over steps of each rate point's loss
// per image, and the weights it gives a step's images: the mean of the rate points' running means
// over the image's own rate point's. So every rate point moves the shared weights by the same
// relative amount, whatever its lambda.
class RelativeRatePointWeights {
 public:
  // The checkpoint metadata that keeps the running means, so a resumed run goes on as before.
  static constexpr const char* kMetadataKey = "train.rate_point_loss_means";
  static constexpr double kDecay = 0.99;  // of the running means: about the last 100 steps

  explicit RelativeRatePointWeights(int points) : means_(size_t(points), 0.0) {}

  // A step's per-rate-point loss sums, then its image counts (2 K values): what update() takes,
  // summed or averaged over the ranks of a data-parallel run first (only the ratios count).
  static std::vector<double> step_sums(const std::vector<double>& losses, const std::vector<int64_t>& points,
                                       int rate_points);
  // Updates the running means with a step's step_sums(), then returns the weights of the images
  // whose rate points are `points`. A rate point's first step sets its mean.
  std::vector<float> update(const std::vector<double>& sums, const std::vector<int64_t>& points);

  const std::vector<double>& means() const { return means_; }
  std::string to_string() const;  // for kMetadataKey
  // The running means a checkpoint kept. Missing, unreadable, or kept for another number of rate
  // points (rate points were added): the means start afresh.
  void restore(const std::map<std::string, std::string>& metadata);

 private:
  std::vector<double> means_;
};

}  // namespace facet
