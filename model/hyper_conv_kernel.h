// The deterministic 3x3 convolution's inner kernel, included by hyper_synthesis.cpp (baseline
// x86-64: 4-float vectors) and hyper_synthesis_avx2.cpp (compiled with -mavx2, no FMA: 8-float
// vectors), each in its own anonymous namespace. Every output element is the sum in the normative
// order (bias, then input channel, kernel row, kernel column; FORMAT.md §8), each product and sum
// rounded on its own (-ffp-contract=off, and no FMA instructions in either build): a lane of a
// vector computes exactly what the scalar expression computes, so both builds, any strip width and
// any thread split give the same bits. Only the loads differ: a block of OC output channels x a
// strip of outputs keeps its sums in registers and reads each input vector once for all OC.
#pragma once

#include <cstddef>
#include <cstring>

#include "model/hyper_synthesis.h"

namespace facet {
namespace {

template <typename Vec>
constexpr int lanes() {
  return int(sizeof(Vec) / sizeof(float));
}

template <typename Vec>
inline Vec load_vec(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Every lane k (once per block, for the bias).
template <typename Vec>
inline Vec splat(float k) {
  float values[lanes<Vec>()];
  for (float& value : values) value = k;
  return load_vec<Vec>(values);
}

// Output channels [oc, oc + OC) x outputs [x0, x0 + V lanes) of row y.
template <typename Vec, int OC, int V>
void conv_block(const Conv3x3Weights& w, const FeatureMap& padded, int oc, int y, int x0, FeatureMap* output) {
  constexpr int L = lanes<Vec>();
  const int pw = padded.width;
  Vec acc[OC][V];
  for (int o = 0; o < OC; ++o)
    for (int v = 0; v < V; ++v) acc[o][v] = splat<Vec>(w.bias[oc + o]);
  const size_t kernel_stride = size_t(w.in) * 9;
  const float* kernel = w.weight.data() + size_t(oc) * kernel_stride;
  const size_t plane = size_t(padded.height) * pw;
  const float* in = padded.data.data() + size_t(y) * pw + x0;
  for (int ic = 0; ic < w.in; ++ic, in += plane, kernel += 9) {
    for (int ky = 0; ky < 3; ++ky) {
      const float* row = in + size_t(ky) * pw;
      for (int kx = 0; kx < 3; ++kx) {
        Vec x[V];
        for (int v = 0; v < V; ++v) x[v] = load_vec<Vec>(row + kx + L * v);
        for (int o = 0; o < OC; ++o) {
          // A scalar times a vector: the scalar broadcast to every lane (one instruction).
          const float weight = kernel[o * kernel_stride + ky * 3 + kx];
          for (int v = 0; v < V; ++v) acc[o][v] = acc[o][v] + weight * x[v];
        }
      }
    }
  }
  for (int o = 0; o < OC; ++o)
    std::memcpy(output->plane(oc + o) + size_t(y) * output->width + x0, acc[o], sizeof acc[o]);
}

// One output, the same terms in the same order.
inline void conv_one(const Conv3x3Weights& w, const FeatureMap& padded, int oc, int y, int x, float* out) {
  const int pw = padded.width;
  float acc = w.bias[oc];
  const float* kernel = w.weight.data() + size_t(oc) * w.in * 9;
  const size_t plane = size_t(padded.height) * pw;
  const float* in = padded.data.data() + size_t(y) * pw + x;
  for (int ic = 0; ic < w.in; ++ic, in += plane, kernel += 9)
    for (int ky = 0; ky < 3; ++ky)
      for (int kx = 0; kx < 3; ++kx) acc = acc + kernel[ky * 3 + kx] * in[size_t(ky) * pw + kx];
  *out = acc;
}

// Output channels [begin, end): blocks of OC channels x strips of V vectors, then single channels
// and the row's tail output by output.
template <typename Vec, int OC, int V>
void conv_channels_with(const Conv3x3Weights& w, const FeatureMap& padded, int begin, int end, FeatureMap* output) {
  constexpr int strip = lanes<Vec>() * V, lane = lanes<Vec>();
  const int h = output->height, width = output->width;
  int oc = begin;
  for (; oc + OC <= end; oc += OC)
    for (int y = 0; y < h; ++y) {
      int x = 0;
      for (; x + strip <= width; x += strip) conv_block<Vec, OC, V>(w, padded, oc, y, x, output);
      for (; x + lane <= width; x += lane) conv_block<Vec, OC, 1>(w, padded, oc, y, x, output);
      for (; x < width; ++x)
        for (int o = 0; o < OC; ++o) conv_one(w, padded, oc + o, y, x, output->plane(oc + o) + size_t(y) * width + x);
    }
  for (; oc < end; ++oc)
    for (int y = 0; y < h; ++y) {
      int x = 0;
      for (; x + lane <= width; x += lane) conv_block<Vec, 1, 1>(w, padded, oc, y, x, output);
      for (; x < width; ++x) conv_one(w, padded, oc, y, x, output->plane(oc) + size_t(y) * width + x);
    }
}

}  // namespace
}  // namespace facet
