// Bjøntegaard BD-rate and BD-PSNR by cubic least-squares fits (formulas in bd_rate.h).
#include "eval/bd_rate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace facet {
namespace {

// A cubic in the centred variable (x - centre), so that the normal equations stay well
// conditioned for PSNR values around 30-40 dB.
struct Cubic {
  double centre = 0;
  std::array<double, 4> c{};  // c0 + c1 t + c2 t^2 + c3 t^3, t = x - centre

  // Integral from lo to hi (in x).
  double integral(double lo, double hi) const {
    auto antiderivative = [&](double x) {
      const double t = x - centre;
      return t * (c[0] + t * (c[1] / 2 + t * (c[2] / 3 + t * c[3] / 4)));
    };
    return antiderivative(hi) - antiderivative(lo);
  }
};

struct Sample {
  double x, y;
};

StatusOr<Cubic> fit_cubic(std::vector<Sample> samples, const char* what) {
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.x < b.x; });
  size_t distinct = 0;
  for (size_t i = 0; i < samples.size(); ++i)
    if (i == 0 || samples[i].x != samples[i - 1].x) ++distinct;
  FACET_RETURN_ERROR_IF(distinct < kBdMinPoints, kInvalidArgument,
                        std::string("a Bjøntegaard curve needs at least 4 points with distinct ") + what +
                            "; this one has " + std::to_string(distinct));
  Cubic cubic;
  for (const Sample& s : samples) cubic.centre += s.x / double(samples.size());
  // Normal equations A^T A c = A^T y with A's rows (1, t, t^2, t^3), solved by Gaussian
  // elimination with partial pivoting.
  std::array<std::array<double, 5>, 4> m{};
  for (const Sample& s : samples) {
    const double t = s.x - cubic.centre;
    const std::array<double, 4> powers = {1, t, t * t, t * t * t};
    for (int r = 0; r < 4; ++r) {
      for (int k = 0; k < 4; ++k) m[r][k] += powers[r] * powers[k];
      m[r][4] += powers[r] * s.y;
    }
  }
  for (int col = 0; col < 4; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 4; ++r)
      if (std::fabs(m[r][col]) > std::fabs(m[pivot][col])) pivot = r;
    std::swap(m[col], m[pivot]);
    FACET_RETURN_ERROR_IF(std::fabs(m[col][col]) < 1e-300, kInvalidArgument,
                          "the Bjøntegaard fit is singular");
    for (int r = col + 1; r < 4; ++r) {
      const double f = m[r][col] / m[col][col];
      for (int k = col; k < 5; ++k) m[r][k] -= f * m[col][k];
    }
  }
  for (int r = 3; r >= 0; --r) {
    double v = m[r][4];
    for (int k = r + 1; k < 4; ++k) v -= m[r][k] * cubic.c[k];
    cubic.c[r] = v / m[r][r];
  }
  return cubic;
}

Status check_points(const std::vector<RdPoint>& points) {
  FACET_RETURN_ERROR_IF(points.size() < kBdMinPoints, kInvalidArgument,
                        "a Bjøntegaard curve needs at least 4 points; this one has " +
                            std::to_string(points.size()));
  for (const RdPoint& p : points)
    FACET_RETURN_ERROR_IF(!(p.bpp > 0) || !std::isfinite(p.bpp) || !std::isfinite(p.psnr),
                          kInvalidArgument, "a rate-distortion point has a non-positive or non-finite value");
  return ok_status();
}

// Mean difference test - anchor of the fitted y(x) over the shared x range.
StatusOr<double> mean_difference(const std::vector<Sample>& anchor, const std::vector<Sample>& test,
                                 const char* what) {
  auto range = [](const std::vector<Sample>& s) {
    auto [lo, hi] = std::minmax_element(s.begin(), s.end(), [](auto& a, auto& b) { return a.x < b.x; });
    return std::pair<double, double>(lo->x, hi->x);
  };
  const auto [anchor_lo, anchor_hi] = range(anchor);
  const auto [test_lo, test_hi] = range(test);
  const double lo = std::max(anchor_lo, test_lo), hi = std::min(anchor_hi, test_hi);
  FACET_RETURN_ERROR_IF(!(hi > lo), kInvalidArgument,
                        std::string("the two curves share no ") + what + " range");
  FACET_ASSIGN_OR_RETURN(Cubic anchor_fit, fit_cubic(anchor, what));
  FACET_ASSIGN_OR_RETURN(Cubic test_fit, fit_cubic(test, what));
  return (test_fit.integral(lo, hi) - anchor_fit.integral(lo, hi)) / (hi - lo);
}

}  // namespace

StatusOr<double> bd_rate_percent(const std::vector<RdPoint>& anchor, const std::vector<RdPoint>& test) {
  FACET_RETURN_IF_ERROR(check_points(anchor));
  FACET_RETURN_IF_ERROR(check_points(test));
  auto log_rate_of_psnr = [](const std::vector<RdPoint>& points) {
    std::vector<Sample> s;
    for (const RdPoint& p : points) s.push_back({p.psnr, std::log(p.bpp)});
    return s;
  };
  FACET_ASSIGN_OR_RETURN(double d,
                         mean_difference(log_rate_of_psnr(anchor), log_rate_of_psnr(test), "PSNR"));
  return (std::exp(d) - 1) * 100;
}

StatusOr<double> bd_psnr_db(const std::vector<RdPoint>& anchor, const std::vector<RdPoint>& test) {
  FACET_RETURN_IF_ERROR(check_points(anchor));
  FACET_RETURN_IF_ERROR(check_points(test));
  auto psnr_of_log_rate = [](const std::vector<RdPoint>& points) {
    std::vector<Sample> s;
    for (const RdPoint& p : points) s.push_back({std::log(p.bpp), p.psnr});
    return s;
  };
  return mean_difference(psnr_of_log_rate(anchor), psnr_of_log_rate(test), "rate");
}

}  // namespace facet
