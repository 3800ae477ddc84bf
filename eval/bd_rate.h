// Bjøntegaard deltas between two rate-distortion curves: BD-rate (%) and BD-PSNR (dB).
#pragma once

#include <vector>

#include "common/status.h"

namespace facet {

struct RdPoint {
  double bpp = 0;   // rate, > 0
  double psnr = 0;  // distortion in dB (any quality score in dB works the same way)
};

// Fewest points a curve needs: a cubic has 4 coefficients.
constexpr size_t kBdMinPoints = 4;

// BD-rate (VCEG-M33, Bjøntegaard 2001): for each curve, ln(bpp) is fitted as a cubic polynomial
// of PSNR by least squares (points sorted by PSNR; with exactly 4 points the cubic interpolates).
// Both cubics are integrated over the PSNR range the two curves share, [max of the minima, min of
// the maxima], and the mean difference D = (integral_test - integral_anchor) / range gives
// BD-rate = (e^D - 1) * 100: the average rate change, in percent, of `test` against `anchor` at
// equal quality (negative = `test` needs fewer bits).
// Errors (kInvalidArgument): fewer than 4 points or 4 distinct PSNR values, a non-positive or
// non-finite value, or curves whose PSNR ranges do not overlap.
StatusOr<double> bd_rate_percent(const std::vector<RdPoint>& anchor, const std::vector<RdPoint>& test);

// BD-PSNR: PSNR fitted as a cubic of ln(bpp), integrated over the shared ln(bpp) range; the mean
// difference test - anchor in dB (positive = `test` is better at equal rate). Same errors.
StatusOr<double> bd_psnr_db(const std::vector<RdPoint>& anchor, const std::vector<RdPoint>& test);

}  // namespace facet
