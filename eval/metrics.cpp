// PSNR-RGB, PSNR-Y, SSIM and MS-SSIM on 8-bit images (definitions in metrics.h).
#include "eval/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace facet {
namespace {

Status check_pair(const Image& a, const Image& b) {
  FACET_RETURN_ERROR_IF(a.bit_depth != 8 || b.bit_depth != 8, kInvalidArgument,
                        "metrics need 8-bit images");
  FACET_RETURN_ERROR_IF(a.width != b.width || a.height != b.height || a.channels != b.channels,
                        kInvalidArgument,
                        "images differ in size or channels: " + std::to_string(a.width) + "x" +
                            std::to_string(a.height) + "x" + std::to_string(a.channels) + " vs " +
                            std::to_string(b.width) + "x" + std::to_string(b.height) + "x" +
                            std::to_string(b.channels));
  FACET_RETURN_ERROR_IF(a.pixel_count() == 0, kInvalidArgument, "empty image");
  FACET_RETURN_ERROR_IF(a.samples.size() != a.pixel_count() * a.channels ||
                            b.samples.size() != b.pixel_count() * b.channels,
                        kInvalidArgument, "image sample count does not match its size");
  return ok_status();
}

double psnr_from_mse(double mse) {
  if (mse <= 0) return kPsnrCapDb;
  return std::min(kPsnrCapDb, 10.0 * std::log10(255.0 * 255.0 / mse));
}

// One channel as a dense plane of doubles.
struct Plane {
  int width = 0, height = 0;
  std::vector<double> values;
  double at(int x, int y) const { return values[size_t(y) * width + x]; }
};

Plane channel_plane(const Image& image, int channel) {
  Plane plane{int(image.width), int(image.height), {}};
  plane.values.resize(image.pixel_count());
  for (uint64_t p = 0; p < image.pixel_count(); ++p)
    plane.values[p] = image.samples[p * image.channels + channel];
  return plane;
}

Plane average_pool_2x2(const Plane& in) {
  Plane out{in.width / 2, in.height / 2, {}};
  out.values.resize(size_t(out.width) * out.height);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      out.values[size_t(y) * out.width + x] =
          0.25 * (in.at(2 * x, 2 * y) + in.at(2 * x + 1, 2 * y) + in.at(2 * x, 2 * y + 1) +
                  in.at(2 * x + 1, 2 * y + 1));
  return out;
}

constexpr int kWindow = 11;
constexpr double kSigma = 1.5;
constexpr double kC1 = (0.01 * 255) * (0.01 * 255);
constexpr double kC2 = (0.03 * 255) * (0.03 * 255);

std::array<double, kWindow> gaussian_window() {
  std::array<double, kWindow> w{};
  double sum = 0;
  for (int i = 0; i < kWindow; ++i) {
    const double d = i - kWindow / 2;
    w[i] = std::exp(-d * d / (2 * kSigma * kSigma));
    sum += w[i];
  }
  for (double& v : w) v /= sum;
  return w;
}

// Separable Gaussian filtering over the valid region: the output is (W-10) x (H-10).
Plane filter_valid(const Plane& in) {
  static const std::array<double, kWindow> w = gaussian_window();
  const int ow = in.width - kWindow + 1, oh = in.height - kWindow + 1;
  Plane rows{ow, in.height, std::vector<double>(size_t(ow) * in.height)};
  for (int y = 0; y < in.height; ++y) {
    const double* src = &in.values[size_t(y) * in.width];
    for (int x = 0; x < ow; ++x) {
      double s = 0;
      for (int k = 0; k < kWindow; ++k) s += w[k] * src[x + k];
      rows.values[size_t(y) * ow + x] = s;
    }
  }
  Plane out{ow, oh, std::vector<double>(size_t(ow) * oh)};
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      double s = 0;
      for (int k = 0; k < kWindow; ++k) s += w[k] * rows.values[size_t(y + k) * ow + x];
      out.values[size_t(y) * ow + x] = s;
    }
  return out;
}

Plane product(const Plane& a, const Plane& b) {
  Plane out{a.width, a.height, std::vector<double>(a.values.size())};
  for (size_t i = 0; i < a.values.size(); ++i) out.values[i] = a.values[i] * b.values[i];
  return out;
}

SsimValue ssim_planes(const Plane& a, const Plane& b) {
  const Plane mu_a = filter_valid(a), mu_b = filter_valid(b);
  const Plane aa = filter_valid(product(a, a)), bb = filter_valid(product(b, b));
  const Plane ab = filter_valid(product(a, b));
  double sum_ssim = 0, sum_cs = 0;
  for (size_t i = 0; i < mu_a.values.size(); ++i) {
    const double ma = mu_a.values[i], mb = mu_b.values[i];
    const double var_a = aa.values[i] - ma * ma, var_b = bb.values[i] - mb * mb;
    const double cov = ab.values[i] - ma * mb;
    const double cs = (2 * cov + kC2) / (var_a + var_b + kC2);
    const double luminance = (2 * ma * mb + kC1) / (ma * ma + mb * mb + kC1);
    sum_ssim += luminance * cs;
    sum_cs += cs;
  }
  const double n = double(mu_a.values.size());
  return {sum_ssim / n, sum_cs / n};
}

}  // namespace

StatusOr<double> psnr_rgb(const Image& original, const Image& decoded) {
  FACET_RETURN_IF_ERROR(check_pair(original, decoded));
  const int colours = original.color_channels();
  double squared_error = 0;
  for (uint64_t p = 0; p < original.pixel_count(); ++p)
    for (int c = 0; c < colours; ++c) {
      const double d = double(original.samples[p * original.channels + c]) -
                       double(decoded.samples[p * decoded.channels + c]);
      squared_error += d * d;
    }
  return psnr_from_mse(squared_error / (double(original.pixel_count()) * colours));
}

StatusOr<double> psnr_y(const Image& original, const Image& decoded) {
  FACET_RETURN_IF_ERROR(check_pair(original, decoded));
  auto luma = [](const Image& image, uint64_t p) {
    const uint16_t* s = &image.samples[p * image.channels];
    if (image.color_channels() == 1) return double(s[0]);
    return 0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2];
  };
  double squared_error = 0;
  for (uint64_t p = 0; p < original.pixel_count(); ++p) {
    const double d = luma(original, p) - luma(decoded, p);
    squared_error += d * d;
  }
  return psnr_from_mse(squared_error / double(original.pixel_count()));
}

StatusOr<SsimValue> ssim(const Image& original, const Image& decoded) {
  FACET_RETURN_IF_ERROR(check_pair(original, decoded));
  FACET_RETURN_ERROR_IF(original.width < uint32_t(kWindow) || original.height < uint32_t(kWindow),
                        kInvalidArgument, "SSIM needs at least 11x11 pixels");
  SsimValue mean;
  const int colours = original.color_channels();
  for (int c = 0; c < colours; ++c) {
    const SsimValue v = ssim_planes(channel_plane(original, c), channel_plane(decoded, c));
    mean.ssim += v.ssim / colours;
    mean.contrast_structure += v.contrast_structure / colours;
  }
  return mean;
}

StatusOr<double> ms_ssim(const Image& original, const Image& decoded) {
  FACET_RETURN_IF_ERROR(check_pair(original, decoded));
  FACET_RETURN_ERROR_IF(
      original.width < kMsSsimMinDimension || original.height < kMsSsimMinDimension,
      kInvalidArgument,
      "MS-SSIM needs at least " + std::to_string(kMsSsimMinDimension) + "x" +
          std::to_string(kMsSsimMinDimension) + " pixels (5 scales of an 11x11 window); the image is " +
          std::to_string(original.width) + "x" + std::to_string(original.height));
  static constexpr std::array<double, 5> kWeights = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};
  const int colours = original.color_channels();
  double mean = 0;
  for (int c = 0; c < colours; ++c) {
    Plane a = channel_plane(original, c), b = channel_plane(decoded, c);
    double value = 1;
    for (size_t scale = 0; scale < kWeights.size(); ++scale) {
      const SsimValue v = ssim_planes(a, b);
      const bool last = scale + 1 == kWeights.size();
      value *= std::pow(std::max(0.0, last ? v.ssim : v.contrast_structure), kWeights[scale]);
      if (!last) {
        a = average_pool_2x2(a);
        b = average_pool_2x2(b);
      }
    }
    mean += value / colours;
  }
  return mean;
}

}  // namespace facet
