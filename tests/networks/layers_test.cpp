// Training-time building blocks: GDN's parameterization (every parameter trains), the bf16 autocast
// scopes, and the learning-rate schedules.
// LibTorch first: it brings glog's CHECK, which Catch's CHECK must replace.
#include <ATen/autocast_mode.h>
#include <cmath>

#include "train/checkpoint.h"
#include "codec/codec.h"
#include "codec/codec_test_support.h"
#include "networks/layers.h"
#include "networks/photo_model.h"
#include "networks/precision.h"

#undef CHECK
#include <catch2/catch.hpp>

namespace facet {
namespace {

// Gradients of a random linear read-out of GDN(x) (or its inverse) for each parameter.
std::pair<torch::Tensor, torch::Tensor> gdn_gradients(bool inverse) {
  torch::manual_seed(3);
  Gdn gdn(6, inverse);
  auto x = torch::randn({2, 6, 5, 5});
  auto readout = torch::randn({2, 6, 5, 5});
  (gdn->forward(x) * readout).sum().backward();
  return {gdn->beta_param.grad().clone(), gdn->gamma_param.grad().clone()};
}

TEST_CASE("GdnEveryParameterGetsAGradient", "[layers]") {
  for (bool inverse : {false, true}) {
    auto [beta, gamma] = gdn_gradients(inverse);
    INFO("inverse " << inverse);
    CHECK(beta.ne(0).all().item<bool>());
    // The off-diagonal entries start at the pedestal, where a plain square would give them no
    // gradient at all: every GDN would stay per-channel.
    auto off_diagonal = gamma.masked_select(torch::eye(6).logical_not());
    CHECK(off_diagonal.ne(0).all().item<bool>());
    CHECK(gamma.diagonal().ne(0).all().item<bool>());
  }
}

TEST_CASE("GdnOffDiagonalTermsMoveUnderTraining", "[layers]") {
  torch::manual_seed(5);
  Gdn gdn(4, false);
  torch::optim::Adam adam(gdn->parameters(), torch::optim::AdamOptions(1e-2));
  auto x = torch::randn({8, 4, 6, 6});
  // A target that needs cross-channel normalization: channel 0 divided by channel 1's energy too.
  auto target = x / torch::sqrt(1 + 0.1 * x.square() + 0.5 * x.select(1, 1).unsqueeze(1).square());
  for (int i = 0; i < 50; ++i) {
    adam.zero_grad();
    (gdn->forward(x) - target).square().mean().backward();
    adam.step();
  }
  CHECK(gdn->gamma()[0][1].item<double>() > 1e-3);
}

TEST_CASE("GdnReadsWeightsStoredBeforeThePedestal", "[layers]") {
  // Stored models have exactly 0 off the diagonal and sqrt(0.1) on it.
  Gdn gdn(5, false);
  {
    torch::NoGradGuard no_grad;
    gdn->gamma_param.copy_(std::sqrt(0.1) * torch::eye(5));
  }
  auto gamma = gdn->gamma().detach();
  CHECK(torch::allclose(gamma, 0.1 * torch::eye(5), /*rtol=*/0, /*atol=*/1e-9));
  CHECK(gamma.masked_select(torch::eye(5).logical_not()).eq(0).all().item<bool>());
}

TEST_CASE("Bf16AutocastScopeRestoresTheFp32State", "[precision]") {
  const torch::Device cpu("cpu");
  REQUIRE_FALSE(at::autocast::is_cpu_enabled());
  {
    Bf16Autocast scope(true, cpu);
    CHECK(at::autocast::is_cpu_enabled());
    auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3));
    CHECK(conv->forward(torch::randn({1, 3, 8, 8})).scalar_type() == torch::kBFloat16);
    {
      NoAutocast fp32;
      CHECK(conv->forward(torch::randn({1, 3, 8, 8})).scalar_type() == torch::kFloat32);
    }
    CHECK(at::autocast::is_cpu_enabled());
  }
  CHECK_FALSE(at::autocast::is_cpu_enabled());
  {
    Bf16Autocast off(false, cpu);
    CHECK_FALSE(at::autocast::is_cpu_enabled());
  }
  CHECK(resolve_precision(TransformPrecision::kFp32, cpu) == TransformPrecision::kFp32);
  CHECK(resolve_precision(TransformPrecision::kBf16, cpu) == TransformPrecision::kBf16);
}

TEST_CASE("PhotoModelForwardUnderBf16KeepsTheRateInFp32", "[precision]") {
  ModelConfig c;
  c.n = 16;
  c.m = 24;
  c.hyper_n = 16;
  c.groups = 1;
  c.lambdas = {0.013};
  torch::manual_seed(2);
  PhotoModel model(c);
  auto x = torch::rand({1, 3, 64, 64});
  ForwardResult fp32 = model->forward(x, 0, 1, /*noisy=*/false);
  ForwardResult bf16;
  {
    Bf16Autocast scope(true, torch::Device("cpu"));
    bf16 = model->forward(x, 0, 1, /*noisy=*/false);
  }
  CHECK(bf16.x_hat.scalar_type() == torch::kFloat32);
  CHECK(bf16.y_likelihoods.scalar_type() == torch::kFloat32);
  CHECK(bf16.z_likelihoods.scalar_type() == torch::kFloat32);
  // bf16 keeps 8 significant bits: the reconstructions agree to about 1%.
  CHECK((bf16.x_hat - fp32.x_hat).abs().max().item<double>() < 0.05);
}

TEST_CASE("SynthesisRateScalesStartAsIdentityTrainAndReachTheDecoder", "[layers][codec]") {
  ModelConfig c;
  c.n = 16;
  c.m = 24;
  c.hyper_n = 16;
  c.groups = 1;
  c.lambdas = {0.005, 0.02};
  c.model_id = "scaled-test";
  c.synthesis_rate_scales = true;
  torch::manual_seed(4);
  PhotoModel model(c);
  REQUIRE(model->log_synthesis_scales.defined());
  auto x = torch::rand({2, 3, 64, 64});
  // At initialization the scales are 1: the same decode as without them.
  auto y = torch::randn({2, 24, 4, 4});
  CHECK(torch::allclose(model->synthesis(y, model->synthesis_scales(0.5)), model->synthesis(y)));
  // One rate point per image: the scales of both rate points get a gradient.
  auto r = model->forward(x, torch::tensor({0, 1}, torch::kInt64), 1, /*noisy=*/true);
  (r.x_hat - x).square().mean().backward();
  REQUIRE(model->log_synthesis_scales.grad().defined());
  CHECK(model->log_synthesis_scales.grad()[0].ne(0).any().item<bool>());
  CHECK(model->log_synthesis_scales.grad()[1].ne(0).any().item<bool>());
  // The flag travels in the weights file; the decoder applies the scales of the file's quality.
  CHECK(c.to_metadata().at("facet.synthesis_rate_scales") == "1");
  auto again = ModelConfig::from_metadata(c.to_metadata());
  REQUIRE(again.ok());
  CHECK(again->synthesis_rate_scales);
  CHECK_FALSE(ModelConfig::from_metadata(ModelConfig().to_metadata())->synthesis_rate_scales);
  auto codec_model = test::untrained_model(c, 4, TransformsBackend::kLibTorch);  // the net is changed below
  {
    torch::NoGradGuard no_grad;
    (*libtorch_network(*codec_model))->log_synthesis_scales.fill_(std::log(0.5));  // every scale halves
  }
  const Image image = test::corpus_image(64, 64);
  CompressOptions options;
  options.quality = 50;
  auto file = compress_image(image, *codec_model, options);
  REQUIRE(file.ok());
  auto scaled = decompress_image(file->data(), file->size(), *codec_model, DecompressOptions());
  {
    torch::NoGradGuard no_grad;
    (*libtorch_network(*codec_model))->log_synthesis_scales.zero_();
  }
  auto plain = decompress_image(file->data(), file->size(), *codec_model, DecompressOptions());
  REQUIRE(scaled.ok());
  REQUIRE(plain.ok());
  CHECK(scaled->samples != plain->samples);
}

TEST_CASE("StepScheduleHoldsThePeakTo80Percent", "[schedule]") {
  CHECK(warmup_step_learning_rate(1e-3, 10, 0.2, 1000, 0) == Approx(1e-4));
  CHECK(warmup_step_learning_rate(1e-3, 10, 0.2, 1000, 500) == Approx(1e-3));
  CHECK(warmup_step_learning_rate(1e-3, 10, 0.2, 1000, 799) == Approx(1e-3));
  CHECK(warmup_step_learning_rate(1e-3, 10, 0.2, 1000, 800) == Approx(2e-4));
}

}  // namespace
}  // namespace facet
