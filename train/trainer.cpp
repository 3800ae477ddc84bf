// The photo model's training loop.
#include "train/trainer.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <torch/torch.h>

#include "train/checkpoint.h"
#include "train/data_parallel.h"
#include "train/rate_points.h"
#include "train/sampling.h"
#include "networks/photo_model.h"
#include "networks/model_io.h"
#include "networks/tensor_io.h"
#include "train/train_loop.h"
#include "train/weight_average.h"
#include "formats/safetensors.h"

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

// The stored crops as one uint8 tensor [N, S, S, 3] on the training device (a few hundred MB for
// thousands of 256² crops), so that a batch is cut there without a host copy per step.
torch::Tensor crops_on_device(const CropSet& crops, const torch::Device& device) {
  auto host = torch::from_blob(const_cast<uint8_t*>(crops.pixels.data()),
                               {crops.count, crops.size, crops.size, 3}, torch::kUInt8);
  return device.is_cpu() ? host : host.to(device);
}

// Patch `crop`² of stored crop `index` at (oy, ox), flipped as asked, as [3, c, c] uint8.
torch::Tensor cut_patch(const torch::Tensor& crops, int64_t index, int oy, int ox, bool flip_x, bool flip_y,
                        int crop) {
  auto patch = crops[index].narrow(0, oy, crop).narrow(1, ox, crop);
  if (flip_y) patch = patch.flip({0});
  if (flip_x) patch = patch.flip({1});
  return patch.permute({2, 0, 1});
}

// This rank's images of a step: patches with random offsets and flips as [B, 3, c, c] floats in
// [0, 1], and a rate point per image (drawn whatever the sampling; used by kPerImage and kBalanced).
struct Batch {
  torch::Tensor x;
  std::vector<int64_t> rate_points;
  std::vector<uint64_t> noise_seeds;  // of the training noise (PhotoModel::set_noise_seeds)
};

Batch sample_batch(const torch::Tensor& crops, EpochSampler& sampler, int64_t first_sample, int batch, int crop,
                   int rate_points, bool balanced_rate_points) {
  const int64_t size = crops.size(1);
  std::uniform_int_distribution<int> offset(0, int(size) - crop);
  std::uniform_int_distribution<int> point(0, rate_points - 1);
  std::bernoulli_distribution flip(0.5);
  std::vector<torch::Tensor> patches;
  Batch b;
  for (int i = 0; i < batch; ++i) {
    const int64_t g = first_sample + i;
    std::mt19937_64 rng(sampler.sample_seed(g));
    const int oy = offset(rng), ox = offset(rng);
    const bool fx = flip(rng), fy = flip(rng);
    const int drawn = point(rng);  // drawn in any case: the noise seed below stays the same
    b.rate_points.push_back(balanced_rate_points ? sampler.balanced_rate_point(g, rate_points) : drawn);
    b.noise_seeds.push_back(rng());
    patches.push_back(cut_patch(crops, sampler.crop_of(g), oy, ox, fx, fy, crop));
  }
  b.x = torch::stack(patches).to(torch::kFloat32).div_(255.0);
  return b;
}

// A step's loss (mean over the batch), its rate and distortion, and each image's loss ([B]).
struct Loss {
  torch::Tensor total, bpp, mse, per_image;
};

// Mean over the batch of lambda_i * 255^2 * MSE_i + bpp_i, with lambda per image ([B]).
Loss rate_distortion(const ForwardResult& r, const torch::Tensor& x, const torch::Tensor& lambdas) {
  const double pixels = double(x.size(2)) * x.size(3);
  auto y_bits = (-torch::log2(r.y_likelihoods) * r.y_mask).sum({1, 2, 3});
  auto z_bits = -torch::log2(r.z_likelihoods).sum({1, 2, 3});
  auto bpp = (y_bits + z_bits) / pixels;
  auto mse = (r.x_hat - x).square().mean({1, 2, 3});
  Loss l;
  l.bpp = bpp.mean();
  l.mse = mse.mean();
  l.per_image = lambdas * (255.0 * 255.0) * mse + bpp;
  l.total = l.per_image.mean();
  return l;
}

Loss rate_distortion(const ForwardResult& r, const torch::Tensor& x, double lambda) {
  return rate_distortion(r, x, torch::full({x.size(0)}, lambda, x.options()));
}

double psnr_of(double mse) { return 10.0 * std::log10(1.0 / std::max(mse, 1e-12)); }

// The first 16 held-out crops, each cut to a multiple of 64 at the top left, at every rate point, in
// fp32: bpp from the likelihoods of the rounded latents, PSNR of the 8-bit decode (as the
// reference hyperprior counts them).
void evaluate(PhotoModel& model, const torch::Tensor& crops, const TrainOptions& o, int64_t step,
              const std::function<void(const TrainProgress&)>& report, double average_decay = 0) {
  torch::NoGradGuard no_grad;
  model->eval();
  const int edge = int(crops.size(1)) / 64 * 64;
  const int64_t count = std::min<int64_t>(crops.size(0), 16);
  for (int k = 0; k < o.config.rate_points(); ++k) {
    double bpp = 0, psnr = 0;
    for (int64_t i = 0; i < count; ++i) {
      auto x8 = cut_patch(crops, i, 0, 0, false, false, edge).unsqueeze(0).to(torch::kFloat32);
      auto x = x8 / 255.0;
      auto r = model->forward(x, k, o.config.groups, /*noisy=*/false);
      Loss l = rate_distortion(r, x, o.config.lambdas[k]);
      bpp += l.bpp.item<double>();
      auto decoded = (r.x_hat.clamp(0, 1) * 255.0).round();
      psnr += psnr_of(((decoded - x8) / 255.0).square().mean().item<double>());
    }
    TrainProgress p;
    p.step = step;
    p.is_eval = true;
    p.rate_point = k;
    p.lambda = o.config.lambdas[k];
    p.average_decay = average_decay;
    p.bpp = bpp / count;
    p.psnr = psnr / count;
    report(p);
  }
  model->train();
}

}  // namespace

Status train_photo_model(const TrainOptions& o, const CropSet& train_crops, const CropSet* eval_crops,
                         const std::function<void(const TrainProgress&)>& report) {
  FACET_RETURN_IF_ERROR(o.config.validate());
  FACET_RETURN_ERROR_IF(o.crop % 64 != 0 || o.crop < 64 || o.crop > train_crops.size, kInvalidArgument,
                        "--crop must be a multiple of 64 no larger than the stored crops");
  FACET_RETURN_ERROR_IF(o.batch < 1 || o.steps < 0, kInvalidArgument,
                        "batch must be positive and steps non-negative");
  DataParallel* const group = o.data_parallel.get();
  const int world = group ? group->world_size() : 1;
  const bool lead = !group || group->rank() == 0;  // reports, evaluates, writes
  FACET_RETURN_ERROR_IF(group && o.time_budget_seconds > 0, kInvalidArgument,
                        "--time-budget is for one process: its step count is fitted to the speed each rank "
                        "measures, and the ranks must agree on it; give --steps");
  // A checkpoint or output whose folder is not there fails now, not after the first steps.
  if (lead)
    for (const auto& [path, option] : {std::pair{o.checkpoint, "--checkpoint"}, std::pair{o.output, "--output"}}) {
      const std::filesystem::path parent = std::filesystem::path(path).parent_path();
      std::error_code ec;
      FACET_RETURN_ERROR_IF(!path.empty() && !parent.empty() && !std::filesystem::is_directory(parent, ec),
                            kIo, std::string(option) + " " + path + ": the folder " + parent.string() +
                                     " does not exist");
    }
  FACET_RETURN_ERROR_IF(o.context_only && !o.config.has_group_context(), kInvalidArgument,
                        "--context-only needs a model with group context (--context-channels)");
  try {
    torch::manual_seed(o.seed);
    const torch::Device device(o.device);
    prepare_training_device(device);
    const torch::Tensor crops = crops_on_device(train_crops, device);
    const torch::Tensor held_out = eval_crops ? crops_on_device(*eval_crops, device) : torch::Tensor();
    PhotoModel model(o.config);
    model->to(device);
    const TransformPrecision precision = resolve_precision(o.precision, device);
    const bool bf16 = precision == TransformPrecision::kBf16;
    const bool channels_last = device.is_cpu() && (o.layout == TrainOptions::Layout::kChannelsLast ||
                                                   (o.layout == TrainOptions::Layout::kAuto && bf16));
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(o.learning_rate));
    int64_t step = 0;
    std::optional<TensorFile> resumed;  // the checkpoint, until the weight averages take theirs
    const bool relative = o.rate_point_weights == TrainOptions::RatePointWeights::kRelative;
    RelativeRatePointWeights relative_weights(o.config.rate_points());
    // A checkpoint or weights file with fewer rate points than --lambdas gets the new ones
    // (train/rate_points.h); any other difference of shape is an error of load_module_parameters.
    if (o.resume) {
      FACET_ASSIGN_OR_RETURN(TensorFile file, read_checkpoint(o.checkpoint));
      FACET_RETURN_IF_ERROR(remap_rate_points(file, o.config.lambdas).with_context("--resume " + o.checkpoint));
      FACET_ASSIGN_OR_RETURN(step, restore_checkpoint(file, *model, adam, device));
      relative_weights.restore(file.metadata);
      resumed = std::move(file);
    } else if (o.init) {
      TensorFile file = *o.init;
      FACET_RETURN_IF_ERROR(remap_rate_points(file, o.config.lambdas).with_context("--init"));
      // A model without group context gets one: its networks start as zero corrections.
      for (const auto& item : model->named_parameters())
        if (item.key().rfind("context_", 0) == 0 && !file.tensors.count(item.key()))
          file.tensors[item.key()] = to_tensor_data(item.value().to(torch::kCPU));
      FACET_RETURN_IF_ERROR(load_module_parameters(file, *model));
    }
    if (channels_last) to_channels_last(*model);
    std::vector<double> decays = o.average_decays;
    if (o.export_average > 0 && std::find(decays.begin(), decays.end(), o.export_average) == decays.end())
      decays.push_back(o.export_average);
    WeightAverages averages(decays, *model);
    if (resumed) FACET_RETURN_IF_ERROR(averages.restore(*resumed).with_context("--resume " + o.checkpoint));
    resumed.reset();
    // Evaluates the weights, then each average that has seen a step.
    const auto evaluate_all = [&](int64_t at) {
      evaluate(model, held_out, o, at, report);
      for (size_t i = 0; i < averages.size(); ++i) {
        if (averages.updates(i) == 0) continue;
        WeightAverages::Swap swap(averages, i);
        evaluate(model, held_out, o, at, report, averages.decay(i));
      }
    };
    if (group) {
      // Every rank starts from rank 0's weights and, when resumed, its Adam moments.
      std::vector<torch::Tensor> state = model->parameters();
      for (const auto& p : model->parameters()) {
        auto it = adam.state().find(adam_state_key(p));
        if (it == adam.state().end()) continue;
        auto& a = static_cast<torch::optim::AdamParamState&>(*it->second);
        state.push_back(a.exp_avg());
        state.push_back(a.exp_avg_sq());
      }
      group->broadcast(state);
    }
    if (lead) {
      TrainProgress p;
      const std::string flags = device.is_cpu() ? cpu_bf16_flags() : std::string();
      p.banner = std::string("precision ") + (bf16 ? "bf16 (autocast; fp32 weights, hyperprior and loss)" : "fp32") +
                 (channels_last ? ", channels-last" : "") + ", device " + o.device +
                 (device.is_cpu() ? ", " + std::to_string(at::get_num_threads()) + " threads, CPU bf16 flags: " +
                                        (flags.empty() ? "none" : flags)
                                  : std::string()) +
                 (group ? ", data parallel: rank 0 of " + std::to_string(world) + " (Gloo), global batch " +
                              std::to_string(o.batch * world)
                        : std::string());
      report(p);
    }
    EpochSampler sampler(crops.size(0), o.seed);
    std::uniform_int_distribution<int> rate_point(0, o.config.rate_points() - 1);
    std::uniform_int_distribution<int> kept(1, std::max(1, o.config.groups - 1));
    std::bernoulli_distribution truncate(o.truncation_probability);
    std::bernoulli_distribution drop_chroma(o.config.chroma > 0 ? o.chroma_drop_probability : 0.0);
    model->train();

    // Sums over the logging window stay on the device: reading them back each step would make the
    // host wait for the GPU.
    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions(device)), bpp_sum = loss_sum.clone(),
                  mse_sum = loss_sum.clone();
    int64_t window = 0;
    auto window_start = Clock::now();
    StepBudget budget(o.time_budget_seconds, o.steps);
    const std::vector<torch::Tensor> parameters = model->parameters();
    const torch::Tensor lambda_table =
        torch::tensor(o.config.lambdas, torch::TensorOptions(torch::kFloat64)).to(device, torch::kFloat32);
    // Where a fine-tune or a resumed run starts, on the held-out crops (the run's reference point).
    if (lead && eval_crops && o.eval_every > 0 && (o.resume || o.init)) evaluate_all(step);
    double all_reduce_start = group ? group->all_reduce_seconds() : 0;
    const auto save_checkpoint_now = [&](int64_t at) {
      auto metadata = o.config.to_metadata();
      if (relative) metadata[RelativeRatePointWeights::kMetadataKey] = relative_weights.to_string();
      TensorFile average_state;
      averages.save(average_state);
      return save_checkpoint(o.checkpoint, *model, adam, at, metadata, average_state);
    };
    for (; step < budget.total(); ++step) {
      const double lr =
          o.lr_schedule == TrainOptions::LrSchedule::kStep
              ? warmup_step_learning_rate(o.learning_rate, o.warmup_steps, o.final_lr_fraction, budget.total(), step)
              : warmup_cosine_learning_rate(o.learning_rate, o.warmup_steps, o.final_lr_fraction, budget.total(),
                                            step);
      for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      // Draws of the whole step (the same on every rank), then this rank's share of the images.
      std::mt19937_64 rng(mix_seed(o.seed, uint64_t(step)));
      Batch batch = sample_batch(crops, sampler, (step * world + (group ? group->rank() : 0)) * o.batch, o.batch,
                                 o.crop, o.config.rate_points(),
                                 o.rate_point_sampling == TrainOptions::RatePointSampling::kBalanced);
      auto x = batch.x;
      if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      // One rate point for the step, or one per image (every rate point trains in every step).
      const int k = rate_point(rng);
      std::vector<int64_t> image_points(o.batch, k);
      if (o.rate_point_sampling != TrainOptions::RatePointSampling::kPerStep) image_points = batch.rate_points;
      const auto points = torch::tensor(image_points, torch::TensorOptions(torch::kInt64)).to(device);
      const auto lambdas = lambda_table.index_select(0, points);
      const int truncated_groups = (o.config.groups > 1 && truncate(rng)) ? kept(rng) : o.config.groups;
      const bool paired_truncation = truncated_groups < o.config.groups &&
                                     o.truncation_mode == TrainOptions::TruncationMode::kPaired;
      const int groups = paired_truncation ? o.config.groups : truncated_groups;
      const bool chroma_step = drop_chroma(rng);
      const bool paired = chroma_step && o.chroma_drop_mode == TrainOptions::ChromaDropMode::kPaired;
      const bool keep_chroma = !chroma_step || paired;
      model->set_noise_seeds(batch.noise_seeds);
      if (o.context_only) {
        torch::Tensor bpp;
        {
          Bf16Autocast autocast(bf16, device);
          bpp = model->context_rate(x, points).mean();
        }
        adam.zero_grad();
        bpp.backward();
        if (group) group->average_gradients(parameters);
        if (o.clip_grad_norm > 0) clip_gradients(parameters, o.clip_grad_norm);
        adam.step();
        averages.update();
        loss_sum += bpp.detach();
        bpp_sum += bpp.detach();
        mse_sum += torch::full({}, std::nan(""), loss_sum.options());
      } else {
        ForwardResult r;
        {
          Bf16Autocast autocast(bf16, device);
          r = model->forward(x, points, groups, /*noisy=*/true, keep_chroma, /*also_without_chroma=*/paired,
                             /*also_kept_groups=*/paired_truncation ? truncated_groups : 0);
        }
        const torch::Tensor target = keep_chroma ? x : luma_of(x);
        Loss l = rate_distortion(r, target, lambdas);
        // The paired decodes' distortions, in the units of the full decode's (lambda * 255^2 * MSE).
        const auto distortion = [&](const torch::Tensor& decoded, const torch::Tensor& wanted) {
          return 255.0 * 255.0 * lambdas * (decoded - wanted).square().mean({1, 2, 3});
        };
        if (paired) l.per_image = l.per_image + o.chroma_luma_weight * distortion(r.x_hat_without_chroma, luma_of(x));
        if (paired_truncation) l.per_image = l.per_image + o.truncation_weight * distortion(r.x_hat_truncated, target);
        if (paired || paired_truncation) l.total = l.per_image.mean();
        // What the step minimizes; the log shows the plain loss in any case.
        torch::Tensor objective = l.total;
        if (relative) {
          const auto host = l.per_image.detach().to(torch::kCPU, torch::kFloat64).contiguous();
          const std::vector<double> losses(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
          auto sums = RelativeRatePointWeights::step_sums(losses, image_points, o.config.rate_points());
          if (group) sums = group->mean(sums);  // the global batch's (only the ratios count)
          objective = (torch::tensor(relative_weights.update(sums, image_points)).to(device) * l.per_image).mean();
        }
        adam.zero_grad();
        objective.backward();
        if (group) group->average_gradients(parameters);
        if (o.clip_grad_norm > 0) clip_gradients(parameters, o.clip_grad_norm);
        adam.step();
        averages.update();
        if (group && o.verify_replicas && !group->replicas_equal(parameters))
          return make_error(ErrorCode::kInternal,
                            "data parallel: the ranks' weights differ after step " + std::to_string(step + 1));

        loss_sum += l.total.detach();
        bpp_sum += l.bpp.detach();
        mse_sum += l.mse.detach();
      }
      ++window;
      if (budget.update(step + 1) && lead) {
        TrainProgress p;
        p.step = step + 1;
        p.budget_steps = budget.total();
        report(p);
      }
      const bool last = step + 1 == budget.total();
      if ((step + 1) % o.log_every == 0 || last) {
        TrainProgress p;
        p.step = step + 1;
        std::vector<double> sums = {loss_sum.item<double>(), bpp_sum.item<double>(), mse_sum.item<double>()};
        if (group) {  // the global batch's means
          sums = group->mean(sums);
          p.all_reduce_seconds = (group->all_reduce_seconds() - all_reduce_start) / double(window);
          all_reduce_start = group->all_reduce_seconds();
        }
        p.loss = sums[0] / window;
        p.bpp = sums[1] / window;
        p.psnr = psnr_of(sums[2] / window);
        p.learning_rate = lr;
        p.steps_per_second = window / std::chrono::duration<double>(Clock::now() - window_start).count();
        if (lead) report(p);
        loss_sum.zero_();
        bpp_sum.zero_();
        mse_sum.zero_();
        window = 0;
        window_start = Clock::now();
      }
      if (lead && !o.checkpoint.empty() && ((step + 1) % o.checkpoint_every == 0 || last))
        FACET_RETURN_IF_ERROR(save_checkpoint_now(step + 1));
      if (lead && eval_crops && ((o.eval_every > 0 && (step + 1) % o.eval_every == 0) || last))
        evaluate_all(step + 1);
      if (o.stop_on_signal && !group && stop_signal() != 0 && !last) {
        if (!o.checkpoint.empty() && (step + 1) % o.checkpoint_every != 0)
          FACET_RETURN_IF_ERROR(save_checkpoint_now(step + 1));
        TrainProgress p;
        p.banner = "stopped by signal " + std::to_string(stop_signal()) + " after step " + std::to_string(step + 1) +
                   (o.checkpoint.empty() ? std::string(" (no --checkpoint: the run is lost)")
                                         : "; checkpoint " + o.checkpoint);
        report(p);
        return ok_status();
      }
    }

    if (lead && !o.output.empty()) {
      std::optional<WeightAverages::Swap> exported;
      if (o.export_average > 0) {
        const size_t i = size_t(std::find(decays.begin(), decays.end(), o.export_average) - decays.begin());
        FACET_RETURN_ERROR_IF(averages.updates(i) == 0, kInvalidArgument,
                              "--export-average " + WeightAverages::prefix(o.export_average) +
                                  ": no such average in the checkpoint, and this run made no step to start one");
        exported.emplace(averages, i);
      }
      model->to(torch::kCPU);
      if (channels_last) to_contiguous(*model);
      if (o.f16_weights) round_parameters_to_f16(*model);
      FACET_ASSIGN_OR_RETURN(EntropyTables tables, bake_entropy_tables(model));
      FACET_ASSIGN_OR_RETURN(TensorFile file,
                             model_to_tensor_file(model, tables, o.f16_weights ? TensorDtype::kF16 : TensorDtype::kF32));
      FACET_RETURN_IF_ERROR(write_tensor_file(o.output, file));
    }
  } catch (const c10::Error& e) {
    if (group) return make_error(ErrorCode::kIo, std::string("data parallel: ") + e.what_without_backtrace());
    return make_error(ErrorCode::kInternal, std::string("LibTorch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {  // Gloo reports a lost or timed-out rank this way
    return make_error(group ? ErrorCode::kIo : ErrorCode::kInternal,
                      std::string(group ? "data parallel: " : "") + e.what());
  }
  return ok_status();
}

}  // namespace facet
