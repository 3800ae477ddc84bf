// A photo model's tables and hyper-synthesis weights <-> safetensors content, without LibTorch.
#include "model/entropy_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/appearance.h"

namespace facet {
namespace {

float bf16_to_float(uint16_t v) {
  uint32_t bits = uint32_t{v} << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// IEEE 754 binary16 to binary32: every half value is a float, so this is exact.
float f16_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ffu, bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // +-0
  } else {        // subnormal: normalize
    exponent = 113;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
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

// One h_s convolution of the deterministic path: weight [out, in, 3, 3], bias [out].
StatusOr<Conv3x3Weights> conv_weights(const TensorFile& file, const std::string& prefix, int in, int out) {
  Conv3x3Weights w;
  w.in = in;
  w.out = out;
  for (const char* part : {"weight", "bias"}) {
    const std::string name = prefix + "." + part;
    auto it = file.tensors.find(name);
    FACET_RETURN_ERROR_IF(it == file.tensors.end(), kCorrupt, "weights file lacks parameter '" + name + "'");
    const std::vector<int64_t> shape = part[0] == 'w' ? std::vector<int64_t>{out, in, 3, 3}
                                                      : std::vector<int64_t>{out};
    FACET_RETURN_ERROR_IF(it->second.shape != shape, kCorrupt, "parameter '" + name + "' has the wrong shape");
    FACET_ASSIGN_OR_RETURN(std::vector<float> v, tensor_as_floats(it->second));
    (part[0] == 'w' ? w.weight : w.bias) = std::move(v);
  }
  return w;
}

}  // namespace

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

StatusOr<CdfTableSet> get_cdf_tables(const TensorFile& file, const std::string& prefix) {
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

void put_entropy_tables(TensorFile& file, const EntropyTables& tables) {
  put_cdf_tables(file, "tables.z", tables.z_tables);
  put_cdf_tables(file, "tables.y", tables.y_tables);
  if (tables.has_appearance()) put_cdf_tables(file, "tables.appearance", tables.appearance_tables);
  file.tensors["tables.y.scales"] = float_tensor(tables.scales);
  file.tensors["tables.y.thresholds"] = float_tensor(tables.scale_thresholds);
}

StatusOr<std::vector<float>> tensor_as_floats(const TensorData& d) {
  const int64_t n = d.element_count();
  FACET_RETURN_ERROR_IF(n < 0, kCorrupt, "tensor with an invalid shape");
  std::vector<float> out(static_cast<size_t>(n));
  switch (d.dtype) {
    case TensorDtype::kF32: std::memcpy(out.data(), d.data.data(), size_t(n) * 4); break;
    case TensorDtype::kBF16:
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_float(uint16_t(d.data[2 * i] | d.data[2 * i + 1] << 8));
      break;
    case TensorDtype::kF16: {
      // Every half value's float, made once from f16_to_float (256 KB): a model's 6 million F16
      // weights load by lookup instead of bit manipulation (19 ms -> a few on the 2-core machine).
      static const std::vector<float> table = [] {
        std::vector<float> t(65536);
        for (uint32_t h = 0; h < 65536; ++h) t[h] = f16_to_float(uint16_t(h));
        return t;
      }();
      for (int64_t i = 0; i < n; ++i) out[i] = table[uint16_t(d.data[2 * i] | d.data[2 * i + 1] << 8)];
      break;
    }
    default: return make_error(ErrorCode::kUnsupported, std::string("parameter of dtype ") + dtype_name(d.dtype));
  }
  return out;
}

bool is_entropy_table(const std::string& tensor) { return tensor.rfind("tables.", 0) == 0; }

StatusOr<EntropyModel> entropy_model_from_tensor_file(const TensorFile& file, EntropyModelParts parts) {
  EntropyModel model;
  FACET_ASSIGN_OR_RETURN(model.config, ModelConfig::from_metadata(file.metadata));
  const ModelConfig& config = model.config;
  EntropyTables& tables = model.tables;
  FACET_ASSIGN_OR_RETURN(tables.z_tables, get_cdf_tables(file, "tables.z"));
  FACET_ASSIGN_OR_RETURN(tables.y_tables, get_cdf_tables(file, "tables.y"));
  FACET_RETURN_ERROR_IF(tables.z_tables.table_count() != uint32_t(config.hyper_n), kCorrupt,
                        "one z table per hyper channel expected");
  if (file.tensors.count("tables.appearance.cdf")) {
    FACET_ASSIGN_OR_RETURN(tables.appearance_tables, get_cdf_tables(file, "tables.appearance"));
    FACET_RETURN_ERROR_IF(!tables.has_appearance(), kCorrupt, "one appearance table per factor expected");
  }
  const int64_t scales = tables.y_tables.table_count();
  FACET_ASSIGN_OR_RETURN(const TensorData* s, find(file, "tables.y.scales", TensorDtype::kF32, {scales}));
  FACET_ASSIGN_OR_RETURN(const TensorData* t, find(file, "tables.y.thresholds", TensorDtype::kF32, {scales}));
  FACET_ASSIGN_OR_RETURN(tables.scales, tensor_as_floats(*s));
  FACET_ASSIGN_OR_RETURN(tables.scale_thresholds, tensor_as_floats(*t));
  if (parts == EntropyModelParts::kTablesOnly) return model;
  const int hn = config.hyper_n;
  HyperSynthesisWeights& hs = model.hyper_synthesis;
  FACET_ASSIGN_OR_RETURN(hs.up1, conv_weights(file, "hs_up1.conv", hn, 4 * hn));
  FACET_ASSIGN_OR_RETURN(hs.up2, conv_weights(file, "hs_up2.conv", hn, 4 * hn));
  FACET_ASSIGN_OR_RETURN(hs.out, conv_weights(file, "hs_out", hn, 2 * config.m));
  hs.scale_thresholds = tables.scale_thresholds;
  FACET_RETURN_IF_ERROR(hs.validate());
  if (config.has_group_context()) {
    model.group_context.resize(config.coded_groups());
    for (int k = 0; k < config.coded_groups(); ++k) {
      GroupContextWeights& w = model.group_context[k];
      w.context_groups = config.context_groups(k);
      if (w.context_groups == 0) continue;
      const std::string name = config.context_network_name(k);
      const int c = config.coded_group_channels(k);
      FACET_ASSIGN_OR_RETURN(w.hidden, conv_weights(file, name + ".0", 2 * c + w.context_groups * config.group_channels(),
                                                    config.context_channels));
      FACET_ASSIGN_OR_RETURN(w.out, conv_weights(file, name + ".2", config.context_channels, 2 * c));
    }
  }
  FACET_RETURN_IF_ERROR(validate_group_context(config, model.group_context));
  return model;
}

}  // namespace facet
