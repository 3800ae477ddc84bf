// Adding rate points to a trained model (train/rate_points.h): the tables' rows, the Adam moments,
// and a run that resumes from a checkpoint with more rate points than it was trained with.
// LibTorch first: it brings glog's CHECK, which Catch's CHECK must replace.
#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "common/file_io.h"
#include "formats/safetensors.h"
#include "model/entropy_model.h"
#include "model/model_config.h"
#include "train/rate_points.h"
#include "train/trainer.h"
#include "test_support.h"
#include "train/tiny_training.h"

#undef CHECK
#include <catch2/catch.hpp>

namespace facet {
namespace {

TensorData f32_rows(const std::vector<std::vector<float>>& rows) {
  TensorData d;
  d.shape = {int64_t(rows.size()), int64_t(rows[0].size())};
  for (const auto& row : rows) {
    const size_t at = d.data.size();
    d.data.resize(at + row.size() * 4);
    std::memcpy(d.data.data() + at, row.data(), row.size() * 4);
  }
  return d;
}

std::vector<float> floats(const TensorData& d) {
  auto v = tensor_as_floats(d);
  REQUIRE(v.ok());
  return *v;
}

TEST_CASE("RatePointsAreAddedByLogLambdaAndKeepTheOldRows", "[train]") {
  TensorFile file;
  file.metadata["facet.lambdas"] = format_lambda_list({0.002, 0.008});
  // log lambda: 0.002 and 0.008 are 2 ln 2 apart; 0.001 is ln 2 below, 0.004 halfway, 0.032 2 ln 2 above.
  file.tensors["log_gains"] = f32_rows({{-1.0f, 2.0f}, {1.0f, 4.0f}});
  file.tensors["adam.m.log_gains"] = f32_rows({{0.5f, 0.25f}, {-0.5f, -0.25f}});
  file.tensors["adam.v.log_gains"] = f32_rows({{1e-4f, 2e-4f}, {3e-4f, 4e-4f}});
  file.tensors["g_a.0.weight"] = f32_rows({{7.0f}});
  REQUIRE(remap_rate_points(file, {0.001, 0.002, 0.004, 0.008, 0.032}).ok());
  CHECK(file.metadata["facet.lambdas"] == format_lambda_list({0.001, 0.002, 0.004, 0.008, 0.032}));
  const TensorData& gains = file.tensors["log_gains"];
  REQUIRE(gains.shape == std::vector<int64_t>{5, 2});
  const std::vector<float> g = floats(gains);
  const std::vector<float> expected = {-2.0f, 1.0f, -1.0f, 2.0f, 0.0f, 3.0f, 1.0f, 4.0f, 3.0f, 6.0f};
  REQUIRE(g.size() == expected.size());
  for (size_t i = 0; i < g.size(); ++i) CHECK(g[i] == Approx(expected[i]).margin(1e-5));
  // First moments: kept rows as they were, new rows 0. Second moments: the nearest kept row's.
  CHECK(floats(file.tensors["adam.m.log_gains"]) ==
        std::vector<float>{0.0f, 0.0f, 0.5f, 0.25f, 0.0f, 0.0f, -0.5f, -0.25f, 0.0f, 0.0f});
  const std::vector<float> v = floats(file.tensors["adam.v.log_gains"]);
  CHECK(v[0] == 1e-4f);  // 0.001: nearest 0.002
  CHECK(v[2] == 1e-4f);
  CHECK(v[6] == 3e-4f);
  CHECK(v[8] == 3e-4f);  // 0.032: nearest 0.008
  CHECK(floats(file.tensors["g_a.0.weight"]) == std::vector<float>{7.0f});  // other tensors untouched

  // The same list again changes nothing.
  const TensorFile before = file;
  REQUIRE(remap_rate_points(file, {0.001, 0.002, 0.004, 0.008, 0.032}).ok());
  CHECK(file.tensors["log_gains"].data == before.tensors.at("log_gains").data);
}

TEST_CASE("RatePointsCannotBeRemoved", "[train]") {
  TensorFile file;
  file.metadata["facet.lambdas"] = format_lambda_list({0.002, 0.008});
  file.tensors["log_gains"] = f32_rows({{-1.0f}, {1.0f}});
  Status s = remap_rate_points(file, {0.001, 0.002, 0.004});
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("must keep every rate point") != std::string::npos);
  // A table that is not one row per rate point is a corrupt file, not a crash.
  file.tensors["log_gains"] = f32_rows({{-1.0f}, {1.0f}, {2.0f}});
  CHECK(remap_rate_points(file, {0.001, 0.002, 0.008}).code() == ErrorCode::kCorrupt);
  file.metadata["facet.lambdas"] = "0.002,x";
  CHECK(remap_rate_points(file, {0.002}).code() == ErrorCode::kCorrupt);
}

TEST_CASE("TrainingResumesWithAddedRatePoints", "[train]") {
  const CropSet crops = test::tiny_crops();
  TrainOptions o = test::tiny_train_options("tiny-rate-points");
  const std::string dir = test::make_temp_dir();
  o.checkpoint = dir + "/ck.safetensors";
  auto quiet = [](const TrainProgress&) {};
  REQUIRE(train_photo_model(o, crops, nullptr, quiet).ok());
  auto trained = read_file(o.checkpoint, kMaxWeightsFileBytes);
  REQUIRE(trained.ok());
  auto trained_file = decode_safetensors(trained->data(), trained->size());
  REQUIRE(trained_file.ok());
  const std::vector<float> old_gains = floats(trained_file->tensors.at("log_gains"));

  // Resuming at the checkpoint's step exports the remapped model without a step.
  TrainOptions more = o;
  more.config.lambdas = {0.0025, 0.005, 0.01, 0.02};
  more.resume = true;
  more.output = dir + "/exported.safetensors";
  REQUIRE(train_photo_model(more, crops, nullptr, quiet).ok());
  auto exported = read_file(more.output, kMaxWeightsFileBytes);
  REQUIRE(exported.ok());
  auto exported_file = decode_safetensors(exported->data(), exported->size());
  REQUIRE(exported_file.ok());
  auto config = ModelConfig::from_metadata(exported_file->metadata);
  REQUIRE(config.ok());
  CHECK(config->rate_points() == 4);
  const std::vector<float> gains = floats(exported_file->tensors.at("log_gains"));
  const int m = o.config.m;
  REQUIRE(gains.size() == size_t(4 * m));
  for (int c = 0; c < m; ++c) {
    const float low = old_gains[size_t(c)], high = old_gains[size_t(m + c)];
    CHECK(gains[size_t(m + c)] == low);       // 0.005 kept
    CHECK(gains[size_t(3 * m + c)] == high);  // 0.02 kept
    CHECK(gains[size_t(2 * m + c)] == Approx(0.5 * (low + high)).margin(1e-5));
    CHECK(gains[size_t(c)] == Approx(1.5 * low - 0.5 * high).margin(1e-5));
  }

  // And it trains on: every rate point, new ones included, in the following steps.
  more.steps = 6;
  more.output.clear();
  std::vector<double> losses;
  REQUIRE(train_photo_model(more, crops, nullptr, [&](const TrainProgress& p) {
            if (!p.is_eval && p.banner.empty() && p.budget_steps == 0) losses.push_back(p.loss);
          }).ok());
  REQUIRE(losses.size() == 3);
  for (double l : losses) CHECK(std::isfinite(l));
  // Removing a rate point is refused with the reason.
  TrainOptions fewer = o;
  fewer.config.lambdas = {0.005};
  fewer.resume = true;
  Status s = train_photo_model(fewer, crops, nullptr, quiet);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace facet
