// The sprites model (LibTorch): a beta-TCVAE (Chen et al. 2018) on 64x64 binary sprites, with the
// convolutional encoder of disentanglement_lib (Locatello et al. 2019: 4x4 stride-2 convolutions
// 32-32-64-64, dense 256) and its decoder's shape, each 4x4 transposed convolution replaced by a
// 3x3 convolution and a pixel shuffle (4.5x faster to train on CPU here), and a Bernoulli likelihood. Its latents, quantized against the N(0, 1) prior, are the factors of a sprite file.
#pragma once

#include <map>
#include <string>
#include <torch/torch.h>

#include "common/status.h"

namespace facet {

struct SpritesConfig {
  int latents = 10;      // size of z
  double beta = 6.0;     // weight of the total-correlation term (beta-TCVAE); 1 gives a plain VAE
  std::string model_id = "facet-sprites";

  Status validate() const;
  std::map<std::string, std::string> to_metadata() const;
  static StatusOr<SpritesConfig> from_metadata(const std::map<std::string, std::string>& metadata);
};

constexpr int kSpriteEdge = 64;

struct SpritesPosterior {
  torch::Tensor mean, log_var;  // [B, latents]
};

class SpritesVaeImpl : public torch::nn::Module {
 public:
  explicit SpritesVaeImpl(const SpritesConfig& config);
  const SpritesConfig& config() const { return config_; }

  // x: [B, 1, 64, 64] in {0, 1}.
  SpritesPosterior encode(const torch::Tensor& x);
  // z: [B, latents] -> Bernoulli logits [B, 1, 64, 64].
  torch::Tensor decode(const torch::Tensor& z);

  torch::nn::Sequential encoder{nullptr}, decoder{nullptr};

 private:
  SpritesConfig config_;
};
TORCH_MODULE(SpritesVae);

// The beta-TCVAE objective on a batch, per example (means over the batch):
// total = reconstruction + kl + (beta - 1) * total_correlation, with the minibatch estimate of
// the total correlation of disentanglement_lib (log q(z) and prod_j log q(z_j) by logsumexp over
// the batch, constants dropped).
struct SpritesLoss {
  torch::Tensor total, reconstruction, kl, total_correlation;
  torch::Tensor kl_per_latent;  // [latents], mean over the batch
};
SpritesLoss sprites_loss(SpritesVae& model, const torch::Tensor& x, bool sample = true);

// Multiply-accumulates of one encode and one decode of a 64x64 sprite, and the parameters.
struct SpritesCost {
  double encoder_mac, decoder_mac;
  int64_t parameters;
};
SpritesCost sprites_cost(SpritesVae& model);

}  // namespace facet
