// Baking and storing the sprites codec information.
#include "sprites/sprites_codec_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "model/entropy_model.h"
#include "networks/tensor_io.h"
#include "sprites/sprite_batches.h"
#include "sprites/sprite_render.h"
#include "stats/information.h"

namespace facet {
namespace {

// Value of a factor at a (fractional) value index, in the factor's unit: the linspaces of
// sprite_render.h (shape: the index itself).
double index_to_value(int factor, double index) {
  const double n = kSpriteFactorSizes[factor];
  switch (factor) {
    case 0: return index;                                   // shape
    case 1: return 0.5 + 0.5 * index / (n - 1);             // scale in [0.5, 1]
    case 2: return 2.0 * M_PI * index / (n - 1);            // orientation in [0, 2 pi]
    default: return index / (n - 1);                        // position in [0, 1]
  }
}

double value_to_index(int factor, double value) {
  const double n = kSpriteFactorSizes[factor];
  switch (factor) {
    case 0: return value;
    case 1: return (value - 0.5) / 0.5 * (n - 1);
    case 2: return value / (2.0 * M_PI) * (n - 1);
    default: return value * (n - 1);
  }
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

StatusOr<QuantizedCdf> prior_table(double step) {
  const int radius = std::min(int(std::ceil(kSpritesPriorRange / step)), int(kMaxCdfSymbols / 2 - 2));
  std::vector<double> pmf;
  for (int k = -radius; k <= radius; ++k) {
    double lo = (k - 0.5) * step, hi = (k + 0.5) * step;
    if (k == -radius) lo = -1e300;  // the ends take the tails: values beyond are clamped
    if (k == radius) hi = 1e300;
    pmf.push_back(normal_cdf(hi) - normal_cdf(lo));
  }
  return quantize_pmf(pmf, 1e-9, -radius);
}

TensorData float_data(const std::vector<float>& v) {
  TensorData d;
  d.dtype = TensorDtype::kF32;
  d.shape = {int64_t(v.size())};
  d.data.resize(v.size() * 4);
  std::memcpy(d.data.data(), v.data(), d.data.size());
  return d;
}

}  // namespace

torch::Tensor encode_sprite_means(SpritesVae& model, const torch::Tensor& pixels) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < pixels.size(0); i += 256)
    parts.push_back(model->encode(pixels.slice(0, i, std::min<int64_t>(i + 256, pixels.size(0)))).mean);
  return torch::cat(parts, 0);
}

StatusOr<SpritesCodecInfo> bake_sprites_codec(SpritesVae& model, uint64_t seed, int samples) {
  torch::NoGradGuard no_grad;
  model->eval();
  const int latents = model->config().latents;
  std::mt19937_64 rng(seed);
  std::vector<int> factors;
  torch::Tensor pixels = sample_sprite_batch(samples, rng, &factors);
  torch::Tensor means, log_vars;
  {
    std::vector<torch::Tensor> m, v;
    for (int64_t i = 0; i < samples; i += 256) {
      auto q = model->encode(pixels.slice(0, i, std::min<int64_t>(i + 256, samples)));
      m.push_back(q.mean);
      v.push_back(q.log_var);
    }
    means = torch::cat(m, 0).contiguous();
    log_vars = torch::cat(v, 0).contiguous();
  }
  auto kl = (0.5 * (means.square() + torch::exp(log_vars) - log_vars - 1.0)).mean(0);
  auto sigma = torch::exp(0.5 * log_vars.mean(0));  // geometric mean of the posterior std

  CodeMatrix codes;
  codes.rows = size_t(samples);
  codes.cols = size_t(latents);
  codes.values.assign(means.data_ptr<float>(), means.data_ptr<float>() + means.numel());
  FactorMatrix truth;
  truth.rows = size_t(samples);
  truth.cols = kSpriteFactorSizes.size();
  truth.values = factors;
  FACET_ASSIGN_OR_RETURN(DiscretizedInformation mig, discretized_mutual_information(codes, truth, 20, "sprite codes"));

  SpritesCodecInfo info;
  std::vector<QuantizedCdf> tables;
  for (int j = 0; j < latents; ++j) {
    if (kl[j].item<double>() <= kSpritesStoreKlNats) continue;
    SpritesStoredLatent s;
    s.latent = j;
    s.kl = float(kl[j].item<double>());
    s.step = float(kSpritesStepInPosteriorSigmas * sigma[j].item<double>());
    int best = 0;
    for (size_t k = 1; k < truth.cols; ++k)
      if (mig.mutual_info[size_t(j) * truth.cols + k] > mig.mutual_info[size_t(j) * truth.cols + best]) best = int(k);
    s.factor = best;
    s.mutual_info = float(mig.mutual_info[size_t(j) * truth.cols + best]);
    std::vector<double> sum(kSpriteFactorSizes[best], 0.0), count(kSpriteFactorSizes[best], 0.0);
    for (int i = 0; i < samples; ++i) {
      const int v = factors[size_t(i) * truth.cols + best];
      sum[v] += codes.values[size_t(i) * latents + j];
      count[v] += 1;
    }
    for (size_t v = 0; v < sum.size(); ++v) s.latent_by_value.push_back(float(count[v] > 0 ? sum[v] / count[v] : 0.0));
    FACET_ASSIGN_OR_RETURN(QuantizedCdf table, prior_table(s.step));
    tables.push_back(std::move(table));
    info.stored.push_back(std::move(s));
  }
  // Unique names: the latent with the most information about a factor takes its bare name.
  for (auto& s : info.stored) {
    int rank = 1;
    for (const auto& other : info.stored)
      if (other.factor == s.factor && (other.mutual_info > s.mutual_info ||
                                       (other.mutual_info == s.mutual_info && other.latent < s.latent)))
        ++rank;
    s.name = kSpriteFactorNames[s.factor];
    if (rank > 1) s.name += "." + std::to_string(rank);
  }
  FACET_ASSIGN_OR_RETURN(info.tables, CdfTableSet::create(tables));
  return info;
}

StatusOr<TensorFile> sprites_model_to_tensor_file(SpritesVae& model, const SpritesCodecInfo& info) {
  TensorFile file = module_parameters_to_tensor_file(*model);
  file.metadata = model->config().to_metadata();
  file.metadata["facet.sprites.stored"] = std::to_string(info.stored.size());
  std::vector<float> steps, kls, mis;
  for (size_t i = 0; i < info.stored.size(); ++i) {
    const auto& s = info.stored[i];
    const std::string key = "facet.sprites.stored." + std::to_string(i);
    file.metadata[key + ".name"] = s.name;
    file.metadata[key + ".latent"] = std::to_string(s.latent);
    file.metadata[key + ".factor"] = std::to_string(s.factor);
    file.tensors["sprites.latent_by_value." + std::to_string(i)] = float_data(s.latent_by_value);
    steps.push_back(s.step);
    kls.push_back(s.kl);
    mis.push_back(s.mutual_info);
  }
  if (!info.stored.empty()) {
    file.tensors["sprites.step"] = float_data(steps);
    file.tensors["sprites.kl"] = float_data(kls);
    file.tensors["sprites.mutual_info"] = float_data(mis);
    put_cdf_tables(file, "sprites.tables", info.tables);
  }
  return file;
}

StatusOr<SpritesBundle> sprites_model_from_tensor_file(const TensorFile& file) {
  FACET_ASSIGN_OR_RETURN(SpritesConfig config, SpritesConfig::from_metadata(file.metadata));
  SpritesBundle bundle;
  try {
    bundle.net = SpritesVae(config);
  } catch (const c10::Error& e) {
    return make_error(ErrorCode::kCorrupt, std::string("cannot build the sprites model: ") + e.what_without_backtrace());
  }
  FACET_RETURN_IF_ERROR(load_module_parameters(file, *bundle.net));
  bundle.net->eval();
  auto meta = [&](const std::string& key) -> StatusOr<std::string> {
    auto it = file.metadata.find(key);
    FACET_RETURN_ERROR_IF(it == file.metadata.end(), kCorrupt, "sprites model lacks metadata '" + key + "'");
    return it->second;
  };
  auto number = [&](const std::string& key, int lo, int hi) -> StatusOr<int> {
    FACET_ASSIGN_OR_RETURN(std::string text, meta(key));
    int v = -1;
    try {
      size_t used = 0;
      v = std::stoi(text, &used);
      if (used != text.size()) v = -1;
    } catch (const std::exception&) {
    }
    FACET_RETURN_ERROR_IF(v < lo || v > hi, kCorrupt, "sprites model metadata '" + key + "' is out of range");
    return v;
  };
  auto floats = [&](const std::string& name, size_t count) -> StatusOr<std::vector<float>> {
    auto it = file.tensors.find(name);
    FACET_RETURN_ERROR_IF(it == file.tensors.end(), kCorrupt, "sprites model lacks tensor '" + name + "'");
    FACET_ASSIGN_OR_RETURN(torch::Tensor t, from_tensor_data(it->second));
    FACET_RETURN_ERROR_IF(t.dim() != 1 || size_t(t.numel()) != count, kCorrupt, "tensor '" + name + "' has the wrong shape");
    std::vector<float> v(t.data_ptr<float>(), t.data_ptr<float>() + count);
    for (float x : v) FACET_RETURN_ERROR_IF(!std::isfinite(x), kCorrupt, "tensor '" + name + "' is not finite");
    return v;
  };
  FACET_ASSIGN_OR_RETURN(int stored, number("facet.sprites.stored", 0, config.latents));
  if (stored == 0) return bundle;
  FACET_ASSIGN_OR_RETURN(std::vector<float> steps, floats("sprites.step", size_t(stored)));
  FACET_ASSIGN_OR_RETURN(std::vector<float> kls, floats("sprites.kl", size_t(stored)));
  FACET_ASSIGN_OR_RETURN(std::vector<float> mis, floats("sprites.mutual_info", size_t(stored)));
  FACET_ASSIGN_OR_RETURN(bundle.info.tables, get_cdf_tables(file, "sprites.tables"));
  FACET_RETURN_ERROR_IF(bundle.info.tables.table_count() != uint32_t(stored), kCorrupt,
                        "sprites model has the wrong number of tables");
  int previous_latent = -1;
  for (int i = 0; i < stored; ++i) {
    SpritesStoredLatent s;
    const std::string key = "facet.sprites.stored." + std::to_string(i);
    FACET_ASSIGN_OR_RETURN(s.name, meta(key + ".name"));
    FACET_ASSIGN_OR_RETURN(s.latent, number(key + ".latent", previous_latent + 1, config.latents - 1));
    FACET_ASSIGN_OR_RETURN(s.factor, number(key + ".factor", 0, int(kSpriteFactorSizes.size()) - 1));
    previous_latent = s.latent;
    FACET_RETURN_ERROR_IF(!(steps[i] > 0), kCorrupt, "sprites model has a non-positive step");
    s.step = steps[i];
    s.kl = kls[i];
    s.mutual_info = mis[i];
    FACET_ASSIGN_OR_RETURN(s.latent_by_value, floats("sprites.latent_by_value." + std::to_string(i),
                                                     size_t(kSpriteFactorSizes[s.factor])));
    bundle.info.stored.push_back(std::move(s));
  }
  return bundle;
}

double factor_value_to_latent(const SpritesStoredLatent& s, double value) {
  const auto& curve = s.latent_by_value;
  double index = std::clamp(value_to_index(s.factor, value), 0.0, double(curve.size() - 1));
  const size_t lo = std::min(size_t(index), curve.size() - 2);
  const double t = index - double(lo);
  return curve[lo] * (1.0 - t) + curve[lo + 1] * t;
}

double latent_to_factor_value(const SpritesStoredLatent& s, double latent) {
  // The nearest point of the piecewise-linear curve.
  const auto& curve = s.latent_by_value;
  double best_index = 0, best_distance = std::abs(curve[0] - latent);
  for (size_t i = 0; i + 1 < curve.size(); ++i) {
    const double a = curve[i], b = curve[i + 1];
    double t = b != a ? (latent - a) / (b - a) : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const double d = std::abs(a + (b - a) * t - latent);
    if (d < best_distance) {
      best_distance = d;
      best_index = double(i) + t;
    }
  }
  return index_to_value(s.factor, best_index);
}

}  // namespace facet
