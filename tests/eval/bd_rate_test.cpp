// Tests of BD-rate and BD-PSNR on curves whose deltas are known in closed form.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "eval/bd_rate.h"

using namespace facet;

namespace {

// A JPEG-like curve (the first points of the published Kodak JPEG curve, rounded), deliberately
// out of order: the functions sort.
std::vector<RdPoint> anchor_curve() {
  return {{0.4231, 28.04}, {0.2212, 23.78}, {0.3266, 26.58}, {0.5084, 29.04}, {0.5879, 29.78}, {0.6601, 30.38}};
}

std::vector<RdPoint> scaled_rate(double factor) {
  std::vector<RdPoint> out = anchor_curve();
  for (RdPoint& p : out) p.bpp *= factor;
  return out;
}

}  // namespace

TEST_CASE("BD-rate of the same curve at 0.8x and 1.25x the rate is -20% and +25%", "[eval]") {
  // ln(0.8 r) = ln r + ln 0.8 exactly, so the fitted cubics differ by the constant ln 0.8.
  CHECK(bd_rate_percent(anchor_curve(), scaled_rate(0.8)).value() == Approx(-20.0).epsilon(1e-6));
  CHECK(bd_rate_percent(anchor_curve(), scaled_rate(1.25)).value() == Approx(25.0).epsilon(1e-6));
  CHECK(bd_rate_percent(anchor_curve(), anchor_curve()).value() == Approx(0.0).margin(1e-9));
}

TEST_CASE("BD-PSNR of a curve 0.5 dB higher is +0.5 dB", "[eval]") {
  std::vector<RdPoint> better = anchor_curve();
  for (RdPoint& p : better) p.psnr += 0.5;
  CHECK(bd_psnr_db(anchor_curve(), better).value() == Approx(0.5).epsilon(1e-6));
  CHECK(bd_psnr_db(better, anchor_curve()).value() == Approx(-0.5).epsilon(1e-6));
  // At equal rate the scaled curve is worse: a rate factor < 1 moves the curve left, up in PSNR.
  CHECK(bd_psnr_db(anchor_curve(), scaled_rate(0.8)).value() > 0);
}

TEST_CASE("BD over a partial overlap uses only the shared range", "[eval]") {
  // Same underlying curve, the test curve sampled on a sub-range: the delta is still exactly 0.8x.
  std::vector<RdPoint> anchor, test;
  for (int i = 0; i < 8; ++i) {
    const double psnr = 26 + i;
    anchor.push_back({0.05 * std::exp(0.25 * psnr - 0.001 * psnr * psnr), psnr});
  }
  for (int i = 0; i < 6; ++i) {
    const double psnr = 29.5 + i;
    test.push_back({0.8 * 0.05 * std::exp(0.25 * psnr - 0.001 * psnr * psnr), psnr});
  }
  CHECK(bd_rate_percent(anchor, test).value() == Approx(-20.0).epsilon(1e-6));
}

TEST_CASE("BD errors: too few points, no overlap, bad values", "[eval]") {
  std::vector<RdPoint> three = {{0.2, 25}, {0.4, 28}, {0.8, 31}};
  auto few = bd_rate_percent(anchor_curve(), three);
  REQUIRE_FALSE(few.ok());
  CHECK(few.status().code() == ErrorCode::kInvalidArgument);
  CHECK(bd_psnr_db(three, anchor_curve()).status().code() == ErrorCode::kInvalidArgument);

  std::vector<RdPoint> far = anchor_curve();
  for (RdPoint& p : far) p.psnr += 20;
  CHECK(bd_rate_percent(anchor_curve(), far).status().code() == ErrorCode::kInvalidArgument);

  std::vector<RdPoint> zero_rate = anchor_curve();
  zero_rate[0].bpp = 0;
  CHECK(bd_rate_percent(anchor_curve(), zero_rate).status().code() == ErrorCode::kInvalidArgument);

  std::vector<RdPoint> repeated(5, RdPoint{0.5, 30});
  CHECK(bd_rate_percent(anchor_curve(), repeated).status().code() == ErrorCode::kInvalidArgument);
}
