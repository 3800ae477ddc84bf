// What a training step draws (train/sampling.h): epochs that are permutations, balanced rate
// points, and the running means behind the relative rate-point weights.
#include <algorithm>
#include <set>

#include "train/sampling.h"

#include <catch2/catch.hpp>

namespace facet {
namespace {

TEST_CASE("EachEpochIsAPermutationOfAllCrops", "[train]") {
  EpochSampler sampler(10, 7);
  std::vector<int64_t> first, second;
  for (int64_t g = 0; g < 10; ++g) first.push_back(sampler.crop_of(g));
  for (int64_t g = 10; g < 20; ++g) second.push_back(sampler.crop_of(g));
  for (auto epoch : {first, second}) {
    std::sort(epoch.begin(), epoch.end());
    for (int64_t i = 0; i < 10; ++i) CHECK(epoch[size_t(i)] == i);
  }
  CHECK(first != second);
  // Any sample is the same whenever it is asked for (a resumed run, another rank).
  EpochSampler again(10, 7);
  CHECK(again.crop_of(13) == second[3]);
  CHECK(again.crop_of(2) == first[2]);
  CHECK(sampler.sample_seed(5) == again.sample_seed(5));
  CHECK(sampler.sample_seed(5) != sampler.sample_seed(6));
  EpochSampler other_seed(10, 8);
  std::vector<int64_t> other;
  for (int64_t g = 0; g < 10; ++g) other.push_back(other_seed.crop_of(g));
  CHECK(other != first);
}

TEST_CASE("BalancedRatePointsTakeEachRatePointOnceInEveryBlock", "[train]") {
  EpochSampler sampler(100, 3);
  const int points = 7;
  std::set<std::vector<int>> orders;
  for (int64_t block = 0; block < 20; ++block) {
    std::vector<int> order;
    for (int64_t i = 0; i < points; ++i) order.push_back(sampler.balanced_rate_point(block * points + i, points));
    orders.insert(order);
    std::sort(order.begin(), order.end());
    for (int k = 0; k < points; ++k) CHECK(order[size_t(k)] == k);
  }
  CHECK(orders.size() > 10);  // the blocks' orders are drawn, not one fixed order
  EpochSampler again(100, 3);
  CHECK(again.balanced_rate_point(45, points) == sampler.balanced_rate_point(45, points));
}

TEST_CASE("RelativeWeightsEqualizeTheRatePointsLosses", "[train]") {
  RelativeRatePointWeights weights(3);
  // Rate point 0's images lose 1, rate point 2's 10; rate point 1 has not been seen yet.
  auto sums = RelativeRatePointWeights::step_sums({1.0, 10.0, 1.0}, {0, 2, 0}, 3);
  CHECK(sums == std::vector<double>{2.0, 0.0, 10.0, 2.0, 0.0, 1.0});
  auto w = weights.update(sums, {0, 2, 0});
  REQUIRE(w.size() == 3);
  CHECK(w[0] == Approx(5.5));  // (1 + 10) / 2 over 1
  CHECK(w[1] == Approx(0.55));
  CHECK(w[0] * 1.0 == Approx(w[1] * 10.0));
  // Later steps move the means by (1 - kDecay) of the difference.
  weights.update(RelativeRatePointWeights::step_sums({2.0, 4.0}, {0, 1}, 3), {0, 1});
  CHECK(weights.means()[0] == Approx(0.99 * 1.0 + 0.01 * 2.0));
  CHECK(weights.means()[1] == Approx(4.0));
  CHECK(weights.means()[2] == Approx(10.0));
}

TEST_CASE("RelativeWeightsSurviveACheckpoint", "[train]") {
  RelativeRatePointWeights weights(3);
  weights.update(RelativeRatePointWeights::step_sums({0.3, 1.0 / 3.0, 17.25}, {0, 1, 2}, 3), {0, 1, 2});
  std::map<std::string, std::string> metadata{{RelativeRatePointWeights::kMetadataKey, weights.to_string()}};
  RelativeRatePointWeights restored(3);
  restored.restore(metadata);
  CHECK(restored.means() == weights.means());  // bit for bit
  // Kept for another number of rate points, unreadable, or missing: start afresh.
  RelativeRatePointWeights more(4);
  more.restore(metadata);
  CHECK(more.means() == std::vector<double>(4, 0.0));
  for (const char* bad : {"1,x,3", "1,,3", "1,2,-3", "1,2,3 "}) {
    RelativeRatePointWeights fresh(3);
    fresh.restore({{RelativeRatePointWeights::kMetadataKey, bad}});
    CHECK(fresh.means() == std::vector<double>(3, 0.0));
  }
  RelativeRatePointWeights none(3);
  none.restore({});
  CHECK(none.means() == std::vector<double>(3, 0.0));
}

}  // namespace
}  // namespace facet
