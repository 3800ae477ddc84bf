// Distortion metrics of a decoded image against its original: PSNR-RGB, PSNR-Y and MS-SSIM.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "formats/image.h"

namespace facet {

// PSNR of identical images is infinite; it is reported as this cap so that means over images and
// JSON output stay finite (an MSE below 255^2 / 10^10 ~ 6.5e-6).
constexpr double kPsnrCapDb = 100.0;

// The smallest width and height MS-SSIM accepts: 5 scales with 2x2 pooling leave 176 / 16 = 11
// pixels at the coarsest scale, one 11x11 window.
constexpr uint32_t kMsSsimMinDimension = 176;

// All metrics take two 8-bit images of the same size and channel count; alpha is ignored and
// gray images are measured on their one channel. Anything else is kInvalidArgument.

// 10 log10(255^2 / MSE), the MSE over every colour sample of the image (R, G and B together).
// A mean over images of this per-image value is the convention of CompressAI's published curves.
StatusOr<double> psnr_rgb(const Image& original, const Image& decoded);

// PSNR of the luma Y = 0.299 R + 0.587 G + 0.114 B (BT.601 weights, full range 0..255, kept as a
// real number: no rounding to 8 bits and no 16..235 studio range), peak 255.
StatusOr<double> psnr_y(const Image& original, const Image& decoded);

// Single-scale SSIM (Wang et al. 2004) with an 11x11 Gaussian window of sigma 1.5 over the valid
// region (no padding), K1 = 0.01, K2 = 0.03, L = 255, computed on each colour channel and averaged.
// `contrast_structure` is the same mean without the luminance term (the cs of MS-SSIM).
struct SsimValue {
  double ssim = 0;
  double contrast_structure = 0;
};
StatusOr<SsimValue> ssim(const Image& original, const Image& decoded);

// MS-SSIM (Wang, Simoncelli, Bovik 2003): 5 scales, the SSIM window above at each, 2x2 average
// pooling between scales (a trailing odd row or column is dropped), weights
// (0.0448, 0.2856, 0.3001, 0.2363, 0.1333): prod_{j<5} cs_j^w_j * ssim_5^w_5. Negative cs or ssim
// values are clamped to 0 before the power, as pytorch_msssim does. Computed on each colour
// channel separately and averaged over channels. Images smaller than kMsSsimMinDimension on
// either side are kInvalidArgument.
StatusOr<double> ms_ssim(const Image& original, const Image& decoded);

}  // namespace facet
