// The group context (FORMAT.md §5.6.2): the deterministic C++ networks agree with LibTorch's, the
// files and pixels do not depend on the thread count, drops keep the kept groups exact and refuse
// to leave a group without its context, and version-2 files still decode.
// LibTorch first: it brings glog's CHECK, which Catch's CHECK must replace.
#include <ATen/Parallel.h>
#include <cmath>

#include "bitstream/factor_edit.h"
#include "bitstream/photo_streams.h"
#include "codec/codec.h"
#include "codec/codec_test_support.h"
#include "common/bytes.h"
#include "common/file_io.h"
#include "formats/safetensors.h"
#include "formats/checksum.h"
#include "formats/container_fields.h"
#include "formats/container_streams.h"
#include "formats/container_visitors.h"
#include "formats/image_io.h"
#include "formats/sample_fct.h"
#include "model/group_context.h"
#include "networks/photo_model.h"
#include "networks/tensor_io.h"
#include "train/trainer.h"
#include "test_support.h"

#undef CHECK
#include <catch2/catch.hpp>

namespace facet {
namespace {

// Three structure groups, a chroma group, and context networks of 8 channels (random, also their
// last layers: test::untrained_model).
ModelConfig context_config() {
  ModelConfig c;
  c.n = 16;
  c.m = 32;
  c.hyper_n = 16;
  c.groups = 3;
  c.chroma = 8;
  c.context_channels = 8;
  c.lambdas = {0.005, 0.02};
  c.model_id = "tiny-context";
  return c;
}

PhotoLatents latents_of(const Bytes& bytes, const CodecModel& model, std::set<std::string> drop = {}, int threads = 1) {
  FctFile file = read_fct(bytes.data(), bytes.size()).value();
  LatentDecodeOptions options;
  options.drop = std::move(drop);
  options.threads = threads;
  auto latents = decode_photo_latents(file, model.entropy, options);
  INFO(latents.status().to_string());
  REQUIRE(latents.ok());
  return *latents;
}

TEST_CASE("GroupContextIsBitExactForAnyThreadCountAndMatchesLibTorch", "[codec][context]") {
  auto model = test::untrained_model(context_config(), 5);
  const ModelConfig& config = model->config();
  REQUIRE(model->entropy.group_context.size() == 4);
  const Image image = test::corpus_image(200, 136);
  CompressOptions options;
  options.quality = 70;
  Bytes first;
  for (int threads : {1, 2, 3}) {
    at::set_num_threads(threads);
    options.threads = threads;
    auto bytes = compress_image(image, *model, options);
    REQUIRE(bytes.ok());
    if (threads == 1) first = *bytes;
    CHECK(*bytes == first);
  }
  at::set_num_threads(1);
  const PhotoLatents one = latents_of(first, *model, {}, 1);
  CHECK(latents_of(first, *model, {}, 3).y_hat == one.y_hat);

  // The file's values through LibTorch's group_parameters: the means agree with the C++ path's to
  // float noise, so every residual y_hat - mean is (nearly) an integer.
  FctFile file = read_fct(first.data(), first.size()).value();
  const FactorEntry& hyper = file.header.factors[file.header.find("hyper")];
  auto z = decode_rans_stream(hyper, file.streams[file.header.find("hyper")],
                              channel_indexes(config.hyper_n, hyper.shape[1] * hyper.shape[2]),
                              model->entropy.tables.z_tables);
  REQUIRE(z.ok());
  torch::NoGradGuard no_grad;
  auto zt = torch::tensor(std::vector<float>(z->begin(), z->end()))
                .view({1, config.hyper_n, int64_t(hyper.shape[1]), int64_t(hyper.shape[2])});
  auto [mean, raw] = (*libtorch_network(*model))->hyper_synthesis(zt);
  auto y = torch::tensor(one.y_hat).view({1, config.m, one.latent_height, one.latent_width});
  auto params = (*libtorch_network(*model))->group_parameters(
      y, mean, raw, [](const torch::Tensor& v, const torch::Tensor& mu) { return torch::round(v - mu) + mu; });
  const double off_integer = (y - params.mean - torch::round(y - params.mean)).abs().max().item<double>();
  CHECK(off_integer < 1e-3);
  // The context moves the means: a model without it would code other symbols.
  CHECK((params.mean - mean).abs().max().item<double>() > 1e-2);
}

TEST_CASE("GroupContextDropsKeepTheKeptGroupsExact", "[codec][context]") {
  auto model = test::untrained_model(context_config(), 6);
  const ModelConfig& config = model->config();
  auto bytes = compress_image(test::corpus_image(128, 128), *model, CompressOptions{});
  REQUIRE(bytes.ok());
  const PhotoLatents full = latents_of(*bytes, *model);
  const size_t plane = size_t(full.latent_height) * full.latent_width;
  const auto channels_equal = [&](const PhotoLatents& a, int first, int count) {
    return std::equal(a.y_hat.begin() + first * plane, a.y_hat.begin() + (first + count) * plane,
                      full.y_hat.begin() + first * plane);
  };
  const int gc = config.group_channels();
  // The last structure group, the last two, chroma: every kept group's values are the full file's.
  for (std::set<std::string> drop : {std::set<std::string>{"structure.2"}, {"structure.1", "structure.2"},
                                     {"chroma"}, {"chroma", "structure.2"}}) {
    CAPTURE(drop.size(), *drop.begin());
    const PhotoLatents thin = latents_of(*bytes, *model, drop);
    for (int k = 0; k < config.coded_groups(); ++k)
      if (!drop.count(coded_group_stream_name(config, k)))
        CHECK(channels_equal(thin, config.coded_group_first_channel(k), config.coded_group_channels(k)));
    CHECK(thin.chroma_kept == !drop.count("chroma"));
  }
  CHECK(!channels_equal(latents_of(*bytes, *model, {"structure.2"}), 2 * gc, gc));

  // A drop that leaves a kept group without its context is refused, by the editor and the decoder.
  FctFile file = read_fct(bytes->data(), bytes->size()).value();
  CHECK(file.header.factors[file.header.find("chroma")].context == std::vector<std::string>{"hyper", "structure.0"});
  for (const char* name : {"structure.0", "structure.1"}) {
    FctFile copy = file;
    Status edited = edit_factors(copy, {}, {}, {name});
    CHECK(edited.code() == ErrorCode::kInvalidArgument);
    LatentDecodeOptions options;
    options.drop = {name};
    CHECK(decode_photo_latents(file, model->entropy, options).status().code() == ErrorCode::kInvalidArgument);
  }
  // A file that lacks structure.1 but holds structure.2 (not made by Facet) is corrupt.
  FctFile hostile = file;
  const int at = hostile.header.find("structure.1");
  hostile.header.factors.erase(hostile.header.factors.begin() + at);
  hostile.streams.erase(hostile.streams.begin() + at);
  CHECK(decode_photo_latents(hostile, model->entropy, LatentDecodeOptions{}).status().code() ==
        ErrorCode::kCorrupt);
  // So is one whose context list does not match the model's.
  FctFile lying = file;
  lying.header.factors[lying.header.find("structure.2")].context = {"hyper", "structure.1"};
  CHECK(decode_photo_latents(lying, model->entropy, LatentDecodeOptions{}).status().code() ==
        ErrorCode::kCorrupt);
}

TEST_CASE("EditRefusesDropsThatLeaveAStreamWithoutItsContext", "[codec][context]") {
  const Bytes current = test::make_sample_fct();
  auto file = read_fct(current.data(), current.size());
  REQUIRE(file.ok());
  FctFile copy = *file;
  Status refused = edit_factors(copy, {}, {}, {"structure.0"});
  CHECK(refused.code() == ErrorCode::kInvalidArgument);
  CHECK(refused.message().find("'structure.1' without its context") != std::string::npos);
  CHECK(copy.header.factors.size() == file->header.factors.size());  // nothing dropped
  copy = *file;
  CHECK(edit_factors(copy, {}, {}, {"structure.1"}).ok());
  copy = *file;
  CHECK(edit_factors(copy, {}, {}, {"structure.0", "structure.1"}).ok());
  CHECK(copy.header.find("structure.0") < 0);
}

TEST_CASE("GroupContextRefinementIsTheSameForAnyThreadCount", "[codec][context][effort]") {
  // Effort 2 refines the latents under the context's means and scales (codec/refine.cpp): tiles of
  // 4 latents so that the threads share them; the file decodes.
  auto model = test::untrained_model(context_config(), 8);
  const Image image = test::corpus_image(160, 112);
  const int saved = at::get_num_threads();
  auto encode = [&](int effort, int threads) {
    at::set_num_threads(threads);
    CompressOptions o;
    o.quality = 50;
    o.effort = effort;
    o.threads = threads;
    o.tile_latents = 4;
    return compress_image(image, *model, o);
  };
  // (An untrained model's refinement may keep the analysis' latents: the best rounded iterate is
  // often the first, so effort 1's file is not compared.)
  auto one = encode(2, 1), two = encode(2, 2);
  at::set_num_threads(saved);
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  CHECK(*one == *two);
  CHECK(decompress_image(one->data(), one->size(), *model, DecompressOptions{}).ok());
}

TEST_CASE("ContextOnlyTrainingMovesOnlyTheContextAndLowersTheRate", "[codec][context][train]") {
  // --context-only from a model whose context starts at zero corrections (as a context added to a
  // trained model): the transforms' parameters stay bit for bit, the context's move, the rate falls.
  ModelConfig config = context_config();
  torch::manual_seed(9);
  PhotoModel start(config);
  auto init = std::make_shared<TensorFile>(module_parameters_to_tensor_file(*start));
  const CropSet crops = test::sine_crops(16, 5);
  TrainOptions options;
  options.config = config;
  options.crop = 64;
  options.batch = 4;
  options.steps = 60;
  options.learning_rate = 3e-3;
  options.warmup_steps = 0;
  options.log_every = 20;
  options.context_only = true;
  options.init = init;
  options.output = test::make_temp_dir() + "/context.safetensors";
  std::vector<double> rates;
  Status status = train_photo_model(options, crops, nullptr, [&](const TrainProgress& p) {
    if (!p.is_eval && p.banner.empty() && p.budget_steps == 0) rates.push_back(p.bpp);
  });
  INFO(status.to_string());
  REQUIRE(status.ok());
  REQUIRE(rates.size() == 3);
  CAPTURE(rates[0], rates[2]);
  CHECK(rates[2] < rates[0]);
  auto bytes = read_file(options.output, uint64_t(1) << 30);
  REQUIRE(bytes.ok());
  auto trained = decode_weights_file(bytes->data(), bytes->size());
  REQUIRE(trained.ok());
  int moved = 0;
  for (const auto& [name, tensor] : init->tensors) {
    CAPTURE(name);
    REQUIRE(trained->tensors.count(name));
    const bool context = name.rfind("context_", 0) == 0;
    const bool same = trained->tensors.at(name).data == tensor.data;
    if (context) moved += !same;
    else CHECK(same);
  }
  CHECK(moved > 0);
  // Without group context the option is refused.
  options.config.context_channels = 0;
  options.init = nullptr;
  CHECK(train_photo_model(options, crops, nullptr, [](const TrainProgress&) {}).code() == ErrorCode::kInvalidArgument);
}

// The file as a version-2 writer laid it out: the same single description (FORMAT.md §4.3) at
// version 2, which has no context field.
Bytes as_version_2(const Bytes& v3) {
  FctFile file = read_fct(v3.data(), v3.size()).value();
  FctHeader header = file.header;
  header.version = 2;
  for (FactorEntry& f : header.factors) f.context.clear();
  fct_fields::SizeVisitor sizer;
  fct_fields::Preamble preamble;
  preamble.version = 2;
  fct_fields::visit_preamble(sizer, preamble);
  FctHeader sized = header;
  fct_fields::visit_header(sizer, sized);
  preamble.header_length = uint32_t(kFctMagic.size() + sizer.size() + 4);
  uint64_t payload = 0;
  for (const Bytes& s : file.streams) payload += s.size();
  preamble.payload_length = payload;
  Bytes out(kFctMagic.begin(), kFctMagic.end());
  fct_fields::WriteVisitor writer(&out);
  fct_fields::visit_preamble(writer, preamble);
  fct_fields::visit_header(writer, header);
  REQUIRE(writer.status().ok());
  ByteWriter(&out).u32(checksum32(out.data(), out.size()));
  for (const Bytes& s : file.streams) out.insert(out.end(), s.begin(), s.end());
  return out;
}

TEST_CASE("Version2PhotoFilesDecode", "[codec][golden]") {
  // A model without group context: its version-2 files (no contexts) decode to the same pixels as
  // the version-3 file they were made from; a model with group context refuses them as corrupt.
  auto model = test::tiny_chroma_model();
  auto v3 = compress_image(test::corpus_image(128, 96), *model, CompressOptions{});
  REQUIRE(v3.ok());
  const Bytes v2 = as_version_2(*v3);
  REQUIRE(v2[8] == 2);
  CHECK(v2.size() < v3->size());
  FctFile file = read_fct(v2.data(), v2.size()).value();
  CHECK(file.header.version == 2);
  auto a = decompress_image(v3->data(), v3->size(), *model, DecompressOptions{});
  auto b = decompress_image(v2.data(), v2.size(), *model, DecompressOptions{});
  INFO(b.status().to_string());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->samples == b->samples);

  auto context_model = test::untrained_model(context_config(), 7);
  auto with_context = compress_image(test::corpus_image(128, 96), *context_model, CompressOptions{});
  REQUIRE(with_context.ok());
  const Bytes old = as_version_2(*with_context);
  CHECK(decompress_image(old.data(), old.size(), *context_model, DecompressOptions{}).status().code() ==
        ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace facet
