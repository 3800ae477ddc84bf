// The hyper-synthesis h_s on the deterministic path: plain C++ float loops in a fixed order
// (no LibTorch, no FMA contraction, no transcendental functions), shared by encoder and decoder,
// so that the Gaussian means and table indexes are bit-identical on every machine and thread
// count (FORMAT.md §8). Mirrors PhotoModel::hyper_synthesis.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"

namespace facet {

// One 3x3 convolution (stride 1, zero padding 1): weight [out, in, 3, 3], bias [out].
struct Conv3x3Weights {
  int in = 0, out = 0;
  std::vector<float> weight;
  std::vector<float> bias;
};

// A CHW float plane stack.
struct FeatureMap {
  int channels = 0, height = 0, width = 0;
  std::vector<float> data;
  float* plane(int c) { return data.data() + size_t(c) * height * width; }
  const float* plane(int c) const { return data.data() + size_t(c) * height * width; }
};

struct HyperSynthesisWeights {
  Conv3x3Weights up1;  // hyper_n -> 4 hyper_n, then PixelShuffle(2), ReLU
  Conv3x3Weights up2;  // hyper_n -> 4 hyper_n, then PixelShuffle(2), ReLU
  Conv3x3Weights out;  // hyper_n -> 2 m: means, then raw scales
  // Table index k of an element is the smallest k with scale_raw <= scale_thresholds[k], i.e.
  // softplus^-1 of the Gaussian scale table, computed once at export (the last index otherwise).
  std::vector<float> scale_thresholds;

  Status validate() const;
};

struct HyperSynthesisResult {
  FeatureMap means;              // [m, 4 zh, 4 zw]
  FeatureMap scale_raw;          // [m, 4 zh, 4 zw]: the raw scales (group context reads them)
  std::vector<int32_t> indexes;  // Gaussian table index per element, same layout as means
};

// z_symbols: [hyper_n, zh, zw] integers (the decoded hyper-latent). `threads` only splits work
// over output channels; the result does not depend on it.
StatusOr<HyperSynthesisResult> run_hyper_synthesis(const HyperSynthesisWeights& weights,
                                                   const std::vector<int32_t>& z_symbols,
                                                   int z_height, int z_width, int threads);

// The Gaussian table index of a raw scale: the smallest k with raw <= thresholds[k] (the last
// index when none is), FORMAT.md §8.
int32_t scale_table_index(float raw, const std::vector<float>& thresholds);

// Building blocks, exposed for tests (and the group context, model/group_context.h).
// The kernel that computes it: kAuto is the AVX2 build where the CPU has AVX2, else the baseline
// (4-float vectors); all give the same bits (the tests run each one the machine can).
enum class ConvKernel { kAuto, kBaseline, kAvx2 };
bool conv_kernel_available(ConvKernel kernel);
FeatureMap conv3x3(const Conv3x3Weights& w, const FeatureMap& input, int threads,
                   ConvKernel kernel = ConvKernel::kAuto);
FeatureMap pixel_shuffle_relu(const FeatureMap& input);

}  // namespace facet
