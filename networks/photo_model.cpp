// The photo model's layers and training-time forward pass.
#include "networks/photo_model.h"

#include "networks/precision.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>

namespace facet {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int in, int out, int kernel, int stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2));
}

}  // namespace

torch::Tensor gaussian_likelihoods(const torch::Tensor& y, const torch::Tensor& mean, const torch::Tensor& scale) {
  auto centered = torch::abs(y - mean);
  auto upper = 0.5 * torch::erfc(-(0.5 - centered) / (scale * std::sqrt(2.0)));
  auto lower = 0.5 * torch::erfc(-(-0.5 - centered) / (scale * std::sqrt(2.0)));
  return (upper - lower).clamp_min(1e-9);
}

torch::Tensor luma_of(const torch::Tensor& x) {
  auto y = 0.299 * x.select(1, 0) + 0.587 * x.select(1, 1) + 0.114 * x.select(1, 2);
  return y.unsqueeze(1).expand_as(x);
}

torch::Tensor round_ste(const torch::Tensor& x) { return x + (torch::round(x) - x).detach(); }

torch::Tensor scale_from_raw(const torch::Tensor& scale_raw) {
  return torch::nn::functional::softplus(scale_raw).clamp_min(kMinScale);
}

PhotoModelImpl::PhotoModelImpl(const ModelConfig& config) : config_(config) {
  const int n = config.n, m = config.m, hn = config.hyper_n;
  g_a = register_module("g_a", nn::Sequential(conv(3, n, 5, 2), Gdn(n, false), conv(n, n, 5, 2),
                                              Gdn(n, false), conv(n, n, 5, 2), Gdn(n, false),
                                              conv(n, m, 5, 2)));
  g_s = register_module("g_s", nn::Sequential(Upsample(m, n), Gdn(n, true), Upsample(n, n),
                                              Gdn(n, true), Upsample(n, n), Gdn(n, true),
                                              Upsample(n, 3)));
  h_a = register_module("h_a", nn::Sequential(conv(m, hn, 3, 1), nn::ReLU(), conv(hn, hn, 5, 2),
                                              nn::ReLU(), conv(hn, hn, 5, 2)));
  hs_up1 = register_module("hs_up1", Upsample(hn, hn));
  hs_up2 = register_module("hs_up2", Upsample(hn, hn));
  hs_out = register_module("hs_out", conv(hn, 2 * m, 3, 1));
  z_density = register_module("z_density", FactorizedDensity(hn));
  context.assign(config.coded_groups(), nn::Sequential(nullptr));
  for (int k = 0; k < config.coded_groups(); ++k) {
    const int read = config.context_groups(k);
    if (read == 0) continue;
    const int c = config.coded_group_channels(k);
    context[k] = register_module(config.context_network_name(k),
                                 nn::Sequential(conv(2 * c + read * config.group_channels(), config.context_channels, 3, 1),
                                                nn::ReLU(), conv(config.context_channels, 2 * c, 3, 1)));
    // Zero corrections at the start: a context added to a trained model starts as that model.
    torch::NoGradGuard no_grad;
    auto last = context[k]->children().back()->as<nn::Conv2dImpl>();
    last->weight.zero_();
    last->bias.zero_();
  }
  log_gains = register_parameter("log_gains", torch::zeros({config.rate_points(), m}));
  log_inverse_gains = register_parameter("log_inverse_gains", torch::zeros({config.rate_points(), m}));
  if (config.synthesis_rate_scales)
    log_synthesis_scales = register_parameter("log_synthesis_scales", torch::zeros({config.rate_points(), 3 * n}));
  // Start the rate points apart: higher lambda, finer quantization (larger gain).
  {
    torch::NoGradGuard no_grad;
    // A small last synthesis layer starts the reconstruction near mid-gray instead of far
    // outside [0, 1], which otherwise costs the first few hundred steps.
    auto last = g_s->children().back()->as<UpsampleImpl>();
    last->conv->weight.mul_(0.1);
    last->conv->bias.fill_(0.5);
    for (int k = 0; k < config.rate_points(); ++k) {
      const double g = 0.5 * std::log(config.lambdas[k] / config.lambdas.back());
      log_gains[k].fill_(g);
      log_inverse_gains[k].fill_(-g);
    }
  }
}

PhotoModelImpl::GroupParameters PhotoModelImpl::group_parameters(const torch::Tensor& y,
                                                                 const torch::Tensor& hyper_mean,
                                                                 const torch::Tensor& hyper_scale_raw,
                                                                 const Quantizer& quantize) {
  NoAutocast fp32;  // they set the rate, as the hyperprior does
  if (!config_.has_group_context()) return {hyper_mean, hyper_scale_raw, quantize(y, hyper_mean)};
  std::vector<torch::Tensor> means, raws, values;
  for (int k = 0; k < config_.coded_groups(); ++k) {
    const int first = config_.coded_group_first_channel(k), c = config_.coded_group_channels(k);
    auto mean = hyper_mean.narrow(1, first, c), raw = hyper_scale_raw.narrow(1, first, c);
    const int read = config_.context_groups(k);
    if (read > 0) {
      std::vector<torch::Tensor> decoded(values.begin(), values.begin() + read);
      auto in = torch::cat({mean, raw, torch::cat(decoded, 1)}, 1);
      auto correction = context[k]->forward(in).chunk(2, 1);
      mean = mean + correction[0];
      raw = raw + correction[1];
    }
    means.push_back(mean);
    raws.push_back(raw);
    values.push_back(quantize(y.narrow(1, first, c), mean));
  }
  return {torch::cat(means, 1), torch::cat(raws, 1), torch::cat(values, 1)};
}

torch::Tensor PhotoModelImpl::context_rate(const torch::Tensor& x, const torch::Tensor& rate_points) {
  const int64_t b = x.size(0), m = config_.m;
  torch::Tensor y, hyper_mean, hyper_scale_raw;
  {
    torch::NoGradGuard no_grad;
    auto index = rate_points.to(log_gains.device(), torch::kInt64);
    y = analysis(x) * torch::exp(log_gains.index_select(0, index)).view({b, m, 1, 1});
    auto z = hyper_analysis(y);
    std::tie(hyper_mean, hyper_scale_raw) = hyper_synthesis(z + uniform_noise_like(z, 1));
  }
  auto params = group_parameters(y, hyper_mean, hyper_scale_raw, [](const torch::Tensor& v, const torch::Tensor& mu) {
    return round_ste(v - mu) + mu;
  });
  NoAutocast fp32;
  auto likelihoods = gaussian_likelihoods(y + uniform_noise_like(y, 2), params.mean, scale_from_raw(params.scale_raw));
  return -torch::log2(likelihoods).sum({1, 2, 3}) / (double(x.size(2)) * x.size(3));
}

torch::Tensor PhotoModelImpl::gain(double t) { return interpolated_exp(log_gains, t); }
torch::Tensor PhotoModelImpl::inverse_gain(double t) { return interpolated_exp(log_inverse_gains, t); }

torch::Tensor PhotoModelImpl::interpolated_exp(const torch::Tensor& log_table, double t) const {
  const int last = config_.rate_points() - 1;
  if (last == 0) return torch::exp(log_table[0]).view({1, -1, 1, 1});
  t = std::min<double>(std::max(t, 0.0), last);
  const int i = std::min(static_cast<int>(std::floor(t)), last - 1);
  const double f = t - i;
  return torch::exp((1 - f) * log_table[i] + f * log_table[i + 1]).view({1, -1, 1, 1});
}

torch::Tensor PhotoModelImpl::uniform_noise_like(const torch::Tensor& t, uint64_t stream) const {
  if (noise_seeds_.empty()) return torch::empty_like(t).uniform_(-0.5, 0.5);
  TORCH_CHECK(int64_t(noise_seeds_.size()) == t.size(0), "one noise seed per image of the batch is needed");
  std::vector<torch::Tensor> images;
  for (uint64_t seed : noise_seeds_) {
    auto generator = at::detail::createCPUGenerator(seed * 0x9E3779B97F4A7C15ull + stream);
    images.push_back(torch::empty(t.sizes().slice(1), torch::TensorOptions(torch::kFloat32))
                         .uniform_(-0.5, 0.5, generator));
  }
  return torch::stack(images).to(t.options());
}

// Under bf16 autocast (training) the transforms run their convolutions in bf16; their outputs are
// fp32 again for the quantizer, the hyperprior and the loss.
torch::Tensor PhotoModelImpl::analysis(const torch::Tensor& x) { return g_a->forward(x).to(torch::kFloat32); }
torch::Tensor PhotoModelImpl::synthesis(const torch::Tensor& y_hat, const torch::Tensor& scales) {
  if (!scales.defined()) return g_s->forward(y_hat).to(torch::kFloat32);
  // Layers: up, igdn, up, igdn, up, igdn, up; the k-th inverse GDN's output is scaled by scales[:, k].
  torch::Tensor h = y_hat;
  int scaled = 0;
  for (const auto& layer : g_s->children()) {
    if (auto* up = layer->as<UpsampleImpl>()) {
      h = up->forward(h);
    } else if (auto* gdn = layer->as<GdnImpl>()) {
      h = gdn->forward(h);
      auto s = scales.select(1, scaled++).unsqueeze(-1).unsqueeze(-1);  // [B, N, 1, 1]
      h = h * s.to(h.scalar_type());
    }
  }
  return h.to(torch::kFloat32);
}

torch::Tensor PhotoModelImpl::synthesis_scales(double t) {
  if (!log_synthesis_scales.defined()) return torch::Tensor();
  return interpolated_exp(log_synthesis_scales, t).view({1, 3, config_.n});
}

// The hyperprior stays fp32 under autocast: its means and scales set the rate, and its tensors are
// small (a few percent of the step).
torch::Tensor PhotoModelImpl::hyper_analysis(const torch::Tensor& y) {
  NoAutocast fp32;
  return h_a->forward(y);
}

std::pair<torch::Tensor, torch::Tensor> PhotoModelImpl::hyper_synthesis(const torch::Tensor& z_hat) {
  NoAutocast fp32;
  auto h = torch::relu(hs_up1->forward(z_hat));
  h = torch::relu(hs_up2->forward(h));
  auto out = hs_out->forward(h);
  auto parts = out.chunk(2, 1);
  return {parts[0], parts[1]};
}

ForwardResult PhotoModelImpl::forward(const torch::Tensor& x, int rate_point, int kept_groups,
                                     bool noisy, bool keep_chroma, bool also_without_chroma, int also_kept_groups) {
  return forward_with_gains(x, gain(rate_point), inverse_gain(rate_point), synthesis_scales(rate_point), kept_groups,
                            noisy, keep_chroma, also_without_chroma, also_kept_groups);
}

ForwardResult PhotoModelImpl::forward(const torch::Tensor& x, const torch::Tensor& rate_points, int kept_groups,
                                     bool noisy, bool keep_chroma, bool also_without_chroma, int also_kept_groups) {
  const int64_t b = x.size(0), m = config_.m;
  auto index = rate_points.to(log_gains.device(), torch::kInt64);
  auto g = torch::exp(log_gains.index_select(0, index)).view({b, m, 1, 1});
  auto ig = torch::exp(log_inverse_gains.index_select(0, index)).view({b, m, 1, 1});
  torch::Tensor scales;
  if (log_synthesis_scales.defined())
    scales = torch::exp(log_synthesis_scales.index_select(0, index)).view({b, 3, config_.n});
  return forward_with_gains(x, g, ig, scales, kept_groups, noisy, keep_chroma, also_without_chroma, also_kept_groups);
}

ForwardResult PhotoModelImpl::forward_with_gains(const torch::Tensor& x, const torch::Tensor& gain,
                                                 const torch::Tensor& inverse_gain,
                                                 const torch::Tensor& synthesis_scales, int kept_groups, bool noisy,
                                                 bool keep_chroma, bool also_without_chroma,
                                                 int also_kept_groups) {
  const int m = config_.m;
  auto y = analysis(x) * gain;
  auto z = hyper_analysis(y);
  auto z_noisy = noisy ? z + uniform_noise_like(z, 1) : torch::round(z);
  // Named variables, not a structured binding: the lambdas below capture them (C++17 forbids
  // capturing a structured binding; clang refuses it).
  torch::Tensor hyper_mean, hyper_scale_raw;
  std::tie(hyper_mean, hyper_scale_raw) = hyper_synthesis(z_noisy);
  // Reconstruction: rounded residual with a straight-through gradient, as the decoder will see it;
  // with group context each group's mean comes from the groups rounded before it.
  auto params = group_parameters(y, hyper_mean, hyper_scale_raw, [](const torch::Tensor& v, const torch::Tensor& mu) {
    return round_ste(v - mu) + mu;
  });
  const torch::Tensor& mean = params.mean;
  auto scale = scale_from_raw(params.scale_raw);

  // Rate: additive uniform noise.
  auto y_noisy = noisy ? y + uniform_noise_like(y, 2) : torch::round(y - mean) + mean;
  auto y_likelihoods = gaussian_likelihoods(y_noisy, mean, scale);

  auto y_hat = params.y_hat;
  // 1 for the channels a decoder with `kept` structure groups (and the chroma group or not) has.
  const int structure = config_.structure_channels();
  const auto kept_mask = [&](int kept, bool chroma) {
    auto mask = torch::ones({1, m, 1, 1}, x.options());
    if (kept < config_.groups)
      mask.narrow(1, kept * config_.group_channels(), structure - kept * config_.group_channels()).zero_();
    if (!chroma && config_.chroma > 0) mask.narrow(1, structure, config_.chroma).zero_();
    return mask;
  };
  // The missing channels become the hyperprior's mean, as in a decoder that lacks them (with group
  // context too: a dropped group's context is never needed, FORMAT.md §5.6.2).
  const auto decode = [&](const torch::Tensor& mask) {
    return synthesis((mask * y_hat + (1 - mask) * hyper_mean) * inverse_gain, synthesis_scales);
  };
  const auto mask = kept_mask(kept_groups, keep_chroma);
  ForwardResult r;
  const bool dropped = kept_groups < config_.groups || (!keep_chroma && config_.chroma > 0);
  r.x_hat = dropped ? decode(mask) : synthesis(y_hat * inverse_gain, synthesis_scales);
  if (also_without_chroma && keep_chroma && config_.chroma > 0)
    r.x_hat_without_chroma = decode(kept_mask(kept_groups, false));
  if (also_kept_groups >= 1 && also_kept_groups < kept_groups)
    r.x_hat_truncated = decode(kept_mask(also_kept_groups, keep_chroma));
  r.y_likelihoods = y_likelihoods;
  {
    NoAutocast fp32;
    r.z_likelihoods = z_density->likelihood(z_noisy).clamp_min(1e-9);
  }
  r.y_mask = mask;
  return r;
}

ModelCost model_cost(PhotoModel& model) {
  const TransformCost t = transform_cost(model->config());
  ModelCost cost{};
  cost.analysis_kmac_per_pixel = t.analysis_kmac_per_pixel;
  cost.synthesis_kmac_per_pixel = t.synthesis_kmac_per_pixel;
  cost.hyper_kmac_per_pixel = t.hyper_kmac_per_pixel;
  cost.parameters = 0;
  for (const auto& p : model->parameters()) cost.parameters += p.numel();
  return cost;
}

}  // namespace facet
