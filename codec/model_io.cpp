// Model <-> safetensors content, and baking of the integer CDF tables.
#include "codec/model_io.h"

#include <cmath>
#include <cstring>

#include "codec/appearance.h"
#include "codec/checkpoint.h"
#include "entropy/gaussian_tables.h"

namespace facet {
namespace {

constexpr double kZTailMass = 1e-9;
constexpr int kMaxZRadius = 2000;  // keeps a table under kMaxCdfSymbols

float bf16_to_float(uint16_t v) {
  uint32_t bits = uint32_t{v} << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

TensorData int_tensor(const std::vector<int32_t>& values, std::vector<int64_t> shape) {
  TensorData d;
  d.dtype = TensorDtype::kI32;
  d.shape = std::move(shape);
  d.data.resize(values.size() * 4);
  std::memcpy(d.data.data(), values.data(), d.data.size());
  return d;
}

TensorData float_tensor(const std::vector<float>& values) {
  TensorData d;
  d.dtype = TensorDtype::kF32;
  d.shape = {int64_t(values.size())};
  d.data.resize(values.size() * 4);
  std::memcpy(d.data.data(), values.data(), d.data.size());
  return d;
}

// A table set as three tensors: cdf [T, L] (rows padded with 65536), sizes [T], offsets [T].
void put_tables(TensorFile& file, const std::string& prefix, const CdfTableSet& set) {
  uint32_t longest = 0;
  for (uint32_t t = 0; t < set.table_count(); ++t) longest = std::max(longest, set.symbol_count(t) + 1);
  std::vector<int32_t> cdf(size_t(set.table_count()) * longest, int32_t(kCdfTotal));
  std::vector<int32_t> sizes, offsets;
  for (uint32_t t = 0; t < set.table_count(); ++t) {
    for (uint32_t i = 0; i <= set.symbol_count(t); ++i) cdf[size_t(t) * longest + i] = int32_t(set.cdf(t)[i]);
    sizes.push_back(int32_t(set.symbol_count(t) + 1));
    offsets.push_back(set.offset(t));
  }
  file.tensors[prefix + ".cdf"] = int_tensor(cdf, {int64_t(set.table_count()), int64_t(longest)});
  file.tensors[prefix + ".sizes"] = int_tensor(sizes, {int64_t(sizes.size())});
  file.tensors[prefix + ".offsets"] = int_tensor(offsets, {int64_t(offsets.size())});
}

StatusOr<const TensorData*> find(const TensorFile& file, const std::string& name, TensorDtype dtype,
                                 const std::vector<int64_t>& shape) {
  auto it = file.tensors.find(name);
  FACET_RETURN_ERROR_IF(it == file.tensors.end(), kCorrupt, "weights file lacks tensor '" + name + "'");
  FACET_RETURN_ERROR_IF(it->second.dtype != dtype, kCorrupt, "tensor '" + name + "' has the wrong dtype");
  if (!shape.empty())
    FACET_RETURN_ERROR_IF(it->second.shape != shape, kCorrupt, "tensor '" + name + "' has the wrong shape");
  return &it->second;
}

std::vector<int32_t> ints(const TensorData& d) {
  std::vector<int32_t> v(d.data.size() / 4);
  std::memcpy(v.data(), d.data.data(), v.size() * 4);
  return v;
}

std::vector<float> floats(const TensorData& d) {
  std::vector<float> v(d.data.size() / 4);
  std::memcpy(v.data(), d.data.data(), v.size() * 4);
  return v;
}

StatusOr<CdfTableSet> get_tables(const TensorFile& file, const std::string& prefix) {
  FACET_ASSIGN_OR_RETURN(const TensorData* cdf, find(file, prefix + ".cdf", TensorDtype::kI32, {}));
  FACET_RETURN_ERROR_IF(cdf->shape.size() != 2, kCorrupt, prefix + ".cdf must be 2-D");
  const int64_t count = cdf->shape[0], longest = cdf->shape[1];
  FACET_ASSIGN_OR_RETURN(const TensorData* sizes, find(file, prefix + ".sizes", TensorDtype::kI32, {count}));
  FACET_ASSIGN_OR_RETURN(const TensorData* offsets, find(file, prefix + ".offsets", TensorDtype::kI32, {count}));
  const auto c = ints(*cdf), s = ints(*sizes), o = ints(*offsets);
  std::vector<QuantizedCdf> tables(count);
  for (int64_t t = 0; t < count; ++t) {
    FACET_RETURN_ERROR_IF(s[t] < 0 || s[t] > longest, kCorrupt, prefix + ": table size out of range");
    tables[t].offset = o[t];
    for (int32_t i = 0; i < s[t]; ++i) tables[t].cdf.push_back(uint32_t(std::max(c[t * longest + i], 0)));
  }
  return CdfTableSet::create(tables);  // validates every table
}

// The deterministic path's copy of an h_s convolution, from the loaded (float) parameters, so
// that F32, BF16 and F16 weights files all work.
Conv3x3Weights conv_weights(torch::nn::Conv2d& conv) {
  Conv3x3Weights w;
  auto weight = conv->weight.detach().to(torch::kFloat32).contiguous();
  auto bias = conv->bias.detach().to(torch::kFloat32).contiguous();
  w.out = int(weight.size(0));
  w.in = int(weight.size(1));
  w.weight.assign(weight.data_ptr<float>(), weight.data_ptr<float>() + weight.numel());
  w.bias.assign(bias.data_ptr<float>(), bias.data_ptr<float>() + bias.numel());
  return w;
}

}  // namespace

TensorData to_tensor_data(const torch::Tensor& t, TensorDtype dtype) {
  const bool half = dtype == TensorDtype::kF16;  // otherwise F32
  auto c = t.detach().to(torch::kCPU, half ? torch::kFloat16 : torch::kFloat32).contiguous();
  TensorData d;
  d.dtype = half ? TensorDtype::kF16 : TensorDtype::kF32;
  d.shape.assign(c.sizes().begin(), c.sizes().end());
  d.data.resize(size_t(c.numel()) * c.element_size());
  std::memcpy(d.data.data(), c.data_ptr(), d.data.size());
  return d;
}

StatusOr<torch::Tensor> from_tensor_data(const TensorData& d) {
  const int64_t n = d.element_count();
  FACET_RETURN_ERROR_IF(n < 0, kCorrupt, "tensor with an invalid shape");
  auto out = torch::empty(d.shape, torch::kFloat32);
  float* dst = out.data_ptr<float>();
  switch (d.dtype) {
    case TensorDtype::kF32: std::memcpy(dst, d.data.data(), size_t(n) * 4); break;
    case TensorDtype::kBF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(uint16_t(d.data[2 * i] | d.data[2 * i + 1] << 8));
      break;
    case TensorDtype::kF16: {
      auto half = torch::empty(d.shape, torch::kFloat16);
      std::memcpy(half.data_ptr(), d.data.data(), size_t(n) * 2);
      out.copy_(half.to(torch::kFloat32));
      break;
    }
    default: return make_error(ErrorCode::kUnsupported, std::string("parameter of dtype ") + dtype_name(d.dtype));
  }
  return out;
}

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

bool EntropyTables::has_appearance() const { return appearance_tables.table_count() == kAppearanceFactorCount; }

StatusOr<CdfTableSet> make_appearance_tables() {
  std::vector<QuantizedCdf> tables;
  for (const AppearanceFactorInfo& f : kAppearanceFactors) {
    const int lo = int(std::lround(f.min / f.quant_step)), hi = int(std::lround(f.max / f.quant_step));
    std::vector<double> pmf;
    auto cdf = [&](double v) { return 0.5 * std::erfc(-(v - f.prior_mean) / (f.prior_sigma * std::sqrt(2.0))); };
    for (int k = lo; k <= hi; ++k) pmf.push_back(cdf((k + 0.5) * f.quant_step) - cdf((k - 0.5) * f.quant_step));
    FACET_ASSIGN_OR_RETURN(QuantizedCdf table, quantize_pmf(pmf, 1e-9, lo));
    tables.push_back(std::move(table));
  }
  return CdfTableSet::create(tables);
}

void put_cdf_tables(TensorFile& file, const std::string& prefix, const CdfTableSet& set) {
  put_tables(file, prefix, set);
}

StatusOr<CdfTableSet> get_cdf_tables(const TensorFile& file, const std::string& prefix) {
  return get_tables(file, prefix);
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
  put_tables(file, "tables.z", tables.z_tables);
  put_tables(file, "tables.y", tables.y_tables);
  if (tables.has_appearance()) put_tables(file, "tables.appearance", tables.appearance_tables);
  file.tensors["tables.y.scales"] = float_tensor(tables.scales);
  file.tensors["tables.y.thresholds"] = float_tensor(tables.scale_thresholds);
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
  FACET_ASSIGN_OR_RETURN(bundle.tables.z_tables, get_tables(file, "tables.z"));
  FACET_ASSIGN_OR_RETURN(bundle.tables.y_tables, get_tables(file, "tables.y"));
  FACET_RETURN_ERROR_IF(bundle.tables.z_tables.table_count() != uint32_t(config.hyper_n), kCorrupt,
                        "one z table per hyper channel expected");
  if (file.tensors.count("tables.appearance.cdf")) {
    FACET_ASSIGN_OR_RETURN(bundle.tables.appearance_tables, get_tables(file, "tables.appearance"));
    FACET_RETURN_ERROR_IF(!bundle.tables.has_appearance(), kCorrupt, "one appearance table per factor expected");
  }
  const int64_t scales = bundle.tables.y_tables.table_count();
  FACET_ASSIGN_OR_RETURN(const TensorData* s, find(file, "tables.y.scales", TensorDtype::kF32, {scales}));
  FACET_ASSIGN_OR_RETURN(const TensorData* t, find(file, "tables.y.thresholds", TensorDtype::kF32, {scales}));
  bundle.tables.scales = floats(*s);
  bundle.tables.scale_thresholds = floats(*t);
  bundle.hyper_synthesis.up1 = conv_weights(bundle.net->hs_up1->conv);
  bundle.hyper_synthesis.up2 = conv_weights(bundle.net->hs_up2->conv);
  bundle.hyper_synthesis.out = conv_weights(bundle.net->hs_out);
  bundle.hyper_synthesis.scale_thresholds = bundle.tables.scale_thresholds;
  FACET_RETURN_IF_ERROR(bundle.hyper_synthesis.validate());
  return bundle;
}

}  // namespace facet
