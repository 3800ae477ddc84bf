// The deterministic convolution's kernel with 8-float vectors, compiled with -mavx2 and without
// FMA (CMakeLists.txt): the same bits as the baseline build (hyper_conv_kernel.h), about twice the
// work per instruction. Called only where the CPU has AVX2 (hyper_synthesis.cpp).
#include "model/hyper_conv_kernel.h"

namespace facet {

typedef float Float8 __attribute__((vector_size(32)));

void conv_channels_avx2(const Conv3x3Weights& w, const FeatureMap& padded, int begin, int end, FeatureMap* output) {
  conv_channels_with<Float8, 4, 2>(w, padded, begin, end, output);
}

}  // namespace facet
