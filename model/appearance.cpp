// Appearance factors: measurement and transforms in the log-opponent space of appearance.h.
#include "model/appearance.h"

#include <algorithm>
#include <cmath>

#include "common/parallel.h"

namespace facet {
namespace {

constexpr double kBlackOffset = 1.0 / 256.0;   // L = log2(lin(Y) + kBlackOffset): keeps black finite
constexpr double kChromaOffset = 1.0 / 8.0;    // l_c = log2(v_c + kChromaOffset): dark channels do not
                                               // dominate the colour statistics
constexpr double kMinSpread = 1.0 / 1024.0;    // floor of the spreads (a flat or grey image)
const double kGreyEv = std::log2(0.18);

enum { kExposure = 0, kContrast = 1, kSaturation = 2, kTemperature = 3, kTint = 4 };

constexpr double kLumaR = 0.299, kLumaG = 0.587, kLumaB = 0.114;  // BT.601

// A pixel's (L, a, b) (appearance.h).
struct Opponent {
  double L, a, b;
};

inline Opponent opponent_of(float red, float green, float blue) {
  const double r = std::clamp(double(red), 0.0, 1.0), g = std::clamp(double(green), 0.0, 1.0),
               b = std::clamp(double(blue), 0.0, 1.0);
  const double luma = kLumaR * r + kLumaG * g + kLumaB * b;
  const double lr = std::log2(r + kChromaOffset), lg = std::log2(g + kChromaOffset), lb = std::log2(b + kChromaOffset);
  return {std::log2(srgb_to_linear(luma) + kBlackOffset), lr - lb, lg - 0.5 * (lr + lb)};
}

struct Moments {
  double mean_L, std_L, mean_a, mean_b, chroma_rms;
};

// Means over pixels; spreads over the 8x8 block means (weighted by the block's pixel count). Each
// band of blocks sums its own pixels (the bands run on `threads`), and the means add the block sums
// in block order: the same numbers for any thread count.
// read(i) gives pixel i's (r, g, b) as floats.
template <typename Read>
Moments moments(size_t width, size_t height, int threads, const Read& read) {
  const size_t bw = (width + kAppearanceBlock - 1) / kAppearanceBlock;
  const size_t bh = (height + kAppearanceBlock - 1) / kAppearanceBlock;
  std::vector<double> sL(bw * bh, 0.0), sa(bw * bh, 0.0), sb(bw * bh, 0.0), n(bw * bh, 0.0);
  parallel_ranges(bh, threads, [&](size_t band_begin, size_t band_end) {
    for (size_t y = band_begin * kAppearanceBlock; y < std::min(height, band_end * kAppearanceBlock); ++y) {
      const size_t row = y * width, blocks = (y / kAppearanceBlock) * bw;
      for (size_t xx = 0; xx < width; ++xx) {
        const auto [r, g, b] = read(row + xx);
        const Opponent o = opponent_of(r, g, b);
        const size_t blk = blocks + xx / kAppearanceBlock;
        sL[blk] += o.L;
        sa[blk] += o.a;
        sb[blk] += o.b;
        n[blk] += 1;
      }
    }
  });
  Moments m{};
  double total = 0;
  for (size_t k = 0; k < n.size(); ++k) {
    m.mean_L += sL[k];
    m.mean_a += sa[k];
    m.mean_b += sb[k];
    total += n[k];
  }
  total = std::max(total, 1.0);
  m.mean_L /= total;
  m.mean_a /= total;
  m.mean_b /= total;
  double vl = 0, vc = 0;
  for (size_t k = 0; k < n.size(); ++k) {
    if (n[k] == 0) continue;
    const double L = sL[k] / n[k] - m.mean_L, a = sa[k] / n[k] - m.mean_a, b = sb[k] / n[k] - m.mean_b;
    vl += n[k] * L * L;
    vc += n[k] * (a * a + b * b);
  }
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

namespace {

AppearanceVector factors_of(const Moments& m) {
  AppearanceVector f{};
  f[kExposure] = m.mean_L - kGreyEv;
  f[kContrast] = std::log2(std::max(m.std_L, kMinSpread));
  f[kSaturation] = std::log2(std::max(m.chroma_rms, kMinSpread));
  f[kTemperature] = m.mean_a;
  f[kTint] = m.mean_b;
  return f;
}

// T_d of every pixel, given the image's moments: each pixel on its own, rows split over threads.
// read(i) gives pixel i's (r, g, b); write(i, r, g, b) stores the result.
template <typename Read, typename Write>
void apply_with_moments(size_t width, size_t height, const AppearanceVector& d, const Moments& m, int threads,
                        const Read& read, const Write& write) {
  const double contrast = std::exp2(d[kContrast]), saturation = std::exp2(d[kSaturation]);
  parallel_ranges(height, threads, [&](size_t row_begin, size_t row_end) {
    for (size_t i = row_begin * width; i < row_end * width; ++i) {
      const auto [red, green, blue] = read(i);
      const Opponent o = opponent_of(red, green, blue);
      const double L = m.mean_L + d[kExposure] + contrast * (o.L - m.mean_L);
      const double a = m.mean_a + d[kTemperature] + saturation * (o.a - m.mean_a);
      const double b = m.mean_b + d[kTint] + saturation * (o.b - m.mean_b);
      // Back: the luma from L, the chroma ratios from (a, b) (log2 u_R = t + a/2 - b/3,
      // log2 u_G = t + 2b/3, log2 u_B = t - a/2 - b/3, with t such that the BT.601 sum of u is 1).
      const double luma = linear_to_srgb(std::exp2(L) - kBlackOffset);
      double ur = std::exp2(a / 2 - b / 3), ug = std::exp2(2 * b / 3), ub = std::exp2(-a / 2 - b / 3);
      const double norm = kLumaR * ur + kLumaG * ug + kLumaB * ub;
      ur /= norm;
      ug /= norm;
      ub /= norm;
      const double base = luma + kChromaOffset;
      write(i, float(std::clamp(ur * base - kChromaOffset, 0.0, 1.0)),
            float(std::clamp(ug * base - kChromaOffset, 0.0, 1.0)), float(std::clamp(ub * base - kChromaOffset, 0.0, 1.0)));
    }
  });
}

struct Rgb {
  float r, g, b;
};

auto planes_reader(const RgbPlanes& x) {
  return [&x](size_t i) { return Rgb{x.r[i], x.g[i], x.b[i]}; };
}
auto planes_writer(RgbPlanes& x) {
  return [&x](size_t i, float r, float g, float b) {
    x.r[i] = r;
    x.g[i] = g;
    x.b[i] = b;
  };
}

// The delta that moves an image of moments m to `target` (only exposure and contrast: kLuminance).
AppearanceVector delta_to(const Moments& m, const AppearanceVector& target, ImposedFactors which) {
  const AppearanceVector now = factors_of(m);
  AppearanceVector d{};
  for (int k = 0; k < kAppearanceFactorCount; ++k) d[k] = target[k] - now[k];
  if (which == ImposedFactors::kLuminance) d[kSaturation] = d[kTemperature] = d[kTint] = 0.0;
  return d;
}

}  // namespace

AppearanceVector measure_appearance(const RgbPlanes& image, int threads) {
  return factors_of(moments(image.width, image.height, threads, planes_reader(image)));
}

void apply_appearance_delta(RgbPlanes& image, const AppearanceVector& d, int threads) {
  const Moments m = moments(image.width, image.height, threads, planes_reader(image));
  apply_with_moments(image.width, image.height, d, m, threads, planes_reader(image), planes_writer(image));
}

void impose_appearance(RgbPlanes& image, const AppearanceVector& target, int threads, ImposedFactors which) {
  const Moments m = moments(image.width, image.height, threads, planes_reader(image));
  apply_with_moments(image.width, image.height, delta_to(m, target, which), m, threads, planes_reader(image),
                     planes_writer(image));
}

namespace {

// Each sample as the planes hold it (sample * (1/255) or * (1/65535) in float, image_planes).
auto samples_reader(const InterleavedSamples& image) {
  const float scale = image.bits == 16 ? 1.0f / 65535.0f : 1.0f / 255.0f;
  const int channels = image.channels;
  const bool gray = image.colors == 1;
  const uint16_t* samples = image.samples;
  return [=](size_t i) {
    const uint16_t* s = samples + i * channels;
    return gray ? Rgb{s[0] * scale, s[0] * scale, s[0] * scale} : Rgb{s[0] * scale, s[1] * scale, s[2] * scale};
  };
}

}  // namespace

AppearanceVector measure_appearance(const InterleavedSamples& image, int threads) {
  return factors_of(moments(image.width, image.height, threads, samples_reader(image)));
}

void impose_appearance(const InterleavedSamples& image, const AppearanceVector& target, int threads,
                       ImposedFactors which) {
  // The samples read as the planes hold them, written back as 8-bit samples (round(clamp(v) * 255);
  // a gray image stores the mean of the three): the same numbers as through RgbPlanes, without them.
  const int channels = image.channels;
  const bool gray = image.colors == 1;
  uint16_t* samples = image.samples;
  const auto read = samples_reader(image);
  auto q = [](float v) { return uint16_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
  auto write = [&](size_t i, float r, float g, float b) {
    uint16_t* s = samples + i * channels;
    if (gray) {
      s[0] = q((r + g + b) / 3.0f);
    } else {
      s[0] = q(r);
      s[1] = q(g);
      s[2] = q(b);
    }
  };
  const Moments m = moments(image.width, image.height, threads, read);
  apply_with_moments(image.width, image.height, delta_to(m, target, which), m, threads, read, write);
}

}  // namespace facet
