// The LibTorch networks (networks/photo_model.h) behind codec/transforms.h: the reference the
// oneDNN engine is measured against, and what the training's own evaluation codes with.
#pragma once

#include "codec/transforms.h"
#include "networks/photo_model.h"

namespace facet {

class TorchTransforms final : public PhotoTransforms {
 public:
  explicit TorchTransforms(PhotoModel net) : net_(std::move(net)) {}
  const char* backend_name() const override { return "libtorch"; }
  const ModelConfig& config() const override { return net_->config(); }
  Status analysis(const float* x, int h, int w, TransformPrecision precision, float* y) override;
  Status hyper_analysis(const float* y, int lh, int lw, float* z) override;
  Status synthesis(const float* y_hat, int lh, int lw, const std::vector<float>& scales, TransformPrecision precision,
                   float* x) override;
  std::vector<float> gain(double position) override;
  std::vector<float> inverse_gain(double position) override;
  std::vector<float> synthesis_scales(double position) override;
  Status check_precision(TransformPrecision) override { return ok_status(); }  // bf16 autocast runs anywhere
  void begin_tiles() override;
  void end_tiles() override;
  void enter_worker() override;

  PhotoModel& net() { return net_; }

 private:
  PhotoModel net_;
  int saved_threads_ = 0;
};

}  // namespace facet
