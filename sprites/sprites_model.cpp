// The sprites beta-TCVAE.
#include "sprites/sprites_model.h"

#include <cmath>

#include "networks/layers.h"

namespace facet {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int in, int out) { return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1)); }


// log N(z; mean, exp(log_var)), elementwise.
torch::Tensor gaussian_log_density(const torch::Tensor& z, const torch::Tensor& mean, const torch::Tensor& log_var) {
  const double log_2pi = std::log(2.0 * M_PI);
  return -0.5 * ((z - mean).square() * torch::exp(-log_var) + log_var + log_2pi);
}

}  // namespace

Status SpritesConfig::validate() const {
  FACET_RETURN_ERROR_IF(latents < 1 || latents > 64, kInvalidArgument, "sprites latents must be in 1..64");
  FACET_RETURN_ERROR_IF(!(beta >= 0.0 && beta <= 1000.0), kInvalidArgument, "sprites beta must be in [0, 1000]");
  FACET_RETURN_ERROR_IF(model_id.empty() || model_id.size() > 64, kInvalidArgument, "model id must have 1..64 bytes");
  return ok_status();
}

std::map<std::string, std::string> SpritesConfig::to_metadata() const {
  char beta_text[64];
  std::snprintf(beta_text, sizeof beta_text, "%.17g", beta);
  return {{"facet.format", "facet-sprites-1"},
          {"facet.model_id", model_id},
          {"facet.sprites.latents", std::to_string(latents)},
          {"facet.sprites.beta", beta_text}};
}

StatusOr<SpritesConfig> SpritesConfig::from_metadata(const std::map<std::string, std::string>& metadata) {
  auto get = [&](const char* key) -> StatusOr<std::string> {
    auto it = metadata.find(key);
    FACET_RETURN_ERROR_IF(it == metadata.end(), kCorrupt, std::string("sprites model lacks metadata '") + key + "'");
    return it->second;
  };
  FACET_ASSIGN_OR_RETURN(std::string family, get("facet.format"));
  FACET_RETURN_ERROR_IF(family != "facet-sprites-1", kUnsupported, "not a sprites model (family '" + family + "')");
  SpritesConfig c;
  try {
    FACET_ASSIGN_OR_RETURN(c.model_id, get("facet.model_id"));
    FACET_ASSIGN_OR_RETURN(std::string latents, get("facet.sprites.latents"));
    FACET_ASSIGN_OR_RETURN(std::string beta, get("facet.sprites.beta"));
    c.latents = std::stoi(latents);
    c.beta = std::stod(beta);
  } catch (const std::exception&) {
    return make_error(ErrorCode::kCorrupt, "sprites model metadata is not a number");
  }
  FACET_RETURN_IF_ERROR(c.validate());
  return c;
}

SpritesVaeImpl::SpritesVaeImpl(const SpritesConfig& config) : config_(config) {
  encoder = register_module(
      "encoder", nn::Sequential(conv(1, 32), nn::ReLU(), conv(32, 32), nn::ReLU(), conv(32, 64), nn::ReLU(),
                                conv(64, 64), nn::ReLU(), nn::Flatten(), nn::Linear(1024, 256), nn::ReLU(),
                                nn::Linear(256, 2 * config.latents)));
  decoder = register_module(
      "decoder", nn::Sequential(nn::Linear(config.latents, 256), nn::ReLU(), nn::Linear(256, 1024), nn::ReLU(),
                                nn::Unflatten(nn::UnflattenOptions(1, {64, 4, 4})), Upsample(64, 64), nn::ReLU(),
                                Upsample(64, 32), nn::ReLU(), Upsample(32, 32), nn::ReLU(), Upsample(32, 1)));
}

SpritesPosterior SpritesVaeImpl::encode(const torch::Tensor& x) {
  auto h = encoder->forward(x);
  auto parts = h.chunk(2, 1);
  return {parts[0], parts[1].clamp(-20.0, 10.0)};
}

torch::Tensor SpritesVaeImpl::decode(const torch::Tensor& z) { return decoder->forward(z); }

SpritesLoss sprites_loss(SpritesVae& model, const torch::Tensor& x, bool sample) {
  SpritesPosterior q = model->encode(x);
  auto z = sample ? q.mean + torch::exp(0.5 * q.log_var) * torch::randn_like(q.mean) : q.mean;
  auto logits = model->decode(z);
  SpritesLoss l;
  l.reconstruction =
      torch::binary_cross_entropy_with_logits(logits, x, {}, {}, at::Reduction::None).sum({1, 2, 3}).mean();
  auto kl = 0.5 * (q.mean.square() + torch::exp(q.log_var) - q.log_var - 1.0);  // [B, L]
  l.kl_per_latent = kl.mean(0);
  l.kl = kl.sum(1).mean();
  // log q(z_i | x_j) for every pair of the batch: [B, B, L].
  auto log_qz_pairs = gaussian_log_density(z.unsqueeze(1), q.mean.unsqueeze(0), q.log_var.unsqueeze(0));
  auto log_qz_product = torch::logsumexp(log_qz_pairs, 1).sum(1);
  auto log_qz = torch::logsumexp(log_qz_pairs.sum(2), 1);
  l.total_correlation = (log_qz - log_qz_product).mean();
  l.total = l.reconstruction + l.kl + (model->config().beta - 1.0) * l.total_correlation;
  return l;
}

SpritesCost sprites_cost(SpritesVae& model) {
  // conv 4x4 stride 2: out_h * out_w * in * out * 16.
  auto conv_mac = [](double out_edge, double in, double out) { return out_edge * out_edge * in * out * 16.0; };
  const double L = model->config().latents;
  SpritesCost c;
  c.encoder_mac = conv_mac(32, 1, 32) + conv_mac(16, 32, 32) + conv_mac(8, 32, 64) + conv_mac(4, 64, 64) +
                  1024.0 * 256 + 256.0 * 2 * L;
  // Upsample(in, out): a 3x3 conv to 4 * out channels at the input resolution, then PixelShuffle.
  auto up_mac = [](double in_edge, double in, double out) { return in_edge * in_edge * in * 4 * out * 9.0; };
  c.decoder_mac = L * 256 + 256.0 * 1024 + up_mac(4, 64, 64) + up_mac(8, 64, 32) + up_mac(16, 32, 32) +
                  up_mac(32, 32, 1);
  c.parameters = 0;
  for (const auto& p : model->parameters()) c.parameters += p.numel();
  return c;
}

}  // namespace facet
