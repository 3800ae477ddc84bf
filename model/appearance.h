// Appearance factors of a photo: global scalars measured on the image, whose meaning is fixed by
// construction. Each is a statistic of the image in a log-opponent colour space, and each has a
// photometric transform that moves it, and only it, by exactly delta:
//
//   measure(apply_delta(x, d)) = measure(x) + d        (before clipping to the 8-bit range)
//
// so an edit of a stored factor by d decodes to the transform T_d of the image, and the factors
// are disentangled from each other by construction (the transforms commute). Plain C++ (no
// LibTorch): the same code runs at encode, decode, in `facet eval factors` and in the tests.
//
// The space is anchored on BT.601 luma, so that the luminance factors of a colour image and of its
// grayscale version (the decode without chroma) are the same, and the colour factors never move
// luma. With v_R, v_G, v_B the sRGB-encoded samples in [0, 1]:
//   Y = 0.299 v_R + 0.587 v_G + 0.114 v_B     BT.601 luma
//   L = log2(srgb_to_linear(Y) + 2^-8)        the luma's linear light, EV
//   l_c = log2(v_c + 2^-3)                      per encoded channel (the offset keeps the noise of
//                                               near-zero channels out of the colour statistics)
//   a = l_R - l_B                               warm (+) / cool (-) axis
//   b = l_G - (l_R + l_B) / 2                   green (+) / magenta (-) axis
// A pixel is (L, a, b): the chroma ratios u_c = (v_c + 2^-3) / (Y + 2^-3) have a weighted sum of 1,
// so (a, b) fix them, and v_c = u_c (Y + 2^-3) - 2^-3 gives the pixel back. A gray pixel has
// a = b = 0. The factors (means and deviations over all pixels):
//   exposure     mean(L) - log2(0.18)                        EV above 18% grey
//   contrast     log2(std(L8))                                log2 of the EV spread; +1 doubles it
//   saturation   log2(rms of (a8, b8) - mean(a, b))           log2 chroma spread; +1 doubles it
// where L8, a8, b8 are the means of L, a, b over 8x8 pixel blocks (edge blocks weighted by their
// pixel count): the spreads of the image's coarse structure, which a lossy decode keeps, so that
// showing the stored spreads does not sharpen or soften a decoded image's fine detail.
//   temperature  mean(a)                                      log2 of encoded red over blue
//   tint         mean(b)                                      log2 of encoded green over red and blue
// The transform T_d: L' = mean(L) + d_exposure + 2^d_contrast (L - mean(L)),
//   (a', b') = mean(a, b) + (d_temperature, d_tint) + 2^d_saturation ((a, b) - mean(a, b)),
// back to sRGB, clipped to [0, 1]. Exposure and contrast act on luma alone (every channel scaled
// alike); saturation, temperature and tint keep each pixel's luma.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace facet {

constexpr int kAppearanceFactorCount = 5;
constexpr int kAppearanceBlock = 8;  // the spreads are measured on 8x8 block means

struct AppearanceFactorInfo {
  const char* name;  // the factor's name in files and on the command line
  const char* unit;
  double quant_step;      // stored value = symbol * quant_step
  double min, max;        // stored values are clamped to this range
  // The prior the stream is coded against (a discretized Gaussian over [min, max]): the mean and
  // standard deviation over the 2094 training crops (256x256) of the shipped models' data. A
  // dropped factor decodes as prior_mean.
  double prior_mean, prior_sigma;
};
extern const std::array<AppearanceFactorInfo, kAppearanceFactorCount> kAppearanceFactors;

using AppearanceVector = std::array<double, kAppearanceFactorCount>;

// Index of a factor by name, or -1.
int appearance_factor_index(const std::string& name);

// Planar float RGB in [0, 1] (sRGB-encoded): r, g, b planes of `pixels` values each.
struct RgbPlanes {
  size_t width = 0, height = 0;
  size_t pixels = 0;  // width * height
  std::vector<float> r, g, b;
};

// `threads` splits the pixels (bands of 8x8 blocks, rows); the numbers are the same for any count.
AppearanceVector measure_appearance(const RgbPlanes& image, int threads = 1);

// Applies T_delta in place (clipping to [0, 1] at the end). The transform acts on each pixel's
// (L, a, b) by the same affine map, so block means move with it and the identity above holds.
void apply_appearance_delta(RgbPlanes& image, const AppearanceVector& delta, int threads = 1);

// Moves the image from its own factors to `target` (apply_appearance_delta with target - measured,
// measuring once). kLuminance moves exposure and contrast only (a decode without chroma).
enum class ImposedFactors { kAll, kLuminance };
void impose_appearance(RgbPlanes& image, const AppearanceVector& target, int threads = 1,
                       ImposedFactors which = ImposedFactors::kAll);

// Samples held in 16-bit words, interleaved, `channels` a pixel of which the first `colors` (1:
// gray, 3: RGB) are colour, of `bits` 8 (0..255: a decoder's image before any 16-bit alpha widens
// it) or 16 (an encoder's 16-bit input, measured only).
struct InterleavedSamples {
  uint16_t* samples = nullptr;
  size_t width = 0, height = 0;
  int channels = 3, colors = 3;
  int bits = 8;
};
// measure_appearance of such samples: the same numbers as of image_planes(image).
AppearanceVector measure_appearance(const InterleavedSamples& image, int threads = 1);
// impose_appearance in place on 8-bit samples, with the same result as through RgbPlanes
// (image_planes, impose_appearance, put_planes) and without their 12 bytes a pixel.
void impose_appearance(const InterleavedSamples& image, const AppearanceVector& target, int threads = 1,
                       ImposedFactors which = ImposedFactors::kAll);

// sRGB transfer functions (IEC 61966-2-1).
double srgb_to_linear(double v);
double linear_to_srgb(double v);

}  // namespace facet
