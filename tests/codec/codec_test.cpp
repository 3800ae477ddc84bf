// The learned codec: deterministic hyper-synthesis, training from scratch, and compress/decompress
// properties (thread-count independence, tiling, alpha, gray, dropped groups, model mismatch).
// LibTorch first: it brings glog's CHECK, which Catch's CHECK must replace.
#include <ATen/Parallel.h>
#include <chrono>
#include <cmath>

#include "codec/codec.h"
#include "model/hyper_synthesis.h"
#include "networks/model_io.h"
#include "train/train_loop.h"
#include "train/trainer.h"
#include "formats/image_io.h"
#include "codec/codec_test_support.h"
#include "test_support.h"

#undef CHECK
#include <catch2/catch.hpp>

namespace facet {
namespace {

ModelConfig tiny_config() {
  ModelConfig c;
  c.n = 16;
  c.m = 24;
  c.hyper_n = 16;
  c.groups = 3;
  c.lambdas = {0.005, 0.02};
  c.model_id = "tiny-test";
  return c;
}

std::shared_ptr<CodecModel> tiny_model(uint64_t seed = 1) { return test::untrained_model(tiny_config(), seed); }

using test::corpus_image;

double psnr(const Image& a, const Image& b) {
  double se = 0;
  for (size_t i = 0; i < a.samples.size(); ++i) se += std::pow(double(a.samples[i]) - b.samples[i], 2);
  const double mse = se / a.samples.size();
  return mse == 0 ? 999 : 10 * std::log10(255.0 * 255.0 / mse);
}

TEST_CASE("HyperSynthesisIsBitExactForAnyThreadCountAndMatchesLibTorch", "[codec]") {
  auto model = tiny_model(3);
  test::Rng rng(4);
  const int zh = 3, zw = 5, hn = model->config().hyper_n;
  std::vector<int32_t> z(size_t(hn) * zh * zw);
  for (auto& v : z) v = int32_t(rng.below(9)) - 4;
  auto one = run_hyper_synthesis(model->entropy.hyper_synthesis, z, zh, zw, 1);
  REQUIRE(one.ok());
  for (int threads : {2, 3, 7}) {
    auto many = run_hyper_synthesis(model->entropy.hyper_synthesis, z, zh, zw, threads);
    REQUIRE(many.ok());
    CHECK(many->means.data == one->means.data);
    CHECK(many->indexes == one->indexes);
  }
  torch::NoGradGuard no_grad;
  auto zt = torch::tensor(std::vector<float>(z.begin(), z.end())).view({1, hn, zh, zw});
  auto [mean, scale_raw] = (*libtorch_network(*model))->hyper_synthesis(zt);
  auto mean_c = mean.contiguous();
  const float* m = mean_c.data_ptr<float>();
  double worst = 0;
  for (size_t i = 0; i < one->means.data.size(); ++i) worst = std::max(worst, double(std::fabs(m[i] - one->means.data[i])));
  CHECK(worst < 1e-4);
}

// One rate point, one group, 64² patches: the smallest training run.
TrainOptions tiny_train_options() {
  TrainOptions options;
  options.config = tiny_config();
  options.config.lambdas = {0.01};
  options.config.groups = 1;
  options.crop = 64;
  return options;
}

// Trains (it must succeed) and returns the loss of each progress line.
std::vector<double> training_losses(const TrainOptions& options, const CropSet& crops) {
  std::vector<double> losses;
  Status status = train_photo_model(options, crops, nullptr, [&](const TrainProgress& p) {
    if (!p.is_eval && p.banner.empty() && p.budget_steps == 0) losses.push_back(p.loss);
  });
  REQUIRE(status.ok());
  return losses;
}

TEST_CASE("TrainingFromScratchLowersTheLoss", "[codec][train]") {
  const CropSet crops = test::sine_crops(16, 5);
  TrainOptions options = tiny_train_options();
  options.steps = 60;
  options.batch = 4;
  options.learning_rate = 1e-3;
  options.warmup_steps = 5;
  options.log_every = 10;
  const std::vector<double> losses = training_losses(options, crops);
  REQUIRE(losses.size() == 6);
  INFO("first " << losses.front() << " last " << losses.back());
  CHECK(losses.back() < 0.8 * losses.front());
}

TEST_CASE("GradientClippingMatchesLibTorchs", "[codec][train]") {
  for (const double max_norm : {0.5, 1e3}) {  // clipping, and a norm already below the limit
    torch::manual_seed(3);
    std::vector<torch::Tensor> ours, reference;
    for (int i = 0; i < 4; ++i) {
      auto p = torch::randn({3 + i, 5});
      p.mutable_grad() = torch::randn({3 + i, 5});
      auto q = p.detach().clone();
      q.mutable_grad() = p.grad().clone();
      ours.push_back(p);
      reference.push_back(q);
    }
    clip_gradients(ours, max_norm);
    torch::nn::utils::clip_grad_norm_(reference, max_norm);
    for (size_t i = 0; i < ours.size(); ++i) CHECK(torch::allclose(ours[i].grad(), reference[i].grad(), 1e-6, 1e-7));
  }
}

TEST_CASE("PairedChromaStepDecodesTheChromaDroppedImageToo", "[codec][train]") {
  ModelConfig config = tiny_config();
  config.groups = 2;
  config.chroma = 8;
  REQUIRE(config.validate().ok());
  torch::manual_seed(4);
  PhotoModel model(config);
  model->eval();
  torch::NoGradGuard no_grad;
  // Large gains, so that an untrained model's latents do not all round to the hyperprior's mean.
  model->log_gains.fill_(4.0);
  model->log_inverse_gains.fill_(-4.0);
  const auto x = torch::rand({2, 3, 64, 64});
  for (const int kept : {1, 2}) {
    const ForwardResult paired = model->forward(x, 1, kept, /*noisy=*/false, /*keep_chroma=*/true,
                                                /*also_without_chroma=*/true);
    const ForwardResult full = model->forward(x, 1, kept, false, true);
    const ForwardResult gray = model->forward(x, 1, kept, false, false);
    REQUIRE(paired.x_hat_without_chroma.defined());
    CHECK(torch::allclose(paired.x_hat, full.x_hat));
    CHECK(torch::allclose(paired.x_hat_without_chroma, gray.x_hat));
    CHECK(!torch::allclose(paired.x_hat, gray.x_hat));  // the chroma group changes the decode
    // The rate is the full decode's: every kept group, chroma included.
    CHECK(torch::equal(paired.y_mask, full.y_mask));
  }
  // Without a chroma group there is nothing to drop: no second decode.
  PhotoModel plain(tiny_config());
  CHECK(!plain->forward(x, 0, 3, false, true, true).x_hat_without_chroma.defined());
}

TEST_CASE("PairedTruncationStepDecodesTheTruncatedLatentsToo", "[codec][train]") {
  ModelConfig config = tiny_config();
  config.groups = 3;
  config.chroma = 6;  // 18 structure channels, 6 a group
  REQUIRE(config.validate().ok());
  torch::manual_seed(5);
  PhotoModel model(config);
  model->eval();
  torch::NoGradGuard no_grad;
  model->log_gains.fill_(4.0);
  model->log_inverse_gains.fill_(-4.0);
  const auto x = torch::rand({2, 3, 64, 64});
  for (const bool keep_chroma : {true, false}) {
    const ForwardResult full = model->forward(x, 1, 3, /*noisy=*/false, keep_chroma);
    for (const int kept : {1, 2}) {
      const ForwardResult paired = model->forward(x, 1, 3, false, keep_chroma, /*also_without_chroma=*/false,
                                                  /*also_kept_groups=*/kept);
      const ForwardResult truncated = model->forward(x, 1, kept, false, keep_chroma);
      REQUIRE(paired.x_hat_truncated.defined());
      CHECK(torch::allclose(paired.x_hat, full.x_hat));
      CHECK(torch::allclose(paired.x_hat_truncated, truncated.x_hat));
      CHECK(!torch::allclose(paired.x_hat, truncated.x_hat));  // the dropped groups change the decode
      // The rate is the full decode's.
      CHECK(torch::equal(paired.y_mask, full.y_mask));
    }
  }
  // Nothing to truncate: as many groups as the full decode, or none asked for.
  CHECK(!model->forward(x, 1, 2, false, true, false, 2).x_hat_truncated.defined());
  CHECK(!model->forward(x, 1, 3, false, true, false, 0).x_hat_truncated.defined());
}

TEST_CASE("PairedTruncationTrainingAddsTheWeightedTruncatedDistortion", "[codec][train]") {
  CropSet crops;
  crops.size = 64;
  crops.count = 4;
  test::Rng rng(10);
  for (int64_t i = 0; i < crops.count * 64 * 64 * 3; ++i) crops.pixels.push_back(uint8_t(rng.uniform() * 255));
  TrainOptions options = tiny_train_options();
  options.config.groups = 3;
  options.chroma_drop_probability = 0;
  options.truncation_probability = 1.0;  // every step truncates
  options.truncation_mode = TrainOptions::TruncationMode::kPaired;
  options.batch = 2;
  options.steps = 1;
  options.log_every = 1;
  // The first step's loss (same seed: same batch, noise and kept groups) is the full decode's
  // rate-distortion plus truncation_weight times the truncated decode's distortion term: linear in
  // the weight, the term positive. Weight 0 is the full decode alone: no truncation at all.
  std::vector<double> first;
  for (const double weight : {0.0, 1.0, 3.0}) {
    options.truncation_weight = weight;
    const std::vector<double> l = training_losses(options, crops);
    REQUIRE(l.size() == 1);
    first.push_back(l[0]);
  }
  options.truncation_probability = 0;
  const std::vector<double> untruncated = training_losses(options, crops);
  REQUIRE(untruncated.size() == 1);
  const double term = first[1] - first[0];
  INFO("losses at weights 0, 1, 3: " << first[0] << " " << first[1] << " " << first[2] << "; without truncation "
                                     << untruncated[0]);
  CHECK(first[0] == Approx(untruncated[0]).epsilon(1e-6));
  CHECK(term > 1e-3 * first[0]);
  CHECK(first[2] - first[0] == Approx(3 * term).epsilon(1e-3));
}

TEST_CASE("PairedChromaTrainingRuns", "[codec][train]") {
  CropSet crops;
  crops.size = 64;
  crops.count = 4;
  test::Rng rng(9);
  for (int64_t i = 0; i < crops.count * 64 * 64 * 3; ++i) crops.pixels.push_back(uint8_t(rng.uniform() * 255));
  TrainOptions options = tiny_train_options();
  options.config.groups = 2;
  options.config.chroma = 8;
  options.chroma_drop_probability = 1.0;  // every step paired
  options.chroma_drop_mode = TrainOptions::ChromaDropMode::kPaired;
  options.steps = 4;
  options.batch = 2;
  options.log_every = 2;
  const std::vector<double> losses = training_losses(options, crops);
  REQUIRE(losses.size() == 2);
  for (double loss : losses) CHECK(std::isfinite(loss));

  // The first step's loss (before any update, same seed: same batch and noise) is the colour
  // decode's rate-distortion plus chroma_luma_weight times the grayscale decode's distortion term:
  // linear in the weight, and the term is positive.
  options.steps = 1;
  options.log_every = 1;
  std::vector<double> first;
  for (const double weight : {0.0, 1.0, 3.0}) {
    options.chroma_luma_weight = weight;
    const std::vector<double> l = training_losses(options, crops);
    REQUIRE(l.size() == 1);
    first.push_back(l[0]);
  }
  const double term = first[1] - first[0];
  INFO("losses at weights 0, 1, 3: " << first[0] << " " << first[1] << " " << first[2]);
  CHECK(term > 1e-3 * first[0]);
  CHECK(first[2] - first[0] == Approx(3 * term).epsilon(1e-3));
}

TEST_CASE("TimeBudgetFitsTheStepsAndStopsInTime", "[codec][train]") {
  CropSet crops;
  crops.size = 64;
  crops.count = 4;
  crops.pixels.assign(size_t(crops.count) * 64 * 64 * 3, 100);
  TrainOptions options = tiny_train_options();
  options.steps = 1000000000;
  options.batch = 2;
  options.log_every = 1000000;
  options.time_budget_seconds = 3;
  int64_t fitted = 0, last_step = 0;
  const auto start = std::chrono::steady_clock::now();
  Status status = train_photo_model(options, crops, nullptr, [&](const TrainProgress& p) {
    if (p.budget_steps > 0) fitted = p.budget_steps;
    else if (!p.is_eval) last_step = p.step;
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(status.ok());
  CHECK(fitted > 0);
  CHECK(fitted < options.steps);
  CHECK(last_step > 0);
  CHECK(last_step <= fitted);
  CHECK(seconds < 30);  // 3 s of steps, start-up and a slow machine allowed for
}

TEST_CASE("CompressedFilesAreIdenticalForAnyThreadCount", "[codec]") {
  auto model = tiny_model();
  const Image image = corpus_image(200, 136);  // not a multiple of 64: padding and cropping
  CompressOptions options;
  options.quality = 60;
  at::set_num_threads(1);
  options.threads = 1;
  auto a = compress_image(image, *model, options);
  at::set_num_threads(2);
  options.threads = 2;
  auto b = compress_image(image, *model, options);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);

  DecompressOptions decode;
  at::set_num_threads(1);
  decode.threads = 1;
  auto da = decompress_image(a->data(), a->size(), *model, decode);
  at::set_num_threads(2);
  decode.threads = 2;
  auto db = decompress_image(b->data(), b->size(), *model, decode);
  REQUIRE(da.ok());
  REQUIRE(db.ok());
  CHECK(da->width == 200);
  CHECK(da->height == 136);
  CHECK(da->channels == 3);
  CHECK(encode_png(*da).value() == encode_png(*db).value());
}

// The shipped model on a 768x640 photo (the corpus crop mirrored into a 2x2 mosaic): the same
// file and the same decoded pixels for 1, 2 and 3 threads, on the fp32 path and, where the CPU
// has bf16 instructions, on the bf16 path. The tiles (fixed by the image) are what the threads
// share; a convolution never runs on more than one thread.
TEST_CASE("ShippedModelGivesTheSameFileAndPixelsForAnyThreadCount", "[codec][shipped]") {
  auto loaded = load_codec_model(std::string(FACET_SOURCE_DIR) + "/models/facet-photo.safetensors.zst");
  REQUIRE(loaded.ok());
  const Image crop = corpus_image(384, 320);
  Image image = make_image(768, 640, 3, 8).value();
  for (uint32_t y = 0; y < 640; ++y)
    for (uint32_t x = 0; x < 768; ++x) {
      const uint32_t sx = x < 384 ? x : 767 - x, sy = y < 320 ? y : 639 - y;
      for (int c = 0; c < 3; ++c) image.at(x, y, c) = crop.at(sx, sy, c);
    }
  std::vector<TransformPrecision> precisions = {TransformPrecision::kFp32};
  if (!cpu_bf16_flags().empty()) precisions.push_back(TransformPrecision::kBf16);
  const int saved = at::get_num_threads();
  for (TransformPrecision precision : precisions) {
    CAPTURE(int(precision));
    Bytes first_file, first_png;
    for (int threads : {1, 2, 3}) {
      CAPTURE(threads);
      at::set_num_threads(threads);
      CompressOptions encode;
      encode.quality = 60;
      encode.threads = threads;
      encode.precision = precision;
      auto file = compress_image(image, **loaded, encode);
      REQUIRE(file.ok());
      DecompressOptions decode;
      decode.threads = threads;
      decode.precision = precision;
      // Always decode the first file, so that only the decoder's thread count changes.
      auto decoded = decompress_image(threads == 1 ? file->data() : first_file.data(),
                                      threads == 1 ? file->size() : first_file.size(), **loaded, decode);
      REQUIRE(decoded.ok());
      Bytes png = encode_png(*decoded).value();
      if (threads == 1) {
        first_file = *file;
        first_png = png;
        CHECK(psnr(image, *decoded) > 25.0);
      } else {
        CHECK(*file == first_file);
        CHECK(png == first_png);
      }
    }
  }
  at::set_num_threads(saved);
}

TEST_CASE("TiledDecodeMatchesUntiled", "[codec]") {
  auto model = tiny_model();
  const Image image = corpus_image(384, 320);
  auto file = compress_image(image, *model, CompressOptions{});
  REQUIRE(file.ok());
  DecompressOptions whole, tiled;
  whole.tile_latents = 0;
  tiled.tile_latents = 3;  // many seams on a 24x20-latent image
  auto a = decompress_image(file->data(), file->size(), *model, whole);
  auto b = decompress_image(file->data(), file->size(), *model, tiled);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(psnr(*a, *b) >= 45.0);
  // Tiled analysis too: the files may differ only where float noise flips a rounding.
  CompressOptions tiled_encode;
  tiled_encode.tile_latents = 3;
  auto file_tiled = compress_image(image, *model, tiled_encode);
  REQUIRE(file_tiled.ok());
  auto c = decompress_image(file_tiled->data(), file_tiled->size(), *model, whole);
  REQUIRE(c.ok());
  CHECK(psnr(*a, *c) >= 45.0);
}

TEST_CASE("AlphaIsLosslessAndGrayStaysGray", "[codec]") {
  auto model = tiny_model();
  const Image rgb = corpus_image(70, 50);
  Image rgba = make_image(70, 50, 4, 8).value();
  Image gray = make_image(70, 50, 1, 8).value();
  for (uint32_t y = 0; y < 50; ++y)
    for (uint32_t x = 0; x < 70; ++x) {
      for (int c = 0; c < 3; ++c) rgba.at(x, y, c) = rgb.at(x, y, c);
      rgba.at(x, y, 3) = uint16_t((x * 7 + y * 3) % 256);
      gray.at(x, y, 0) = rgb.at(x, y, 1);
    }
  auto file = compress_image(rgba, *model, CompressOptions{});
  REQUIRE(file.ok());
  auto out = decompress_image(file->data(), file->size(), *model, DecompressOptions{});
  REQUIRE(out.ok());
  REQUIRE(out->channels == 4);
  for (uint32_t y = 0; y < 50; ++y)
    for (uint32_t x = 0; x < 70; ++x) REQUIRE(out->at(x, y, 3) == rgba.at(x, y, 3));

  auto gray_file = compress_image(gray, *model, CompressOptions{});
  REQUIRE(gray_file.ok());
  auto gray_out = decompress_image(gray_file->data(), gray_file->size(), *model, DecompressOptions{});
  REQUIRE(gray_out.ok());
  CHECK(gray_out->channels == 1);

  // A 16-bit alpha widens the decoded colours after synthesis and appearance: the same colours
  // as the 8-bit file's, times 257 (the appearance step once measured 16-bit samples as 8-bit).
  Image rgba16 = make_image(70, 50, 4, 16).value();
  for (size_t i = 0; i < rgba.samples.size(); ++i) rgba16.samples[i] = uint16_t(rgba.samples[i] * 257);
  auto file16 = compress_image(rgba16, *model, CompressOptions{});
  REQUIRE(file16.ok());
  auto out16 = decompress_image(file16->data(), file16->size(), *model, DecompressOptions{});
  REQUIRE(out16.ok());
  REQUIRE(out16->bit_depth == 16);
  int worst = 0;
  for (uint32_t y = 0; y < 50; ++y)
    for (uint32_t x = 0; x < 70; ++x) {
      for (int c = 0; c < 3; ++c) {
        REQUIRE(out16->at(x, y, c) % 257 == 0);
        worst = std::max(worst, std::abs(int(out16->at(x, y, c) / 257) - int(out->at(x, y, c))));
      }
      REQUIRE(out16->at(x, y, 3) == rgba16.at(x, y, 3));
    }
  CHECK(worst <= 1);
}

TEST_CASE("FilesWithoutTrailingGroupsDecode", "[codec]") {
  auto model = tiny_model();
  auto bytes = compress_image(corpus_image(128, 128), *model, CompressOptions{});
  REQUIRE(bytes.ok());
  auto file = read_fct(bytes->data(), bytes->size()).value();
  REQUIRE(file.header.find("structure.2") >= 0);
  const int at = file.header.find("structure.2");
  file.header.factors.erase(file.header.factors.begin() + at);
  file.streams.erase(file.streams.begin() + at);
  auto thinned = write_fct(file.header, file.streams).value();
  CHECK(thinned.size() < bytes->size());
  auto out = decompress_image(thinned.data(), thinned.size(), *model, DecompressOptions{});
  REQUIRE(out.ok());
  DecompressOptions drop;
  drop.drop = {"structure.2"};
  auto dropped = decompress_image(bytes->data(), bytes->size(), *model, drop);
  REQUIRE(dropped.ok());
  CHECK(dropped->samples == out->samples);
}

TEST_CASE("DecoderRefusesAnotherModelsFileAndDamagedFiles", "[codec]") {
  auto model = tiny_model(1);
  auto other = tiny_model(2);
  auto bytes = compress_image(corpus_image(64, 64), *model, CompressOptions{});
  REQUIRE(bytes.ok());
  CHECK(decompress_image(bytes->data(), bytes->size(), *other, DecompressOptions{}).status().code() ==
        ErrorCode::kUnsupported);
  for (size_t cut : {size_t(0), size_t(10), bytes->size() / 2, bytes->size() - 1})
    CHECK_FALSE(decompress_image(bytes->data(), cut, *model, DecompressOptions{}).ok());
  CompressOptions bad_quality;
  bad_quality.quality = 101;
  CHECK(compress_image(corpus_image(64, 64), *model, bad_quality).status().code() == ErrorCode::kInvalidArgument);
  CompressOptions bad_effort;
  bad_effort.effort = kMaxEffort + 1;
  CHECK(compress_image(corpus_image(64, 64), *model, bad_effort).status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("WeightsFileRoundTripKeepsTheModel", "[codec]") {
  auto model = tiny_model(9);
  auto file = model_to_tensor_file((*libtorch_network(*model)), model->entropy.tables);
  REQUIRE(file.ok());
  auto again = model_from_tensor_file(*file);
  REQUIRE(again.ok());
  auto a = (*libtorch_network(*model))->named_parameters();
  auto b = again->net->named_parameters();
  for (const auto& item : a) CHECK(torch::equal(item.value(), b[item.key()]));
  CHECK(again->entropy.hyper_synthesis.up1.weight == model->entropy.hyper_synthesis.up1.weight);
  // A missing tensor is named in the error.
  file->tensors.erase("g_a.0.weight");
  auto broken = model_from_tensor_file(*file);
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().message().find("g_a.0.weight") != std::string::npos);
}

TEST_CASE("F16WeightsFileHoldsTheRoundedModel", "[codec]") {
  auto model = tiny_model(9);
  PhotoModel& net = (*libtorch_network(*model));
  round_parameters_to_f16(*net);
  auto file = model_to_tensor_file(net, model->entropy.tables, TensorDtype::kF16);
  REQUIRE(file.ok());
  CHECK(file->tensors.at("g_a.0.weight").dtype == TensorDtype::kF16);
  CHECK(file->tensors.at("g_a.0.weight").data.size() == size_t(net->named_parameters()["g_a.0.weight"].numel()) * 2);
  auto again = model_from_tensor_file(*file);
  REQUIRE(again.ok());
  // Rounding first makes the stored model exactly the one the tables were baked from.
  auto b = again->net->named_parameters();
  for (const auto& item : net->named_parameters()) CHECK(torch::equal(item.value(), b[item.key()]));
}

}  // namespace
}  // namespace facet
