// Model <-> safetensors content, and baking of the integer CDF tables.
#include "networks/model_io.h"

#include <cmath>
#include <cstring>

#include "model/appearance.h"
#include "networks/tensor_io.h"
#include "entropy/gaussian_tables.h"

namespace facet {
namespace {

constexpr double kZTailMass = 1e-9;
constexpr int kMaxZRadius = 2000;  // keeps a table under kMaxCdfSymbols

}  // namespace

StatusOr<EntropyTables> bake_entropy_tables(PhotoModel& model) {
  torch::NoGradGuard no_grad;
  EntropyTables tables;
  const int channels = model->config().hyper_n;
  auto points = torch::arange(-kMaxZRadius - 0.5, kMaxZRadius + 1.0, 1.0, torch::kFloat64);
  const int64_t p = points.size(0);
  auto logits = model->z_density->logits_cumulative(
      points.to(torch::kFloat32).view({1, 1, p}).expand({channels, 1, p}).contiguous());
  auto cumulative = torch::sigmoid(logits.to(torch::kFloat64)).view({channels, p});
  std::vector<QuantizedCdf> z_tables;
  for (int c = 0; c < channels; ++c) {
    auto cum = cumulative[c];
    const double* v = cum.data_ptr<double>();
    // Integer k's mass is v[k + R + 1] - v[k + R]. Keep the smallest symmetric-free range that
    // leaves at most the tail mass outside.
    int lo = 0, hi = p - 1;
    while (lo + 1 < p && v[lo + 1] < kZTailMass / 2) ++lo;
    while (hi - 1 > lo && 1.0 - v[hi - 1] < kZTailMass / 2) --hi;
    std::vector<double> pmf;
    for (int i = lo; i < hi; ++i) pmf.push_back(std::max(v[i + 1] - v[i], 0.0));
    const double tail = std::max(0.0, v[lo] + (1.0 - v[hi]));
    FACET_ASSIGN_OR_RETURN(QuantizedCdf table, quantize_pmf(pmf, tail, lo - kMaxZRadius));
    z_tables.push_back(std::move(table));
  }
  FACET_ASSIGN_OR_RETURN(tables.z_tables, CdfTableSet::create(z_tables));
  tables.scales = make_scale_table();
  FACET_ASSIGN_OR_RETURN(tables.y_tables, make_gaussian_cdf_tables(tables.scales));
  for (float s : tables.scales) tables.scale_thresholds.push_back(float(std::log(std::expm1(double(s)))));
  FACET_ASSIGN_OR_RETURN(tables.appearance_tables, make_appearance_tables());
  return tables;
}

TensorFile parameters_to_tensor_file(PhotoModel& model) {
  TensorFile file = module_parameters_to_tensor_file(*model);
  file.metadata = model->config().to_metadata();
  return file;
}

StatusOr<TensorFile> model_to_tensor_file(PhotoModel& model, const EntropyTables& tables, TensorDtype weights) {
  TensorFile file;
  for (const auto& item : model->named_parameters()) file.tensors[item.key()] = to_tensor_data(item.value(), weights);
  file.metadata = model->config().to_metadata();
  put_entropy_tables(file, tables);
  return file;
}

void round_parameters_to_f16(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) p.copy_(p.to(torch::kFloat16).to(p.scalar_type()));
}

Status load_parameters(const TensorFile& file, PhotoModel& model) { return load_module_parameters(file, *model); }

StatusOr<ModelBundle> model_from_tensor_file(const TensorFile& file) {
  FACET_ASSIGN_OR_RETURN(ModelConfig config, ModelConfig::from_metadata(file.metadata));
  ModelBundle bundle;
  try {
    bundle.net = PhotoModel(config);
    FACET_RETURN_IF_ERROR(load_parameters(file, bundle.net));
  } catch (const c10::Error& e) {
    return make_error(ErrorCode::kCorrupt, std::string("cannot build the model: ") + e.what_without_backtrace());
  }
  bundle.net->eval();
  // The tables and the deterministic hyper-synthesis are read from the file as the decoder's
  // entropy path reads them (model/entropy_model.h), so both see the same numbers.
  FACET_ASSIGN_OR_RETURN(bundle.entropy, entropy_model_from_tensor_file(file));
  return bundle;
}

}  // namespace facet
