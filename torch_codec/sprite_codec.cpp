// Sprite files.
#include "torch_codec/sprite_codec.h"

#include <algorithm>
#include <cmath>

#include "sprites/sprite_render.h"
#include "formats/container_streams.h"

namespace facet {

std::vector<GlobalFactorModel> sprite_global_factors(const SpritesBundle& model) {
  std::vector<GlobalFactorModel> out;
  for (size_t i = 0; i < model.info.stored.size(); ++i) {
    const SpritesStoredLatent& s = model.info.stored[i];
    GlobalFactorModel g;
    g.name = s.name;
    static const char* kUnits[] = {"shape index", "scale", "rad", "position", "position"};
    g.unit = kUnits[s.factor];
    g.tables = &model.info.tables;
    g.table = uint32_t(i);
    g.step = s.step;
    g.prior_mean = 0.0;
    g.prior_sigma = 1.0;
    g.to_user = [s](double latent) { return latent_to_factor_value(s, latent); };
    g.from_user = [s](double value) { return factor_value_to_latent(s, value); };
    out.push_back(std::move(g));
  }
  return out;
}

StatusOr<Bytes> compress_sprite(const Image& image, const SpritesBundle& model, uint64_t model_hash) {
  FACET_RETURN_ERROR_IF(image.width != kSpriteSize || image.height != kSpriteSize, kInvalidArgument,
                        "the sprites model codes 64x64 images, this one is " + std::to_string(image.width) + "x" +
                            std::to_string(image.height));
  auto x = torch::empty({1, 1, kSpriteSize, kSpriteSize});
  float* px = x.data_ptr<float>();
  const int colors = image.color_channels();
  const uint32_t half = image.bit_depth == 16 ? 32768 : 128;
  for (uint64_t p = 0; p < image.pixel_count(); ++p) {
    uint32_t sum = 0;
    for (int c = 0; c < colors; ++c) sum += image.samples[p * image.channels + c];
    px[p] = sum >= half * uint32_t(colors) ? 1.0f : 0.0f;
  }
  torch::Tensor mean;
  try {
    torch::NoGradGuard no_grad;
    SpritesVae net = model.net;
    mean = net->encode(x).mean.contiguous();
  } catch (const c10::Error& e) {
    return make_error(ErrorCode::kInternal, std::string("LibTorch: ") + e.what_without_backtrace());
  }
  FctFile file;
  FctHeader& header = file.header;
  header.width = header.height = kSpriteSize;
  header.channels = 1;
  header.source_bit_depth = 8;
  header.model_hash = model_hash;
  header.model_id = model.net->config().model_id;
  const auto globals = sprite_global_factors(model);
  for (size_t i = 0; i < globals.size(); ++i) {
    header.factors.push_back(FactorEntry{globals[i].name, FactorKind::kGlobal, StreamCoder::kShort,
                                         ElementType::kI32, {1}, float(globals[i].step)});
    file.streams.emplace_back();
    FACET_RETURN_IF_ERROR(
        write_global_factor(file, globals[i], mean[0][model.info.stored[i].latent].item<double>()));
  }
  return write_fct(header, file.streams);
}

StatusOr<std::vector<float>> sprite_latents(const FctFile& file, const SpritesBundle& model) {
  std::vector<float> z(size_t(model.net->config().latents), 0.0f);
  const auto globals = sprite_global_factors(model);
  for (size_t i = 0; i < globals.size(); ++i) {
    if (file.header.find(globals[i].name) < 0) continue;  // dropped: the prior mean
    FACET_ASSIGN_OR_RETURN(double v, read_global_factor(file, globals[i]));
    z[size_t(model.info.stored[i].latent)] = float(v);
  }
  for (const FactorEntry& f : file.header.factors) {
    bool known = false;
    for (const auto& g : globals) known |= g.name == f.name;
    FACET_RETURN_ERROR_IF(!known, kCorrupt, "factor '" + f.name + "' is not one of the sprites model's");
  }
  return z;
}

std::vector<uint8_t> decode_sprite_pixels(const SpritesBundle& model, const std::vector<float>& z) {
  torch::NoGradGuard no_grad;
  auto zt = torch::from_blob(const_cast<float*>(z.data()), {1, int64_t(z.size())}, torch::kFloat32).clone();
  SpritesVae net = model.net;
  auto logits = net->decode(zt).contiguous();
  const float* l = logits.data_ptr<float>();
  std::vector<uint8_t> out(kSpritePixels);
  for (size_t i = 0; i < kSpritePixels; ++i) out[i] = l[i] > 0.0f ? 1 : 0;
  return out;
}

StatusOr<Image> decompress_sprite(const FctFile& file, const SpritesBundle& model) {
  FACET_RETURN_ERROR_IF(file.header.width != kSpriteSize || file.header.height != kSpriteSize, kCorrupt,
                        "a sprite file must be 64x64");
  FACET_ASSIGN_OR_RETURN(std::vector<float> z, sprite_latents(file, model));
  std::vector<uint8_t> pixels;
  try {
    pixels = decode_sprite_pixels(model, z);
  } catch (const c10::Error& e) {
    return make_error(ErrorCode::kInternal, std::string("LibTorch: ") + e.what_without_backtrace());
  }
  FACET_ASSIGN_OR_RETURN(Image image, make_image(kSpriteSize, kSpriteSize, 1, 8));
  for (size_t i = 0; i < kSpritePixels; ++i) image.samples[i] = pixels[i] ? 255 : 0;
  return image;
}

}  // namespace facet
