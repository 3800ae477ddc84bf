// A sprite as a .fct file: one global factor per stored latent of the sprites model (FORMAT.md
// §5.8), each a single symbol coded with the exact short coder against the discretized N(0, 1)
// prior at the latent's quantization step. The decoder sets unstored or dropped latents to 0 (the
// prior mean) and thresholds the Bernoulli decoder's logits.
#pragma once

#include "bitstream/factor_edit.h"
#include "codec/codec.h"
#include "sprites/sprites_codec_model.h"
#include "common/bytes.h"
#include "formats/image.h"

namespace facet {

// A 64x64 gray (or gray+alpha / RGB: averaged) image, binarized at half range.
StatusOr<Bytes> compress_sprite(const Image& image, const SpritesBundle& model, uint64_t model_hash);
StatusOr<Image> decompress_sprite(const FctFile& file, const SpritesBundle& model);

// The latent vector a file decodes to ([latents], unstored latents 0).
StatusOr<std::vector<float>> sprite_latents(const FctFile& file, const SpritesBundle& model);

// The stored latents as editable global factors, in the units of the factor each one tracks.
std::vector<GlobalFactorModel> sprite_global_factors(const SpritesBundle& model);

// Binary pixels (0/1, 64x64) decoded from a latent vector.
std::vector<uint8_t> decode_sprite_pixels(const SpritesBundle& model, const std::vector<float>& z);

// A sprites model's codec behind codec/codec.h's interface (what a loaded sprites model holds).
class TorchSpritesCodec final : public SpritesCodec {
 public:
  explicit TorchSpritesCodec(SpritesBundle bundle) : bundle_(std::move(bundle)) {}
  const std::string& model_id() const override { return bundle_.net->config().model_id; }
  std::vector<GlobalFactorModel> global_factors() const override { return sprite_global_factors(bundle_); }
  StatusOr<Bytes> compress(const Image& image, uint64_t model_hash) override {
    return compress_sprite(image, bundle_, model_hash);
  }
  StatusOr<Image> decompress(const FctFile& file) override { return decompress_sprite(file, bundle_); }
  SpritesBundle& bundle() { return bundle_; }

 private:
  SpritesBundle bundle_;
};

}  // namespace facet
