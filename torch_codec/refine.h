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
  double learning_rate = 0;    // Adam's, held
  int hyper_iterations = 0;    // Adam steps on the hyper-latents before (0: the analysis' kept)
};
RefineSettings effort_settings(int effort);

// The refinement's schedule, by iteration (not by the effort's iteration count, so that a higher
// effort's path starts with the lower one's; docs/encoder_effort.md says how they were chosen).
inline constexpr double kLearningRate = 0.04;
// The hyper-latents' stage: the same number of steps for every effort >= 2 (so that the latents'
// path starts from the same hyper-latents), Adam at a held learning rate.
inline constexpr int kHyperIterations = 60;
inline constexpr double kHyperLearningRate = 0.1;
inline constexpr double kSoftAlphaStart = 2.0, kSoftAlphaGrowth = 1.1, kSoftAlphaMax = 16.0;
// The sharpness of the soft rounding at an iteration: kSoftAlphaStart * kSoftAlphaGrowth^iteration,
// at most kSoftAlphaMax.
double soft_round_alpha(int iteration);

// The rate-distortion weight of a continuous rate position t in [0, rate_points - 1]: the trained
// points' lambdas interpolated log-linearly (as the gains are).
double lambda_at(const ModelConfig& config, double position);

// The rate-distortion weight the refinement follows: the slope of this image's own effort-1 curve
// at `position` (latent bits per pixel against 255^2 * MSE, from the analysis' latents at
// position -+ kSlopeSpan), within kSlopeClamp of the model's lambda_at (which it is where the
// slope is not measurable). The model's lambda is the slope its training aimed for, not the slope
// of the curve its files make: on held-out photos the curve was up to 5x steeper at low
// qualities, and a refinement at the model's lambda moved its points along that curve, buying
// bits with quality, instead of below it (docs/encoder_effort.md).
inline constexpr double kSlopeSpan = 0.5, kSlopeClamp = 8.0;
StatusOr<double> image_lambda(PhotoModel& net, const torch::Tensor& x, int image_h, int image_w,
                              const torch::Tensor& y, double position, int tile_latents, int threads,
                              TransformPrecision precision);

// The hyper-latents' stage: z_hat ([1, hyper_n, H/64, W/64], integers: round(h_a(y))) refined for
// the rate of the image's latents, bits(z_hat) + bits(y_hat | h_s(z_hat)) with y the analysis'
// gained latents ([1, M, H/16, W/16]) and y_hat = mu + round(y - mu) (the file's), over the whole
// padded image. Adam on continuous hyper-latents, soft-rounded as the latents are (sharpening by
// iteration), on the expected rate of y (its likelihood over the unit interval, smooth in mu and
// sigma); every iterate's rounded hyper-latents are a candidate, and the one of lowest rate is
// returned (iteration 0: z_hat itself, so the rate never rises). The distortion is left out: the
// decode moves only through y_hat's rounding around the new means (measured: within +-0.1 dB),
// and the latents' stage after it accounts for it. h_a leaves a large amortization gap here
// (docs/encoder_effort.md): the hyperprior it gives is far coarser than the rate wants. One
// LibTorch thread: the same result for any thread count. `progress` (may be null) gets the stage's
// start and end as RefineProgress with tile kHyperStage.
struct HyperRefinement {
  torch::Tensor z_hat;                  // [1, hyper_n, H/64, W/64], int32
  double bits_before = 0, bits_after = 0;  // latents and hyper-latents, the whole padded image
};
StatusOr<HyperRefinement> refine_hyper_latents(PhotoModel& net, const torch::Tensor& y, const torch::Tensor& z_hat,
                                               int iterations, double learning_rate, double pixels,
                                               const RefineProgressFn& progress = nullptr);

// Refines the gained latents y ([1, M, H/16, W/16], analysis times gain) of the padded image x
// ([1, 3, H, W] in [0, 1], of which the top-left image_h x image_w pixels are the image) for the
// rate point at `position`, with the hyper latents z_hat ([1, hyper_n, H/64, W/64], integers)
// fixed. Minimizes bits(y_hat | z_hat) + lambda * 255^2 * MSE (lambda: image_lambda()'s), with
// y_hat = mean + soft_round(y - mean) (sharpening by iteration; plus, for a model with a chroma
// group, 0.25 times the same distortion of the decode without it against the image's luma), by
// Adam, per tile of the coding tiles (bounded memory; each tile owns its latents and sees its
// neighbours' halo at their starting values). The rounded latents of every other iterate and of
// the last are the candidates (iteration 0: the analysis'), and each tile keeps the one of lowest
// objective: a tile never ends above the analysis', and a higher effort (the same path, longer)
// never above a lower one. Deterministic for any `threads`: tiles are fixed by the image, each
// runs on one LibTorch thread, and where threads outnumber tiles twice its grayscale pass runs on
// a helper thread (the same operations; the gradients summed in the same order).
StatusOr<torch::Tensor> refine_latents(PhotoModel& net, const torch::Tensor& x, int image_h, int image_w,
                                       const torch::Tensor& y, const torch::Tensor& z_hat, double position,
                                       double lambda, const RefineSettings& settings, int tile_latents, int threads,
                                       TransformPrecision precision, const RefineProgressFn& progress = nullptr);

// refine_latents behind codec/effort.h's interface (what a loaded model's refiner is in a program
// that links LibTorch).
class TorchRefiner final : public LatentRefiner {
 public:
  explicit TorchRefiner(PhotoModel net) : net_(std::move(net)) {}
  PhotoModel& net() { return net_; }
  // The hyper-latents' stage (beside image_lambda on a second thread when there are two), then the
  // latents'.
  StatusOr<RefinedLatents> refine(const RefineInput& in, int effort, int tile_latents, int threads,
                                  TransformPrecision precision, const RefineProgressFn& progress) override;

 private:
  PhotoModel net_;
};

}  // namespace facet
