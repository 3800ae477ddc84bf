// Encoder effort: refines the latents of one image at encode time (the amortization gap of the
// analysis transform), with LibTorch's gradients. The decoder and the container are unchanged: a
// refined file is an ordinary file whose latents were chosen by optimization rather than by the
// analysis transform alone.
#pragma once

#include <torch/torch.h>

#include "codec/effort.h"
#include "networks/photo_model.h"
#include "networks/precision.h"
#include "common/status.h"

namespace facet {

struct RefineSettings {
  int iterations = 0;          // Adam steps on the latents (0: no refinement)
  double learning_rate = 0;    // first step's; decays linearly to a tenth by the last
};
RefineSettings effort_settings(int effort);

// The rate-distortion weight of a continuous rate position t in [0, rate_points - 1]: the trained
// points' lambdas interpolated log-linearly (as the gains are).
double lambda_at(const ModelConfig& config, double position);

// Refines the gained latents y ([1, M, H/16, W/16], analysis times gain) of the padded image x
// ([1, 3, H, W] in [0, 1], of which the top-left image_h x image_w pixels are the image) for the
// rate point at `position`, with the hyper latents z_hat ([1, hyper_n, H/64, W/64], integers)
// fixed. Minimizes bits(y_hat | z_hat) + lambda * 255^2 * MSE (plus, for a model with a chroma
// group, 0.25 times the same distortion of the decode without it against the image's luma),
// y_hat = mean + Q(y - mean) with Q soft rounding, then rounding with a straight-through gradient
// (docs/encoder_effort.md), by Adam, per tile of the coding tiles (bounded memory; each tile owns
// its latents and sees its neighbours' halo at their starting values). Every rounded iterate is a
// candidate and each tile keeps its best, so a tile's loss never ends above the analysis' in the
// model's estimate. Deterministic for any `threads`: tiles are fixed by the image and each runs
// on one LibTorch thread.
StatusOr<torch::Tensor> refine_latents(PhotoModel& net, const torch::Tensor& x, int image_h, int image_w,
                                       const torch::Tensor& y, const torch::Tensor& z_hat, double position,
                                       const RefineSettings& settings, int tile_latents, int threads,
                                       TransformPrecision precision, const RefineProgressFn& progress = nullptr);

// refine_latents behind codec/effort.h's interface (what a loaded model's refiner is in a program
// that links LibTorch).
class TorchRefiner final : public LatentRefiner {
 public:
  explicit TorchRefiner(PhotoModel net) : net_(std::move(net)) {}
  PhotoModel& net() { return net_; }
  StatusOr<std::vector<float>> refine(const RefineInput& in, int effort, int tile_latents, int threads,
                                      TransformPrecision precision, const RefineProgressFn& progress) override;

 private:
  PhotoModel net_;
};

}  // namespace facet
