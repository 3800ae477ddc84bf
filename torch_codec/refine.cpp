// Encoder effort: the latents refined by Adam on each coding tile.
#include "torch_codec/refine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "model/model_config.h"
#include "torch_codec/torch_tiles.h"

namespace facet {

RefineSettings effort_settings(int effort) {
  // One path for every effort: a higher effort continues the lower one's iterations (the same
  // learning rate and relaxation at each iteration), so its candidates include the lower's.
  switch (std::clamp(effort, kMinEffort, kMaxEffort)) {
    case 1: return {0, 0.0, 0};
    case 2: return {10, kLearningRate, kHyperIterations};
    case 3: return {20, kLearningRate, kHyperIterations};
    default: return {30, kLearningRate, kHyperIterations};
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

double soft_round_alpha(int iteration) {
  return std::min(kSoftAlphaMax, kSoftAlphaStart * std::pow(kSoftAlphaGrowth, double(iteration)));
}

namespace {

// Bits of the rounded residuals under the Gaussian conditional (the training's likelihood).
torch::Tensor gaussian_bits(const torch::Tensor& y_hat, const torch::Tensor& mean, const torch::Tensor& scale) {
  return -torch::log2(gaussian_likelihoods(y_hat, mean, scale));
}

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

// Runs `work` on a second thread (the tile's helper) or, without one, here; join() waits for it.
// The helper has the caller's gradient mode and autocast (both are thread-local in LibTorch).
class TileHelper {
 public:
  TileHelper(bool threaded, TransformPrecision precision) : threaded_(threaded), precision_(precision) {}
  ~TileHelper() {  // on an error in the caller: waits, the helper's own error is dropped
    if (thread_.joinable()) thread_.join();
  }
  void run(std::function<void()> work) {
    if (!threaded_) {
      work();
      return;
    }
    thread_ = std::thread([this, work = std::move(work)] {
      try {
        at::init_num_threads();  // LibTorch's global count (1 here), as the tile workers
        torch::AutoGradMode grad_mode(true);
        Bf16Autocast autocast(precision_ == TransformPrecision::kBf16, torch::kCPU);
        work();
      } catch (...) {
        error_ = std::current_exception();
      }
    });
  }
  void join() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  bool threaded_;
  TransformPrecision precision_;
  std::thread thread_;
  std::exception_ptr error_;
};

}  // namespace

namespace {

// The owned pixels of tile t inside the image, relative to its computed area.
struct OwnedPixels {
  int y0, x0, y1, x1;
  double count() const { return double(y1 - y0) * (x1 - x0); }
};
OwnedPixels owned_pixels_of(const Tile& t, int image_h, int image_w) {
  const int s = kLatentStride;
  return {(t.ty - t.y0) * s, (t.tx - t.x0) * s, std::min((t.ty + t.th) * s, image_h) - t.y0 * s,
          std::min((t.tx + t.tw) * s, image_w) - t.x0 * s};
}

// The effort-1 point (latent bits per pixel, MSE) of the image at a rate position: the analysis'
// latents at that position's gains, their hyperprior, and the tiles' decodes (no gradients).
struct RatePoint {
  double bpp = 0, mse = 0;
};
StatusOr<RatePoint> effort_one_point(PhotoModel& net, const torch::Tensor& x, int image_h, int image_w,
                                     const torch::Tensor& y_raw, double position, const std::vector<Tile>& tiles,
                                     int threads, TransformPrecision precision) {
  const ModelConfig& config = net->config();
  torch::Tensor y_hat, bits, inverse_gain, scales;
  FACET_RETURN_IF_ERROR(guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    OneLibTorchThread one;
    auto y = y_raw * net->gain(position);
    auto z_hat = torch::round(net->hyper_analysis(y));
    auto [mean, scale_raw] = net->hyper_synthesis(z_hat);
    if (config.has_group_context()) {
      auto p = net->group_parameters(y, mean, scale_raw, [](const torch::Tensor& v, const torch::Tensor& mu) {
        return torch::round(v - mu) + mu;
      });
      y_hat = p.y_hat;
      bits = -torch::log2(gaussian_likelihoods(y_hat, p.mean, scale_from_raw(p.scale_raw)));
    } else {
      y_hat = torch::round(y - mean) + mean;
      bits = -torch::log2(gaussian_likelihoods(y_hat, mean, scale_from_raw(scale_raw)));
    }
    inverse_gain = net->inverse_gain(position);
    scales = net->synthesis_scales(position);
    return ok_status();
  }));
  std::vector<double> squared_error(tiles.size());
  FACET_RETURN_IF_ERROR(run_torch_tiles(tiles, threads, precision, [&](const Tile& t) {
    const int s = kLatentStride;
    const OwnedPixels o = owned_pixels_of(t, image_h, image_w);
    auto latents = y_hat.slice(2, t.y0, t.y1).slice(3, t.x0, t.x1) * inverse_gain;
    if (precision == TransformPrecision::kBf16) latents = latents.contiguous(torch::MemoryFormat::ChannelsLast);
    auto decoded = net->synthesis(latents, scales).slice(2, o.y0, o.y1).slice(3, o.x0, o.x1);
    auto target = x.slice(2, t.y0 * s, t.y1 * s).slice(3, t.x0 * s, t.x1 * s).slice(2, o.y0, o.y1).slice(3, o.x0, o.x1);
    squared_error[&t - tiles.data()] = (decoded.to(torch::kFloat32) - target).square().sum().item<double>();
  }, TileGradients::kOff));
  RatePoint point;
  const double pixels = double(image_h) * image_w;
  for (double e : squared_error) point.mse += e / (3.0 * pixels);
  FACET_RETURN_IF_ERROR(guard_torch([&]() -> Status {
    // The latents of the image's own pixels (the padding's are coded too, but the same at any effort).
    const int lh = (image_h + kLatentStride - 1) / kLatentStride, lw = (image_w + kLatentStride - 1) / kLatentStride;
    point.bpp = bits.slice(2, 0, lh).slice(3, 0, lw).sum().item<double>() / pixels;
    return ok_status();
  }));
  return point;
}

}  // namespace

StatusOr<double> image_lambda(PhotoModel& net, const torch::Tensor& x, int image_h, int image_w,
                              const torch::Tensor& y, double position, int tile_latents, int threads,
                              TransformPrecision precision) {
  const ModelConfig& config = net->config();
  const double model_lambda = lambda_at(config, position);
  const double last = config.rate_points() - 1;
  if (last <= 0) return model_lambda;
  const double below = std::max(0.0, position - kSlopeSpan), above = std::min(last, position + kSlopeSpan);
  torch::Tensor y_raw;
  FACET_RETURN_IF_ERROR(guard_torch([&]() -> Status {
    torch::NoGradGuard no_grad;
    y_raw = y / net->gain(position);
    return ok_status();
  }));
  const auto tiles = plan_tiles(int(y.size(2)), int(y.size(3)), tile_latents);
  FACET_ASSIGN_OR_RETURN(RatePoint low, effort_one_point(net, x, image_h, image_w, y_raw, below, tiles, threads, precision));
  FACET_ASSIGN_OR_RETURN(RatePoint high, effort_one_point(net, x, image_h, image_w, y_raw, above, tiles, threads, precision));
  const double distortion_drop = 255.0 * 255.0 * (low.mse - high.mse), rate_rise = high.bpp - low.bpp;
  if (!(distortion_drop > 0) || !(rate_rise > 0)) return model_lambda;  // no slope to follow
  return std::clamp(rate_rise / distortion_drop, model_lambda / kSlopeClamp, model_lambda * kSlopeClamp);
}

StatusOr<torch::Tensor> refine_latents(PhotoModel& net, const torch::Tensor& x, int image_h, int image_w,
                                       const torch::Tensor& y, const torch::Tensor& z_hat, double position,
                                       double lambda, const RefineSettings& settings, int tile_latents, int threads,
                                       TransformPrecision precision, const RefineProgressFn& progress) {
  if (settings.iterations <= 0) return y;
  const ModelConfig& config = net->config();
  const double weight = lambda * 255.0 * 255.0;
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
  // Fewer tiles than threads: each tile's grayscale pass runs on a helper thread beside its full
  // pass. The same operations either way, so the file does not depend on it.
  const bool helpers = config.chroma > 0 && 2 * int(tiles.size()) <= threads;
  std::mutex progress_mutex;
  Status status = run_torch_tiles(tiles, helpers ? int(tiles.size()) : threads, precision, [&](const Tile& t) {
    const int index = int(&t - tiles.data());
    auto region = [&](const torch::Tensor& a) { return a.slice(2, t.y0, t.y1).slice(3, t.x0, t.x1); };
    const int oy = t.ty - t.y0, ox = t.tx - t.x0;
    // The owned pixels inside the image, relative to the tile's computed area.
    const int py0 = oy * s, px0 = ox * s;
    const int py1 = std::min((t.ty + t.th) * s, image_h) - t.y0 * s;
    const int px1 = std::min((t.tx + t.tw) * s, image_w) - t.x0 * s;
    const double owned_pixels = double(py1 - py0) * (px1 - px0);
    auto target = x.slice(2, t.y0 * s, t.y1 * s).slice(3, t.x0 * s, t.x1 * s).slice(2, py0, py1).slice(3, px0, px1);
    auto tile_mean = region(mean), tile_scale = region(scale), tile_scale_raw = region(scale_raw);
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
    // The quantized latents and their means and scales; with group context the means and scales
    // follow the groups before them (the tile's halo covers the context networks' two 3x3
    // layers, so the owned latents' are the file's).
    struct Quantized {
      torch::Tensor y_hat, mean, scale;
    };
    auto quantized = [&](const torch::Tensor& v, const PhotoModelImpl::Quantizer& quantize) -> Quantized {
      if (!config.has_group_context()) return {quantize(v, tile_mean), tile_mean, tile_scale};
      auto p = net->group_parameters(v, tile_mean, tile_scale_raw, quantize);
      return {p.y_hat, p.mean, scale_from_raw(p.scale_raw)};
    };
    auto decode = [&](torch::Tensor latents) {
      latents = latents * inverse_gain;
      if (precision == TransformPrecision::kBf16) latents = latents.contiguous(torch::MemoryFormat::ChannelsLast);
      return net->synthesis(latents, scales).slice(2, py0, py1).slice(3, px0, px1);
    };
    auto bits_per_pixel = [&](const Quantized& q) {
      return (gaussian_bits(q.y_hat, q.mean, q.scale) * owned).sum() / owned_pixels;
    };

    auto v = region(y).clone().requires_grad_(true);
    torch::optim::Adam adam({v}, torch::optim::AdamOptions(settings.learning_rate));
    double best_loss = std::numeric_limits<double>::infinity();
    torch::Tensor best;
    for (int i = 0; i <= settings.iterations; ++i) {
      const auto latents = v.detach();
      // The candidate: what the file would hold, the rounded latents of this iterate (iteration
      // 0: the analysis' latents, effort 1's file). Every other iteration and the last.
      const bool candidate = i % 2 == 0 || i == settings.iterations;
      const double alpha = soft_round_alpha(i);
      const auto soft = [&](const torch::Tensor& value, const torch::Tensor& mu) {
        return mu + soft_round(value - mu, alpha);
      };
      // The step's gradient: the soft-rounded latents' rate and distortion, and the grayscale
      // decode's distortion (on the helper), summed in this order whichever thread made them.
      torch::Tensor gray_gradient;
      TileHelper helper(helpers, precision);  // joined before what it uses goes
      const bool step = i < settings.iterations;
      if (step && config.chroma > 0) {
        helper.run([&] {
          auto q = quantized(v, soft);
          auto gray = decode(q.y_hat * (1 - chroma_mask) + tile_mean * chroma_mask);
          auto loss = kGrayWeight * weight * (gray - target_luma).square().mean();
          gray_gradient = torch::autograd::grad({loss}, {v})[0];
        });
      }
      if (candidate) {
        torch::NoGradGuard no_grad;
        auto q = quantized(latents, [](const torch::Tensor& value, const torch::Tensor& mu) {
          return torch::round(value - mu) + mu;
        });
        const double mse = (decode(q.y_hat) - target).square().mean().item<double>();
        const double bpp = bits_per_pixel(q).item<double>();
        const double loss = bpp + weight * mse;
        if (loss < best_loss) {
          best_loss = loss;
          best = latents.clone();
        }
        if (progress && (i % 10 == 0 || i == settings.iterations)) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          progress({index, int(tiles.size()), i, settings.iterations, bpp,
                    10.0 * std::log10(1.0 / std::max(mse, 1e-12)), loss, best_loss});
        }
      }
      if (!step) break;
      auto q = quantized(v, soft);
      auto loss = bits_per_pixel(q) + weight * (decode(q.y_hat) - target).square().mean();
      auto gradient = torch::autograd::grad({loss}, {v})[0];
      helper.join();
      if (gray_gradient.defined()) gradient = gradient + gray_gradient;
      // Only the owned latents move (the halo stays at the analysis' values).
      v.mutable_grad() = gradient * owned;
      adam.step();
    }
    refined.slice(2, t.ty, t.ty + t.th).slice(3, t.tx, t.tx + t.tw).copy_(
        best.slice(2, oy, oy + t.th).slice(3, ox, ox + t.tw));
  }, TileGradients::kOn);
  FACET_RETURN_IF_ERROR(status);
  return refined;
}

StatusOr<HyperRefinement> refine_hyper_latents(PhotoModel& net, const torch::Tensor& y, const torch::Tensor& z_hat,
                                               int iterations, double learning_rate, double pixels,
                                               const RefineProgressFn& progress) {
  const ModelConfig& config = net->config();
  HyperRefinement result;
  FACET_RETURN_IF_ERROR(guard_torch([&]() -> Status {
    OneLibTorchThread one;  // the same numbers for any thread count
    torch::AutoGradMode grad_mode(true);
    const auto latents = y.detach();
    const auto round_around = [](const torch::Tensor& v, const torch::Tensor& mu) { return torch::round(v - mu) + mu; };
    const auto keep = [](const torch::Tensor& v, const torch::Tensor&) { return v; };
    // Bits of the hyper-latents and of the latents under them; `rounded`: the file's (y_hat =
    // mu + round(y - mu)), else the expected rate of y (smooth in the means and scales).
    const auto rate = [&](const torch::Tensor& z, bool rounded) {
      auto z_bits = -torch::log2(net->z_density->likelihood(z).clamp_min(1e-9)).sum();
      auto [mean, scale_raw] = net->hyper_synthesis(z);
      torch::Tensor y_hat = rounded ? round_around(latents, mean) : latents;
      if (config.has_group_context()) {
        auto p = net->group_parameters(latents, mean, scale_raw, rounded ? PhotoModelImpl::Quantizer(round_around)
                                                                         : PhotoModelImpl::Quantizer(keep));
        mean = p.mean;
        scale_raw = p.scale_raw;
        y_hat = p.y_hat;
      }
      return z_bits - torch::log2(gaussian_likelihoods(y_hat, mean, scale_from_raw(scale_raw))).sum();
    };
    const auto report = [&](int iteration, double bits, double best) {
      if (progress)
        progress({kHyperStage, 1, iteration, iterations, bits / pixels, std::nan(""), bits / pixels, best / pixels});
    };
    const auto start = z_hat.to(torch::kFloat32);
    {
      torch::NoGradGuard no_grad;
      result.bits_before = rate(start, true).item<double>();
    }
    result.bits_after = result.bits_before;
    result.z_hat = z_hat.to(torch::kInt32).clone();
    report(0, result.bits_before, result.bits_before);
    auto v = start.clone().requires_grad_(true);
    torch::optim::Adam adam({v}, torch::optim::AdamOptions(learning_rate));
    double last = result.bits_before;
    for (int i = 0; i < iterations; ++i) {
      auto loss = rate(soft_round(v, soft_round_alpha(i)), false);
      v.mutable_grad() = torch::autograd::grad({loss}, {v})[0];
      adam.step();
      torch::NoGradGuard no_grad;
      const auto candidate = torch::round(v.detach());
      last = rate(candidate, true).item<double>();
      if (last < result.bits_after) {
        result.bits_after = last;
        result.z_hat = candidate.to(torch::kInt32);
      }
    }
    report(iterations, last, result.bits_after);
    return ok_status();
  }));
  return result;
}

StatusOr<RefinedLatents> TorchRefiner::refine(const RefineInput& in, int effort, int tile_latents, int threads,
                                              TransformPrecision precision, const RefineProgressFn& progress) {
  const ModelConfig& config = net_->config();
  const RefineSettings settings = effort_settings(effort);
  const int lh = in.height / kLatentStride, lw = in.width / kLatentStride;
  torch::Tensor x, y, z;
  FACET_RETURN_IF_ERROR(guard_torch([&]() -> Status {
    x = torch::from_blob(const_cast<float*>(in.x->data()), {1, 3, in.height, in.width}, torch::kFloat32);
    y = torch::from_blob(const_cast<float*>(in.y->data()), {1, config.m, lh, lw}, torch::kFloat32);
    z = torch::from_blob(const_cast<int32_t*>(in.z->data()), {1, config.hyper_n, lh / 4, lw / 4}, torch::kInt32);
    return ok_status();
  }));
  // The hyper-latents' stage and the image's lambda need only the analysis' latents: with two
  // threads they run side by side (each on one LibTorch thread, so neither depends on it).
  const double pixels = double(in.image_height) * in.image_width;
  StatusOr<HyperRefinement> hyper = make_error(ErrorCode::kInternal, "the hyper-latents' stage did not run");
  StatusOr<double> lambda = make_error(ErrorCode::kInternal, "the image's lambda was not measured");
  {
    OneLibTorchThread one;  // LibTorch's count stays 1 until both are done
    const auto hyper_stage = [&] {
      try {
        hyper = refine_hyper_latents(net_, y, z, settings.hyper_iterations, kHyperLearningRate, pixels, progress);
      } catch (const std::exception& e) {
        hyper = make_error(ErrorCode::kInternal, std::string("the hyper-latents' stage: ") + e.what());
      }
    };
    // Runs the stage on a second thread, joined when this scope ends however it ends.
    TileHelper helper(threads >= 2, TransformPrecision::kFp32);  // no autocast: as on one thread
    helper.run(hyper_stage);
    lambda = image_lambda(net_, x, in.image_height, in.image_width, y, in.position, tile_latents,
                          std::max(1, threads - 1), precision);
    helper.join();
  }
  FACET_RETURN_IF_ERROR(hyper.status());
  FACET_RETURN_IF_ERROR(lambda.status());
  RefinedLatents out;
  FACET_ASSIGN_OR_RETURN(torch::Tensor refined,
                         refine_latents(net_, x, in.image_height, in.image_width, y, hyper->z_hat, in.position,
                                        *lambda, settings, tile_latents, threads, precision, progress));
  FACET_RETURN_IF_ERROR(guard_torch([&]() -> Status {
    refined = refined.contiguous();
    out.y.assign(refined.data_ptr<float>(), refined.data_ptr<float>() + refined.numel());
    const auto z_out = hyper->z_hat.contiguous();
    out.z.assign(z_out.data_ptr<int32_t>(), z_out.data_ptr<int32_t>() + z_out.numel());
    return ok_status();
  }));
  return out;
}

}  // namespace facet
