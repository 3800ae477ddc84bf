// Encoder effort (codec/refine.h): refined files are ordinary files, the same for any thread
// count, and spend bits better than the analysis transform's.
#include <ATen/Parallel.h>
#include <cmath>

#include "codec/codec.h"
#include "bitstream/factor_edit.h"
#include "formats/container.h"
#include "codec/codec_test_support.h"
#include "test_support.h"

#include <catch2/catch.hpp>

namespace facet {
namespace {

double mse_of(const Image& a, const Image& b) {
  double se = 0;
  for (size_t i = 0; i < a.samples.size(); ++i) se += std::pow((double(a.samples[i]) - b.samples[i]) / 255.0, 2);
  return se / double(a.samples.size());
}

TEST_CASE("RefinedFilesDecodeEditAndAreTheSameForAnyThreadCount", "[codec][shipped][effort]") {
  auto loaded = load_codec_model(std::string(FACET_SOURCE_DIR) + "/models/facet-photo.safetensors.zst");
  REQUIRE(loaded.ok());
  CodecModel& model = **loaded;
  const Image image = test::corpus_image(160, 112);  // not a multiple of 64: padding excluded
  const double quality = 50;
  const double lambda = lambda_at(model.config(), 0.5 * (model.config().rate_points() - 1));
  const int saved = at::get_num_threads();

  // Effort 1 against effort 3, tiles of 4 latents (6 tiles), so that the threads share them.
  auto encode = [&](int effort, int threads) {
    at::set_num_threads(threads);
    CompressOptions o;
    o.quality = quality;
    o.effort = effort;
    o.threads = threads;
    o.tile_latents = 4;
    return compress_image(image, model, o);
  };
  auto plain = encode(1, 1);
  auto refined = encode(3, 1);
  auto refined_two_threads = encode(3, 2);
  at::set_num_threads(saved);
  REQUIRE(plain.ok());
  REQUIRE(refined.ok());
  REQUIRE(refined_two_threads.ok());
  CHECK(*refined == *refined_two_threads);
  CHECK(*refined != *plain);

  // The ordinary decoder; the refined file spends its bits better at the model's own lambda.
  auto decoded_plain = decompress_image(plain->data(), plain->size(), model, DecompressOptions{});
  auto decoded = decompress_image(refined->data(), refined->size(), model, DecompressOptions{});
  REQUIRE(decoded_plain.ok());
  REQUIRE(decoded.ok());
  const double pixels = double(image.pixel_count());
  const double loss_plain = 8.0 * plain->size() / pixels + lambda * 255.0 * 255.0 * mse_of(image, *decoded_plain);
  const double loss_refined = 8.0 * refined->size() / pixels + lambda * 255.0 * 255.0 * mse_of(image, *decoded);
  CAPTURE(loss_plain, loss_refined);
  CHECK(loss_refined < 0.98 * loss_plain);

  // Dropping the chroma group of a refined file still decodes, to a grayscale image.
  auto gray_file = edit_fct_bytes(refined->data(), refined->size(), model.global_factors(), {}, {"chroma"});
  REQUIRE(gray_file.ok());
  auto gray = decompress_image(gray_file->data(), gray_file->size(), model, DecompressOptions{});
  REQUIRE(gray.ok());
  for (uint64_t p = 0; p < gray->pixel_count(); ++p) {
    const uint16_t* s = &gray->samples[p * gray->channels];
    REQUIRE((s[0] == s[1] && s[1] == s[2]));
  }
  CHECK(mse_of(*decoded, *gray) > 0);
}

// A higher effort continues the lower one's iterations, so it keeps a candidate at least as good in
// the model's objective; a tile with threads to spare runs its grayscale pass on a helper thread,
// and the file does not depend on it.
TEST_CASE("HigherEffortsContinueTheLowerOnesPathAndNeverEndAboveThem", "[codec][shipped][effort]") {
  auto loaded = load_codec_model(std::string(FACET_SOURCE_DIR) + "/models/facet-photo.safetensors.zst");
  REQUIRE(loaded.ok());
  CodecModel& model = **loaded;
  const Image image = test::corpus_image(96, 80);  // one tile
  const int saved = at::get_num_threads();
  struct Run {
    std::vector<RefineProgress> progress, hyper;
    Bytes file;
  };
  auto encode = [&](int effort, int threads) {
    at::set_num_threads(threads);
    Run run;
    CompressOptions o;
    o.quality = 40;
    o.effort = effort;
    o.threads = threads;
    o.progress = [&](const RefineProgress& p) {
      (p.tile == kHyperStage ? run.hyper : run.progress).push_back(p);
    };
    auto file = compress_image(image, model, o);
    REQUIRE(file.ok());
    run.file = *file;
    return run;
  };
  const Run two = encode(2, 1), three = encode(3, 1), four = encode(4, 1);
  const Run four_helped = encode(4, 2), four_three_threads = encode(4, 3);
  at::set_num_threads(saved);
  CHECK(four_helped.file == four.file);
  CHECK(four_three_threads.file == four.file);
  // Reports at iterations 0, 10, 20, 30 (effort 4), the same numbers at the iterations they share.
  REQUIRE(two.progress.size() == 2);
  REQUIRE(three.progress.size() == 3);
  REQUIRE(four.progress.size() == 4);
  for (size_t i = 0; i < four.progress.size(); ++i) {
    const RefineProgress& p = four.progress[i];
    CAPTURE(i, p.objective, p.best_objective);
    CHECK(p.iteration == int(10 * i));
    CHECK(p.best_objective <= p.objective);
    if (i > 0) CHECK(p.best_objective <= four.progress[i - 1].best_objective);
    if (i < two.progress.size()) CHECK(p.objective == two.progress[i].objective);
    if (i < three.progress.size()) CHECK(p.objective == three.progress[i].objective);
  }
  // The hyper-latents' stage first, the same for every effort (its start and its end), never
  // raising the rate it starts from.
  for (const Run* run : {&two, &three, &four, &four_helped}) {
    REQUIRE(run->hyper.size() == 2);
    CHECK(run->hyper[0].iteration == 0);
    CHECK(run->hyper[1].iteration == run->hyper[1].iterations);
    CHECK(run->hyper[1].best_objective <= run->hyper[0].objective);
    CHECK(run->hyper[1].best_objective == four.hyper[1].best_objective);
  }
  const double start = four.progress[0].objective;
  CHECK(two.progress.back().best_objective < start);
  CHECK(four.progress.back().best_objective <= three.progress.back().best_objective);
  CHECK(three.progress.back().best_objective <= two.progress.back().best_objective);
}

// The hyper-latents' stage lowers the rate of the latents and hyper-latents it starts from (h_a's
// amortization gap), and the file that codes them is smaller at nearly the same decode.
TEST_CASE("TheHyperLatentsStageLowersTheRateOfTheAnalysisLatents", "[codec][shipped][effort]") {
  auto loaded = load_codec_model(std::string(FACET_SOURCE_DIR) + "/models/facet-photo.safetensors.zst");
  REQUIRE(loaded.ok());
  CodecModel& model = **loaded;
  const Image image = test::corpus_image(128, 96);
  CompressOptions o;
  o.quality = 70;
  o.effort = 2;
  std::vector<RefineProgress> hyper;
  o.progress = [&](const RefineProgress& p) {
    if (p.tile == kHyperStage) hyper.push_back(p);
  };
  auto refined = compress_image(image, model, o);
  REQUIRE(refined.ok());
  REQUIRE(hyper.size() == 2);
  CAPTURE(hyper[0].bpp, hyper[1].best_objective);
  CHECK(hyper[1].best_objective < 0.99 * hyper[0].bpp);
  CHECK(std::isnan(hyper[0].psnr));
  // The file's hyper stream holds the refined hyper-latents: it decodes like any other.
  auto decoded = decompress_image(refined->data(), refined->size(), model, DecompressOptions{});
  REQUIRE(decoded.ok());
}

TEST_CASE("LambdaInterpolatesTheTrainedPointsLogLinearly", "[codec][effort]") {
  ModelConfig config;
  config.lambdas = {0.01, 0.04};
  CHECK(lambda_at(config, 0) == Approx(0.01));
  CHECK(lambda_at(config, 1) == Approx(0.04));
  CHECK(lambda_at(config, 0.5) == Approx(0.02));
  CHECK(lambda_at(config, -3) == Approx(0.01));
  CHECK(lambda_at(config, 7) == Approx(0.04));
  CHECK(effort_settings(kMinEffort).iterations == 0);
  CHECK(effort_settings(kMinEffort).hyper_iterations == 0);
  for (int e = kMinEffort + 1; e <= kMaxEffort; ++e) CHECK(effort_settings(e).hyper_iterations == kHyperIterations);
  for (int e = kMinEffort + 1; e <= kMaxEffort; ++e) CHECK(effort_settings(e).iterations > effort_settings(e - 1).iterations);
}

}  // namespace
}  // namespace facet
