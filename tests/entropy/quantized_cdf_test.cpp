// Properties of pmf -> CDF quantization, table validation and the Gaussian tables.
#include <catch2/catch.hpp>

#include <cmath>

#include "entropy/gaussian_tables.h"
#include "entropy/quantized_cdf.h"
#include "test_support.h"

namespace facet {
namespace {

void require_valid(const QuantizedCdf& q) { REQUIRE(validate_cdf(q).ok()); }

TEST_CASE("quantize_pmf gives a valid table with no zero-frequency symbol", "[cdf]") {
  test::Rng rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + rng.below(trial < 100 ? 20 : 3000);
    std::vector<double> pmf(n);
    for (auto& p : pmf) p = rng.uniform() < 0.3 ? 0.0 : std::pow(rng.uniform(), 8.0);
    if (trial % 7 == 0) pmf[0] = 1.0;
    auto q = quantize_pmf(pmf, rng.uniform() * 1e-6, -int32_t(n / 2));
    REQUIRE(q.ok());
    require_valid(*q);
    REQUIRE(q->symbol_count() == n + 1);  // plus the escape
    REQUIRE(q->offset == -int32_t(n / 2));
  }
}

TEST_CASE("quantize_pmf tracks the pmf closely", "[cdf]") {
  // A smooth pmf: the quantized probabilities must be within one unit of 2^-16 of the truth
  // wherever the truth is representable.
  std::vector<double> pmf;
  for (int k = -50; k <= 50; ++k) pmf.push_back(std::exp(-0.5 * k * k / 100.0));
  double sum = 0;
  for (double p : pmf) sum += p;
  auto q = quantize_pmf(pmf, 0.0, -50);
  REQUIRE(q.ok());
  for (size_t i = 0; i < pmf.size(); ++i) {
    const double truth = pmf[i] / sum * kCdfTotal;
    const double freq = q->cdf[i + 1] - q->cdf[i];
    if (truth >= 1.0) CHECK(std::fabs(freq - truth) <= 1.5);
  }
}

TEST_CASE("quantize_pmf of a single certain symbol", "[cdf]") {
  auto q = quantize_pmf({1.0}, 0.0, 7);
  REQUIRE(q.ok());
  REQUIRE(q->symbol_count() == 2);
  CHECK(q->cdf[1] == kCdfTotal - 1);  // the escape keeps frequency 1
}

TEST_CASE("quantize_pmf rejects bad input", "[cdf]") {
  CHECK(quantize_pmf({}, 0.0, 0).status().code() == ErrorCode::kInvalidArgument);
  CHECK(quantize_pmf({0.5, -0.1}, 0.0, 0).status().code() == ErrorCode::kInvalidArgument);
  CHECK(quantize_pmf({0.5, NAN}, 0.0, 0).status().code() == ErrorCode::kInvalidArgument);
  CHECK(quantize_pmf({0.0, 0.0}, 0.0, 0).status().code() == ErrorCode::kInvalidArgument);
  CHECK(quantize_pmf(std::vector<double>(kMaxCdfSymbols, 1.0), 0.0, 0).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK(quantize_pmf({0.5, 0.5}, 0.0, INT32_MAX).status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("validate_cdf rejects malformed tables", "[cdf]") {
  QuantizedCdf q;
  q.cdf = {0, 100, kCdfTotal};
  CHECK(validate_cdf(q).ok());
  q.cdf = {0, kCdfTotal};
  CHECK(validate_cdf(q).code() == ErrorCode::kCorrupt);  // escape only
  q.cdf = {1, 100, kCdfTotal};
  CHECK(validate_cdf(q).code() == ErrorCode::kCorrupt);  // does not start at 0
  q.cdf = {0, 100, kCdfTotal - 1};
  CHECK(validate_cdf(q).code() == ErrorCode::kCorrupt);  // does not end at 2^16
  q.cdf = {0, 100, 100, kCdfTotal};
  CHECK(validate_cdf(q).code() == ErrorCode::kCorrupt);  // zero frequency
  q.cdf = {0, 200, 100, kCdfTotal};
  CHECK(validate_cdf(q).code() == ErrorCode::kCorrupt);  // not monotone
  q.cdf.assign(kMaxCdfSymbols + 2, 0);
  for (size_t i = 0; i < q.cdf.size(); ++i) q.cdf[i] = uint32_t(i);
  q.cdf.back() = kCdfTotal;
  CHECK(validate_cdf(q).code() == ErrorCode::kLimitExceeded);
  q.cdf = {0, 100, 200, kCdfTotal};
  q.offset = INT32_MAX;
  CHECK(validate_cdf(q).code() == ErrorCode::kCorrupt);  // range overflows int32

  QuantizedCdf good{{0, 100, kCdfTotal}, 0};
  QuantizedCdf bad{{0, 0, kCdfTotal}, 0};
  auto set = CdfTableSet::create({good, bad});
  REQUIRE_FALSE(set.ok());
  CHECK(set.status().message().find("CDF table 1") != std::string::npos);
}

TEST_CASE("scale table is log-spaced and scale_index picks the smallest scale >= sigma", "[gaussian]") {
  const auto scales = make_scale_table();
  REQUIRE(scales.size() == 64);
  CHECK(scales.front() == Approx(0.11f));
  CHECK(scales.back() == Approx(256.0f));
  for (size_t i = 1; i < scales.size(); ++i) CHECK(scales[i] > scales[i - 1]);
  CHECK(scale_index(scales, 0.0f) == 0);
  CHECK(scale_index(scales, -3.0f) == 0);
  CHECK(scale_index(scales, NAN) == 0);
  CHECK(scale_index(scales, 1e9f) == 63);
  for (size_t i = 0; i < scales.size(); ++i) {
    CHECK(scale_index(scales, scales[i]) == i);
    if (i + 1 < scales.size()) CHECK(scale_index(scales, std::nextafter(scales[i], 1e9f)) == i + 1);
  }
}

TEST_CASE("Gaussian CDF tables cover the scale's range and sum to 2^16", "[gaussian]") {
  const auto scales = make_scale_table();
  auto tables = make_gaussian_cdf_tables(scales);
  REQUIRE(tables.ok());
  REQUIRE(tables->table_count() == scales.size());
  for (uint32_t t = 0; t < tables->table_count(); ++t) {
    const int32_t radius = -tables->offset(t);
    CHECK(radius >= std::ceil(scales[t] * 6.0));
    CHECK(tables->symbol_count(t) == uint32_t(2 * radius + 2));
    // Symmetric pmf -> nearly symmetric frequencies.
    const uint32_t* cdf = tables->cdf(t);
    const uint32_t center = uint32_t(radius);
    const int64_t left = cdf[center], right = kCdfTotal - cdf[center + 1] - (cdf[2 * radius + 2] - cdf[2 * radius + 1]);
    CHECK(std::llabs(left - right) <= 2 * radius + 2);
  }
  CHECK(discretized_gaussian_mass(1.0, 0) == Approx(0.3829249).epsilon(1e-6));
}

}  // namespace
}  // namespace facet
