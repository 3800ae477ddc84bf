// Encoder effort: the latents refined by Adam on each coding tile.
#include "torch_codec/refine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "model/model_config.h"
#include "torch_codec/torch_tiles.h"

namespace facet {

RefineSettings effort_settings(int effort) {
  switch (std::clamp(effort, kMinEffort, kMaxEffort)) {
    case 1: return {0, 0.0};
    case 2: return {10, 0.03};
    case 3: return {20, 0.05};
    default: return {30, 0.05};
  }
}

double lambda_at(const ModelConfig& config, double position) {
  const int last = config.rate_points() - 1;
  if (last <= 0) return config.lambdas.at(0);
  const double t = std::clamp(position, 0.0, double(last));
  const int i = std::min(int(std::floor(t)), last - 1);
  const double f = t - i;
  return std::exp((1 - f) * std::log(config.lambdas[i]) + f * std::log(config.lambdas[i + 1]));
}

namespace {

// Bits of the rounded residuals under the Gaussian conditional (the training's likelihood).
torch::Tensor gaussian_bits(const torch::Tensor& y_hat, const torch::Tensor& mean, const torch::Tensor& scale) {
  return -torch::log2(gaussian_likelihoods(y_hat, mean, scale));
}

// The first kSoftShare of the iterations see soft-rounded latents (Agustsson & Theis 2020: a
// differentiable staircase that sharpens from alpha start to end), the rest rounded latents with
// a straight-through gradient. Chosen by measurement on held-out BSDS500 photos (models/README.md):
// rounding from the first step (straight-through only) gained about two thirds as much in 30
// iterations; the relaxation alone loses its gains to the final rounding.
constexpr double kSoftShare = 0.7, kSoftAlphaStart = 2.0, kSoftAlphaEnd = 16.0;

// Weight of the grayscale decode's distortion (the chroma group dropped) in the gradient, as in
// training (TrainOptions::chroma_luma_weight). Without it the drop-chroma decode drifted from the
// full decode's luma (held-out photos, effort 4: 39.57 dB against effort 1's 40.44); with it
// 41.05 dB, and the rate-distortion gain grew too (BD-rate against effort 1 -16.73% instead of
// -15.87%). Freezing the chroma latents instead kept 40.45 dB but gained less (-15.23%).
constexpr double kGrayWeight = 0.25;

// floor(r) + 1/2 + tanh(alpha (frac(r) - 1/2)) / (2 tanh(alpha / 2)): the identity as alpha -> 0,
// rounding as alpha -> infinity; continuous at the steps.
torch::Tensor soft_round(const torch::Tensor& r, double alpha) {
  auto base = torch::floor(r).detach();
  return base + 0.5 + torch::tanh(alpha * (r - base - 0.5)) / (2.0 * std::tanh(alpha / 2.0));
}

}  // namespace

StatusOr<torch::Tensor> refine_latents(PhotoModel& net, const torch::Tensor& x, int image_h, int image_w,
                                       const torch::Tensor& y, const torch::Tensor& z_hat, double position,
                                       const RefineSettings& settings, int tile_latents, int threads,
                                       TransformPrecision precision, const RefineProgressFn& progress) {
  if (settings.iterations <= 0) return y;
  const ModelConfig& config = net->config();
  const double lambda = lambda_at(config, position);
  torch::Tensor mean, scale, scale_raw, inverse_gain, scales;
  FACET_RETURN_IF_ERROR(guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    OneLibTorchThread one;  // the same numbers for any thread count
    auto [m, raw] = net->hyper_synthesis(z_hat.to(torch::kFloat32));
    mean = m.contiguous();
    scale_raw = raw.contiguous();
    scale = scale_from_raw(raw).contiguous();
    inverse_gain = net->inverse_gain(position);
    scales = net->synthesis_scales(position);
    return ok_status();
  }));
  auto refined = y.clone();
  const int lh = int(y.size(2)), lw = int(y.size(3)), s = kLatentStride;
  const auto tiles = plan_tiles(lh, lw, tile_latents);
  std::mutex progress_mutex;
  Status status = run_torch_tiles(tiles, threads, precision, [&](const Tile& t) {
    const int index = int(&t - tiles.data());
    auto region = [&](const torch::Tensor& a) { return a.slice(2, t.y0, t.y1).slice(3, t.x0, t.x1); };
    const int oy = t.ty - t.y0, ox = t.tx - t.x0;
    // The owned pixels inside the image, relative to the tile's computed area.
    const int py0 = oy * s, px0 = ox * s;
    const int py1 = std::min((t.ty + t.th) * s, image_h) - t.y0 * s;
    const int px1 = std::min((t.tx + t.tw) * s, image_w) - t.x0 * s;
    const double owned_pixels = double(py1 - py0) * (px1 - px0);
    auto target = x.slice(2, t.y0 * s, t.y1 * s).slice(3, t.x0 * s, t.x1 * s).slice(2, py0, py1).slice(3, px0, px1);
    auto tile_mean = region(mean), tile_scale = region(scale);
    auto owned = torch::zeros({1, 1, t.y1 - t.y0, t.x1 - t.x0});
    owned.slice(2, oy, oy + t.th).slice(3, ox, ox + t.tw).fill_(1.0);
    // The decode without the chroma group (its latents at the prior mean) against the luma of the
    // image: what `--drop chroma` shows stays a faithful grayscale image.
    torch::Tensor chroma_mask, target_luma;
    if (config.chroma > 0) {
      chroma_mask = torch::zeros({1, config.m, 1, 1});
      chroma_mask.slice(1, config.structure_channels(), config.m).fill_(1.0);
      target_luma = luma_of(target);
    }

    auto v = region(y).clone().requires_grad_(true);
    torch::optim::Adam adam({v}, torch::optim::AdamOptions(settings.learning_rate));
    const int soft_end = int(std::ceil(kSoftShare * settings.iterations));
    double best_loss = std::numeric_limits<double>::infinity();
    torch::Tensor best;
    for (int i = 0; i <= settings.iterations; ++i) {
      // Iteration 0 (the analysis' latents) and the last phase round; the first phase relaxes.
      const bool rounded = i == 0 || i >= soft_end;
      const double alpha = kSoftAlphaStart * std::pow(kSoftAlphaEnd / kSoftAlphaStart, double(i) / soft_end);
      const auto quantize = [&](const torch::Tensor& value, const torch::Tensor& mu) {
        return rounded ? round_ste(value - mu) + mu : mu + soft_round(value - mu, alpha);
      };
      // With group context the means and scales follow the groups before them (the tile's halo
      // covers the context networks' two 3x3 layers, so the owned latents' are the file's).
      torch::Tensor y_hat, step_mean = tile_mean, step_scale = tile_scale;
      if (config.has_group_context()) {
        auto p = net->group_parameters(v, tile_mean, region(scale_raw), quantize);
        y_hat = p.y_hat;
        step_mean = p.mean;
        step_scale = scale_from_raw(p.scale_raw);
      } else {
        y_hat = quantize(v, tile_mean);
      }
      auto in = y_hat * inverse_gain;
      if (precision == TransformPrecision::kBf16) in = in.contiguous(torch::MemoryFormat::ChannelsLast);
      auto x_hat = net->synthesis(in, scales).slice(2, py0, py1).slice(3, px0, px1);
      auto distortion = lambda * 255.0 * 255.0 * (x_hat - target).square().mean();
      auto bpp = (gaussian_bits(y_hat, step_mean, step_scale) * owned).sum() / owned_pixels;
      const double loss_value = (bpp + distortion).item<double>();
      if (rounded && loss_value < best_loss) {  // a candidate: what the file would hold
        best_loss = loss_value;
        best = v.detach().clone();
      }
      if (progress && (i % 10 == 0 || i == settings.iterations)) {
        const double mse = distortion.item<double>() / (lambda * 255.0 * 255.0);
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress({index, int(tiles.size()), i, settings.iterations, bpp.item<double>(),
                  10.0 * std::log10(1.0 / std::max(mse, 1e-12))});
      }
      if (i == settings.iterations) break;
      // Rounded: the rate's gradient from the continuous latents (the rounded ones give none
      // until a residual crosses a step).
      auto loss = rounded ? (gaussian_bits(v, step_mean, step_scale) * owned).sum() / owned_pixels + distortion
                          : bpp + distortion;
      if (config.chroma > 0) {
        auto gray_in = (y_hat * (1 - chroma_mask) + tile_mean * chroma_mask) * inverse_gain;
        if (precision == TransformPrecision::kBf16) gray_in = gray_in.contiguous(torch::MemoryFormat::ChannelsLast);
        auto gray = net->synthesis(gray_in, scales).slice(2, py0, py1).slice(3, px0, px1);
        loss = loss + kGrayWeight * lambda * 255.0 * 255.0 * (gray - target_luma).square().mean();
      }
      // Only the latents' gradient (no weight gradients), and only for the owned latents.
      v.mutable_grad() = torch::autograd::grad({loss}, {v})[0] * owned;
      for (auto& group : adam.param_groups())
        static_cast<torch::optim::AdamOptions&>(group.options())
            .lr(settings.learning_rate * (1.0 - 0.9 * double(i) / settings.iterations));
      adam.step();
    }
    refined.slice(2, t.ty, t.ty + t.th).slice(3, t.tx, t.tx + t.tw).copy_(
        best.slice(2, oy, oy + t.th).slice(3, ox, ox + t.tw));
  }, TileGradients::kOn);
  FACET_RETURN_IF_ERROR(status);
  return refined;
}

StatusOr<std::vector<float>> TorchRefiner::refine(const RefineInput& in, int effort, int tile_latents, int threads,
                                                  TransformPrecision precision, const RefineProgressFn& progress) {
  const ModelConfig& config = net_->config();
  const int lh = in.height / kLatentStride, lw = in.width / kLatentStride;
  torch::Tensor x, y, z;
  FACET_RETURN_IF_ERROR(guard_torch([&]() -> Status {
    x = torch::from_blob(const_cast<float*>(in.x->data()), {1, 3, in.height, in.width}, torch::kFloat32);
    y = torch::from_blob(const_cast<float*>(in.y->data()), {1, config.m, lh, lw}, torch::kFloat32);
    z = torch::from_blob(const_cast<int32_t*>(in.z->data()), {1, config.hyper_n, lh / 4, lw / 4}, torch::kInt32);
    return ok_status();
  }));
  FACET_ASSIGN_OR_RETURN(torch::Tensor refined,
                         refine_latents(net_, x, in.image_height, in.image_width, y, z, in.position,
                                        effort_settings(effort), tile_latents, threads, precision, progress));
  refined = refined.contiguous();
  return std::vector<float>(refined.data_ptr<float>(), refined.data_ptr<float>() + refined.numel());
}

}  // namespace facet
