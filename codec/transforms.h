// The transforms a photo codec runs, behind one interface: the oneDNN engine (engine/, what
// `facet` uses) or the LibTorch networks (torch_codec/, the reference and the training's own).
#pragma once

#include <memory>
#include <vector>

#include "common/precision.h"
#include "common/status.h"
#include "engine/photo_engine.h"
#include "model/model_config.h"

namespace facet {

// Analysis and synthesis run on one tile each, on the calling thread alone (codec/tiles.h gives the
// tiles to the workers), so that a tile's numbers never depend on the thread count.
class PhotoTransforms {
 public:
  virtual ~PhotoTransforms() = default;
  virtual const char* backend_name() const = 0;  // "onednn", "libtorch"
  virtual const ModelConfig& config() const = 0;

  // x [3, h, w] planar in [0, 1] (multiples of 16) -> y [m, h/16, w/16], before the gain.
  virtual Status analysis(const float* x, int h, int w, TransformPrecision precision, float* y) = 0;
  // y [m, lh, lw] (gain applied, multiples of 4) -> z [hyper_n, lh/4, lw/4] before rounding, fp32.
  virtual Status hyper_analysis(const float* y, int lh, int lw, float* z) = 0;
  // y_hat [m, lh, lw] (inverse gain applied) -> x [3, 16 lh, 16 lw], not clamped.
  virtual Status synthesis(const float* y_hat, int lh, int lw, const std::vector<float>& scales,
                           TransformPrecision precision, float* x) = 0;
  // The rate position's tables ([m], [m], [3 n] or empty).
  virtual std::vector<float> gain(double position) = 0;
  virtual std::vector<float> inverse_gain(double position) = 0;
  virtual std::vector<float> synthesis_scales(double position) = 0;
  // Whether the precision has fast kernels here (kFp32 always does).
  virtual Status check_precision(TransformPrecision precision) = 0;

  // Around one run of tiles on several workers (from the thread that starts them), and on each
  // worker before its first tile: what a backend sets per run or per thread.
  virtual void begin_tiles() {}
  virtual void end_tiles() {}
  virtual void enter_worker() {}
};

// The oneDNN engine as PhotoTransforms.
class EngineTransforms final : public PhotoTransforms {
 public:
  explicit EngineTransforms(std::shared_ptr<PhotoEngine> engine) : engine_(std::move(engine)) {}
  const char* backend_name() const override { return "onednn"; }
  const ModelConfig& config() const override { return engine_->config(); }
  Status analysis(const float* x, int h, int w, TransformPrecision precision, float* y) override {
    return engine_->analysis(x, h, w, precision, y);
  }
  Status hyper_analysis(const float* y, int lh, int lw, float* z) override { return engine_->hyper_analysis(y, lh, lw, z); }
  Status synthesis(const float* y_hat, int lh, int lw, const std::vector<float>& scales, TransformPrecision precision,
                   float* x) override {
    return engine_->synthesis(y_hat, lh, lw, scales, precision, x);
  }
  std::vector<float> gain(double position) override { return engine_->gain(position); }
  std::vector<float> inverse_gain(double position) override { return engine_->inverse_gain(position); }
  std::vector<float> synthesis_scales(double position) override { return engine_->synthesis_scales(position); }
  Status check_precision(TransformPrecision precision) override { return PhotoEngine::check_precision(precision); }
  const PhotoEngine& engine() const { return *engine_; }

 private:
  std::shared_ptr<PhotoEngine> engine_;
};

}  // namespace facet
