// The entropy side of a photo model read without LibTorch (model/entropy_model.h) against the
// same file read through the networks (networks/model_io.h).
#include <catch2/catch.hpp>
#include <cstring>
#include <torch/torch.h>

#include "model/entropy_model.h"
#include "networks/model_io.h"
#include "networks/tensor_io.h"

using namespace facet;

TEST_CASE("Every F16 value converts to float as LibTorch converts it", "[entropy_model]") {
  TensorData d;
  d.dtype = TensorDtype::kF16;
  d.shape = {65536};
  d.data.resize(2 * 65536);
  for (uint32_t i = 0; i < 65536; ++i) {
    d.data[2 * i] = uint8_t(i & 0xff);
    d.data[2 * i + 1] = uint8_t(i >> 8);
  }
  auto mine = tensor_as_floats(d);
  REQUIRE(mine.ok());
  auto half = torch::empty({65536}, torch::kFloat16);
  std::memcpy(half.data_ptr(), d.data.data(), d.data.size());
  auto reference = half.to(torch::kFloat32).contiguous();
  const float* r = reference.data_ptr<float>();
  int differ = 0;
  for (uint32_t i = 0; i < 65536; ++i) {
    uint32_t a, b;
    std::memcpy(&a, &(*mine)[i], 4);
    std::memcpy(&b, &r[i], 4);
    const bool both_nan = std::isnan((*mine)[i]) && std::isnan(r[i]);
    if (a != b && !both_nan) ++differ;
  }
  CHECK(differ == 0);
}

TEST_CASE("The entropy model of a weights file is the one the networks' loader gives", "[entropy_model]") {
  torch::manual_seed(3);
  ModelConfig config;
  config.n = 16;
  config.m = 24;
  config.hyper_n = 8;
  config.groups = 2;
  config.chroma = 8;
  PhotoModel net(config);
  round_parameters_to_f16(*net);
  auto tables = bake_entropy_tables(net);
  REQUIRE(tables.ok());
  auto file = model_to_tensor_file(net, *tables, TensorDtype::kF16);
  REQUIRE(file.ok());
  auto entropy = entropy_model_from_tensor_file(*file);
  REQUIRE(entropy.ok());
  // The hyper-synthesis weights as the network holds them after loading the F16 file.
  auto bundle = model_from_tensor_file(*file);
  REQUIRE(bundle.ok());
  auto w = bundle->net->hs_out->weight.detach().contiguous();
  std::vector<float> from_net(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  CHECK(entropy->hyper_synthesis.out.weight == from_net);
  auto u = bundle->net->hs_up1->conv->weight.detach().contiguous();
  CHECK(entropy->hyper_synthesis.up1.weight == std::vector<float>(u.data_ptr<float>(), u.data_ptr<float>() + u.numel()));
  CHECK(entropy->config.m == 24);
  CHECK(entropy->tables.z_tables.table_count() == 8u);
  CHECK(entropy->tables.has_appearance());

  SECTION("the tables alone, from the tables' prefix of the zstd-wrapped file") {
    auto bytes = encode_weights_file(*file, true, 3);
    REQUIRE(bytes.ok());
    auto selected = decode_weights_file_selected(bytes->data(), bytes->size(), is_entropy_table);
    REQUIRE(selected.ok());
    for (const auto& [name, tensor] : selected->tensors) CHECK(is_entropy_table(name));
    CHECK(entropy_model_from_tensor_file(*selected).status().code() == ErrorCode::kCorrupt);  // no h_s
    auto tables_only = entropy_model_from_tensor_file(*selected, EntropyModelParts::kTablesOnly);
    REQUIRE(tables_only.ok());
    CHECK(tables_only->hyper_synthesis.out.weight.empty());
    CHECK(tables_only->tables.scales == entropy->tables.scales);
    CHECK(tables_only->tables.y_tables.table_count() == entropy->tables.y_tables.table_count());
    CHECK(tables_only->tables.has_appearance());
    CHECK(tables_only->config.m == 24);
  }

  SECTION("a missing or misshapen tensor is kCorrupt, not a crash") {
    TensorFile broken = *file;
    broken.tensors.erase("hs_up2.conv.bias");
    auto missing = entropy_model_from_tensor_file(broken);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == ErrorCode::kCorrupt);
    broken = *file;
    broken.tensors["hs_out.weight"].shape = {1, 2, 3};
    auto misshapen = entropy_model_from_tensor_file(broken);
    REQUIRE_FALSE(misshapen.ok());
    CHECK(misshapen.status().code() == ErrorCode::kCorrupt);
  }
}
