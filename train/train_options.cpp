// Training options and progress lines shared by `facet train` and `facet-train`.
#include "train/train_options.h"

#include <ATen/Parallel.h>
#include <cstdio>
#include <map>
#include <thread>

#include "train/data_parallel.h"
#include "train/weight_average.h"

namespace facet::cli {

void add_trainer_options(CLI::App* cmd, TrainerCliOptions& o) {
  TrainOptions& t = o.train;
  cmd->add_option("--model", o.model, "photo, or sprites (the beta-TCVAE on rendered sprites; needs no --data)")
      ->check(CLI::IsMember({"photo", "sprites"}))
      ->capture_default_str();
  cmd->add_option("--latents", o.sprites.latents, "Latents of the sprites model")->capture_default_str();
  cmd->add_option("--beta", o.sprites.beta, "Total-correlation weight of the sprites model (beta-TCVAE)")
      ->capture_default_str();
  cmd->add_option("--steps", t.steps, "Total optimizer steps")->capture_default_str();
  cmd->add_option("--batch", t.batch, "Batch size")->capture_default_str();
  cmd->add_option("--patch", t.crop, "Training patch edge (multiple of 64)")->capture_default_str();
  cmd->add_option("--lr", t.learning_rate, "Peak learning rate")->capture_default_str();
  cmd->add_option("--warmup", t.warmup_steps, "Linear warm-up steps")->capture_default_str();
  cmd->add_option("--lr-schedule", t.lr_schedule,
                  "cosine: warm-up then cosine decay to --final-lr of the peak; step: the peak to 80% of the "
                  "steps, then --final-lr of it")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, TrainOptions::LrSchedule>{{"cosine", TrainOptions::LrSchedule::kCosine},
                                                          {"step", TrainOptions::LrSchedule::kStep}},
          CLI::ignore_case))
      ->default_str("cosine");
  cmd->add_option("--final-lr", t.final_lr_fraction, "Final learning rate as a fraction of the peak")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--clip", t.clip_grad_norm, "Clip the gradients' global L2 norm to this (0: no clipping)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--precision", t.precision,
                  "Transforms' arithmetic: auto (bf16 where the CPU has avx512_bf16/amx_bf16, and on CUDA), "
                  "fp32, or bf16 (autocast; weights, hyperprior and loss stay fp32)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, TransformPrecision>{{"auto", TransformPrecision::kAuto},
                                                   {"fp32", TransformPrecision::kFp32},
                                                   {"bf16", TransformPrecision::kBf16}},
          CLI::ignore_case))
      ->default_str("auto");
  cmd->add_option("--layout", t.layout,
                  "Photo model on the CPU: auto (channels-last with bf16, NCHW with fp32), channels-last, nchw")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, TrainOptions::Layout>{{"auto", TrainOptions::Layout::kAuto},
                                                      {"channels-last", TrainOptions::Layout::kChannelsLast},
                                                      {"nchw", TrainOptions::Layout::kNchw}},
          CLI::ignore_case))
      ->default_str("auto");
  cmd->add_option("--rate-points", t.rate_point_sampling,
                  "per-step: one rate point (lambda) per step; per-image: one per image of the batch, every "
                  "step trains all of them; balanced: one per image, each K consecutive images take each of "
                  "the K rate points once")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, TrainOptions::RatePointSampling>{
              {"per-step", TrainOptions::RatePointSampling::kPerStep},
              {"per-image", TrainOptions::RatePointSampling::kPerImage},
              {"balanced", TrainOptions::RatePointSampling::kBalanced}},
          CLI::ignore_case))
      ->default_str("per-image");
  cmd->add_option("--rate-point-weights", t.rate_point_weights,
                  "lambda: the plain mean of the images' losses; relative: each image's loss divided by its "
                  "rate point's running mean loss, so every rate point weighs the same in the shared weights")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, TrainOptions::RatePointWeights>{
              {"lambda", TrainOptions::RatePointWeights::kLambda},
              {"relative", TrainOptions::RatePointWeights::kRelative}},
          CLI::ignore_case))
      ->default_str("relative");
  cmd->add_option("--truncation", t.truncation_probability, "Share of steps that drop trailing latent groups")
      ->capture_default_str();
  cmd->add_option("--truncation-mode", t.truncation_mode,
                  "paired: a truncation step decodes the full latents too (one more synthesis), so every step "
                  "trains the full decode; replace: it decodes only the truncated ones")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, TrainOptions::TruncationMode>{{"paired", TrainOptions::TruncationMode::kPaired},
                                                              {"replace", TrainOptions::TruncationMode::kReplace}},
          CLI::ignore_case))
      ->default_str("replace");
  cmd->add_option("--truncation-weight", t.truncation_weight,
                  "paired: weight of the truncated decode's distortion against the full decode's")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--checkpoint", t.checkpoint, "Checkpoint file (weights + Adam state)");
  cmd->add_option("--checkpoint-every", t.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  cmd->add_flag("--resume", t.resume, "Continue from --checkpoint (a --steps at or below its step exports it)");
  cmd->add_option("--log-every", t.log_every, "Steps between progress lines")->capture_default_str();
  cmd->add_option("--eval-every", t.eval_every, "Steps between evaluations (0: at the end)")->capture_default_str();
  cmd->add_option("--time-budget", t.time_budget_seconds,
                  "Wall-clock seconds for the whole run: after a short calibration the total step count "
                  "is set from the measured speed (0: run --steps)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--seed", t.seed, "Random seed")->capture_default_str();
  cmd->add_option("--device", t.device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--dist-timeout", o.dist_timeout_seconds,
                  "Launched by torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT): seconds the ranks wait for "
                  "each other (rendezvous, each step's all-reduce, rank 0's evaluations) before a hung rank ends "
                  "the run")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_flag("--verify-replicas", t.verify_replicas,
                "Data parallel: check after every step that all ranks hold bitwise the same weights");
  cmd->add_option("--threads", o.threads, "CPU threads (default: all cores)");
  // --channels and --latent-channels: the same, for launchers whose own parser takes "--n" and
  // "--m" as abbreviations of its options (torchrun's argparse does).
  cmd->add_option("--n,--channels", t.config.n, "Transform channels")->capture_default_str();
  cmd->add_option("--m,--latent-channels", t.config.m, "Latent channels")->capture_default_str();
  cmd->add_option("--hyper-n", t.config.hyper_n, "Hyper-latent channels")->capture_default_str();
  cmd->add_option("--groups", t.config.groups, "Latent groups, coarse to fine")->capture_default_str();
  cmd->add_option("--synthesis-rate-scales", t.config.synthesis_rate_scales,
                  "Photo model: per-rate-point channel scales inside the synthesis (new models)")
      ->capture_default_str();
  cmd->add_option("--context-channels", t.config.context_channels,
                  "Photo model: hidden channels of the group context networks (structure.g and chroma predicted from "
                  "the groups decoded before them, FORMAT.md 5.6.2); 0: each group on the hyperprior alone. With --init "
                  "from a model without them they start as zero corrections")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_flag("--context-only", t.context_only,
                "Photo model: train only the group context networks, on the rate of the frozen transforms' latents "
                "(no synthesis: a step costs about the analysis)");
  cmd->add_option("--chroma", t.config.chroma, "Latent channels of the chroma group (the last ones; 0: none)")
      ->capture_default_str();
  cmd->add_option("--chroma-drop", t.chroma_drop_probability,
                  "Share of steps that drop the chroma group and ask for the grayscale image")
      ->capture_default_str();
  cmd->add_option("--chroma-drop-mode", t.chroma_drop_mode,
                  "paired: a chroma-drop step decodes the colour image too (one more synthesis), so every "
                  "step trains the colour decode; replace: it decodes only the grayscale image")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, TrainOptions::ChromaDropMode>{{"paired", TrainOptions::ChromaDropMode::kPaired},
                                                              {"replace", TrainOptions::ChromaDropMode::kReplace}},
          CLI::ignore_case))
      ->default_str("paired");
  cmd->add_option("--chroma-luma-weight", t.chroma_luma_weight,
                  "paired: weight of the grayscale decode's distortion against the colour decode's")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_flag("--f16-weights", t.f16_weights,
                "Photo model: store the output's weights as F16, half the file (rounded before its tables are baked)");
  cmd->add_option("--init", o.init, "Start from this model's weights (fine-tuning; same shapes, except that --lambdas may add rate points)");
  cmd->add_option("--lambdas", o.lambdas, "Comma-separated rate-point lambdas (increasing). With --init or --resume it may add rate points to the model's: their gains are interpolated (extrapolated) in log lambda");
  cmd->add_option("--ema", o.ema,
                  "Photo model: exponential moving averages of the weights with these decays (e.g. 0.999,0.9998), "
                  "bias-corrected, kept in the checkpoint and evaluated beside the weights");
  cmd->add_option("--export-ema", t.export_average,
                  "Photo model: the output holds the weight average of this decay (from --resume's checkpoint "
                  "or this run) instead of the optimizer's weights")
      ->check(CLI::Range(0.0, 1.0).description("a decay between 0 and 1"));
  cmd->add_option("--model-id", t.config.model_id, "Name stored in the model and in every file")->capture_default_str();
}

Status finish_trainer_options(TrainerCliOptions& o) {
  at::set_num_threads(o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency())));
  if (!o.lambdas.empty()) {
    auto lambdas = parse_lambda_list(o.lambdas);
    if (!lambdas.ok()) return make_error(ErrorCode::kInvalidArgument, "bad --lambdas list '" + o.lambdas + "'");
    o.train.config.lambdas = std::move(lambdas).value();
  }
  if (!o.ema.empty()) {
    auto decays = parse_average_decays(o.ema);
    if (!decays.ok()) return make_error(ErrorCode::kInvalidArgument, "--ema: " + decays.status().message());
    o.train.average_decays = std::move(decays).value();
  }
  if (o.train.export_average >= 1.0)
    return make_error(ErrorCode::kInvalidArgument, "--export-ema: a decay below 1 (e.g. 0.999)");
  Status valid = o.train.config.validate();
  if (!valid.ok()) return make_error(ErrorCode::kInvalidArgument, valid.message());
  FACET_ASSIGN_OR_RETURN(DistributedEnvironment env, distributed_environment_from_env());
  if (env.launched()) {
    FACET_RETURN_ERROR_IF(o.model != "photo", kInvalidArgument, "data-parallel training is for the photo model");
    FACET_ASSIGN_OR_RETURN(std::unique_ptr<DataParallel> group,
                           DataParallel::connect(env, std::chrono::seconds(o.dist_timeout_seconds)));
    o.train.data_parallel = std::move(group);
    // Only rank 0 prints; the others' output would repeat it.
    if (env.rank != 0 && !std::freopen("/dev/null", "w", stdout)) std::fclose(stdout);
  }
  return ok_status();
}

SpritesTrainOptions sprites_train_options(const TrainerCliOptions& o, const CLI::App& cmd) {
  const TrainOptions& t = o.train;
  auto given = [&](const char* name) { return cmd.get_option(name)->count() > 0; };
  SpritesTrainOptions s;
  s.config = o.sprites;
  if (given("--model-id")) s.config.model_id = t.config.model_id;
  if (given("--steps")) s.steps = t.steps;
  if (given("--batch")) s.batch = t.batch;
  if (given("--lr")) s.learning_rate = t.learning_rate;
  if (given("--warmup")) s.warmup_steps = t.warmup_steps;
  if (given("--checkpoint-every")) s.checkpoint_every = t.checkpoint_every;
  if (given("--log-every")) s.log_every = t.log_every;
  s.checkpoint = t.checkpoint;
  s.resume = t.resume;
  s.seed = t.seed;
  s.device = t.device;
  s.time_budget_seconds = t.time_budget_seconds;
  return s;
}

void print_sprites_progress(const SpritesProgress& p) {
  if (p.budget_steps > 0) {
    std::printf("time budget: %lld steps in all (calibrated at step %lld)\n", (long long)p.budget_steps,
                (long long)p.step);
  } else {
    std::printf("train step %7lld  loss %.2f  reconstruction %.2f  KL %.2f  TC %.3f  active latents %d  lr %.2e  "
                "%.2f steps/s\n",
                (long long)p.step, p.loss, p.reconstruction, p.kl, p.total_correlation, p.active_latents,
                p.learning_rate, p.steps_per_second);
  }
  std::fflush(stdout);
}

void print_train_progress(const TrainProgress& p) {
  if (!p.banner.empty()) {
    std::printf("%s\n", p.banner.c_str());
    std::fflush(stdout);
    return;
  }
  if (p.budget_steps > 0) {
    std::printf("time budget: %lld steps in all (calibrated at step %lld)\n", (long long)p.budget_steps,
                (long long)p.step);
    std::fflush(stdout);
    return;
  }
  if (p.is_eval) {
    std::printf("eval  step %7lld  ", (long long)p.step);
    if (p.average_decay > 0) std::printf("ema %g  ", p.average_decay);
    std::printf("rate point %d  lambda %.5g  bpp %.4f  PSNR %.2f dB\n", p.rate_point, p.lambda, p.bpp, p.psnr);
  } else {
    std::printf("train step %7lld  loss %.4f  bpp %.4f  PSNR %.2f dB  lr %.2e  %.2f steps/s", (long long)p.step,
                p.loss, p.bpp, p.psnr, p.learning_rate, p.steps_per_second);
    if (p.all_reduce_seconds >= 0) std::printf("  all-reduce %.1f ms/step", 1000.0 * p.all_reduce_seconds);
    std::printf("\n");
  }
  std::fflush(stdout);
}

}  // namespace facet::cli
