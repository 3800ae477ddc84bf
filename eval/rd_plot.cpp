// Draws RD curves into a PNG with OpenCV's drawing primitives (no plotting library needed).
#include "eval/rd_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace facet {
namespace {

// Distinct BGR colours (Tableau 10 and six darker ones), then repeated with other markers.
const cv::Scalar kColours[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44},   {40, 39, 214},
                               {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {127, 127, 127},
                               {34, 189, 188},  {207, 190, 23}, {0, 0, 0},       {96, 48, 0},
                               {0, 96, 160},    {128, 0, 64},   {0, 128, 96},    {160, 160, 0}};
constexpr int kColourCount = sizeof kColours / sizeof kColours[0];
constexpr int kMarkerCount = 4;

// A step of 1, 2, 2.5 or 5 times a power of ten giving about `target` intervals over `range`.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

void draw_marker(cv::Mat& canvas, cv::Point p, int kind, const cv::Scalar& colour) {
  const int r = 5;
  switch (kind % kMarkerCount) {
    case 0: cv::circle(canvas, p, r, colour, cv::FILLED, cv::LINE_AA); break;
    case 1: cv::rectangle(canvas, p - cv::Point(r - 1, r - 1), p + cv::Point(r - 1, r - 1), colour, cv::FILLED); break;
    case 2: {
      std::vector<cv::Point> triangle = {p + cv::Point(0, -r - 1), p + cv::Point(r + 1, r), p + cv::Point(-r - 1, r)};
      cv::fillConvexPoly(canvas, triangle, colour, cv::LINE_AA);
      break;
    }
    default: {
      std::vector<cv::Point> diamond = {p + cv::Point(0, -r - 1), p + cv::Point(r + 1, 0), p + cv::Point(0, r + 1),
                                        p + cv::Point(-r - 1, 0)};
      cv::fillConvexPoly(canvas, diamond, colour, cv::LINE_AA);
    }
  }
}

// A dashed segment: 10 pixels on, 6 off, the pattern carried over from segment to segment.
void dashed_line(cv::Mat& canvas, cv::Point2d a, cv::Point2d b, const cv::Scalar& colour, double* phase) {
  const double length = std::hypot(b.x - a.x, b.y - a.y);
  constexpr double kOn = 10, kPeriod = 16;
  double t = 0;
  while (t < length) {
    const double in_period = std::fmod(*phase + t, kPeriod);
    const double run = in_period < kOn ? kOn - in_period : kPeriod - in_period;
    const double end = std::min(length, t + run);
    if (in_period < kOn) {
      const cv::Point2d p = a + (b - a) * (t / length), q = a + (b - a) * (end / length);
      cv::line(canvas, cv::Point(p), cv::Point(q), colour, 2, cv::LINE_AA);
    }
    t = end;
  }
  *phase = std::fmod(*phase + length, kPeriod);
}

}  // namespace

std::string axis_tick_label(double value, double step) {
  // The fewest decimals (at most 4) that write every multiple of the step exactly: 2.5 needs one.
  int decimals = 0;
  while (decimals < 4) {
    const double scaled = step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) <= 1e-6 * std::max(1.0, scaled)) break;
    ++decimals;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

StatusOr<Bytes> draw_rd_plot(const std::vector<RdCurve>& curves, const RdPlotOptions& options) {
  FACET_RETURN_ERROR_IF(options.width < 400 || options.height < 300, kInvalidArgument, "the plot is too small");
  // The x range covers the measured curves; published curves often extend further and are clipped.
  double max_bpp = options.max_bpp;
  if (max_bpp <= 0) {
    const bool any_measured =
        std::any_of(curves.begin(), curves.end(), [](const RdCurve& c) { return !c.reference && !c.means.empty(); });
    for (const RdCurve& c : curves)
      if (!any_measured || !c.reference)
        for (const RdMeasurement& m : c.means) max_bpp = std::max(max_bpp, m.bpp);
  }
  double min_psnr = std::numeric_limits<double>::infinity(), max_psnr = -min_psnr;
  for (const RdCurve& c : curves)
    for (const RdMeasurement& m : c.means)
      if (std::isfinite(m.psnr_rgb) && m.bpp <= max_bpp * 1.0001) {
        min_psnr = std::min(min_psnr, m.psnr_rgb);
        max_psnr = std::max(max_psnr, m.psnr_rgb);
      }
  FACET_RETURN_ERROR_IF(!(max_bpp > 0) || !std::isfinite(min_psnr), kInvalidArgument, "no points to plot");
  if (max_psnr - min_psnr < 1) min_psnr -= 0.5, max_psnr += 0.5;

  const double x_step = nice_step(max_bpp, 8), y_step = nice_step(max_psnr - min_psnr, 8);
  const double x_lo = 0, x_hi = std::ceil(max_bpp / x_step - 1e-9) * x_step;
  const double y_lo = std::floor(min_psnr / y_step) * y_step, y_hi = std::ceil(max_psnr / y_step) * y_step;

  cv::Mat canvas(options.height, options.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Rect plot(90, 60, options.width - 90 - 280, options.height - 60 - 80);
  auto to_pixel = [&](double bpp, double psnr) {
    return cv::Point2d(plot.x + (bpp - x_lo) / (x_hi - x_lo) * plot.width,
                       plot.y + plot.height - (psnr - y_lo) / (y_hi - y_lo) * plot.height);
  };
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Scalar black(0, 0, 0), grid(225, 225, 225);

  for (double x = x_lo; x <= x_hi + x_step * 1e-6; x += x_step) {
    const int px = int(std::lround(to_pixel(x, y_lo).x));
    cv::line(canvas, {px, plot.y}, {px, plot.y + plot.height}, grid, 1);
    const std::string label = axis_tick_label(x, x_step);
    const cv::Size size = cv::getTextSize(label, font, 0.45, 1, nullptr);
    cv::putText(canvas, label, {px - size.width / 2, plot.y + plot.height + 20}, font, 0.45, black, 1, cv::LINE_AA);
  }
  for (double y = y_lo; y <= y_hi + y_step * 1e-6; y += y_step) {
    const int py = int(std::lround(to_pixel(x_lo, y).y));
    cv::line(canvas, {plot.x, py}, {plot.x + plot.width, py}, grid, 1);
    const std::string label = axis_tick_label(y, y_step);
    const cv::Size size = cv::getTextSize(label, font, 0.45, 1, nullptr);
    cv::putText(canvas, label, {plot.x - size.width - 8, py + size.height / 2}, font, 0.45, black, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas, plot, black, 1);

  const std::string x_label = "rate (bits per pixel)";
  const cv::Size x_size = cv::getTextSize(x_label, font, 0.6, 1, nullptr);
  cv::putText(canvas, x_label, {plot.x + (plot.width - x_size.width) / 2, plot.y + plot.height + 55}, font, 0.6,
              black, 1, cv::LINE_AA);
  // The y label is drawn horizontally on a strip and rotated into place.
  const std::string y_label = "PSNR-RGB (dB)";
  const cv::Size y_size = cv::getTextSize(y_label, font, 0.6, 1, nullptr);
  cv::Mat strip(y_size.height + 10, y_size.width + 10, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(strip, y_label, {5, y_size.height + 3}, font, 0.6, black, 1, cv::LINE_AA);
  cv::Mat rotated;
  cv::rotate(strip, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  const int label_y = std::max(0, plot.y + (plot.height - rotated.rows) / 2);
  if (label_y + rotated.rows <= canvas.rows) rotated.copyTo(canvas(cv::Rect(15, label_y, rotated.cols, rotated.rows)));
  const cv::Size title_size = cv::getTextSize(options.title, font, 0.8, 2, nullptr);
  cv::putText(canvas, options.title, {plot.x + (plot.width - title_size.width) / 2, 38}, font, 0.8, black, 2,
              cv::LINE_AA);

  // Curves, clipped to the plot area; then the legend.
  int legend_row = 0;
  for (size_t index = 0; index < curves.size(); ++index) {
    const RdCurve& curve = curves[index];
    const cv::Scalar colour = kColours[index % kColourCount];
    const int marker = int(index / kColourCount + index) % kMarkerCount;
    std::vector<std::pair<double, double>> points;
    for (const RdMeasurement& m : curve.means)
      if (std::isfinite(m.psnr_rgb) && std::isfinite(m.bpp)) points.push_back({m.bpp, m.psnr_rgb});
    if (points.empty()) continue;
    std::sort(points.begin(), points.end());
    double phase = 0;
    for (size_t i = 0; i + 1 < points.size(); ++i) {
      cv::Point2d a = to_pixel(points[i].first, points[i].second), b = to_pixel(points[i + 1].first, points[i + 1].second);
      cv::Point ia(a), ib(b);
      if (!cv::clipLine(plot, ia, ib)) continue;
      if (curve.reference) {
        dashed_line(canvas, ia, ib, colour, &phase);
      } else {
        cv::line(canvas, ia, ib, colour, 2, cv::LINE_AA);
      }
    }
    for (const auto& [bpp, psnr] : points) {
      const cv::Point p(to_pixel(bpp, psnr));
      if (plot.contains(p)) draw_marker(canvas, p, marker, colour);
    }
    const int ly = plot.y + 12 + legend_row++ * 24;
    const int lx = plot.x + plot.width + 20;
    if (curve.reference) {
      double legend_phase = 0;
      dashed_line(canvas, cv::Point2d(lx, ly), cv::Point2d(lx + 40, ly), colour, &legend_phase);
    } else {
      cv::line(canvas, {lx, ly}, {lx + 40, ly}, colour, 2, cv::LINE_AA);
    }
    draw_marker(canvas, {lx + 20, ly}, marker, colour);
    cv::putText(canvas, curve.name, {lx + 50, ly + 5}, font, 0.5, black, 1, cv::LINE_AA);
  }
  std::vector<uchar> png;
  FACET_RETURN_ERROR_IF(!cv::imencode(".png", canvas, png), kInternal, "OpenCV could not encode the plot");
  return Bytes(png.begin(), png.end());
}

}  // namespace facet
