// The sprites model as a codec: baking its tables, files whose latents are editable factors, the
// shipped sprites model moving a sprite with posX.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "model/appearance.h"
#include "codec/codec.h"
#include "bitstream/factor_edit.h"
#include "networks/model_io.h"
#include "torch_codec/sprite_codec.h"
#include "sprites/sprite_render.h"
#include "sprites/sprites_codec_model.h"
#include "sprites/sprites_model.h"
#include "entropy/quantized_cdf.h"
#include "formats/container.h"
#include "formats/image_io.h"
#include "formats/safetensors.h"
#include "codec/codec_test_support.h"
#include "test_support.h"

#undef CHECK
#include <catch2/catch.hpp>

namespace facet {
namespace {

using test::corpus_image;
using test::tiny_chroma_model;

QuantizedCdf normal_table(double step) {
  const int radius = int(std::ceil(5.0 / step));
  std::vector<double> pmf;
  auto cdf = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  for (int k = -radius; k <= radius; ++k)
    pmf.push_back(cdf(k == radius ? 1e300 : (k + 0.5) * step) - cdf(k == -radius ? -1e300 : (k - 0.5) * step));
  return quantize_pmf(pmf, 1e-9, -radius).value();
}

// Two stored latents by hand (an untrained network stores none): latent 1 tracks posX, latent 4
// the shape.
SpritesCodecInfo hand_made_info() {
  SpritesCodecInfo info;
  SpritesStoredLatent pos;
  pos.latent = 1;
  pos.name = "posX";
  pos.factor = 3;
  pos.step = 0.25f;
  pos.kl = 2.0f;
  pos.mutual_info = 1.5f;
  for (int i = 0; i < 32; ++i) pos.latent_by_value.push_back(-1.5f + 3.0f * float(i) / 31.0f);
  SpritesStoredLatent shape;
  shape.latent = 4;
  shape.name = "shape";
  shape.factor = 0;
  shape.step = 0.5f;
  shape.kl = 0.5f;
  shape.mutual_info = 0.3f;
  shape.latent_by_value = {-1.0f, 0.0f, 1.0f};
  info.stored = {pos, shape};
  info.tables = CdfTableSet::create({normal_table(pos.step), normal_table(shape.step)}).value();
  return info;
}

std::shared_ptr<CodecModel> sprites_codec_model(SpritesVae& net, const SpritesCodecInfo& info) {
  auto file = sprites_model_to_tensor_file(net, info);
  REQUIRE(file.ok());
  auto bytes = encode_safetensors(*file);
  REQUIRE(bytes.ok());
  auto model = load_codec_model_bytes(*bytes, "sprites");
  REQUIRE(model.ok());
  REQUIRE((*model)->is_sprites());
  return *model;
}

Image sprite_image(const SpriteFactors& factors) {
  std::vector<uint8_t> pixels(kSpritePixels);
  REQUIRE(render_sprite_into(factors, pixels.data()).ok());
  Image image = make_image(kSpriteSize, kSpriteSize, 1, 8).value();
  for (size_t i = 0; i < kSpritePixels; ++i) image.samples[i] = pixels[i] ? 255 : 0;
  return image;
}

void check_binary_sprite(const Image& image) {
  CHECK(image.width == 64);
  CHECK(image.height == 64);
  REQUIRE(image.channels == 1);
  for (uint16_t v : image.samples) REQUIRE((v == 0 || v == 255));
}

TEST_CASE("BakingAnUntrainedSpritesModel", "[factors][sprites-codec]") {
  torch::manual_seed(5);
  SpritesVae net(SpritesConfig{});
  auto info = bake_sprites_codec(net, 11, 500);
  REQUIRE(info.ok());
  CHECK(info->tables.table_count() == info->stored.size());
  std::set<std::string> names;
  int previous = -1;
  for (const auto& s : info->stored) {
    CHECK(s.latent > previous);
    previous = s.latent;
    CHECK(s.kl > kSpritesStoreKlNats);
    CHECK(s.step > 0);
    CHECK(s.latent_by_value.size() == size_t(kSpriteFactorSizes[s.factor]));
    CHECK(names.insert(s.name).second);
  }
  // Whatever it stored, the model file round-trips and codes a sprite.
  auto model = sprites_codec_model(net, *info);
  CHECK(libtorch_sprites(*model)->info.stored.size() == info->stored.size());
  CHECK(model->global_factors().size() == info->stored.size());
  auto bytes = compress_image(sprite_image({2, 3, 10, 12, 20}), *model, CompressOptions{});
  REQUIRE(bytes.ok());
  auto file = read_fct(bytes->data(), bytes->size());
  REQUIRE(file.ok());
  CHECK(file->header.factors.size() == info->stored.size());
  auto out = decompress_image(bytes->data(), bytes->size(), *model, DecompressOptions{});
  REQUIRE(out.ok());
  check_binary_sprite(*out);
}

TEST_CASE("SpriteFilesStoreTheirLatentsAsEditableFactors", "[factors][sprites-codec]") {
  torch::manual_seed(6);
  SpritesVae net(SpritesConfig{});
  const SpritesCodecInfo info = hand_made_info();
  auto model = sprites_codec_model(net, info);
  REQUIRE(libtorch_sprites(*model)->info.stored.size() == 2);
  CHECK(libtorch_sprites(*model)->info.stored[0].name == "posX");
  CHECK(libtorch_sprites(*model)->info.stored[1].latent == 4);
  CHECK(libtorch_sprites(*model)->info.stored[0].latent_by_value == info.stored[0].latent_by_value);

  const Image sprite = sprite_image({1, 5, 0, 8, 24});
  auto bytes = compress_image(sprite, *model, CompressOptions{});
  REQUIRE(bytes.ok());
  FctFile file = read_fct(bytes->data(), bytes->size()).value();
  CHECK(file.header.width == 64);
  CHECK(file.header.height == 64);
  CHECK(file.header.model_hash == model->hash);
  CHECK(file.header.model_id == "facet-sprites");
  REQUIRE(file.header.factors.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const FactorEntry& f = file.header.factors[i];
    CHECK(f.name == info.stored[i].name);
    CHECK(f.kind == FactorKind::kGlobal);
    CHECK(f.coder == StreamCoder::kShort);
    CHECK(f.shape == std::vector<uint32_t>{1});
    CHECK(f.quant_step == info.stored[i].step);
    CHECK(file.streams[i].size() <= 2);  // one symbol: at most 2 bytes
  }
  // The stored values are the encoder's posterior means, quantized.
  torch::Tensor x = torch::zeros({1, 1, 64, 64});
  for (size_t i = 0; i < kSpritePixels; ++i) x.data_ptr<float>()[i] = sprite.samples[i] ? 1.0f : 0.0f;
  auto means = encode_sprite_means(libtorch_sprites(*model)->net, x);
  const auto globals = model->global_factors();
  REQUIRE(globals.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const double mean = means[0][info.stored[i].latent].item<double>();
    const double edge = std::ceil(5.0 / info.stored[i].step) * info.stored[i].step;  // the table's last value
    const double clamped = std::clamp(mean, -edge, edge);
    CHECK(std::fabs(read_global_factor(file, globals[i]).value() - clamped) <= 0.5 * info.stored[i].step + 1e-6);
  }
  auto latents = sprite_latents(file, *libtorch_sprites(*model));
  REQUIRE(latents.ok());
  REQUIRE(latents->size() == 10);
  for (int j : {0, 2, 3, 5, 6, 7, 8, 9}) CHECK((*latents)[size_t(j)] == 0.0f);

  auto out = decompress_image(bytes->data(), bytes->size(), *model, DecompressOptions{});
  REQUIRE(out.ok());
  check_binary_sprite(*out);
  {
    // The decode is the decoder's threshold at the file's latents.
    const auto pixels = decode_sprite_pixels(*libtorch_sprites(*model), *latents);
    for (size_t i = 0; i < kSpritePixels; ++i) REQUIRE(out->samples[i] == (pixels[i] ? 255 : 0));
  }

  // Edit a stored latent directly (stored units) and through its factor's unit.
  REQUIRE(write_global_factor(file, globals[0], 1.3).ok());
  CHECK(std::fabs(read_global_factor(file, globals[0]).value() - 1.3) <= 0.5 * globals[0].step + 1e-9);
  CHECK(std::fabs(sprite_latents(file, *libtorch_sprites(*model)).value()[1] - 1.3) <= 0.5 * globals[0].step + 1e-6);
  REQUIRE(edit_factors(file, globals, {*parse_factor_setting("posX=0.25")}, {}).ok());
  // posX 0.25 is latent -1.5 + 3 * 0.25 = -0.75 on the hand-made curve; back within half a step.
  const double stored = read_global_factor(file, globals[0]).value();
  CHECK(std::fabs(stored + 0.75) <= 0.5 * globals[0].step + 1e-6);
  CHECK(std::fabs(globals[0].to_user(stored) - 0.25) <= 0.5 * globals[0].step / 3.0 + 1e-6);
  auto edited = write_fct(file.header, file.streams);
  REQUIRE(edited.ok());
  auto edited_out = decompress_image(edited->data(), edited->size(), *model, DecompressOptions{});
  REQUIRE(edited_out.ok());
  check_binary_sprite(*edited_out);

  // Dropping a latent (decodes as 0), in the file or at decompress time.
  auto dropped = edit_fct_bytes(bytes->data(), bytes->size(), globals, {}, {"shape"});
  REQUIRE(dropped.ok());
  FctFile dropped_file = read_fct(dropped->data(), dropped->size()).value();
  CHECK(dropped_file.header.find("shape") < 0);
  CHECK(sprite_latents(dropped_file, *libtorch_sprites(*model)).value()[4] == 0.0f);
  auto a = decompress_image(dropped->data(), dropped->size(), *model, DecompressOptions{});
  DecompressOptions drop;
  drop.drop = {"shape"};
  auto b = decompress_image(bytes->data(), bytes->size(), *model, drop);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->samples == b->samples);
}

TEST_CASE("SpritesModelRefusesOtherImagesAndFiles", "[factors][sprites-codec]") {
  torch::manual_seed(7);
  SpritesVae net(SpritesConfig{});
  auto sprites = sprites_codec_model(net, hand_made_info());
  Image wide = make_image(64, 32, 1, 8).value();
  CHECK(compress_image(wide, *sprites, CompressOptions{}).status().code() == ErrorCode::kInvalidArgument);
  Image big = make_image(128, 128, 3, 8).value();
  CHECK(compress_image(big, *sprites, CompressOptions{}).status().code() == ErrorCode::kInvalidArgument);

  // A photo file given to the sprites model, and a sprite file given to the photo model.
  auto photo = tiny_chroma_model();
  auto photo_bytes = compress_image(corpus_image(64, 64), *photo, CompressOptions{});
  REQUIRE(photo_bytes.ok());
  CHECK(decompress_image(photo_bytes->data(), photo_bytes->size(), *sprites, DecompressOptions{}).status().code() ==
        ErrorCode::kUnsupported);
  auto sprite_bytes = compress_image(sprite_image({0, 0, 0, 0, 0}), *sprites, CompressOptions{});
  REQUIRE(sprite_bytes.ok());
  CHECK(decompress_image(sprite_bytes->data(), sprite_bytes->size(), *photo, DecompressOptions{}).status().code() ==
        ErrorCode::kUnsupported);
  // The photo model's appearance factors cannot be set on a sprite file.
  CHECK(edit_fct_bytes(sprite_bytes->data(), sprite_bytes->size(), photo->global_factors(),
                       {*parse_factor_setting("exposure=+1")}, {})
            .status()
            .code() == ErrorCode::kInvalidArgument);
}


// The shipped sprites model: --set posX moves the decoded sprite by one pixel per position step.
TEST_CASE("ShippedSpritesModelMovesTheSpriteWithPosX", "[factors][sprites-codec][shipped]") {
  auto loaded = load_codec_model(std::string(FACET_SOURCE_DIR) + "/models/facet-sprites.safetensors.zst");
  REQUIRE(loaded.ok());
  CodecModel& model = **loaded;
  REQUIRE(model.is_sprites());
  const auto globals = model.global_factors();
  bool has_pos_x = false;
  for (const auto& g : globals) has_pos_x |= g.name == "posX";
  REQUIRE(has_pos_x);
  std::mt19937_64 rng(99);
  int within = 0, total = 0;
  for (int i = 0; i < 20; ++i) {
    SpriteFactors f = random_sprite_factors(rng);
    f.scale = 5;  // large sprites: a well-defined centroid
    uint8_t pixels[kSpritePixels];
    REQUIRE(render_sprite_into(f, pixels).ok());
    Image image = make_image(kSpriteSize, kSpriteSize, 1, 8).value();
    for (size_t p = 0; p < kSpritePixels; ++p) image.samples[p] = pixels[p] ? 255 : 0;
    auto fct = compress_image(image, model, CompressOptions{});
    REQUIRE(fct.ok());
    auto file = read_fct(fct->data(), fct->size());
    REQUIRE(file.ok());
    const int target = int((rng() >> 11) % 32);
    FctFile moved = *file;
    REQUIRE(edit_factors(moved, globals, {{"posX", {target / 31.0, false}}}, {}).ok());
    auto before = decompress_fct(*file, model, DecompressOptions{});
    auto after = decompress_fct(moved, model, DecompressOptions{});
    REQUIRE(before.ok());
    REQUIRE(after.ok());
    std::vector<uint8_t> b(kSpritePixels), a(kSpritePixels);
    for (size_t p = 0; p < kSpritePixels; ++p) {
      b[p] = before->samples[p] != 0;
      a[p] = after->samples[p] != 0;
    }
    auto cb = sprite_centroid(b.data());
    auto ca = sprite_centroid(a.data());
    REQUIRE(cb.ok());
    REQUIRE(ca.ok());
    // One pixel per position step (sprite_render.h): the shift should match within one step.
    const double expected = double(target - f.pos_x);
    within += std::abs((ca->x - cb->x) - expected) <= 1.0;
    ++total;
  }
  INFO("sprites moved within one position step: " << within << " of " << total);
  CHECK(within >= total * 3 / 4);
}

}  // namespace
}  // namespace facet
