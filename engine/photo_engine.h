// The photo model's transforms for coding on oneDNN, without LibTorch: the analysis g_a, the
// hyper-analysis h_a and the synthesis g_s (with its per-rate scales), and the rate points' gains.
// The deterministic hyper-synthesis and group context stay in model/ (the entropy path).
#pragma once

#include <memory>
#include <vector>

#include "common/precision.h"
#include "common/status.h"
#include "formats/safetensors.h"
#include "model/model_config.h"

namespace facet {

// Every call computes on the calling thread alone (oneDNN at one OpenMP thread there), so that a
// tile's numbers never depend on how many tiles run beside it (codec/tiles.h). Calls may run at
// once from several threads on one engine: oneDNN primitives are made once per layer, tile shape
// and precision, kept in a cache, and each call brings its own scratch memory.
class PhotoEngine {
 public:
  // The weights of a photo model's weights file (F32, F16 or BF16), checked against `config`
  // (names and shapes), converted once into oneDNN's layouts as each shape first needs them.
  static StatusOr<std::shared_ptr<PhotoEngine>> create(const TensorFile& file, const ModelConfig& config);
  ~PhotoEngine();
  PhotoEngine(const PhotoEngine&) = delete;
  PhotoEngine& operator=(const PhotoEngine&) = delete;

  const ModelConfig& config() const;

  // Whether `precision` (resolved: kFp32 or kBf16) has fast kernels on this CPU; kBf16 needs
  // avx512_bf16 or AMX (oneDNN has only reference kernels for it elsewhere).
  static Status check_precision(TransformPrecision precision);

  // g_a on one tile: x [3, h, w] planar floats in [0, 1], h and w multiples of 16, into
  // y [m, h/16, w/16] (before the rate point's gain).
  Status analysis(const float* x, int h, int w, TransformPrecision precision, float* y) const;
  // h_a (fp32): y [m, lh, lw] (gain applied), lh and lw multiples of 4, into z [hyper_n, lh/4, lw/4]
  // (before rounding).
  Status hyper_analysis(const float* y, int lh, int lw, float* z) const;
  // g_s on one tile: y_hat [m, lh, lw] (inverse gain applied) into x [3, 16 lh, 16 lw] (not
  // clamped). scales: synthesis_scales() of the rate position, or empty for a model without them.
  Status synthesis(const float* y_hat, int lh, int lw, const std::vector<float>& scales,
                   TransformPrecision precision, float* x) const;

  // The rate point tables at a continuous position t in [0, rate_points - 1], interpolated
  // log-linearly between the trained points (as PhotoModel::gain): [m] each; the synthesis scales
  // [3 * n], or empty when the model has none.
  std::vector<float> gain(double t) const;
  std::vector<float> inverse_gain(double t) const;
  std::vector<float> synthesis_scales(double t) const;

  struct Impl;

 private:
  explicit PhotoEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facet
