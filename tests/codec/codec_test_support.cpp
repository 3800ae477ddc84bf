// LibTorch first: it brings glog's CHECK, which Catch's CHECK must replace.
#include "codec/codec_test_support.h"

#include "networks/photo_model.h"
#include "networks/model_io.h"
#include "formats/image_io.h"
#include "formats/safetensors.h"
#include "test_support.h"

#include <cmath>
#include <stdexcept>

#undef CHECK
#include <catch2/catch.hpp>

namespace facet::test {
namespace {
// The codec tests run in a program that links LibTorch, as facet-torch does.
[[maybe_unused]] const bool kLibTorchBackend = (use_libtorch_backend(), true);
}  // namespace

std::shared_ptr<CodecModel> untrained_model(const ModelConfig& config, uint64_t seed, TransformsBackend backend) {
  REQUIRE(config.validate().ok());
  torch::manual_seed(seed);
  PhotoModel net(config);
  // The context networks' last layers start at zero (a context added to a trained model starts as
  // that model); random ones here, so that the tests exercise them.
  for (auto& context : net->context)
    if (context) {
      torch::NoGradGuard no_grad;
      for (auto& p : context->children().back()->parameters()) p.normal_(0.0, 0.05);
    }
  auto tables = bake_entropy_tables(net);
  REQUIRE(tables.ok());
  auto file = model_to_tensor_file(net, *tables);
  REQUIRE(file.ok());
  auto bytes = encode_weights_file(*file, true);
  REQUIRE(bytes.ok());
  auto model = load_codec_model_bytes(*bytes, config.model_id, backend);
  REQUIRE(model.ok());
  return *model;
}

Image corpus_image(uint32_t width, uint32_t height) {
  Bytes png = read_source_file("corpus/kodim23-crop.png");
  auto full = decode_image(png.data(), png.size());
  REQUIRE(full.ok());
  Image out = make_image(width, height, full->channels, 8).value();
  for (uint32_t y = 0; y < height; ++y)
    for (uint32_t x = 0; x < width; ++x)
      for (uint32_t c = 0; c < full->channels; ++c) out.at(x, y, c) = full->at(x, y, c);
  return out;
}

std::shared_ptr<CodecModel> tiny_chroma_model(uint64_t seed) {
  ModelConfig c;
  c.n = 16;
  c.m = 32;
  c.hyper_n = 16;
  c.groups = 2;
  c.chroma = 8;
  c.lambdas = {0.005, 0.02};
  c.model_id = "tiny-factors";
  auto model = untrained_model(c, seed);
  if (!model->entropy.tables.has_appearance() || model->is_sprites())
    throw std::logic_error("tiny_chroma_model: expected a photo model with appearance tables");
  return model;
}

CropSet sine_crops(int64_t count, uint64_t seed) {
  CropSet crops;
  crops.size = 64;
  crops.count = count;
  Rng rng(seed);
  for (int64_t i = 0; i < crops.count; ++i) {
    const double fx = rng.uniform() * 0.2, fy = rng.uniform() * 0.2, phase = rng.uniform() * 6;
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x)
        for (int c = 0; c < 3; ++c) crops.pixels.push_back(uint8_t(127 + 100 * std::sin(fx * x + fy * y + phase + c)));
  }
  return crops;
}

}  // namespace facet::test
