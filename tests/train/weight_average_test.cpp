// Weight averages (train/weight_average.h): the bias-corrected exponential mean, the swap into the
// model, the checkpoint round trip, and a training run that evaluates, resumes and exports them.
// LibTorch first: it brings glog's CHECK, which Catch's CHECK must replace.
#include <torch/torch.h>

#include <cmath>

#include "common/file_io.h"
#include "formats/safetensors.h"
#include "networks/tensor_io.h"
#include "train/trainer.h"
#include "train/weight_average.h"
#include "test_support.h"
#include "train/tiny_training.h"

#undef CHECK
#include <catch2/catch.hpp>

namespace facet {
namespace {

struct OneParameterImpl : torch::nn::Module {
  OneParameterImpl() { value = register_parameter("value", torch::zeros({2})); }
  void set(float a, float b) {
    torch::NoGradGuard no_grad;
    value.copy_(torch::tensor({a, b}));
  }
  float at(int i) { return value[i].item<float>(); }
  torch::Tensor value;
};
TORCH_MODULE(OneParameter);

TEST_CASE("WeightAveragesAreBiasCorrectedExponentialMeansOfTheIterates", "[train]") {
  OneParameter module;
  WeightAverages averages({0.5, 0.9}, *module);
  REQUIRE(averages.size() == 2);
  for (float v : {1.0f, 2.0f, 4.0f}) {
    module->set(v, -v);
    averages.update();
  }
  CHECK(averages.updates(0) == 3);
  {
    // Ages 0, 1, 2 weigh 1, 0.5, 0.25: (4 + 1 + 0.25) / 1.75 = 3.
    WeightAverages::Swap swap(averages, 0);
    CHECK(module->at(0) == Approx(3.0).epsilon(1e-6));
    CHECK(module->at(1) == Approx(-3.0).epsilon(1e-6));
  }
  CHECK(module->at(0) == 4.0f);  // the step's own weights are back
  {
    const double w[] = {1.0, 0.9, 0.81};
    WeightAverages::Swap swap(averages, 1);
    CHECK(module->at(0) == Approx((4 * w[0] + 2 * w[1] + 1 * w[2]) / (w[0] + w[1] + w[2])).epsilon(1e-6));
  }

  // A checkpoint's averages continue exactly where they were.
  TensorFile file;
  averages.save(file);
  CHECK(file.tensors.count("ema[0.5].value") == 1);
  CHECK(file.metadata.at("ema[0.9].updates") == "3");
  OneParameter other;
  other->set(4, -4);
  WeightAverages restored({0.9, 0.5, 0.99}, *other);
  REQUIRE(restored.restore(file).ok());
  CHECK(restored.updates(0) == 3);
  CHECK(restored.updates(2) == 0);  // not in the file: starts with the next step
  module->set(8, -8);
  other->set(8, -8);
  averages.update();
  restored.update();
  float original = 0, continued = 0;
  {
    WeightAverages::Swap swap(averages, 0);
    original = module->at(0);
  }
  {
    WeightAverages::Swap swap(restored, 1);
    continued = other->at(0);
  }
  CHECK(continued == Approx(original).epsilon(1e-6));
  {
    WeightAverages::Swap swap(restored, 2);  // one iterate: the average is that iterate
    CHECK(other->at(0) == 8.0f);
  }

  // A stored average of another shape is a corrupt checkpoint, not a crash.
  file.tensors["ema[0.5].value"] = to_tensor_data(torch::zeros({3}));
  CHECK(WeightAverages({0.5}, *other).restore(file).code() == ErrorCode::kCorrupt);
}

TEST_CASE("AverageDecaysParse", "[train]") {
  auto d = parse_average_decays("0.999,0.9998");
  REQUIRE(d.ok());
  CHECK(*d == std::vector<double>{0.999, 0.9998});
  CHECK(WeightAverages::prefix(0.9998) == "ema[0.9998]");
  for (const char* bad : {"", "1", "0", "0.9,", "x", "0.99,0.99", "1.5", "0.9x"})
    CHECK(parse_average_decays(bad).status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("TrainingEvaluatesResumesAndExportsWeightAverages", "[train]") {
  const CropSet crops = test::tiny_crops();
  TrainOptions o = test::tiny_train_options("tiny-averages");
  o.eval_every = 3;
  o.average_decays = {0.5};
  const std::string dir = test::make_temp_dir();
  o.checkpoint = dir + "/ck.safetensors";
  std::vector<TrainProgress> evals;
  auto collect = [&](const TrainProgress& p) {
    if (p.is_eval) evals.push_back(p);
  };
  REQUIRE(train_photo_model(o, crops, &crops, collect).ok());
  // Each rate point for the weights, then for the average.
  REQUIRE(evals.size() == 4);
  CHECK(evals[0].average_decay == 0);
  CHECK(evals[2].average_decay == 0.5);
  CHECK(evals[2].rate_point == 0);
  CHECK(std::isfinite(evals[2].bpp));

  auto read = [](const std::string& path) {
    auto bytes = read_file(path, kMaxWeightsFileBytes);
    REQUIRE(bytes.ok());
    auto file = decode_safetensors(bytes->data(), bytes->size());
    REQUIRE(file.ok());
    return *file;
  };
  const TensorFile checkpoint = read(o.checkpoint);
  CHECK(checkpoint.metadata.at("ema[0.5].updates") == "3");
  const TensorData& average = checkpoint.tensors.at("ema[0.5].g_s.0.conv.weight");
  CHECK(average.data != checkpoint.tensors.at("g_s.0.conv.weight").data);

  // Resumed at its step with more rate points (the averages' tables are remapped too), the output
  // holds the average.
  TrainOptions exported = o;
  exported.resume = true;
  exported.average_decays.clear();
  exported.export_average = 0.5;
  exported.output = dir + "/average.safetensors";
  REQUIRE(train_photo_model(exported, crops, nullptr, [](const TrainProgress&) {}).ok());
  CHECK(read(exported.output).tensors.at("g_s.0.conv.weight").data == average.data);
  exported.config.lambdas = {0.005, 0.01, 0.02};
  REQUIRE(train_photo_model(exported, crops, nullptr, [](const TrainProgress&) {}).ok());
  CHECK(read(exported.output).tensors.at("log_gains").shape[0] == 3);

  // An average the checkpoint does not have, and no step to start it: a clear error.
  exported.export_average = 0.25;
  Status s = train_photo_model(exported, crops, nullptr, [](const TrainProgress&) {});
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("ema[0.25]") != std::string::npos);
}

}  // namespace
}  // namespace facet
