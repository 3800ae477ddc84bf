// The deterministic 3x3 convolution of the entropy path (model/hyper_synthesis.h): bit-identical to
// the plain loop that defines its order of terms (FORMAT.md §8), for every row width and thread
// count; files written before its register-strip form decode to the same symbols.
#include <cmath>
#include <cstring>
#include <random>

#include <catch2/catch.hpp>

#include "model/hyper_synthesis.h"

namespace facet {
namespace {

// The definition: each output is bias + sum over (input channel, kernel row, kernel column), in that
// order, each product and sum rounded separately, zero padding.
FeatureMap reference_conv3x3(const Conv3x3Weights& w, const FeatureMap& in) {
  FeatureMap out;
  out.channels = w.out;
  out.height = in.height;
  out.width = in.width;
  out.data.resize(size_t(w.out) * in.height * in.width);
  for (int oc = 0; oc < w.out; ++oc)
    for (int y = 0; y < in.height; ++y)
      for (int x = 0; x < in.width; ++x) {
        float acc = w.bias[oc];
        for (int ic = 0; ic < w.in; ++ic)
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int sy = y + ky - 1, sx = x + kx - 1;
              const float v = (sy < 0 || sx < 0 || sy >= in.height || sx >= in.width)
                                  ? 0.0f
                                  : in.plane(ic)[size_t(sy) * in.width + sx];
              acc = acc + w.weight[((size_t(oc) * w.in + ic) * 3 + ky) * 3 + kx] * v;
            }
        out.plane(oc)[size_t(y) * in.width + x] = acc;
      }
  return out;
}

TEST_CASE("DeterministicConvMatchesItsDefinitionBitForBit", "[model][determinism]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Conv3x3Weights w;
  w.in = 7;
  w.out = 9;  // two blocks of four channels (AVX2), four of two (baseline), and a channel left over
  for (int i = 0; i < w.out * w.in * 9; ++i) w.weight.push_back(normal(rng) * 0.3f);
  for (int i = 0; i < w.out; ++i) w.bias.push_back(normal(rng));
  for (int width : {1, 3, 4, 5, 15, 16, 17, 20, 33, 48}) {
    CAPTURE(width);
    FeatureMap in;
    in.channels = w.in;
    in.height = 3;
    in.width = width;
    for (int i = 0; i < w.in * 3 * width; ++i) in.data.push_back(std::round(normal(rng) * 4.0f));  // like z
    const FeatureMap expected = reference_conv3x3(w, in);
    for (ConvKernel kernel : {ConvKernel::kAuto, ConvKernel::kBaseline, ConvKernel::kAvx2}) {
      if (!conv_kernel_available(kernel)) continue;  // AVX2: on CPUs that have it
      CAPTURE(int(kernel));
      for (int threads : {1, 2, 3}) {
        const FeatureMap got = conv3x3(w, in, threads, kernel);
        REQUIRE(got.data.size() == expected.data.size());
        CHECK(std::memcmp(got.data.data(), expected.data.data(), sizeof(float) * got.data.size()) == 0);
      }
    }
  }
}

}  // namespace
}  // namespace facet
