// What a trained sprites model needs to be a codec: which latents are stored (those that carry
// information), their quantization steps and prior CDF tables, and the ground-truth factor each one
// captures best (by mutual information), with the map from that factor's values to the latent
// that lets `facet edit --set posX=0.8` move a sprite. Baked once after training, stored in the
// weights file beside the network (FORMAT.md §9).
#pragma once

#include <string>
#include <vector>

#include "sprites/sprites_model.h"
#include "common/status.h"
#include "entropy/quantized_cdf.h"
#include "formats/safetensors.h"

namespace facet {

// A latent is stored when its mean KL to the prior exceeds this (nats); the others decode as 0,
// the prior mean, and cost nothing.
constexpr double kSpritesStoreKlNats = 0.1;
// Quantization step of a stored latent, in units of its typical posterior standard deviation
// (the geometric mean over sprites): the decoder was trained on samples that far from the mean.
constexpr double kSpritesStepInPosteriorSigmas = 1.0;
// The prior tables cover +-kSpritesPriorRange prior standard deviations; values beyond are clamped.
constexpr double kSpritesPriorRange = 5.0;

struct SpritesStoredLatent {
  int latent = 0;           // index in z
  std::string name;         // the factor it captures best ("posX"), made unique ("posX.2") if shared
  int factor = 0;           // index of that ground-truth factor (sprite_render.h)
  float step = 1.0f;        // quantization step (latent units)
  float kl = 0.0f;          // mean KL to the prior (nats)
  float mutual_info = 0.0f; // with its factor (nats, 20-bin histogram of the posterior mean)
  std::vector<float> latent_by_value;  // mean posterior mean for each value index of the factor
};

struct SpritesCodecInfo {
  std::vector<SpritesStoredLatent> stored;  // in latent order
  CdfTableSet tables;                       // table i codes stored[i]'s symbols
};

// Encodes `samples` random sprites (seeded) and derives the codec information.
StatusOr<SpritesCodecInfo> bake_sprites_codec(SpritesVae& model, uint64_t seed, int samples = 10000);

// Weights file content: parameters, config and codec information; and back.
StatusOr<TensorFile> sprites_model_to_tensor_file(SpritesVae& model, const SpritesCodecInfo& info);

struct SpritesBundle {
  SpritesVae net{nullptr};
  SpritesCodecInfo info;
};
StatusOr<SpritesBundle> sprites_model_from_tensor_file(const TensorFile& file);

// Posterior means [N, latents] of sprites given as [N, 1, 64, 64] pixels, in batches.
torch::Tensor encode_sprite_means(SpritesVae& model, const torch::Tensor& pixels);

// A factor value in its unit (shape index, scale, angle in radians, position in [0, 1]) to the
// latent value of `stored` (interpolating its latent_by_value curve), and the reverse (the nearest
// point of the curve).
double factor_value_to_latent(const SpritesStoredLatent& stored, double value);
double latent_to_factor_value(const SpritesStoredLatent& stored, double latent);

}  // namespace facet
