// The Facet photo model (LibTorch): transforms, mean-scale hyperprior, variable-rate gains and
// coarse-to-fine latent groups. Training uses forward(); coding uses the pieces through codec.h.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>

#include "networks/layers.h"
#include "model/model_config.h"

namespace facet {

// Smallest Gaussian scale, also the first entry of the scale table (entropy/gaussian_tables.h).
constexpr double kMinScale = 0.11;

struct ForwardResult {
  torch::Tensor x_hat;             // reconstruction, [B, 3, H, W], not clamped
  torch::Tensor y_likelihoods;     // of the kept latent elements, [B, M, H/16, W/16]
  torch::Tensor z_likelihoods;     // [B, hyper_n, H/64, W/64]
  torch::Tensor y_mask;            // 1 for kept channels, 0 for dropped groups, [1, M, 1, 1]
  // Filled only when forward() is asked for it (also_without_chroma): the decode of the same
  // latents with the chroma group dropped as well, [B, 3, H, W]. Its rate is not counted again.
  torch::Tensor x_hat_without_chroma;
  // Filled only when forward() is asked for it (also_kept_groups in [1, kept_groups)): the decode
  // of the same latents with only the first also_kept_groups structure groups (the chroma group as
  // in x_hat), [B, 3, H, W]. Its rate is not counted again.
  torch::Tensor x_hat_truncated;
};

class PhotoModelImpl : public torch::nn::Module {
 public:
  explicit PhotoModelImpl(const ModelConfig& config);

  const ModelConfig& config() const { return config_; }

  // x in [0, 1], H and W multiples of 64. rate_point in [0, rate_points); kept_groups in
  // [1, groups] drops the trailing groups as a decoder that lacks them would (their latents
  // become the hyperprior's mean). noisy: additive uniform noise for the rate (training);
  // otherwise rounding, as in coding (evaluation).
  // keep_chroma = false drops the chroma group the same way. also_without_chroma (with
  // keep_chroma and a chroma group) decodes the latents a second time without the chroma group,
  // into x_hat_without_chroma: training both decodes from one analysis. also_kept_groups in
  // [1, kept_groups) decodes them a further time with only that many structure groups, into
  // x_hat_truncated (0: no such decode).
  ForwardResult forward(const torch::Tensor& x, int rate_point, int kept_groups, bool noisy = true,
                        bool keep_chroma = true, bool also_without_chroma = false, int also_kept_groups = 0);
  // The same with a rate point per image of the batch (int64 [B]): one step trains every rate
  // point at once.
  ForwardResult forward(const torch::Tensor& x, const torch::Tensor& rate_points, int kept_groups, bool noisy = true,
                        bool keep_chroma = true, bool also_without_chroma = false, int also_kept_groups = 0);

  // Gains of a continuous rate position t in [0, rate_points - 1]: log-linear interpolation
  // between the trained rate points. Shapes [1, M, 1, 1].
  torch::Tensor gain(double t);
  torch::Tensor inverse_gain(double t);

  // The training noise of the next noisy forward passes: one seed per image of the batch, so that
  // an image's noise depends on its seed alone (data-parallel ranks then add the same noise to an
  // image as one process with the whole batch would). Empty (the default): LibTorch's generator.
  void set_noise_seeds(std::vector<uint64_t> seeds) { noise_seeds_ = std::move(seeds); }

  // The pieces, in coding order.
  torch::Tensor analysis(const torch::Tensor& x);          // g_a: [B,3,H,W] -> [B,M,H/16,W/16]
  torch::Tensor hyper_analysis(const torch::Tensor& y);    // h_a: -> [B,hyper_n,H/64,W/64]
  // h_s as a LibTorch graph (training). Returns {mean, scale_raw} with sigma =
  // max(softplus(scale_raw), kMinScale); coding uses the bit-exact twin in hyper_synthesis.h.
  std::pair<torch::Tensor, torch::Tensor> hyper_synthesis(const torch::Tensor& z_hat);
  // g_s. scales: the rate point's channel scales after each inverse GDN ([1 or B, 3, N], from
  // synthesis_scales), or undefined for a model without them.
  torch::Tensor synthesis(const torch::Tensor& y_hat, const torch::Tensor& scales = torch::Tensor());
  // The synthesis scales at a continuous rate position t (as gain(t)); undefined when the model
  // has none.
  torch::Tensor synthesis_scales(double t);

  // Group context (ModelConfig::context_channels): the Gaussian mean and raw scale of every coded
  // group, the hyper-synthesis's corrected from the groups before it (model/group_context.h is the
  // deterministic twin). y: the latents (gain applied); quantize(v, mean) gives the value a decoder
  // sees (round_ste(v - mean) + mean in training; the refinement's soft rounding). Returns
  // {mean, scale_raw, y_hat}, each [B, M, h, w]. Without group context: the hyper-synthesis's and
  // quantize(y, mean).
  struct GroupParameters {
    torch::Tensor mean, scale_raw, y_hat;
  };
  using Quantizer = std::function<torch::Tensor(const torch::Tensor& v, const torch::Tensor& mean)>;
  GroupParameters group_parameters(const torch::Tensor& y, const torch::Tensor& hyper_mean,
                                   const torch::Tensor& hyper_scale_raw, const Quantizer& quantize);

  // Bits per pixel of the latents y of each image ([B]) under the group context's means and scales,
  // the transforms and the hyperprior frozen (no gradient; y with the training noise): what
  // training the context networks alone minimizes (TrainOptions::context_only).
  torch::Tensor context_rate(const torch::Tensor& x, const torch::Tensor& rate_points);

  torch::nn::Sequential g_a{nullptr}, g_s{nullptr}, h_a{nullptr};
  // One per coded group with a context (structure.1 .. G-1, chroma), else null: 3x3 conv to
  // context_channels, ReLU, 3x3 conv to 2 x the group's channels (mean, raw scale corrections).
  std::vector<torch::nn::Sequential> context;
  Upsample hs_up1{nullptr}, hs_up2{nullptr};
  torch::nn::Conv2d hs_out{nullptr};
  FactorizedDensity z_density{nullptr};
  torch::Tensor log_gains, log_inverse_gains;  // [rate_points, M]
  torch::Tensor log_synthesis_scales;           // [rate_points, 3 * N] (config.synthesis_rate_scales)

 private:
  // Gains and inverse gains for each image: [B, M, 1, 1].
  ForwardResult forward_with_gains(const torch::Tensor& x, const torch::Tensor& gain, const torch::Tensor& inverse_gain,
                                   const torch::Tensor& synthesis_scales, int kept_groups, bool noisy,
                                   bool keep_chroma, bool also_without_chroma, int also_kept_groups);
  // exp of the row-wise linear interpolation of log_table ([rate_points, M]) at position t.
  torch::Tensor interpolated_exp(const torch::Tensor& log_table, double t) const;
  // Uniform noise in [-0.5, 0.5) shaped like t ([B, ...]); `stream` tells the y and z noises apart.
  torch::Tensor uniform_noise_like(const torch::Tensor& t, uint64_t stream) const;

  ModelConfig config_;
  std::vector<uint64_t> noise_seeds_;
};
TORCH_MODULE(PhotoModel);

// Scale of the Gaussian conditional from h_s's raw output (training path).
torch::Tensor scale_from_raw(const torch::Tensor& scale_raw);

// Likelihood of y under the Gaussian conditional N(mean, scale) integrated over the unit
// interval around it (clamped at 1e-9): the rate term of training and of encoder refinement.
torch::Tensor gaussian_likelihoods(const torch::Tensor& y, const torch::Tensor& mean, const torch::Tensor& scale);

// BT.601 luma of [B, 3, H, W], repeated over the three channels.
torch::Tensor luma_of(const torch::Tensor& x);

// Rounds with a straight-through gradient.
torch::Tensor round_ste(const torch::Tensor& x);

// Multiply-accumulates per input pixel of the three networks (encode: g_a + h_a + h_s;
// decode: h_s + g_s), for reports.
struct ModelCost {
  double analysis_kmac_per_pixel, synthesis_kmac_per_pixel, hyper_kmac_per_pixel;
  int64_t parameters;
};
ModelCost model_cost(PhotoModel& model);

}  // namespace facet
