// Deterministic hyper-synthesis: every output element is a sum in the order (input channel,
// kernel row, kernel column), each product and sum rounded separately (-ffp-contract=off), so any
// vector width or thread split gives the same bits.
#include "model/hyper_synthesis.h"

#include "model/hyper_conv_kernel.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <thread>

namespace facet {

#if defined(__x86_64__) && defined(FACET_HYPER_AVX2)
void conv_channels_avx2(const Conv3x3Weights& w, const FeatureMap& padded, int begin, int end, FeatureMap* output);
#endif

namespace {

Status validate_conv(const Conv3x3Weights& c, const char* name) {
  FACET_RETURN_ERROR_IF(c.in < 1 || c.out < 1 ||
                            c.weight.size() != size_t(c.out) * c.in * 9 ||
                            c.bias.size() != size_t(c.out),
                        kCorrupt, std::string("hyper-synthesis layer ") + name + " has bad shapes");
  return ok_status();
}

// Four floats as one value of GCC's and clang's vector extensions: element-wise IEEE operations,
// so each lane computes exactly what the scalar expression computes (no FMA: -ffp-contract=off).
typedef float Float4 __attribute__((vector_size(16)));

bool cpu_has_avx2() {
#if defined(__x86_64__) && defined(FACET_HYPER_AVX2)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
#else
  return false;
#endif
}

// Output channels [begin, end) of a 3x3 convolution over a zero-padded copy of the input: the AVX2
// build of the kernel (four output channels x 16 outputs in registers) where the CPU has it, else
// 4-float vectors (two output channels x 16 outputs): the same bits (hyper_conv_kernel.h).
void conv_channels(const Conv3x3Weights& w, const FeatureMap& padded, int begin, int end, FeatureMap* output,
                   ConvKernel kernel) {
#if defined(__x86_64__) && defined(FACET_HYPER_AVX2)
  if (kernel == ConvKernel::kAvx2 || (kernel == ConvKernel::kAuto && cpu_has_avx2()))
    return conv_channels_avx2(w, padded, begin, end, output);
#endif
  conv_channels_with<Float4, 2, 4>(w, padded, begin, end, output);
}

}  // namespace

int32_t scale_table_index(float raw, const std::vector<float>& thresholds) {
  const auto at = std::lower_bound(thresholds.begin(), thresholds.end(), raw) - thresholds.begin();
  return int32_t(std::min<std::ptrdiff_t>(at, std::ptrdiff_t(thresholds.size()) - 1));
}

Status HyperSynthesisWeights::validate() const {
  FACET_RETURN_IF_ERROR(validate_conv(up1, "up1"));
  FACET_RETURN_IF_ERROR(validate_conv(up2, "up2"));
  FACET_RETURN_IF_ERROR(validate_conv(out, "out"));
  FACET_RETURN_ERROR_IF(up1.out != 4 * up1.in || up2.in != up1.in || up2.out != up1.out ||
                            out.in != up1.in || out.out % 2 != 0,
                        kCorrupt, "hyper-synthesis layers do not chain");
  FACET_RETURN_ERROR_IF(scale_thresholds.empty(), kCorrupt, "no scale thresholds");
  for (size_t i = 1; i < scale_thresholds.size(); ++i)
    FACET_RETURN_ERROR_IF(!(scale_thresholds[i] > scale_thresholds[i - 1]), kCorrupt,
                          "scale thresholds are not increasing");
  return ok_status();
}

bool conv_kernel_available(ConvKernel kernel) { return kernel != ConvKernel::kAvx2 || cpu_has_avx2(); }

FeatureMap conv3x3(const Conv3x3Weights& w, const FeatureMap& input, int threads, ConvKernel kernel) {
  if (!conv_kernel_available(kernel)) kernel = ConvKernel::kBaseline;
  FeatureMap padded;
  padded.channels = input.channels;
  padded.height = input.height + 2;
  padded.width = input.width + 2;
  padded.data.assign(size_t(padded.channels) * padded.height * padded.width, 0.0f);
  for (int c = 0; c < input.channels; ++c)
    for (int y = 0; y < input.height; ++y)
      std::copy_n(input.plane(c) + size_t(y) * input.width, input.width,
                  padded.plane(c) + size_t(y + 1) * padded.width + 1);

  FeatureMap output;
  output.channels = w.out;
  output.height = input.height;
  output.width = input.width;
  output.data.resize(size_t(w.out) * input.height * input.width);
  threads = std::max(1, std::min(threads, w.out));
  if (threads == 1) {
    conv_channels(w, padded, 0, w.out, &output, kernel);
    return output;
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    const int begin = w.out * t / threads, end = w.out * (t + 1) / threads;
    pool.emplace_back(conv_channels, std::cref(w), std::cref(padded), begin, end, &output, kernel);
  }
  for (auto& thread : pool) thread.join();
  return output;
}

FeatureMap pixel_shuffle_relu(const FeatureMap& input) {
  FeatureMap out;
  out.channels = input.channels / 4;
  out.height = input.height * 2;
  out.width = input.width * 2;
  out.data.resize(size_t(out.channels) * out.height * out.width);
  for (int c = 0; c < out.channels; ++c)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const float* in = input.plane(c * 4 + i * 2 + j);
        float* o = out.plane(c);
        for (int y = 0; y < input.height; ++y)
          for (int x = 0; x < input.width; ++x)
            o[size_t(2 * y + i) * out.width + 2 * x + j] = std::max(in[size_t(y) * input.width + x], 0.0f);
      }
  return out;
}

StatusOr<HyperSynthesisResult> run_hyper_synthesis(const HyperSynthesisWeights& weights,
                                                   const std::vector<int32_t>& z_symbols,
                                                   int z_height, int z_width, int threads) {
  FACET_RETURN_IF_ERROR(weights.validate());
  FACET_RETURN_ERROR_IF(z_height < 1 || z_width < 1 ||
                            z_symbols.size() != size_t(weights.up1.in) * z_height * z_width,
                        kInvalidArgument, "hyper-latent shape does not match the model");
  FeatureMap z;
  z.channels = weights.up1.in;
  z.height = z_height;
  z.width = z_width;
  z.data.assign(z_symbols.begin(), z_symbols.end());

  FeatureMap h = pixel_shuffle_relu(conv3x3(weights.up1, z, threads));
  h = pixel_shuffle_relu(conv3x3(weights.up2, h, threads));
  FeatureMap raw = conv3x3(weights.out, h, threads);

  const int m = weights.out.out / 2;
  const size_t plane = size_t(raw.height) * raw.width;
  HyperSynthesisResult result;
  result.means.channels = m;
  result.means.height = raw.height;
  result.means.width = raw.width;
  result.means.data.assign(raw.data.begin(), raw.data.begin() + m * plane);
  result.scale_raw.channels = m;
  result.scale_raw.height = raw.height;
  result.scale_raw.width = raw.width;
  result.scale_raw.data.assign(raw.data.begin() + m * plane, raw.data.end());
  result.indexes.resize(m * plane);
  for (size_t i = 0; i < m * plane; ++i)
    result.indexes[i] = scale_table_index(result.scale_raw.data[i], weights.scale_thresholds);
  return result;
}

}  // namespace facet
