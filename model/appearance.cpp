// Appearance factors: measurement and transforms in the log-opponent space of appearance.h.
#include "model/appearance.h"

#include <algorithm>
#include <cmath>

namespace facet {
namespace {

constexpr double kBlackOffset = 1.0 / 256.0;   // L = log2(lin(Y) + kBlackOffset): keeps black finite
constexpr double kChromaOffset = 1.0 / 8.0;    // l_c = log2(v_c + kChromaOffset): dark channels do not
                                               // dominate the colour statistics
constexpr double kMinSpread = 1.0 / 1024.0;    // floor of the spreads (a flat or grey image)
const double kGreyEv = std::log2(0.18);

enum { kExposure = 0, kContrast = 1, kSaturation = 2, kTemperature = 3, kTint = 4 };

struct Opponent {
  std::vector<double> L, a, b;
};

constexpr double kLumaR = 0.299, kLumaG = 0.587, kLumaB = 0.114;  // BT.601

Opponent to_opponent(const RgbPlanes& x) {
  Opponent o;
  o.L.resize(x.pixels);
  o.a.resize(x.pixels);
  o.b.resize(x.pixels);
  for (size_t i = 0; i < x.pixels; ++i) {
    const double r = std::clamp(double(x.r[i]), 0.0, 1.0), g = std::clamp(double(x.g[i]), 0.0, 1.0),
                 b = std::clamp(double(x.b[i]), 0.0, 1.0);
    const double luma = kLumaR * r + kLumaG * g + kLumaB * b;
    const double lr = std::log2(r + kChromaOffset), lg = std::log2(g + kChromaOffset),
                 lb = std::log2(b + kChromaOffset);
    o.L[i] = std::log2(srgb_to_linear(luma) + kBlackOffset);
    o.a[i] = lr - lb;
    o.b[i] = lg - 0.5 * (lr + lb);
  }
  return o;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / double(v.size());
}

struct Moments {
  double mean_L, std_L, mean_a, mean_b, chroma_rms;
};

// Means over pixels; spreads over the 8x8 block means (weighted by the block's pixel count).
Moments moments(const Opponent& o, size_t width, size_t height) {
  Moments m{};
  m.mean_L = mean_of(o.L);
  m.mean_a = mean_of(o.a);
  m.mean_b = mean_of(o.b);
  const size_t bw = (width + kAppearanceBlock - 1) / kAppearanceBlock;
  const size_t bh = (height + kAppearanceBlock - 1) / kAppearanceBlock;
  std::vector<double> sL(bw * bh, 0.0), sa(bw * bh, 0.0), sb(bw * bh, 0.0), n(bw * bh, 0.0);
  for (size_t y = 0; y < height; ++y)
    for (size_t x = 0; x < width; ++x) {
      const size_t i = y * width + x, blk = (y / kAppearanceBlock) * bw + x / kAppearanceBlock;
      sL[blk] += o.L[i];
      sa[blk] += o.a[i];
      sb[blk] += o.b[i];
      n[blk] += 1;
    }
  double vl = 0, vc = 0, total = 0;
  for (size_t k = 0; k < n.size(); ++k) {
    if (n[k] == 0) continue;
    const double L = sL[k] / n[k] - m.mean_L, a = sa[k] / n[k] - m.mean_a, b = sb[k] / n[k] - m.mean_b;
    vl += n[k] * L * L;
    vc += n[k] * (a * a + b * b);
    total += n[k];
  }
  total = std::max(total, 1.0);
  m.std_L = std::sqrt(vl / total);
  m.chroma_rms = std::sqrt(vc / total);
  return m;
}

}  // namespace

const std::array<AppearanceFactorInfo, kAppearanceFactorCount> kAppearanceFactors = {{
    {"exposure", "EV", 1.0 / 256, -12.0, 4.0, -0.515, 0.895},
    {"contrast", "log2", 1.0 / 256, -10.0, 4.0, 0.244, 0.575},
    {"saturation", "log2", 1.0 / 256, -10.0, 4.0, -1.877, 0.872},
    {"temperature", "log2", 1.0 / 256, -8.0, 8.0, 0.219, 0.425},
    {"tint", "log2", 1.0 / 256, -8.0, 8.0, 0.118, 0.161},
}};

int appearance_factor_index(const std::string& name) {
  for (int k = 0; k < kAppearanceFactorCount; ++k)
    if (name == kAppearanceFactors[k].name) return k;
  return -1;
}

double srgb_to_linear(double v) {
  v = std::clamp(v, 0.0, 1.0);
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}

double linear_to_srgb(double v) {
  v = std::clamp(v, 0.0, 1.0);
  return v <= 0.0031308 ? v * 12.92 : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
}

AppearanceVector measure_appearance(const RgbPlanes& image) {
  const Moments m = moments(to_opponent(image), image.width, image.height);
  AppearanceVector f{};
  f[kExposure] = m.mean_L - kGreyEv;
  f[kContrast] = std::log2(std::max(m.std_L, kMinSpread));
  f[kSaturation] = std::log2(std::max(m.chroma_rms, kMinSpread));
  f[kTemperature] = m.mean_a;
  f[kTint] = m.mean_b;
  return f;
}

void apply_appearance_delta(RgbPlanes& image, const AppearanceVector& d) {
  Opponent o = to_opponent(image);
  const Moments m = moments(o, image.width, image.height);
  const double contrast = std::exp2(d[kContrast]), saturation = std::exp2(d[kSaturation]);
  for (size_t i = 0; i < image.pixels; ++i) {
    const double L = m.mean_L + d[kExposure] + contrast * (o.L[i] - m.mean_L);
    const double a = m.mean_a + d[kTemperature] + saturation * (o.a[i] - m.mean_a);
    const double b = m.mean_b + d[kTint] + saturation * (o.b[i] - m.mean_b);
    // Back: the luma from L, the chroma ratios from (a, b) (log2 u_R = t + a/2 - b/3,
    // log2 u_G = t + 2b/3, log2 u_B = t - a/2 - b/3, with t such that the BT.601 sum of u is 1).
    const double luma = linear_to_srgb(std::exp2(L) - kBlackOffset);
    double ur = std::exp2(a / 2 - b / 3), ug = std::exp2(2 * b / 3), ub = std::exp2(-a / 2 - b / 3);
    const double norm = kLumaR * ur + kLumaG * ug + kLumaB * ub;
    ur /= norm;
    ug /= norm;
    ub /= norm;
    const double base = luma + kChromaOffset;
    image.r[i] = float(std::clamp(ur * base - kChromaOffset, 0.0, 1.0));
    image.g[i] = float(std::clamp(ug * base - kChromaOffset, 0.0, 1.0));
    image.b[i] = float(std::clamp(ub * base - kChromaOffset, 0.0, 1.0));
  }
}

void impose_appearance(RgbPlanes& image, const AppearanceVector& target) {
  const AppearanceVector now = measure_appearance(image);
  AppearanceVector d{};
  for (int k = 0; k < kAppearanceFactorCount; ++k) d[k] = target[k] - now[k];
  apply_appearance_delta(image, d);
}

}  // namespace facet
